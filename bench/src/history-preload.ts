/**
 * The `history` workload's database: M C2C messages over C conversations (layout in
 * history-logic.ts), written straight into a SQLite file with the server's own schema
 * (SqliteStorage.migrate, the server's conversation keys), so the server started on it
 * sees a database it could have written itself. Sending 10 million messages over the wire would take hours; this takes about a
 * minute for 10 million: rows are written in primary-key order in large transactions with
 * the journal and fsync off (during the preload only), and the secondary indexes are
 * dropped first and rebuilt at the end (a sort instead of 10 million random B-tree inserts).
 *
 * Built datasets are cached under <tmp>/parley-bench-history/<key>/ (the key covers the
 * parameters and a hash of the schema), so later runs start at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteStorage } from '@parley/server';
import { messagesIn, ownerID, ownerOf, peerID, validateDataset, type HistoryDataset } from './history-logic.js';
import { log } from './proc.js';

/** Bump when the generated content changes (invalidates cached datasets). */
const LAYOUT_VERSION = 1;
const DB_FILE = 'parley.db';
const INFO_FILE = 'dataset.json';
const ROWS_PER_TRANSACTION = 200_000;

/** The cache directory name for a dataset under a given schema. */
export function datasetKey(d: HistoryDataset, schemaHash: string): string {
  return `v${LAYOUT_VERSION}-m${d.messages}-c${d.conversations}-o${d.owners}-${schemaHash.slice(0, 12)}`;
}

export function defaultCacheRoot(): string {
  return join(tmpdir(), 'parley-bench-history');
}

// ---------------------------------------------------------------- the server's own pieces

interface Database {
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  exec(sql: string): void;
  pragma(sql: string): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}

type DatabaseCtor = new (filename: string) => Database;

function serverDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@parley/server'));
}

/** better-sqlite3, as the server loads it (it is the server's dependency, not the bench's). */
function openDatabase(file: string): Database {
  const require = createRequire(join(serverDir(), 'index.js'));
  const Ctor = require('better-sqlite3') as DatabaseCtor;
  return new Ctor(file);
}

/** The server's C2C conversation key function (packages/server/src/storage/storage.ts). */
async function loadC2CKey(): Promise<(a: string, b: string) => string> {
  const file = join(serverDir(), 'storage', 'storage.js');
  const mod = (await import(pathToFileURL(file).href)) as { c2cKey?: (a: string, b: string) => string };
  if (typeof mod.c2cKey !== 'function') throw new Error(`${file} does not export c2cKey: the server's storage layout changed; update bench/src/history-preload.ts`);
  return mod.c2cKey;
}

/** Creates the server's schema in `file` with its own migrations. */
async function migrate(file: string): Promise<void> {
  const storage = new SqliteStorage({ filename: file });
  await storage.migrate();
  await storage.close();
}

/** A hash of the server's schema (every CREATE statement) and its key format. */
async function schemaHash(scratchDir: string): Promise<string> {
  mkdirSync(scratchDir, { recursive: true });
  const file = join(scratchDir, `schema-${process.pid}.db`);
  try {
    await migrate(file);
    const db = openDatabase(file);
    const rows = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name").all() as Array<{ sql: string }>;
    db.close();
    const c2cKey = await loadC2CKey();
    return createHash('sha256')
      .update(rows.map((r) => r.sql).join(';\n'))
      .update(c2cKey('a', 'b'))
      .digest('hex');
  } finally {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

// ---------------------------------------------------------------- building

export interface PreparedDataset {
  /** Data dir for the server (holds parley.db). */
  dir: string;
  /** Built by this call (false: reused from the cache). */
  built: boolean;
  buildS: number | null;
  dbBytes: number;
}

/**
 * Returns a data dir holding the dataset: the cached one if present, else builds it (into a
 * temporary name, renamed when complete, so an interrupted build is never reused).
 * `cacheRoot` null = build into a fresh dir under the temp dir that the caller removes.
 */
export async function ensureDataset(d: HistoryDataset, cacheRoot: string, options: { rebuild: boolean }): Promise<PreparedDataset> {
  validateDataset(d);
  const hash = await schemaHash(cacheRoot);
  const dir = join(cacheRoot, datasetKey(d, hash));
  if (existsSync(join(dir, INFO_FILE)) && !options.rebuild) {
    const info = JSON.parse(readFileSync(join(dir, INFO_FILE), 'utf8')) as { buildS?: number };
    log(`reusing the cached dataset ${dir} (built in ${info.buildS ?? '?'} s)`);
    return { dir, built: false, buildS: info.buildS ?? null, dbBytes: statSync(join(dir, DB_FILE)).size };
  }
  rmSync(dir, { recursive: true, force: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const started = Date.now();
  try {
    await build(d, join(partial, DB_FILE));
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  const buildS = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(join(partial, INFO_FILE), JSON.stringify({ ...d, layout: LAYOUT_VERSION, schema: hash, buildS, builtAt: new Date().toISOString() }, null, 2) + '\n');
  renameSync(partial, dir);
  const dbBytes = statSync(join(dir, DB_FILE)).size;
  log(`dataset built in ${buildS} s: ${dir} (${(dbBytes / 1e9).toFixed(2)} GB)`);
  return { dir, built: true, buildS, dbBytes };
}

const MESSAGE_COLUMNS = [
  'conv_key',
  'seq',
  'id',
  'conv_type',
  'sender',
  'receiver',
  'sender_ord',
  'time',
  'client_time',
  'random',
  'type',
  'payload',
  'cloud_custom_data',
  'priority',
  'nick',
  'avatar',
] as const;

/** Rows per INSERT statement (fewer calls from JS into SQLite). */
const ROWS_PER_STATEMENT = 64;

async function build(d: HistoryDataset, file: string): Promise<void> {
  const c2cKey = await loadC2CKey();
  await migrate(file);
  const db = openDatabase(file);
  try {
    // Preload only: no journal, no fsync, one writer, a big cache. The server reopens it in WAL with synchronous=FULL.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('cache_size = -1048576');
    db.pragma('temp_store = MEMORY');

    // Secondary indexes are rebuilt at the end, from the server's own definitions.
    const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('messages', 'user_conversations')").all() as Array<{
      name: string;
      sql: string;
    }>;
    for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);

    const now = Math.floor(Date.now() / 1000);
    const baseTime = now - 365 * 86_400;
    const conversations = Array.from({ length: d.conversations }, (_, i) => {
      const owner = ownerID(ownerOf(i, d));
      const peer = peerID(i);
      return { i, owner, peer, key: c2cKey(owner, peer) };
    });
    // Primary-key order: every insert appends to the B-tree.
    conversations.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const placeholders = `(${MESSAGE_COLUMNS.map(() => '?').join(', ')})`;
    const insertSql = (rows: number) => `INSERT INTO messages (${MESSAGE_COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => placeholders).join(', ')}`;
    const insertMany = db.prepare(insertSql(ROWS_PER_STATEMENT));
    const insertOne = db.prepare(insertSql(1));
    const insertState = db.prepare('INSERT INTO conversation_state (conv_key, last_seq, last_time, ord_a, ord_b) VALUES (?, ?, ?, ?, ?)');
    const insertUserConversation = db.prepare(
      'INSERT INTO user_conversations (owner, conversation_id, peer, conv_key, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const insertUser = db.prepare('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING');

    let written = 0;
    let lastLog = Date.now();
    const params: unknown[] = [];
    let pendingRows = 0;
    const flushRows = () => {
      if (pendingRows === ROWS_PER_STATEMENT) insertMany.run(...params);
      else for (let r = 0; r < pendingRows; r++) insertOne.run(...params.slice(r * MESSAGE_COLUMNS.length, (r + 1) * MESSAGE_COLUMNS.length));
      params.length = 0;
      pendingRows = 0;
    };
    let cursor = 0;
    const writeSome = db.transaction(() => {
      let rows = 0;
      while (cursor < conversations.length && rows < ROWS_PER_TRANSACTION) {
        const c = conversations[cursor++]!;
        const m = messagesIn(c.i, d);
        const ownerIsA = c.owner <= c.peer;
        for (let seq = 1; seq <= m; seq++) {
          const byOwner = seq % 2 === 1;
          const sender = byOwner ? c.owner : c.peer;
          const time = baseTime + seq;
          params.push(
            c.key,
            seq,
            `h${c.i}-${seq}`,
            'C2C',
            sender,
            byOwner ? c.peer : c.owner,
            byOwner ? (seq + 1) >> 1 : seq >> 1,
            time,
            time,
            (c.i * 7919 + seq) % 4_294_967_296,
            'TIMTextElem',
            `{"text":"message ${seq} of conversation ${c.i}: the quick brown fox jumps over the lazy dog"}`,
            '',
            'Normal',
            '',
            '',
          );
          if (++pendingRows === ROWS_PER_STATEMENT) flushRows();
        }
        flushRows();
        const ownerOrd = (m + 1) >> 1;
        const peerOrd = m >> 1;
        insertState.run(c.key, m, baseTime + m, ownerIsA ? ownerOrd : peerOrd, ownerIsA ? peerOrd : ownerOrd);
        insertUserConversation.run(c.owner, `C2C${c.peer}`, c.peer, c.key, baseTime);
        insertUserConversation.run(c.peer, `C2C${c.owner}`, c.owner, c.key, baseTime);
        insertUser.run(c.owner, baseTime);
        insertUser.run(c.peer, baseTime);
        rows += m;
      }
      written += rows;
    });
    log(`building the dataset: ${d.messages} messages in ${d.conversations} conversations of ${d.owners} owners…`);
    while (cursor < conversations.length) {
      writeSome();
      if (Date.now() - lastLog >= 5000) {
        lastLog = Date.now();
        log(`  ${written} / ${d.messages} messages written`);
      }
      // Let signals and timers run between transactions.
      await new Promise((r) => setImmediate(r));
    }
    log(`  ${written} messages written; rebuilding ${indexes.length} index(es)…`);
    for (const index of indexes) db.exec(index.sql);
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/**
 * The embedded default backend: one SQLite file in WAL mode. A transaction
 * settles only once it is on disk (survives kill -9 and power loss).
 *
 * Group commit: `transaction()` calls that arrive in the same event-loop turn
 * are run back to back inside one BEGIN…COMMIT, and all settle after one
 * fdatasync of the WAL, which runs on the thread pool while the event loop goes
 * on (wal-sync.ts; the writer is `synchronous=NORMAL` once migrated, `FULL`
 * before and for `:memory:`). Reads use a second, read-only connection that
 * sees committed data.
 *
 * The next commit fills while the last one syncs. As soon as a COMMIT has
 * returned, the next batch opens (BEGIN) and runs the jobs that arrive, a slice
 * of at most `maxBatch` per event-loop turn, with the event loop running
 * between slices (sockets, reads, timers); it commits when the sync in flight
 * has finished (or after `maxCommitJobs`). So the loop runs jobs instead of
 * idling through the fdatasync, and there is still about one commit per sync:
 * a COMMIT writes every page its jobs dirtied to the WAL, and small commits
 * write the same hot pages again and again (committing each batch at once,
 * behind the sync, measured 1,350–1,460 fresh-user logins/s against 1,680/s
 * with one commit per sync). With nothing in flight a slice
 * commits at once. Without a separate read connection (`:memory:`), when other
 * processes share the file (`sharedFile`) or while one contends for the write
 * lock, a batch is one slice and the next waits for its sync.
 *
 * One failing job rolls back alone, without a SAVEPOINT per job (SAVEPOINT +
 * RELEASE copy every page a job touches into a sub-journal: ≈ 10 µs of a 1:1
 * send's ≈ 85). A job that throws having written nothing (SQLite's
 * `total_changes()` did not move: every check fails before the first write)
 * has nothing to undo. One that throws after writing makes the whole batch roll
 * back and run again from its first job, this time each job in its own
 * SAVEPOINT; so does every batch for a second after that. A transaction's
 * function may therefore run more than once (storage.ts): only its last run
 * counts.
 *
 * Procedures (`call()`, the 1:1 send) run on a storage thread with its own
 * write connection when `storageThread` is set and no other process shares the
 * file (sqlite-thread.ts); the two connections of the process take turns at the
 * write lock (write-lock-peer.ts). Otherwise a procedure is one more transaction.
 *
 * Several processes may share the file (cluster mode, SQLite's own locking):
 * when another process holds the write lock, the batch waits without blocking
 * the event loop (it retries BEGIN IMMEDIATE on a 1 ms timer instead of
 * SQLite's sleeping busy handler).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Procedure, Storage, StorageRepositories } from '../storage.js';
import { openSqlite, type SqliteHandle, type SqliteStatement } from './sqlite-handle.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { createSqliteRepositories } from './sqlite-repositories.js';
import { SqliteThread } from './sqlite-thread.js';
import { type FileSync, WalSync } from './wal-sync.js';
import { createWriteLockFlags, writeLockPeer, type WriteLockPeer } from './write-lock-peer.js';

export interface SqliteStorageConfig {
  /** Database file path, or ":memory:" (tests; then one connection serves reads and writes). */
  filename: string;
  /** Most transactions run in one event-loop turn (a slice of a commit). Default 512. */
  maxBatch?: number;
  /**
   * Most transactions grouped into one commit, over slices of `maxBatch`, while the previous
   * commit syncs (file databases). Default 2,048.
   */
  maxCommitJobs?: number;
  /**
   * Other processes write the same file (several nodes on one data directory). Then a batch never
   * stays open while the previous one syncs: the others get the write lock in between.
   */
  sharedFile?: boolean;
  /** How the WAL file is flushed to disk (default fdatasync on the thread pool); tests observe it. */
  fileSync?: FileSync;
  /**
   * Run procedures (`call()`: the 1:1 send) on a storage thread with its own write connection
   * (sqlite-thread.ts), off the event loop. Only for a WAL file no other process shares; otherwise
   * they run here like any transaction. Default false.
   */
  storageThread?: boolean;
  /**
   * Reads never go through this instance outside its transactions (the storage thread's own
   * instance): no read connection, and the next batch may fill while the last commit syncs.
   */
  writeOnly?: boolean;
  /** Another write connection of this process on the same file, to take turns with (write-lock-peer.ts). */
  lockPeer?: WriteLockPeer;
  /**
   * A commit that leaves the WAL holding more than this many bytes of pages checkpoints it into the
   * database file (SQLite's `wal_autocheckpoint`, in pages). Default `CHECKPOINT_WAL_BYTES`.
   */
  checkpointWalBytes?: number;
}

/**
 * The WAL's size at which a commit checkpoints it, bytes (SQLite's default is 1,000 pages, 4 MB).
 *
 * A 1:1 send dirties ≈ 2 pages that other sends of its commit rarely share (its conversation's
 * last leaf and its sender's leaf of the idempotency index), and a checkpoint copies each page
 * of the WAL once, however many frames hold it, then syncs the database file, inside the COMMIT
 * that crossed the threshold. At 4 MB a run of 10,000 sends/s checkpointed several times a
 * second, copied the same hot pages each time, and the storage thread spent most of its time in
 * those COMMITs: it saturated (p50 0.3–1.3 s). At 64–156 MB: p50 12–28 ms, p99 110–190 ms,
 * 10 instead of 14–15 KB written to disk per message (docs/performance.md, session 8).
 */
export const CHECKPOINT_WAL_BYTES = 128 * 1024 * 1024;

/** Retry delay while another process holds the write lock, ms. */
const BUSY_RETRY_MS = 1;
/** For this long after a busy lock, batches are spaced by BUSY_RETRY_MS (ms). */
const CONTENTION_MEMORY_MS = 1000;

/** Longest a batch waits to begin while the other write connection of this process waits for the lock, ms. */
const MAX_YIELD_MS = 10;

/** After a batch had to be replayed, batches run with a SAVEPOINT per job for this long (ms). */
const SAFE_MODE_MS = 1000;

/**
 * Page cache of each connection, KiB (SQLite's default is 2 MiB). The writer's must hold every page
 * a commit of `maxCommitJobs` dirties, or SQLite spills them to the WAL before the COMMIT.
 */
const CACHE_KIB = 64 * 1024;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Settles a batch's jobs by their outcomes once it is durable (`error` null), or rejects them all with `error`. */
function settle(batch: readonly Job[], outcomes: readonly Outcome[], error: unknown): void {
  batch.forEach((job, i) => {
    const outcome = outcomes[i];
    if (error !== null) job.reject(error);
    else if (!outcome) job.reject(new Error('lost transaction outcome'));
    else if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  });
}

interface Job {
  fn: (tx: StorageRepositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class SqliteStorage implements Storage {
  readonly users: StorageRepositories['users'];
  readonly messages: StorageRepositories['messages'];
  readonly conversations: StorageRepositories['conversations'];
  readonly profiles: StorageRepositories['profiles'];
  readonly blacklist: StorageRepositories['blacklist'];
  readonly files: StorageRepositories['files'];
  readonly groups: StorageRepositories['groups'];

  private readonly writer: SqliteHandle;
  /** Transaction control, prepared once (exec() would parse the SQL again for every job). */
  private readonly control: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo' | 'totalChanges', SqliteStatement>;
  private reader: SqliteHandle | null = null;
  private readonly writeRepos: StorageRepositories;
  private readonly maxBatch: number;
  private readonly maxCommitJobs: number;
  private queue: Job[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  /** Committed batches whose WAL sync has not finished yet (they settle when it has). */
  private syncsInFlight = 0;
  /** Set while an open batch waits for a job or for the sync in flight; either calls it. */
  private wake: (() => void) | null = null;
  private closed = false;
  private lastBusyAt = 0;
  /** Until then (Date.now()), every job runs in its own SAVEPOINT (set when a batch was replayed). */
  private safeUntil = 0;
  /** Batches rolled back and run again because a job threw after writing (tests read it). */
  replayedBatches = 0;
  /** Set by migrate() for a file database in WAL mode: commits are made durable off the event loop. */
  private walSync: WalSync | null = null;
  private readonly walMode: boolean;
  /** The storage thread running `call()`s, once migrate() started it (config.storageThread). */
  private thread: SqliteThread | null = null;
  private lockPeer: WriteLockPeer | null;
  /** Since when the next batch has been held back for the other write connection (Date.now()), or null. */
  private yieldingSince: number | null = null;

  constructor(private readonly config: SqliteStorageConfig) {
    this.maxBatch = config.maxBatch ?? 512;
    this.maxCommitJobs = Math.max(this.maxBatch, config.maxCommitJobs ?? 2048);
    this.lockPeer = config.lockPeer ?? null;
    const checkpointBytes = config.checkpointWalBytes ?? CHECKPOINT_WAL_BYTES;
    // (A value SQLite cannot read as a number would turn automatic checkpoints off, and the WAL would grow without end.)
    if (!Number.isFinite(checkpointBytes) || checkpointBytes <= 0) {
      throw new RangeError(`checkpointWalBytes must be a positive number of bytes, not ${checkpointBytes}`);
    }
    if (config.filename !== ':memory:') mkdirSync(dirname(config.filename), { recursive: true });
    this.writer = openSqlite(config.filename);
    // SQLite answers with the mode it is in: a file system without shared memory keeps 'delete'.
    this.walMode = journalModeOf(this.writer.pragma('journal_mode = WAL')) === 'wal';
    this.writer.pragma('synchronous = FULL');
    this.writer.pragma('busy_timeout = 5000');
    this.writer.pragma(`cache_size = -${CACHE_KIB}`);
    if (this.walMode) this.setCheckpointBytes(checkpointBytes);
    this.writeRepos = createSqliteRepositories(this.writer);
    this.control = {
      begin: this.writer.prepare('BEGIN IMMEDIATE'),
      commit: this.writer.prepare('COMMIT'),
      rollback: this.writer.prepare('ROLLBACK'),
      savepoint: this.writer.prepare('SAVEPOINT job'),
      release: this.writer.prepare('RELEASE job'),
      rollbackTo: this.writer.prepare('ROLLBACK TO job'),
      totalChanges: this.writer.prepare('SELECT total_changes() AS n'),
    };
    // Until migrate() opens the reader, reads go through the writer.
    this.users = this.writeRepos.users;
    this.messages = this.writeRepos.messages;
    this.conversations = this.writeRepos.conversations;
    this.profiles = this.writeRepos.profiles;
    this.blacklist = this.writeRepos.blacklist;
    this.files = this.writeRepos.files;
    this.groups = this.writeRepos.groups;
  }

  async migrate(): Promise<void> {
    const current = this.writer.pragma('user_version', ) as Array<{ user_version: number }>;
    let version = current[0]?.user_version ?? 0;
    while (version < SQLITE_MIGRATIONS.length) {
      const sql = SQLITE_MIGRATIONS[version];
      if (sql === undefined) break;
      this.writer.exec('BEGIN');
      try {
        this.writer.exec(sql);
        this.writer.pragma(`user_version = ${version + 1}`);
        this.writer.exec('COMMIT');
      } catch (err) {
        this.writer.exec('ROLLBACK');
        throw err;
      }
      version++;
    }
    // From here on a busy write lock is retried by flush() on a timer, never slept on.
    this.writer.pragma('busy_timeout = 0');
    if (this.walMode && !this.walSync) {
      // COMMIT no longer fsyncs on the event loop; WalSync does it before anything settles.
      // (Without WAL there is no append-only log to sync: the writer stays synchronous=FULL.)
      this.writer.pragma('synchronous = NORMAL');
      this.walSync = new WalSync(`${this.config.filename}-wal`, this.config.fileSync);
    }
    if (this.config.filename !== ':memory:' && !this.reader && this.config.writeOnly !== true) {
      this.reader = openSqlite(this.config.filename, { readonly: true });
      this.reader.pragma('busy_timeout = 5000');
      // History reads walk the B-trees of a file that may hold millions of messages: keep the
      // interior pages and recent conversations in the connection's own cache.
      this.reader.pragma(`cache_size = -${CACHE_KIB}`);
      const readRepos = createSqliteRepositories(this.reader);
      Object.assign(this, {
        users: readRepos.users,
        messages: readRepos.messages,
        conversations: readRepos.conversations,
        profiles: readRepos.profiles,
        blacklist: readRepos.blacklist,
        files: readRepos.files,
        groups: readRepos.groups,
      });
    }
    if (this.config.storageThread === true && this.walSync && this.reader && this.config.sharedFile !== true && !this.thread) {
      const lockFlags = createWriteLockFlags();
      const checkpointWalBytes = this.config.checkpointWalBytes ?? CHECKPOINT_WAL_BYTES;
      this.thread = await SqliteThread.start({ filename: this.config.filename, maxBatch: this.maxBatch, maxCommitJobs: this.maxCommitJobs, checkpointWalBytes, lockFlags });
      this.lockPeer = writeLockPeer(lockFlags, 0);
      // The thread makes most commits: it checkpoints, and the event loop's connection only
      // if the thread has not (a WAL twice as large), e.g. when only group messages are sent.
      this.setCheckpointBytes(2 * checkpointWalBytes);
    }
  }

  /** Sets SQLite's `wal_autocheckpoint` to the pages that make `bytes`. */
  private setCheckpointBytes(bytes: number): void {
    this.writer.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(bytes / this.writerPragma('page_size')))}`);
  }

  /** The WAL size, in pages, at which this instance's commits checkpoint (tests read it). */
  get checkpointPages(): number {
    return this.writerPragma('wal_autocheckpoint');
  }

  /** A numeric pragma's value on the write connection. */
  private writerPragma(name: 'page_size' | 'wal_autocheckpoint'): number {
    const row = this.writer.prepare(`PRAGMA ${name}`).get() as Record<string, unknown> | undefined;
    const value = row?.[name];
    if (typeof value !== 'number') throw new Error(`PRAGMA ${name} answered ${JSON.stringify(row)}`);
    return value;
  }

  /** Whether procedures run on the storage thread (tests read it). */
  get threaded(): boolean {
    return this.thread !== null;
  }

  call<A, R>(procedure: Procedure<A, R>, args: A): Promise<R> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    if (this.thread) return this.thread.call(procedure, args);
    return this.transaction((tx) => procedure.run(tx, args));
  }

  transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.wakeUp();
      this.scheduleFlush();
    });
  }

  private scheduleFlush(delayMs = 0): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushScheduled = false;
      // The other write connection waits for the lock: leave it free for a moment first.
      if (this.lockPeer?.otherWaiting() && Date.now() - (this.yieldingSince ??= Date.now()) < MAX_YIELD_MS) {
        this.scheduleFlush(BUSY_RETRY_MS);
        return;
      }
      this.yieldingSince = null;
      let busy = false;
      this.flushing = this.flush()
        .then((outcome) => {
          busy = outcome === 'busy';
          if (busy) this.lastBusyAt = Date.now();
        })
        .finally(() => {
          this.flushing = null;
          // Another process wrote lately: leave it the lock for a moment after a commit
          // (SQLite's lock is not fair), which also lets the next batch grow.
          const contended = busy || Date.now() - this.lastBusyAt < CONTENTION_MEMORY_MS;
          if (this.queue.length > 0) this.scheduleFlush(contended ? BUSY_RETRY_MS : 0);
        });
    };
    if (delayMs > 0) setTimeout(run, delayMs);
    else setImmediate(run);
  }

  /** Runs one commit; 'busy' when another process holds the write lock (the jobs are back at the queue's head). */
  private async flush(): Promise<'done' | 'busy'> {
    let slice = this.queue.splice(0, this.maxBatch);
    if (slice.length === 0) return 'done';
    try {
      this.control.begin.run();
      this.lockPeer?.setWaiting(false);
    } catch (error) {
      const busy = isBusy(error);
      this.lockPeer?.setWaiting(busy);
      if (busy) {
        this.queue.unshift(...slice);
        return 'busy';
      }
      settle(slice, [], error);
      return 'done';
    }
    const pipelined = this.pipelines();
    // The jobs of this commit, and what each one's function returned or threw.
    const batch: Job[] = [];
    const outcomes: Outcome[] = [];
    for (;;) {
      if (!(await this.runSlice(slice, batch, outcomes))) return 'done';
      if (!pipelined || this.syncsInFlight === 0 || batch.length >= this.maxCommitJobs || this.lockPeer?.otherWaiting()) break;
      // The previous commit is still syncing: take in what arrives meanwhile. Jobs already
      // queued run after one turn of the event loop; otherwise wait for a job or for the sync.
      if (this.queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      else await new Promise<void>((resolve) => (this.wake = resolve));
      slice = this.queue.splice(0, Math.min(this.maxBatch, this.maxCommitJobs - batch.length));
    }
    try {
      this.control.commit.run();
    } catch (error) {
      this.rollbackQuietly();
      settle(batch, outcomes, error);
      return 'done';
    }
    if (!this.walSync) {
      settle(batch, outcomes, null);
      return 'done';
    }
    const synced = this.walSync.durable().then(
      () => settle(batch, outcomes, null),
      (error: unknown) => settle(batch, outcomes, error),
    );
    if (!pipelined) {
      // One batch at a time: the transactions arriving meanwhile form the next batch.
      await synced;
      return 'done';
    }
    this.syncsInFlight++;
    void synced.finally(() => {
      this.syncsInFlight--;
      this.wakeUp();
    });
    return 'done';
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * Runs `slice` inside the open transaction, appending its jobs to `batch` and their outcomes to
   * `outcomes`. False when a job threw after writing: the transaction was rolled back and every job
   * of `batch` is back at the queue's head, to run again with a SAVEPOINT per job.
   */
  private async runSlice(slice: Job[], batch: Job[], outcomes: Outcome[]): Promise<boolean> {
    const safe = Date.now() < this.safeUntil;
    let changes = safe ? 0 : this.totalChanges();
    for (const job of slice) {
      batch.push(job);
      if (safe) this.control.savepoint.run();
      try {
        const value = await job.fn(this.writeRepos);
        if (safe) this.control.release.run();
        else changes = this.totalChanges();
        outcomes.push({ ok: true, value });
      } catch (error) {
        if (safe) {
          this.control.rollbackTo.run();
          this.control.release.run();
        } else if (this.totalChanges() !== changes) {
          // It wrote before it threw, and only a rollback of the whole transaction undoes that:
          // run its jobs again, every one in its own SAVEPOINT.
          this.rollbackQuietly();
          this.replayedBatches++;
          this.safeUntil = Date.now() + SAFE_MODE_MS;
          this.queue.unshift(...batch, ...slice.slice(slice.indexOf(job) + 1));
          return false;
        }
        outcomes.push({ ok: false, error });
      }
    }
    return true;
  }

  /**
   * Whether the next batch may open and fill while a commit syncs: only with a WAL sync and a
   * separate read connection (on `:memory:` reads go through the writer and would see uncommitted
   * rows), and not when other processes share the file or contend for its write lock (they would
   * find it taken nearly all the time).
   */
  private pipelines(): boolean {
    return (
      this.walSync !== null &&
      (this.reader !== null || this.config.writeOnly === true) &&
      this.config.sharedFile !== true &&
      Date.now() - this.lastBusyAt >= CONTENTION_MEMORY_MS &&
      !(this.lockPeer?.otherWaiting() ?? false)
    );
  }

  /** Rows changed on the writer since it opened (SQLite's total_changes()). */
  private totalChanges(): number {
    return (this.control.totalChanges.get() as { n: number }).n;
  }

  private rollbackQuietly(): void {
    try {
      this.control.rollback.run();
    } catch {
      // already rolled back by SQLite
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.queue.length > 0 || this.flushScheduled || this.syncsInFlight > 0) {
      if (this.flushing) await this.flushing;
      else await new Promise((r) => setImmediate(r));
    }
    await this.thread?.close();
    await this.walSync?.close();
    this.reader?.close();
    this.writer.close();
  }
}

/** `PRAGMA journal_mode` answers `[{ journal_mode: 'wal' }]`. */
function journalModeOf(answer: unknown): string {
  const row = Array.isArray(answer) ? (answer[0] as { journal_mode?: unknown } | undefined) : undefined;
  return typeof row?.journal_mode === 'string' ? row.journal_mode.toLowerCase() : '';
}

/** SQLITE_BUSY (another connection holds the lock); better-sqlite3 puts the result code in `code`. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * The storage thread (storage/sqlite/sqlite-thread.ts) against a real database file: procedures
 * run on another thread, in call order, settle once durable and visible to the event loop's
 * reads, keep their errors, take turns at the write lock with transactions run on the event loop,
 * and stop cleanly. Without the thread (`:memory:`, a shared file) the same calls run in process.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_WAL_BYTES, SqliteStorage, STORAGE_THREAD_YOUNG_GENERATION_MB } from '@parley/server';
import { advance, codecTrace, ensure, ensureThenThrow, heapFacts, misnamed } from './fixtures/procedures.mjs';

let dir: string;
let file: string;
const opened: SqliteStorage[] = [];

async function open(options: { storageThread?: boolean; sharedFile?: boolean; filename?: string; checkpointWalBytes?: number } = {}): Promise<SqliteStorage> {
  const storage = new SqliteStorage({ filename: file, storageThread: true, ...options });
  opened.push(storage);
  await storage.migrate();
  return storage;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-thread-'));
  file = join(dir, 'parley.db');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStorage with a storage thread', () => {
  it('runs procedures on another thread, and their writes are visible to reads once they settle', async () => {
    const storage = await open();
    expect(storage.threaded).toBe(true);
    const ranOn = await storage.call(ensure, { userID: 'alice' });
    expect(ranOn).not.toBe(threadId);
    expect(await storage.users.exists('alice')).toBe(true);
  });

  it('gives the storage thread a young generation of STORAGE_THREAD_YOUNG_GENERATION_MB, which it grows into under load', async () => {
    const storage = await open();
    // Node's default is 48 MB (16 MB semi-spaces): the new space could not pass 32 MB.
    expect(STORAGE_THREAD_YOUNG_GENERATION_MB).toBeGreaterThan(48);
    const facts = await storage.call(heapFacts, { allocateMb: 400 });
    expect(facts.threadId).not.toBe(threadId);
    expect(facts.resourceLimits.maxYoungGenerationSizeMb).toBe(STORAGE_THREAD_YOUNG_GENERATION_MB);
    expect(facts.newSpaceMb).toBeGreaterThan(32);
  });

  it("crosses as a procedure's codec packs it: arguments unpacked on the thread, results unpacked by the caller", async () => {
    const storage = await open();
    const [traced, refused, after] = await Promise.allSettled([storage.call(codecTrace, { n: 7 }), storage.call(codecTrace, { n: -1 }), storage.call(codecTrace, { n: 8 })]);
    if (traced.status !== 'fulfilled') throw new Error(`codecTrace failed: ${String(traced.reason)}`);
    const r = traced.value;
    expect(r.n).toBe(7);
    expect(r.packedOn).toBe(threadId);
    expect(r.unpackedOn).not.toBe(threadId);
    expect(r.ranOn).toBe(r.unpackedOn);
    expect(r.resultPackedOn).toBe(r.ranOn);
    expect(r.resultUnpackedOn).toBe(threadId);
    // A call its codec cannot unpack fails alone, with the codec's error.
    expect(refused.status).toBe('rejected');
    expect(String((refused as PromiseRejectedResult).reason)).toContain('cannot unpack -1');
    expect(after.status === 'fulfilled' && after.value.n).toBe(8);
  });

  it('starts the calls of one turn in call order, many in one commit', async () => {
    const storage = await open();
    const calls = Array.from({ length: 300 }, (_, i) => storage.call(advance, { convKey: 'c2c:1:a:b', time: 100 + i }));
    const results = await Promise.all(calls);
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect((await storage.conversations.getState('c2c:1:a:b'))?.lastSeq).toBe(300);
  });

  it('runs each call with its own procedure when several are first used in one turn, and in later turns', async () => {
    const storage = await open();
    const first = await Promise.all([
      storage.call(advance, { convKey: 'c2c:1:a:b', time: 1 }),
      storage.call(ensure, { userID: 'erin' }),
      storage.call(advance, { convKey: 'c2c:1:a:b', time: 2 }),
    ]);
    expect(first[0]).toMatchObject({ seq: 1 });
    expect(first[1]).not.toBe(threadId);
    expect(first[2]).toMatchObject({ seq: 2 });
    await expect(storage.call(misnamed, {})).rejects.toThrow(/exports no procedure named somethingElse/);
    const later = await Promise.all([storage.call(ensure, { userID: 'frank' }), storage.call(advance, { convKey: 'c2c:1:a:b', time: 3 })]);
    expect(later[1]).toMatchObject({ seq: 3 });
    expect(await storage.users.exists('erin')).toBe(true);
    expect(await storage.users.exists('frank')).toBe(true);
  });

  it('rejects a call whose procedure throws with its name and message, and keeps nothing it wrote', async () => {
    const storage = await open();
    const failing = storage.call(ensureThenThrow, { userID: 'mallory' });
    const fine = storage.call(ensure, { userID: 'bob' });
    await expect(failing).rejects.toMatchObject({ name: 'TypeError', message: 'refused mallory' });
    await fine;
    expect(await storage.users.exists('mallory')).toBe(false);
    expect(await storage.users.exists('bob')).toBe(true);
  });

  it('refuses a procedure its module does not export under its name', async () => {
    const storage = await open();
    await expect(storage.call(misnamed, {})).rejects.toThrow(/exports no procedure named somethingElse/);
    // The thread goes on.
    await storage.call(ensure, { userID: 'carol' });
  });

  it('rejects arguments that cannot cross threads, and goes on', async () => {
    const storage = await open();
    const bad = storage.call(ensure, { userID: 'x', fn: () => 1 } as unknown as { userID: string });
    await expect(bad).rejects.toThrow(/could not be cloned/);
    expect(await storage.call(ensure, { userID: 'dave' })).not.toBe(threadId);
  });

  it('shares the write lock with transactions run on the event loop: every one settles, none is lost', async () => {
    const storage = await open();
    const work: Array<Promise<unknown>> = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) work.push(storage.call(advance, { convKey: `c2c:${round % 4}:p:q`, time: round }));
      work.push(storage.transaction((tx) => tx.users.ensure(`loop-${round}`, round)));
      work.push(storage.transaction((tx) => tx.conversations.advance('c2c:loop', true, round)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(work);
    for (let k = 0; k < 4; k++) expect((await storage.conversations.getState(`c2c:${k}:p:q`))?.lastSeq).toBe(250);
    expect((await storage.conversations.getState('c2c:loop'))?.lastSeq).toBe(20);
    expect(await storage.users.existing(Array.from({ length: 20 }, (_, r) => `loop-${r}`))).toHaveProperty('size', 20);
  });

  it('finishes the calls in flight on close, rejects later ones, and what was written is there on reopen', async () => {
    const storage = await open();
    const inFlight = Array.from({ length: 100 }, (_, i) => storage.call(advance, { convKey: 'c2c:close', time: i }));
    await storage.close();
    expect((await Promise.all(inFlight)).at(-1)?.seq).toBe(100);
    await expect(storage.call(ensure, { userID: 'late' })).rejects.toThrow(/closed/);
    const again = await open({ storageThread: false });
    expect((await again.conversations.getState('c2c:close'))?.lastSeq).toBe(100);
  });

  it('runs procedures in process without a thread: :memory:, a file shared with other processes, or when off', async () => {
    for (const options of [{ filename: ':memory:' }, { sharedFile: true }, { storageThread: false }]) {
      const storage = await open(options);
      expect(storage.threaded).toBe(false);
      expect(await storage.call(ensure, { userID: 'erin' })).toBe(threadId);
      expect(await storage.users.exists('erin')).toBe(true);
      await storage.close();
      rmSync(file, { force: true });
      rmSync(`${file}-wal`, { force: true });
      rmSync(`${file}-shm`, { force: true });
    }
  });
});

describe('WAL checkpoints', () => {
  const PAGE = 4096;
  const walBytes = (): number => statSync(`${file}-wal`).size;
  /** 300 commits, each a new user: at least a page each in the WAL until a checkpoint. */
  async function write(storage: SqliteStorage, threaded: boolean): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const userID = `user-${i}-${'x'.repeat(40)}`;
      if (threaded) await storage.call(ensure, { userID });
      else await storage.transaction((tx) => tx.users.ensure(userID, 1));
    }
  }

  it('checkpoints at 128 MiB of WAL by default; with a storage thread the event loop’s connection at twice that', async () => {
    expect(CHECKPOINT_WAL_BYTES).toBe(128 * 1024 * 1024);
    const alone = await open({ storageThread: false });
    expect(alone.checkpointPages).toBe(CHECKPOINT_WAL_BYTES / PAGE);
    await alone.close();
    const withThread = await open();
    expect(withThread.threaded).toBe(true);
    expect(withThread.checkpointPages).toBe((2 * CHECKPOINT_WAL_BYTES) / PAGE);
  });

  it('refuses a checkpoint size that is not a positive number', () => {
    for (const checkpointWalBytes of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new SqliteStorage({ filename: file, checkpointWalBytes })).toThrow(/checkpointWalBytes must be a positive number/);
    }
  });

  for (const threaded of [false, true]) {
    const where = threaded ? 'the storage thread' : 'the event loop';
    it(`commits on ${where} checkpoint once the WAL passes checkpointWalBytes, and not before`, async () => {
      // 16 pages: the WAL never grows far past that (one commit is a page or two).
      const small = await open({ storageThread: threaded, checkpointWalBytes: 16 * PAGE });
      await write(small, threaded);
      expect(small.threaded).toBe(threaded);
      // Twice the threshold is the event loop's connection's (with a thread): it must not be the one that checkpointed.
      expect(walBytes()).toBeLessThan(2 * 16 * (PAGE + 24));
      expect(await small.users.exists('user-299-' + 'x'.repeat(40))).toBe(true);
      await small.close();
      rmSync(file, { force: true });
      rmSync(`${file}-wal`, { force: true });
      rmSync(`${file}-shm`, { force: true });
      // The same writes under a large threshold leave every frame in the WAL.
      const large = await open({ storageThread: threaded, checkpointWalBytes: 64 * 1024 * 1024 });
      await write(large, threaded);
      expect(walBytes()).toBeGreaterThan(300 * PAGE);
    });
  }
});

/**
 * The storage thread (storage/sqlite/sqlite-thread.ts) against a real database file: procedures
 * run on another thread, in call order, settle once durable and visible to the event loop's
 * reads, keep their errors, take turns at the write lock with transactions run on the event loop,
 * and stop cleanly. Without the thread (`:memory:`, a shared file) the same calls run in process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '@parley/server';
import { advance, ensure, ensureThenThrow, misnamed } from './fixtures/procedures.mjs';

let dir: string;
let file: string;
const opened: SqliteStorage[] = [];

async function open(options: { storageThread?: boolean; sharedFile?: boolean; filename?: string } = {}): Promise<SqliteStorage> {
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

  it('starts the calls of one turn in call order, many in one commit', async () => {
    const storage = await open();
    const calls = Array.from({ length: 300 }, (_, i) => storage.call(advance, { convKey: 'c2c:1:a:b', time: 100 + i }));
    const results = await Promise.all(calls);
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect((await storage.conversations.getState('c2c:1:a:b'))?.lastSeq).toBe(300);
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

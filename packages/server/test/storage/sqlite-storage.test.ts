/**
 * SqliteStorage against a real database file: migrations, group commit,
 * per-transaction rollback inside a batch, durability across reopen, and the
 * read connection's view of committed data.
 */
import { mkdtempSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteStorage, type StorageRepositories, type StoredMessage } from '@parley/server';
import { fdatasyncFile } from '../../src/storage/sqlite/wal-sync.js';

let dir: string;
let file: string;
const opened: SqliteStorage[] = [];

async function open(options: { maxBatch?: number; maxCommitJobs?: number; sharedFile?: boolean; fileSync?: (fd: number) => Promise<void> } = {}): Promise<SqliteStorage> {
  const storage = new SqliteStorage({ filename: file, ...options });
  opened.push(storage);
  await storage.migrate();
  return storage;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
  // A subdirectory that does not exist yet: the storage creates it.
  file = join(dir, 'nested', 'parley.db');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const CONV = 'c2c:5:alice:bob';

function message(seq: number, senderOrd: number, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    ID: `id-${seq}`,
    conversationType: 'C2C',
    from: 'alice',
    to: 'bob',
    seq,
    time: 1_700_000_000 + seq,
    clientTime: 1_700_000_000,
    random: seq * 7,
    type: 'TIMTextElem',
    payload: { text: `message ${seq}`, nested: { ok: true } },
    cloudCustomData: '',
    priority: 'Normal',
    nick: '',
    avatar: '',
    isRevoked: false,
    revoker: '',
    onlineOnly: false,
    convKey: CONV,
    senderOrd,
    revokeTime: 0,
    hiddenForReceiver: false,
    ...overrides,
  };
}

/** Appends one message from alice to bob inside a transaction, the way the message service does. */
async function append0(tx: StorageRepositories, id: string): Promise<number> {
  const state = await tx.conversations.advance(CONV, true, 1_700_000_000);
  await tx.messages.insert(message(state.lastSeq, state.ordA, { ID: id }));
  return state.lastSeq;
}

function append(storage: SqliteStorage, id: string) {
  return storage.transaction((tx) => append0(tx, id));
}

describe('SqliteStorage', () => {
  it('migrate is idempotent: twice on one handle, and again after reopening', async () => {
    const first = await open();
    await first.migrate();
    await first.transaction((tx) => tx.users.ensure('alice', 1));
    await first.migrate();
    expect(await first.users.exists('alice')).toBe(true);
    await first.close();
    expect(existsSync(file)).toBe(true);

    const second = await open();
    await second.migrate();
    expect(await second.users.exists('alice')).toBe(true);
    expect(await second.users.exists('bob')).toBe(false);
    // The schema works after re-migration: writes still succeed.
    expect(await append(second, 'after-reopen')).toBe(1);
  });

  it('group-commits many transactions issued in the same tick, and all resolve after the commit', async () => {
    const storage = await open();
    const n = 300;
    const visibleToReaderDuringBatch: boolean[] = [];
    const jobs = Array.from({ length: n }, (_, i) =>
      storage.transaction(async (tx) => {
        if (i > 0) {
          // Job 0's write is visible inside the batch (same write transaction)…
          expect(await tx.users.exists('user-0')).toBe(true);
          // …but not yet to the read connection: it is not committed, so the jobs share one commit.
          visibleToReaderDuringBatch.push(await storage.users.exists('user-0'));
        }
        await tx.users.ensure(`user-${i}`, i);
        const state = await tx.conversations.advance(CONV, true, i);
        await tx.messages.insert(message(state.lastSeq, state.ordA, { ID: `gc-${i}` }));
        return state.lastSeq;
      }),
    );
    const seqs = await Promise.all(jobs);
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(visibleToReaderDuringBatch).toHaveLength(n - 1);
    expect(visibleToReaderDuringBatch.every((v) => v === false)).toBe(true);
    // Once resolved, everything is visible to the reader.
    for (const i of [0, 1, n - 1]) expect(await storage.users.exists(`user-${i}`)).toBe(true);
    expect((await storage.conversations.getState(CONV))?.lastSeq).toBe(n);
    const newest = await storage.messages.listBefore(CONV, null, 0, 1000);
    expect(newest).toHaveLength(n);
    expect(newest.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => n - i));
  });

  it('commits in several batches when there are more jobs than maxBatch', async () => {
    const storage = await open({ maxBatch: 4 });
    const sawCommitted: boolean[] = [];
    const jobs = Array.from({ length: 10 }, (_, i) =>
      storage.transaction(async (tx) => {
        sawCommitted.push(await storage.users.exists('user-0'));
        await tx.users.ensure(`user-${i}`, i);
        return i;
      }),
    );
    expect(await Promise.all(jobs)).toEqual([...Array(10).keys()]);
    // Jobs 1–3 shared job 0's batch; jobs 4–9 ran in later batches, after job 0 committed.
    expect(sawCommitted).toEqual([false, false, false, false, true, true, true, true, true, true]);
  });

  it('rolls back a throwing transaction alone while the others in its batch commit', async () => {
    const storage = await open();
    const boom = new Error('boom');
    const results = await Promise.allSettled([
      storage.transaction(async (tx) => {
        await tx.users.ensure('a', 1);
        return 'a';
      }),
      storage.transaction(async (tx) => {
        await tx.users.ensure('b', 1);
        await tx.conversations.advance(CONV, true, 1);
        await tx.messages.insert(message(1, 1, { ID: 'doomed' }));
        throw boom;
      }),
      storage.transaction(async (tx) => {
        // Runs after the failed job in the same batch: its writes are gone.
        expect(await tx.users.exists('b')).toBe(false);
        expect(await tx.users.exists('a')).toBe(true);
        await tx.users.ensure('c', 1);
        const state = await tx.conversations.advance(CONV, true, 1);
        await tx.messages.insert(message(state.lastSeq, state.ordA, { ID: 'survivor' }));
        return state.lastSeq;
      }),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(results[1]).toEqual({ status: 'rejected', reason: boom });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 1 });
    // The failed job had written: its batch was rolled back and run again, a SAVEPOINT per job.
    expect(storage.replayedBatches).toBe(1);

    expect(await storage.users.exists('a')).toBe(true);
    expect(await storage.users.exists('b')).toBe(false);
    expect(await storage.users.exists('c')).toBe(true);
    expect(await storage.messages.findByClientID('alice', 'doomed')).toBeNull();
    expect((await storage.messages.findByClientID('alice', 'survivor'))?.seq).toBe(1);
    expect((await storage.conversations.getState(CONV))?.lastSeq).toBe(1);
  });

  it('a job that throws before writing anything is not undone by a replay: every job runs once', async () => {
    const storage = await open();
    const runs = [0, 0, 0];
    const refused = new Error('refused by a check');
    const results = await Promise.allSettled([
      storage.transaction(async (tx) => {
        runs[0]!++;
        return append0(tx, 'first');
      }),
      storage.transaction(async (tx) => {
        runs[1]!++;
        // Reads, then refuses: it changed nothing.
        await tx.users.exists('nobody');
        throw refused;
      }),
      storage.transaction(async (tx) => {
        runs[2]!++;
        return append0(tx, 'second');
      }),
    ]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: refused },
      { status: 'fulfilled', value: 2 },
    ]);
    expect(runs).toEqual([1, 1, 1]);
    expect(storage.replayedBatches).toBe(0);
    const all = await storage.messages.listAfter(CONV, 0, 100);
    expect(all.map((m) => [m.seq, m.ID])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
  });

  it('after a replay the next batches keep a SAVEPOINT per job: a job failing after writing rolls back alone', async () => {
    const storage = await open();
    const boom = new Error('boom');
    const writeThenThrow = () =>
      storage.transaction(async (tx) => {
        await append0(tx, `doomed-${Math.random()}`);
        throw boom;
      });
    await expect(Promise.all([append(storage, 'a'), writeThenThrow()])).rejects.toBe(boom);
    expect(storage.replayedBatches).toBe(1);
    // The next batch (well within a second) is already in safe mode: no second replay.
    const [ok, bad] = await Promise.allSettled([append(storage, 'b'), writeThenThrow()]);
    expect(ok).toEqual({ status: 'fulfilled', value: 2 });
    expect(bad).toEqual({ status: 'rejected', reason: boom });
    expect(storage.replayedBatches).toBe(1);
    const all = await storage.messages.listAfter(CONV, 0, 100);
    expect(all.map((m) => m.ID)).toEqual(['a', 'b']);
  });

  it('a failing statement (unique violation) rejects only its own transaction', async () => {
    const storage = await open();
    await append(storage, 'dup');
    const [bad, good] = await Promise.allSettled([append(storage, 'dup'), append(storage, 'fine')]);
    expect(bad.status).toBe('rejected');
    expect(good).toEqual({ status: 'fulfilled', value: 2 });
    const all = await storage.messages.listAfter(CONV, 0, 100);
    expect(all.map((m) => [m.seq, m.ID])).toEqual([
      [1, 'dup'],
      [2, 'fine'],
    ]);
  });

  it('keeps data across close and reopen, field for field', async () => {
    const storage = await open();
    const stored = [message(1, 1), message(2, 2, { priority: 'High', cloudCustomData: 'cd', nick: 'A', avatar: 'x.png', payload: { text: '汉字 ✓' } })];
    await storage.transaction(async (tx) => {
      for (const m of stored) {
        await tx.conversations.advance(CONV, true, m.time);
        await tx.messages.insert(m);
      }
      await tx.conversations.touchUserConversation({ owner: 'bob', conversationID: 'C2Calice', peer: 'alice', convKey: CONV, createdAt: 5 }, true);
      await tx.conversations.setRead('bob', 'C2Calice', 1, 1, 9);
      await tx.messages.markRevoked(CONV, 2, 'alice', 10);
    });
    await storage.close();

    const reopened = await open();
    const back = await reopened.messages.listAfter(CONV, 0, 10);
    expect(back).toEqual([stored[0], { ...stored[1], isRevoked: true, revoker: 'alice', revokeTime: 10 }]);
    expect(await reopened.conversations.getState(CONV)).toEqual({ convKey: CONV, lastSeq: 2, lastTime: stored[1]!.time, ordA: 2, ordB: 0 });
    expect(await reopened.conversations.getUserConversation('bob', 'C2Calice')).toMatchObject({ readSeq: 1, readPeerOrd: 1, readTime: 9, hidden: false });
    expect(await reopened.messages.countNotUnreadAfter(CONV, 'alice', 1)).toBe(1);
  });

  it('the reader sees a transaction’s data as soon as it resolves', async () => {
    const storage = await open();
    for (let i = 0; i < 20; i++) {
      const seq = await append(storage, `r-${i}`);
      // No wait: the read connection must already see the commit.
      expect((await storage.messages.findByClientID('alice', `r-${i}`))?.seq).toBe(seq);
      expect((await storage.conversations.getState(CONV))?.lastSeq).toBe(seq);
    }
  });

  it('close waits for queued transactions, which then survive reopen', async () => {
    const storage = await open();
    const pending = Array.from({ length: 25 }, (_, i) => append(storage, `late-${i}`));
    await storage.close();
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await expect(storage.transaction(async () => 1)).rejects.toThrow(/closed/);

    const reopened = await open();
    expect((await reopened.messages.listAfter(CONV, 0, 100)).map((m) => m.ID)).toEqual(Array.from({ length: 25 }, (_, i) => `late-${i}`));
  });

  it('while another connection (another node process) holds the write lock, transactions wait without blocking the event loop, then commit', async () => {
    const storage = await open();
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      other.prepare('INSERT INTO users (user_id, created_at) VALUES (?, ?)').run('outsider', 1);
      let settled = false;
      const pending = Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          storage.transaction(async (tx) => {
            await tx.users.ensure(`waiting-${i}`, i);
            return tx.users.exists('outsider');
          }),
        ),
      ).finally(() => {
        settled = true;
      });
      // The loop keeps turning: a 5 ms interval ticks while the lock is held for 300 ms.
      let ticks = 0;
      const interval = setInterval(() => ticks++, 5);
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(interval);
      expect(ticks).toBeGreaterThan(20);
      expect(settled).toBe(false);
      other.exec('COMMIT');
      // Each transaction ran after the other connection's commit, so it saw its row.
      expect(await pending).toEqual(Array.from({ length: 20 }, () => true));
      expect(await storage.users.exists('waiting-19')).toBe(true);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});

/** A fileSync that really syncs, but only when the test lets it: it records every call and holds each until `release()`. */
function gatedSync() {
  const calls: Array<{ path: string; release: () => void }> = [];
  const fileSync = (fd: number) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ path: readlinkSync(`/proc/self/fd/${fd}`), release: () => fdatasyncFile(fd).then(resolve, reject) });
    });
  return { calls, fileSync };
}

const settledFlag = (promise: Promise<unknown>) => {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
};
const turns = (n: number) => new Promise((r) => setTimeout(r, n));

describe('SqliteStorage: commits are made durable off the event loop', () => {
  it('a transaction settles only after an fdatasync of the WAL that started after its commit; the loop runs meanwhile', async () => {
    const gate = gatedSync();
    const storage = await open({ fileSync: gate.fileSync });
    const first = append(storage, 'durable-1');
    const flag = settledFlag(first);
    let ticks = 0;
    const interval = setInterval(() => ticks++, 2);
    await turns(60);
    clearInterval(interval);
    expect(ticks).toBeGreaterThan(5);
    expect(gate.calls).toHaveLength(1);
    expect(gate.calls[0]!.path).toBe(`${file}-wal`);
    expect(flag.settled).toBe(false);

    // Sent while the first sync is held: they wait for it, then form the next batch with its own sync.
    const later = [append(storage, 'durable-2'), append(storage, 'durable-3')];
    const laterFlags = later.map(settledFlag);
    await turns(20);
    expect(gate.calls).toHaveLength(1);
    gate.calls[0]!.release();
    expect(await first).toBe(1);
    await turns(20);
    expect(gate.calls).toHaveLength(2);
    expect(laterFlags.map((f) => f.settled)).toEqual([false, false]);
    gate.calls[1]!.release();
    expect(await Promise.all(later)).toEqual([2, 3]);
  });

  it('while a commit syncs, the next batch runs the jobs that arrive and commits them together once that sync has finished', async () => {
    const gate = gatedSync();
    const storage = await open({ fileSync: gate.fileSync });
    const first = append(storage, 'pipe-1');
    await turns(20);
    expect(gate.calls).toHaveLength(1);

    // Two jobs, arriving in different turns while the first sync is held: both run at once...
    const ran: string[] = [];
    const job = (id: string) =>
      storage.transaction(async (tx) => {
        ran.push(id);
        return append0(tx, id);
      });
    const second = job('pipe-2');
    await turns(10);
    const third = job('pipe-3');
    await turns(10);
    expect(ran).toEqual(['pipe-2', 'pipe-3']);
    // ...inside a transaction that is not committed yet: the reader does not see them, nothing else syncs.
    expect(await storage.messages.findByClientID('alice', 'pipe-2')).toBeNull();
    expect(gate.calls).toHaveLength(1);
    const flags = [second, third].map(settledFlag);

    gate.calls[0]!.release();
    expect(await first).toBe(1);
    await turns(20);
    // One commit for both, with its own sync; they settle only after it.
    expect(gate.calls).toHaveLength(2);
    expect((await storage.messages.listAfter(CONV, 0, 10)).map((m) => m.ID)).toEqual(['pipe-1', 'pipe-2', 'pipe-3']);
    expect(flags.map((f) => f.settled)).toEqual([false, false]);
    gate.calls[1]!.release();
    expect(await Promise.all([second, third])).toEqual([2, 3]);
    expect(ran).toEqual(['pipe-2', 'pipe-3']);
  });

  it('a batch filling behind a sync commits after maxCommitJobs without waiting for it', async () => {
    const gate = gatedSync();
    const storage = await open({ fileSync: gate.fileSync, maxBatch: 2, maxCommitJobs: 4 });
    const first = append(storage, 'cap-0');
    await turns(20);
    const rest = Array.from({ length: 6 }, (_, i) => append(storage, `cap-${i + 1}`));
    await turns(20);
    // cap-1…cap-4 (two slices) committed while the first sync is held; cap-5 and cap-6 wait in the next batch.
    expect((await storage.messages.listAfter(CONV, 0, 10)).map((m) => m.ID)).toEqual(['cap-0', 'cap-1', 'cap-2', 'cap-3', 'cap-4']);
    expect(gate.calls).toHaveLength(1);
    gate.calls[0]!.release();
    expect(await first).toBe(1);
    await turns(20);
    expect(gate.calls).toHaveLength(2);
    gate.calls[1]!.release();
    expect(await Promise.all(rest.slice(0, 4))).toEqual([2, 3, 4, 5]);
    await turns(20);
    expect(gate.calls).toHaveLength(3);
    gate.calls[2]!.release();
    expect(await Promise.all(rest.slice(4))).toEqual([6, 7]);
  });

  it('a job failing after writing in a batch that spans turns replays the whole batch, earlier turns included', async () => {
    const gate = gatedSync();
    const storage = await open({ fileSync: gate.fileSync, maxBatch: 2 });
    const first = append(storage, 'span-0');
    await turns(20);
    const runs = new Map<string, number>();
    const counted = (id: string, fail = false) =>
      storage.transaction(async (tx) => {
        runs.set(id, (runs.get(id) ?? 0) + 1);
        const seq = await append0(tx, id);
        if (fail) throw new Error(`${id} failed after writing`);
        return seq;
      });
    const a = counted('span-a');
    const b = counted('span-b');
    await turns(10);
    // A later turn, a later slice of the same open batch.
    const c = counted('span-c', true);
    await turns(10);
    expect(storage.replayedBatches).toBe(1);
    gate.calls[0]!.release();
    expect(await first).toBe(1);
    await turns(20);
    gate.calls[1]!.release();
    expect(await Promise.all([a, b])).toEqual([2, 3]);
    await expect(c).rejects.toThrow('span-c failed after writing');
    expect(Object.fromEntries(runs)).toEqual({ 'span-a': 2, 'span-b': 2, 'span-c': 2 });
    expect((await storage.messages.listAfter(CONV, 0, 10)).map((m) => m.ID)).toEqual(['span-0', 'span-a', 'span-b']);
  });

  it('with a file shared by other processes the next batch waits for the sync, holding no write lock meanwhile', async () => {
    const gate = gatedSync();
    const storage = await open({ fileSync: gate.fileSync, sharedFile: true });
    const first = append(storage, 'shared-1');
    await turns(20);
    let ran = false;
    const second = storage.transaction(async (tx) => {
      ran = true;
      return append0(tx, 'shared-2');
    });
    await turns(20);
    expect(ran).toBe(false);
    // Another process could write now: the write lock is free while the sync runs.
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    gate.calls[0]!.release();
    expect(await first).toBe(1);
    await turns(20);
    expect(ran).toBe(true);
    gate.calls[1]!.release();
    expect(await second).toBe(2);
  });

  it('a failed fdatasync rejects its transactions and every later one (the kernel may have dropped the pages)', async () => {
    let calls = 0;
    const storage = await open({
      fileSync: async () => {
        calls++;
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    });
    await expect(append(storage, 'lost-1')).rejects.toThrow(/cannot be made durable.*-wal.*EIO/);
    await expect(append(storage, 'lost-2')).rejects.toThrow(/cannot be made durable/);
    await expect(storage.transaction((tx) => tx.users.ensure('carol', 1))).rejects.toThrow(/cannot be made durable/);
    // The first failure is final: no further sync is attempted.
    expect(calls).toBe(1);
  });

  it('close waits for the sync in flight, and what it covered survives reopen', async () => {
    const gate = gatedSync();
    const storage = await open({ fileSync: gate.fileSync });
    const pending = append(storage, 'closing-1');
    await turns(20);
    const closing = storage.close();
    const closeFlag = settledFlag(closing);
    await turns(20);
    expect(closeFlag.settled).toBe(false);
    gate.calls[0]!.release();
    await closing;
    expect(await pending).toBe(1);
    const reopened = await open();
    expect((await reopened.messages.findByClientID('alice', 'closing-1'))?.seq).toBe(1);
  });

  it('a database without a WAL (:memory:) commits with synchronous=FULL and never calls the sync', async () => {
    let calls = 0;
    const memory = new SqliteStorage({
      filename: ':memory:',
      fileSync: async () => {
        calls++;
      },
    });
    opened.push(memory);
    await memory.migrate();
    expect(await memory.transaction((tx) => tx.users.ensure('dora', 1))).toBeUndefined();
    expect(await memory.users.exists('dora')).toBe(true);
    expect(calls).toBe(0);
  });

  it('the default sync is a real fdatasync: many concurrent transactions all settle', async () => {
    const storage = await open();
    const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => append(storage, `real-${i}`)));
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});

/**
 * The `c2c-store` workload (src/c2c-store-run.ts): its options, the sends it makes, the checks
 * on what comes back, and a short real run of the server's send procedure on its storage thread.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { C2CSendResult } from '@parley/server';
import { parseC2CStoreArgs, runC2CStore, SeqChecker, sendArgs } from '../src/c2c-store-run.js';
import { UsageError } from '../src/proc.js';

const stored = (seq: number): C2CSendResult => ({ kind: 'stored', seq, senderOrd: seq, nick: '', avatar: '', hiddenForReceiver: false, discarded: false, json: '{}' });

describe('c2c-store options', () => {
  it('has defaults and refuses what it cannot run', () => {
    expect(parseC2CStoreArgs([])).toEqual({ sends: 200_000, warmup: 20_000, users: 1000, batch: 512, window: 10_000, thread: true, out: null });
    expect(parseC2CStoreArgs(['--sends', '10', '--users=4', '--thread', 'off', '--batch', '3', '--warmup', '0'])).toMatchObject({ sends: 10, users: 4, thread: false, batch: 3, warmup: 0 });
    expect(parseC2CStoreArgs(['--help'])).toBe('help');
    expect(() => parseC2CStoreArgs(['--users', '3'])).toThrow(UsageError);
    expect(() => parseC2CStoreArgs(['--thread', 'yes'])).toThrow(/on or off/);
    expect(() => parseC2CStoreArgs(['--sends', '0'])).toThrow(UsageError);
    expect(() => parseC2CStoreArgs(['--batch', '600', '--window', '500'])).toThrow(/at least --batch/);
    expect(() => parseC2CStoreArgs(['--url', 'ws://127.0.0.1:1'])).toThrow(/unknown option --url/);
  });
});

describe('c2c-store sends and checks', () => {
  it('pairs user 2k with 2k+1, and gives each sender its own message IDs', () => {
    const a = sendArgs(0, 4, 100);
    const b = sendArgs(1, 4, 100);
    const again = sendArgs(4, 4, 100);
    expect([a.base.from, a.base.to, b.base.from, b.base.to]).toEqual(['store-u0', 'store-u1', 'store-u1', 'store-u0']);
    expect(a.convKey).toBe(b.convKey);
    expect(again.base.from).toBe('store-u0');
    expect(again.base.ID).not.toBe(a.base.ID);
  });

  it('counts gaps, repeats, duplicates and refusals', () => {
    const c = new SeqChecker();
    c.check('k', stored(1));
    c.check('k', stored(2));
    c.check('other', stored(1));
    expect([c.lost, c.duplicated, c.outOfOrder]).toEqual([0, 0, 0]);
    c.check('k', stored(4)); // 3 skipped
    c.check('k', stored(4)); // repeated
    c.check('k', { kind: 'refused', code: 20007, message: 'blocked' });
    expect([c.lost, c.outOfOrder]).toEqual([1, 2]);
    expect(c.conversations.get('k')).toBe(4);
  });

  it('runs the server\'s send procedure on the storage thread and checks every result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-store-test-'));
    try {
      const out = join(dir, 'result.jsonl');
      const code = await runC2CStore({ sends: 600, warmup: 100, users: 10, batch: 64, window: 200, thread: true, out });
      const line = JSON.parse(readFileSync(out, 'utf8').trim()) as Record<string, unknown>;
      expect(code).toBe(0);
      expect(line).toMatchObject({ workload: 'c2c-store', sends: 600, window: 200, lost: 0, duplicated: 0, out_of_order: 0, thread: true });
      expect(line['achieved_per_s']).toBeGreaterThan(0);
      expect(line['cpu_us_per_send']).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

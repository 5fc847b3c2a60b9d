import { describe, expect, it } from 'vitest';
import {
  MemberReceipts,
  anonymousCount,
  batches,
  formatPriorityMix,
  isAnonymousMember,
  membersOfWorker,
  parsePriorityMix,
  priorityCycle,
  splitByPriority,
  workerOfMember,
} from '../src/group-logic.js';
import { Bitset } from '../src/stats.js';

describe('parsePriorityMix', () => {
  it('reads positional weights High:Normal:Low:Lowest, missing ones 0', () => {
    expect(parsePriorityMix('1:8:1')).toEqual({ High: 1, Normal: 8, Low: 1, Lowest: 0 });
    expect(parsePriorityMix('1:1:1:1')).toEqual({ High: 1, Normal: 1, Low: 1, Lowest: 1 });
    expect(parsePriorityMix('0:1')).toEqual({ High: 0, Normal: 1, Low: 0, Lowest: 0 });
  });

  it('reads named weights and a single name, case-insensitively', () => {
    expect(parsePriorityMix('High=1,low=3')).toEqual({ High: 1, Normal: 0, Low: 3, Lowest: 0 });
    expect(parsePriorityMix('High:2, Lowest:5')).toEqual({ High: 2, Normal: 0, Low: 0, Lowest: 5 });
    expect(parsePriorityMix('normal')).toEqual({ High: 0, Normal: 1, Low: 0, Lowest: 0 });
  });

  it('rejects nonsense', () => {
    expect(() => parsePriorityMix('')).toThrow(RangeError);
    expect(() => parsePriorityMix('0:0:0')).toThrow(/every priority weight is 0/);
    expect(() => parsePriorityMix('1:1:1:1:1')).toThrow(RangeError);
    expect(() => parsePriorityMix('Urgent=1')).toThrow(/unknown priority/);
    expect(() => parsePriorityMix('High=-1')).toThrow(RangeError);
    expect(() => parsePriorityMix('High=1.5')).toThrow(RangeError);
    expect(() => parsePriorityMix('1::2')).toThrow(RangeError);
  });

  it('formats canonically', () => {
    expect(formatPriorityMix(parsePriorityMix('1:8:1'))).toBe('High:Normal:Low:Lowest=1:8:1:0');
  });
});

describe('priorityCycle', () => {
  it('has the mix proportions and spreads them out', () => {
    const cycle = priorityCycle({ High: 1, Normal: 2, Low: 1, Lowest: 0 });
    expect(cycle).toHaveLength(4);
    expect(cycle.filter((p) => p === 'Normal')).toHaveLength(2);
    expect(cycle.filter((p) => p === 'High')).toHaveLength(1);
    expect(cycle.filter((p) => p === 'Low')).toHaveLength(1);
    expect(cycle.includes('Lowest')).toBe(false);
    // Smooth: the two Normals are not next to each other within the cycle.
    for (let i = 0; i + 1 < cycle.length; i++) expect(cycle[i] === 'Normal' && cycle[i + 1] === 'Normal').toBe(false);
  });

  it('is a single priority for a single-name mix', () => {
    expect(priorityCycle(parsePriorityMix('Normal'))).toEqual(['Normal']);
  });

  it('is deterministic', () => {
    const mix = parsePriorityMix('3:5:1:1');
    expect(priorityCycle(mix)).toEqual(priorityCycle(mix));
    expect(priorityCycle(mix)).toHaveLength(10);
  });
});

describe('placement', () => {
  it('spreads members round-robin over workers', () => {
    expect(workerOfMember(0, 2)).toBe(0);
    expect(workerOfMember(7, 2)).toBe(1);
    expect(membersOfWorker(1, 3, 10)).toEqual([1, 4, 7]);
    const all = [0, 1, 2].flatMap((w) => membersOfWorker(w, 3, 10)).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('makes round(fraction × members) anonymous, never a sender', () => {
    expect(anonymousCount(10_000, 1, 0.5)).toBe(5000);
    expect(anonymousCount(10, 3, 1)).toBe(7);
    expect(anonymousCount(10, 1, 0)).toBe(0);
    expect(() => anonymousCount(10, 1, 1.5)).toThrow(RangeError);
    for (const [members, senders, fraction] of [
      [10_000, 1, 0.5],
      [1001, 5, 0.3],
      [10, 3, 1],
      [7, 1, 0.25],
    ] as const) {
      const anonymous = anonymousCount(members, senders, fraction);
      let n = 0;
      for (let u = 0; u < members; u++) {
        if (isAnonymousMember(u, members, senders, anonymous)) {
          n++;
          expect(u).toBeGreaterThanOrEqual(senders);
        }
      }
      expect(n).toBe(anonymous);
    }
  });

  it('spreads anonymous members evenly over workers', () => {
    for (const [members, senders, fraction, workers] of [
      [10_000, 1, 0.5, 2],
      [10_000, 2, 0.5, 2],
      [9000, 1, 0.3, 3],
      [20_000, 4, 0.5, 4],
    ] as const) {
      const anonymous = anonymousCount(members, senders, fraction);
      const perWorker = Array.from({ length: workers }, (_, w) => membersOfWorker(w, workers, members).filter((u) => isAnonymousMember(u, members, senders, anonymous)).length);
      const fair = anonymous / workers;
      for (const n of perWorker) expect(Math.abs(n - fair)).toBeLessThanOrEqual(fair * 0.02 + 2);
    }
  });

  it('splits into batches of at most the size', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches([], 500)).toEqual([]);
    expect(batches(Array.from({ length: 5999 }, (_, i) => i), 500)).toHaveLength(12);
    expect(() => batches([1], 0)).toThrow(RangeError);
  });
});

describe('splitByPriority', () => {
  it('classifies message n by cycle[n % length]', () => {
    const acked = new Bitset();
    for (const n of [0, 1, 2, 3, 4, 5, 9]) acked.add(n);
    const split = splitByPriority(acked, ['High', 'Normal', 'Low']);
    expect([...split.High.values()]).toEqual([0, 3, 9]);
    expect([...split.Normal.values()]).toEqual([1, 4]);
    expect([...split.Low.values()]).toEqual([2, 5]);
    expect(split.Lowest.count).toBe(0);
  });
});

describe('MemberReceipts', () => {
  it('counts duplicates without also calling them out of order', () => {
    const r = new MemberReceipts();
    expect(r.record(0, 0, 5)).toBe('new');
    expect(r.record(0, 1, 6)).toBe('new');
    expect(r.record(0, 1, 6)).toBe('duplicate');
    expect(r.duplicates).toBe(1);
    expect(r.outOfOrder).toBe(0);
    expect(r.distinct).toBe(2);
  });

  it('requires the group sequence to rise across all senders (stored groups)', () => {
    const r = new MemberReceipts();
    r.record(0, 0, 10);
    r.record(1, 0, 11);
    r.record(0, 1, 13);
    r.record(1, 1, 12); // seq went back
    expect(r.outOfOrder).toBe(1);
    r.record(1, 2, 14);
    expect(r.outOfOrder).toBe(1);
  });

  it('requires per-sender message numbers to rise when seq is 0 (AVChatRoom), gaps allowed', () => {
    const r = new MemberReceipts();
    r.record(0, 0, 0);
    r.record(1, 5, 0);
    r.record(0, 3, 0); // gap: shed messages never arrive
    r.record(1, 2, 0); // sender 1 went back
    expect(r.outOfOrder).toBe(1);
  });

  it('reports what is missing from one sender', () => {
    const r = new MemberReceipts();
    r.record(2, 0, 1);
    r.record(2, 2, 3);
    const acked = new Bitset();
    for (const n of [0, 1, 2, 3]) acked.add(n);
    expect(r.missing(2, acked)).toBe(2);
    expect(r.hasAll(2, acked)).toBe(false);
    expect(r.missing(7, acked)).toBe(4);
    r.record(2, 1, 2);
    r.record(2, 3, 4);
    expect(r.hasAll(2, acked)).toBe(true);
    expect(r.hasAll(5, new Bitset())).toBe(true);
  });
});

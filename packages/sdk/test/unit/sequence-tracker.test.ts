/**
 * SequenceTracker: per-conversation ordering, duplicate suppression, gap
 * holding and gap fill ("no message lost, none duplicated, order kept").
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SequenceTracker } from '../../src/modules/message/sequence-tracker.js';

const item = (seq: number): string => `m${seq}`;

describe('SequenceTracker', () => {
  it('delivers in-order pushes one by one and advances the watermark', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.watermark).toBe(0);
    expect(t.offer(1, 'm1')).toEqual(['m1']);
    expect(t.offer(2, 'm2')).toEqual(['m2']);
    expect(t.offer(3, 'm3')).toEqual(['m3']);
    expect(t.watermark).toBe(3);
    expect(t.hasGap).toBe(false);
  });

  it('starts from the given watermark: anything at or below it is old', () => {
    const t = new SequenceTracker<string>(10);
    expect(t.offer(10, 'm10')).toEqual([]);
    expect(t.offer(3, 'm3')).toEqual([]);
    expect(t.offer(11, 'm11')).toEqual(['m11']);
  });

  it('drops duplicates: delivered, held and seen sequences are never returned twice', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(1, 'm1')).toEqual(['m1']);
    expect(t.offer(1, 'm1-again')).toEqual([]);
    // Held above a gap, then offered again.
    expect(t.offer(3, 'm3')).toEqual([]);
    expect(t.offer(3, 'm3-again')).toEqual([]);
    // Own send acknowledged, then echoed back by a push.
    expect(t.markSeen(4)).toEqual([]);
    expect(t.offer(4, 'm4-echo')).toEqual([]);
    expect(t.offer(2, 'm2')).toEqual(['m2', 'm3']);
    expect(t.watermark).toBe(4);
    expect(t.offer(2, 'm2-again')).toEqual([]);
    expect(t.offer(3, 'm3-again')).toEqual([]);
    expect(t.offer(4, 'm4-again')).toEqual([]);
  });

  it('holds out-of-order pushes and releases them in order when the gap closes', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(4, 'm4')).toEqual([]);
    expect(t.offer(2, 'm2')).toEqual([]);
    expect(t.offer(5, 'm5')).toEqual([]);
    expect(t.hasGap).toBe(true);
    expect(t.watermark).toBe(0);
    expect(t.offer(1, 'm1')).toEqual(['m1', 'm2']);
    expect(t.watermark).toBe(2);
    expect(t.hasGap).toBe(true);
    expect(t.offer(3, 'm3')).toEqual(['m3', 'm4', 'm5']);
    expect(t.watermark).toBe(5);
    expect(t.hasGap).toBe(false);
  });

  it('interleaves own-sent sequences (markSeen) with pushes without emitting them', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(1, 'm1')).toEqual(['m1']);
    // My send got seq 2: it advances the watermark but is not "received".
    expect(t.markSeen(2)).toEqual([]);
    expect(t.watermark).toBe(2);
    expect(t.offer(3, 'm3')).toEqual(['m3']);
    // My send got seq 5 before the peer's seq 4 arrived.
    expect(t.markSeen(5)).toEqual([]);
    expect(t.watermark).toBe(3);
    expect(t.hasGap).toBe(true);
    expect(t.offer(6, 'm6')).toEqual([]);
    expect(t.offer(4, 'm4')).toEqual(['m4', 'm6']);
    expect(t.watermark).toBe(6);
    expect(t.hasGap).toBe(false);
    // Marking something already below the watermark is a no-op.
    expect(t.markSeen(5)).toEqual([]);
    expect(t.watermark).toBe(6);
  });

  it('a seen sequence releases held items above it', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(2, 'm2')).toEqual([]);
    expect(t.offer(3, 'm3')).toEqual([]);
    expect(t.markSeen(1)).toEqual(['m2', 'm3']);
    expect(t.watermark).toBe(3);
  });

  it('fill() after a gap delivers the pulled items in order and then the held ones above upToSeq', () => {
    const t = new SequenceTracker<string>(1);
    expect(t.offer(5, 'm5')).toEqual([]);
    expect(t.offer(6, 'm6')).toEqual([]);
    // The pull covered (1, 4]: 2..4 were missing.
    const out = t.fill(
      [
        { seq: 2, item: 'm2' },
        { seq: 3, item: 'm3' },
        { seq: 4, item: 'm4' },
      ],
      4,
    );
    expect(out).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    expect(t.watermark).toBe(6);
    expect(t.hasGap).toBe(false);
  });

  it('fill() delivers a held sequence once (the pulled copy), never twice', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(3, 'held3')).toEqual([]);
    const out = t.fill(
      [
        { seq: 1, item: 'm1' },
        { seq: 2, item: 'm2' },
        { seq: 3, item: 'pulled3' },
      ],
      3,
    );
    expect(out).toHaveLength(3);
    expect(out.slice(0, 2)).toEqual(['m1', 'm2']);
    expect(['held3', 'pulled3']).toContain(out[2]);
    expect(t.offer(3, 'again')).toEqual([]);
  });

  it('fill() skips own-sent (seen) sequences and sequences at or below the watermark', () => {
    const t = new SequenceTracker<string>(1);
    expect(t.markSeen(3)).toEqual([]);
    const out = t.fill(
      [
        { seq: 1, item: 'old1' },
        { seq: 2, item: 'm2' },
        { seq: 3, item: 'mine3' },
        { seq: 4, item: 'm4' },
      ],
      4,
    );
    expect(out).toEqual(['m2', 'm4']);
    expect(t.watermark).toBe(4);
    expect(t.hasGap).toBe(false);
  });

  it('fill() treats sequences the server does not have (cleared history) as gone', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(7, 'm7')).toEqual([]);
    // The server has only 4 and 6 in (0, 6].
    const out = t.fill(
      [
        { seq: 4, item: 'm4' },
        { seq: 6, item: 'm6' },
      ],
      6,
    );
    expect(out).toEqual(['m4', 'm6', 'm7']);
    expect(t.watermark).toBe(7);
    // Late pushes of sequences the fill skipped are old now.
    expect(t.offer(5, 'm5-late')).toEqual([]);
    expect(t.offer(2, 'm2-late')).toEqual([]);
  });

  it('fill() with no items still advances to upToSeq and releases what is held right above', () => {
    const t = new SequenceTracker<string>(2);
    expect(t.offer(6, 'm6')).toEqual([]);
    expect(t.fill([], 5)).toEqual(['m6']);
    expect(t.watermark).toBe(6);
    // upToSeq below the watermark changes nothing.
    expect(t.fill([], 3)).toEqual([]);
    expect(t.watermark).toBe(6);
  });

  it('fill() in several pages (hasMore) keeps order', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(6, 'm6')).toEqual([]);
    const page1 = t.fill(
      [1, 2, 3].map((s) => ({ seq: s, item: item(s) })),
      3,
    );
    expect(page1).toEqual(['m1', 'm2', 'm3']);
    expect(t.hasGap).toBe(true);
    const page2 = t.fill(
      [4, 5].map((s) => ({ seq: s, item: item(s) })),
      5,
    );
    expect(page2).toEqual(['m4', 'm5', 'm6']);
    expect(t.hasGap).toBe(false);
  });

  it('skipTo() raises the watermark, drops held and seen at or below it, and keeps what is above', () => {
    const t = new SequenceTracker<string>(0);
    expect(t.offer(3, 'm3')).toEqual([]);
    expect(t.markSeen(4)).toEqual([]);
    expect(t.offer(8, 'm8')).toEqual([]);
    t.skipTo(5);
    expect(t.watermark).toBe(5);
    expect(t.hasGap).toBe(true); // 8 is still held
    expect(t.offer(3, 'm3-again')).toEqual([]);
    expect(t.offer(6, 'm6')).toEqual(['m6']);
    expect(t.offer(7, 'm7')).toEqual(['m7', 'm8']);
    expect(t.hasGap).toBe(false);
    // skipTo below the watermark is a no-op.
    t.skipTo(2);
    expect(t.watermark).toBe(8);
    expect(t.offer(9, 'm9')).toEqual(['m9']);
  });

  it('property: any push order with duplicates, own sends and a final fill delivers every other sequence exactly once, in order', () => {
    const scenario = fc
      .integer({ min: 1, max: 40 })
      .chain((n) =>
        fc.record({
          n: fc.constant(n),
          order: fc.shuffledSubarray(
            Array.from({ length: n }, (_, i) => i + 1),
            { minLength: n, maxLength: n },
          ),
          // Extra (duplicate) pushes inserted at random positions.
          duplicates: fc.array(fc.tuple(fc.integer({ min: 1, max: n }), fc.nat()), { maxLength: 20 }),
          // Own sends: their sequence is marked seen at a random point instead of being pushed.
          seen: fc.subarray(Array.from({ length: n }, (_, i) => i + 1)),
          // Only a prefix of the stream arrives live (the rest is lost with a dropped socket).
          livePrefix: fc.double({ min: 0, max: 1, noNaN: true }),
          pageSize: fc.integer({ min: 1, max: 50 }),
        }),
      );

    fc.assert(
      fc.property(scenario, ({ n, order, duplicates, seen, livePrefix, pageSize }) => {
        const seenSet = new Set(seen);
        type Op = { kind: 'push' | 'seen'; seq: number };
        const ops: Op[] = order.map((seq) => ({ kind: seenSet.has(seq) ? 'seen' : 'push', seq }));
        for (const [seq, pos] of duplicates) {
          // Duplicate pushes (redelivery after a reconnect) of sequences that are pushed at all.
          if (seenSet.has(seq)) continue;
          ops.splice(pos % (ops.length + 1), 0, { kind: 'push', seq });
        }
        const live = ops.slice(0, Math.floor(ops.length * livePrefix));

        const t = new SequenceTracker<number>(0);
        const delivered: number[] = [];
        for (const op of live) {
          if (op.kind === 'push') delivered.push(...t.offer(op.seq, op.seq));
          else delivered.push(...t.markSeen(op.seq));
        }
        // Own sends that were acknowledged but not yet marked are still known to the app: mark them.
        for (const seq of seen) delivered.push(...t.markSeen(seq));

        // Final fill: the server returns everything above the watermark, in pages.
        let guard = 0;
        while (t.watermark < n && guard++ < 1000) {
          const from = t.watermark + 1;
          const to = Math.min(n, t.watermark + pageSize);
          const items = [];
          for (let s = from; s <= to; s++) items.push({ seq: s, item: s });
          delivered.push(...t.fill(items, to));
        }

        const expected = Array.from({ length: n }, (_, i) => i + 1).filter((s) => !seenSet.has(s));
        expect(delivered).toEqual(expected);
        expect(t.watermark).toBe(n);
        expect(t.hasGap).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

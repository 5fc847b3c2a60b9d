/** DeadlineQueue: due items fire once, in time order, from one timer; retain drops dead entries. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { DeadlineQueue } from '../../src/gateway/deadline-queue.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('DeadlineQueue', () => {
  it('fires every item at its time, in time order, whatever the insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 200 }), (delays) => {
        vi.setSystemTime(0);
        const fired: Array<{ item: number; at: number; now: number }> = [];
        const q = new DeadlineQueue<number>(() => Date.now(), (item, at) => fired.push({ item, at, now: Date.now() }));
        delays.forEach((d, i) => q.add(d, i));
        vi.advanceTimersByTime(10_001);
        expect(fired.map((f) => f.at)).toEqual([...delays].sort((a, b) => a - b));
        expect(fired.map((f) => f.item).sort((a, b) => a - b)).toEqual(delays.map((_, i) => i));
        for (const f of fired) expect(f.now).toBeGreaterThanOrEqual(f.at);
        expect(q.size).toBe(0);
        q.close();
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('re-arms for an earlier deadline added later, and handles deadlines past the 24.8-day timer cap', () => {
    vi.setSystemTime(0);
    const fired: string[] = [];
    const q = new DeadlineQueue<string>(() => Date.now(), (item) => fired.push(item));
    const farAway = 40 * 24 * 3600 * 1000;
    q.add(farAway, 'far');
    q.add(5000, 'soon');
    vi.advanceTimersByTime(5000);
    expect(fired).toEqual(['soon']);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toEqual(['soon']);
    vi.advanceTimersByTime(farAway);
    expect(fired).toEqual(['soon', 'far']);
  });

  it('retain drops entries whose item no longer matters and keeps the rest due on time', () => {
    vi.setSystemTime(0);
    const fired: number[] = [];
    const q = new DeadlineQueue<number>(() => Date.now(), (item) => fired.push(item));
    for (let i = 0; i < 10; i++) q.add(1000 * (10 - i), i);
    q.retain((i) => i % 2 === 0);
    expect(q.size).toBe(5);
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([8, 6, 4, 2, 0]);
    q.close();
  });
});

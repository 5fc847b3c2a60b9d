/** RoomTipBatcher: small rooms pass through, busy rooms gather a window's joins into one tip, capped per tip. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomTipBatcher } from '../../src/services/room-tip-batcher.js';

let emitted: Array<{ groupID: string; operationType: number; userIDs: string[] }>;
let batcher: RoomTipBatcher;

beforeEach(() => {
  vi.useFakeTimers();
  emitted = [];
  batcher = new RoomTipBatcher({ threshold: 10, windowMs: 1000, maxUsers: 3 }, (groupID, operationType, userIDs) =>
    emitted.push({ groupID, operationType, userIDs }),
  );
});
afterEach(() => vi.useRealTimers());

describe('RoomTipBatcher', () => {
  it('leaves tips of rooms below the threshold to the caller', () => {
    expect(batcher.offer('g', 9, 1, 'a')).toBe(false);
    vi.advanceTimersByTime(5000);
    expect(emitted).toEqual([]);
  });

  it('gathers joins of a busy room for one window, per group and operation type', () => {
    expect(batcher.offer('g', 10, 1, 'a')).toBe(true);
    expect(batcher.offer('g', 11, 1, 'b')).toBe(true);
    expect(batcher.offer('g', 11, 2, 'c')).toBe(true);
    expect(batcher.offer('h', 50, 1, 'd')).toBe(true);
    vi.advanceTimersByTime(999);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(emitted).toEqual([
      { groupID: 'g', operationType: 1, userIDs: ['a', 'b'] },
      { groupID: 'g', operationType: 2, userIDs: ['c'] },
      { groupID: 'h', operationType: 1, userIDs: ['d'] },
    ]);
  });

  it('keeps gathering while a batch is open even if the room shrank, and sends a full batch at once', () => {
    batcher.offer('g', 10, 1, 'a');
    expect(batcher.offer('g', 2, 1, 'b')).toBe(true);
    batcher.offer('g', 2, 1, 'c');
    expect(emitted).toEqual([{ groupID: 'g', operationType: 1, userIDs: ['a', 'b', 'c'] }]);
    // The next join starts a new batch only if the room is still busy.
    expect(batcher.offer('g', 2, 1, 'd')).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(emitted).toHaveLength(1);
  });
});

/**
 * The list-event throttle (spec §6.2): first change fires at once; changes
 * within the window cancel any pending timer and schedule one trailing
 * emission a window later; the payload is computed at emission time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from '../../src/compat/throttle.js';

describe('Throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires the first trigger immediately', () => {
    const fire = vi.fn();
    const t = new Throttle(1000, fire);
    t.trigger();
    expect(fire).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a burst within the window gives exactly one trailing fire, a window after the last trigger', () => {
    const fire = vi.fn();
    const t = new Throttle(1000, fire);
    t.trigger(); // t=0: fires
    vi.advanceTimersByTime(100);
    t.trigger(); // t=100
    vi.advanceTimersByTime(100);
    t.trigger(); // t=200
    vi.advanceTimersByTime(100);
    t.trigger(); // t=300: the trailing fire is due at 1300
    expect(fire).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999); // t=1299
    expect(fire).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1); // t=1300
    expect(fire).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_000);
    expect(fire).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('computes the payload at fire time, not at trigger time', () => {
    let current = 0;
    const payloads: number[] = [];
    const t = new Throttle(1000, () => payloads.push(current));
    current = 1;
    t.trigger();
    current = 2;
    t.trigger();
    current = 3;
    t.trigger();
    current = 4;
    expect(payloads).toEqual([1]);
    vi.advanceTimersByTime(1000);
    expect(payloads).toEqual([1, 4]);
  });

  it('a trigger right after a trailing fire waits for the next window; one after a quiet window fires at once', () => {
    const fire = vi.fn();
    const t = new Throttle(1000, fire);
    t.trigger(); // t=0
    t.trigger(); // trailing at 1000
    vi.advanceTimersByTime(1000);
    expect(fire).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(500); // t=1500, last fire at 1000
    t.trigger();
    expect(fire).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    expect(fire).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(5000); // quiet
    t.trigger();
    expect(fire).toHaveBeenCalledTimes(4);
  });

  it('a steady stream of triggers re-schedules the trailing fire until the stream stops (never two fires within a window)', () => {
    const times: number[] = [];
    const t = new Throttle(1000, () => times.push(Date.now()));
    const start = Date.now();
    for (let i = 0; i < 100; i++) {
      t.trigger();
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(2000);
    // Continuous triggers keep postponing the trailing fire: first + one trailing after the stream stops.
    expect(times).toEqual([start, start + 99 * 50 + 1000]);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it('cancel() drops the pending trailing fire', () => {
    const fire = vi.fn();
    const t = new Throttle(1000, fire);
    t.trigger();
    t.trigger();
    t.cancel();
    vi.advanceTimersByTime(5000);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('window 0 (eventThrottling: false) fires every trigger immediately', () => {
    const fire = vi.fn();
    const t = new Throttle(0, fire);
    t.trigger();
    t.trigger();
    t.trigger();
    expect(fire).toHaveBeenCalledTimes(3);
    expect(vi.getTimerCount()).toBe(0);
  });
});

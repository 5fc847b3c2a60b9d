import { describe, expect, it } from 'vitest';
import { DueQueue } from '../src/worker-runtime.js';

describe('DueQueue (open-loop pacing)', () => {
  it('makes operation k due at k / rate, referenced to the tick that found it due', () => {
    const q = new DueQueue(1000, 1000); // one per ms
    q.tick(0, 100);
    expect(q.waiting).toBe(0);
    q.tick(2.5, 102.5);
    expect(q.waiting).toBe(2);
    expect(q.peek()).toBe(102.5);
    q.take();
    q.take();
    expect(q.peek()).toBeUndefined();
    q.tick(3, 103);
    expect(q.waiting).toBe(1);
  });

  it('keeps waiting operations with their first reference time (waiting counts in latency)', () => {
    const q = new DueQueue(10, 100);
    q.tick(250, 1250); // 2 due
    q.tick(500, 1500); // 3 more
    expect(q.waiting).toBe(5);
    expect(q.peek()).toBe(1250);
    q.take();
    q.take();
    expect(q.peek()).toBe(1500);
  });

  it('drops the oldest beyond the backlog limit and counts them', () => {
    const q = new DueQueue(100, 10);
    q.tick(1000, 5000); // 100 due, 10 may wait
    expect(q.waiting).toBe(10);
    expect(q.backlog).toBe(90);
    q.abandon();
    expect(q.waiting).toBe(0);
    expect(q.backlog).toBe(100);
  });

  it('ignores time before the start and does not re-issue', () => {
    const q = new DueQueue(1000, 1000);
    q.tick(-5, 0);
    expect(q.waiting).toBe(0);
    q.tick(10, 10);
    q.tick(10, 11);
    expect(q.waiting).toBe(10);
  });
});

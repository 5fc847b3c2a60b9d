/**
 * RequestManager: the outgoing/pending queues behind every SDK call. Every
 * request settles — on its response, its timeout, or rejectAll.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { ClientFrame } from '@parley/protocol';
import { RequestManager } from '../../src/rpc/request-manager.js';
import { ImError } from '../../src/errors.js';

type Outcome = { status: 'pending' } | { status: 'resolved'; value: unknown } | { status: 'rejected'; error: unknown };

/** Records how a promise settled without leaving it unhandled. */
function track<T>(promise: Promise<T>): { outcome: Outcome } {
  const box: { outcome: Outcome } = { outcome: { status: 'pending' } };
  promise.then(
    (value) => (box.outcome = { status: 'resolved', value }),
    (error: unknown) => (box.outcome = { status: 'rejected', error }),
  );
  return box;
}

/** Lets promise reactions run (works under fake timers: microtasks are real). */
const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function collect(): { frames: ClientFrame[]; write: (f: ClientFrame) => void } {
  const frames: ClientFrame[] = [];
  return { frames, write: (f) => frames.push(f) };
}

describe('RequestManager', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('assigns increasing ids and flushes outgoing requests in creation order', () => {
    const rm = new RequestManager(1000);
    const a = rm.create('ping', {});
    const b = rm.create('conv.sync', {});
    const c = rm.create('msg.read', { conversationID: 'C2Cbob' });
    for (const r of [a, b, c]) r.promise.catch(() => undefined);
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    const { frames, write } = collect();
    rm.flush(write);
    expect(frames).toEqual([
      { cmd: 'ping', id: 1, body: {} },
      { cmd: 'conv.sync', id: 2, body: {} },
      { cmd: 'msg.read', id: 3, body: { conversationID: 'C2Cbob' } },
    ]);
    // A second flush writes nothing: everything is pending now.
    const again = collect();
    rm.flush(again.write);
    expect(again.frames).toEqual([]);
    rm.rejectAll(new ImError(2805, 'done'));
  });

  it('sendNow writes one request ahead of the queue', () => {
    const rm = new RequestManager(1000);
    const a = rm.create('conv.sync', {});
    const login = rm.create('ping', {});
    a.promise.catch(() => undefined);
    login.promise.catch(() => undefined);
    const { frames, write } = collect();
    rm.sendNow(login.id, write);
    rm.sendNow(login.id, write); // already pending: no second write
    rm.flush(write);
    expect(frames.map((f) => f.id)).toEqual([login.id, a.id]);
    rm.rejectAll(new ImError(2805, 'done'));
  });

  it('resolves on code 0 and rejects with an ImError carrying the server code and message otherwise', async () => {
    const rm = new RequestManager(1000);
    const ok = track(rm.create('ping', {}).promise);
    const bad = track(rm.create('msg.read', { conversationID: 'C2Cbob' }).promise);
    const noText = track(rm.create('conv.sync', {}).promise);
    rm.flush(() => undefined);
    rm.resolve(1, 0, { serverTime: 42 });
    rm.resolve(2, 70003, 'UserSig check failed');
    rm.resolve(3, 20001, { not: 'a string' });
    await flushMicrotasks();
    expect(ok.outcome).toEqual({ status: 'resolved', value: { serverTime: 42 } });
    expect(bad.outcome.status).toBe('rejected');
    const err = (bad.outcome as { error: ImError }).error;
    expect(err).toBeInstanceOf(ImError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(70003);
    expect(err.message).toBe('UserSig check failed');
    expect(err.data).toEqual({});
    const err3 = (noText.outcome as { error: ImError }).error;
    expect(err3.code).toBe(20001);
    expect(typeof err3.message).toBe('string');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores responses for unknown, already settled or not yet written requests', async () => {
    const rm = new RequestManager(1000);
    const a = track(rm.create('ping', {}).promise);
    rm.resolve(1, 0, 'too early'); // still outgoing: not written yet
    rm.resolve(99, 0, 'unknown');
    await flushMicrotasks();
    expect(a.outcome.status).toBe('pending');
    rm.flush(() => undefined);
    rm.resolve(1, 0, 'first');
    rm.resolve(1, 0, 'second');
    rm.resolve(1, 500, 'late error');
    await flushMicrotasks();
    expect(a.outcome).toEqual({ status: 'resolved', value: 'first' });
  });

  it('a request with no response rejects with 2801 after its timeout (outgoing or pending) and is forgotten', async () => {
    const rm = new RequestManager(1000);
    const queued = track(rm.create('ping', {}).promise);
    const written = track(rm.create('conv.sync', {}).promise);
    rm.sendNow(2, () => undefined);
    const custom = track(rm.create('ping', {}, 5000).promise);
    vi.advanceTimersByTime(999);
    await flushMicrotasks();
    expect(queued.outcome.status).toBe('pending');
    vi.advanceTimersByTime(1);
    await flushMicrotasks();
    for (const box of [queued, written]) {
      expect(box.outcome.status).toBe('rejected');
      const e = (box.outcome as { error: ImError }).error;
      expect(e).toBeInstanceOf(ImError);
      expect(e.code).toBe(2801);
    }
    expect(custom.outcome.status).toBe('pending');
    // Timed-out requests are neither flushed nor resolvable any more.
    const { frames, write } = collect();
    rm.flush(write);
    expect(frames.map((f) => f.id)).toEqual([3]);
    rm.resolve(2, 0, 'late');
    vi.advanceTimersByTime(4000);
    await flushMicrotasks();
    expect((custom.outcome as { error: ImError }).error.code).toBe(2801);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('requeuePending puts written requests back in order, except the excluded ones (login)', async () => {
    const rm = new RequestManager(1000);
    const login = track(rm.create('login', { sdkAppID: 1, userID: 'a', userSig: 's', protocolVersion: 1, platform: 'web', instanceID: 'i' } as never).promise);
    const a = track(rm.create('conv.sync', {}).promise);
    const b = track(rm.create('ping', {}).promise);
    rm.flush(() => undefined);
    rm.requeuePending((f) => f.cmd === 'login');
    const { frames, write } = collect();
    rm.flush(write);
    expect(frames.map((f) => [f.id, f.cmd])).toEqual([
      [2, 'conv.sync'],
      [3, 'ping'],
    ]);
    rm.resolve(2, 0, 'a');
    rm.resolve(3, 0, 'b');
    rm.resolve(1, 0, 'login is gone');
    await flushMicrotasks();
    expect(a.outcome).toEqual({ status: 'resolved', value: 'a' });
    expect(b.outcome).toEqual({ status: 'resolved', value: 'b' });
    // The dropped login still settles: by its timeout.
    expect(login.outcome.status).toBe('pending');
    vi.advanceTimersByTime(1000);
    await flushMicrotasks();
    expect((login.outcome as { error: ImError }).error.code).toBe(2801);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('requeued requests go before newer ones (original id order)', () => {
    const rm = new RequestManager(1000);
    const first = rm.create('ping', {});
    first.promise.catch(() => undefined);
    rm.flush(() => undefined);
    const second = rm.create('conv.sync', {});
    second.promise.catch(() => undefined);
    rm.requeuePending();
    const { frames, write } = collect();
    rm.flush(write);
    expect(frames.map((f) => f.id)).toEqual([first.id, second.id]);
    rm.rejectAll(new ImError(2805, 'done'));
  });

  it('reject(id) settles one request, pending or outgoing', async () => {
    const rm = new RequestManager(1000);
    const a = track(rm.create('ping', {}).promise);
    const b = track(rm.create('ping', {}).promise);
    const c = track(rm.create('ping', {}).promise);
    rm.sendNow(1, () => undefined);
    rm.reject(1, new ImError(2100, 'one'));
    rm.reject(2, new ImError(2100, 'two'));
    rm.reject(2, new ImError(2100, 'again'));
    await flushMicrotasks();
    expect((a.outcome as { error: ImError }).error.message).toBe('one');
    expect((b.outcome as { error: ImError }).error.message).toBe('two');
    expect(c.outcome.status).toBe('pending');
    rm.rejectAll(new ImError(2805, 'done'));
    await flushMicrotasks();
    expect((c.outcome as { error: ImError }).error.code).toBe(2805);
  });

  it('rejectAll settles every request with the given error, clears timers, and leaves nothing to flush', async () => {
    const rm = new RequestManager(1000);
    const boxes = [track(rm.create('ping', {}).promise), track(rm.create('conv.sync', {}).promise)];
    rm.flush(() => undefined);
    boxes.push(track(rm.create('ping', {}).promise));
    const err = new ImError(2805, 'connection closed');
    rm.rejectAll(err);
    await flushMicrotasks();
    for (const box of boxes) expect(box.outcome).toEqual({ status: 'rejected', error: err });
    expect(vi.getTimerCount()).toBe(0);
    const { frames, write } = collect();
    rm.flush(write);
    expect(frames).toEqual([]);
  });

  it('property: under any sequence of operations every promise settles exactly once, and no timer is left', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), login: fc.boolean(), timeout: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
      fc.record({ kind: fc.constant('sendNow' as const), id: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('resolve' as const), id: fc.integer({ min: 1, max: 30 }), code: fc.constantFrom(0, 0, 70001, 20003) }),
      fc.record({ kind: fc.constant('reject' as const), id: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('requeue' as const) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
      fc.record({ kind: fc.constant('rejectAll' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        vi.clearAllTimers();
        const rm = new RequestManager(1000);
        const settled: number[] = [];
        const boxes: Array<{ outcome: Outcome }> = [];
        for (const o of ops) {
          switch (o.kind) {
            case 'create': {
              const { id, promise } = o.login
                ? rm.create('login', {} as never, o.timeout)
                : rm.create('ping', {}, o.timeout);
              boxes.push(track(promise));
              promise.then(
                () => settled.push(id),
                () => settled.push(id),
              );
              break;
            }
            case 'flush':
              rm.flush(() => undefined);
              break;
            case 'sendNow':
              rm.sendNow(o.id, () => undefined);
              break;
            case 'resolve':
              rm.resolve(o.id, o.code, 'x');
              break;
            case 'reject':
              rm.reject(o.id, new ImError(2100, 'rejected'));
              break;
            case 'requeue':
              rm.requeuePending((f) => f.cmd === 'login');
              break;
            case 'advance':
              vi.advanceTimersByTime(o.ms);
              break;
            case 'rejectAll':
              rm.rejectAll(new ImError(2805, 'closed'));
              break;
          }
        }
        vi.runAllTimers();
        await flushMicrotasks();
        expect(boxes.every((b) => b.outcome.status !== 'pending')).toBe(true);
        expect(settled.length).toBe(boxes.length);
        expect(new Set(settled).size).toBe(boxes.length);
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

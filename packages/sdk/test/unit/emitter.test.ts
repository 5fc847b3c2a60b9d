/**
 * The TIM-style emitter: handlers get one `{name, data}` object, `context` is
 * `this`, `once` fires once, `off` needs the same reference, and a throwing
 * handler never breaks the others (spec §3 "Event handler argument", §4.1).
 */
import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../src/compat/emitter.js';
import { Logger } from '../../src/logger.js';

function quietLogger(): Logger {
  const log = new Logger();
  log.level = 4;
  return log;
}

describe('Emitter', () => {
  it('calls handlers with one {name, data} object, in registration order', () => {
    const e = new Emitter(quietLogger());
    const calls: string[] = [];
    const first = vi.fn(() => calls.push('first'));
    const second = vi.fn(() => calls.push('second'));
    e.on('onMessageReceived', first);
    e.on('onMessageReceived', second);
    e.emit('onMessageReceived', [1, 2]);
    expect(calls).toEqual(['first', 'second']);
    expect(first).toHaveBeenCalledWith({ name: 'onMessageReceived', data: [1, 2] });
    expect(first.mock.calls[0]).toHaveLength(1);
    e.emit('sdkStateReady');
    expect(first).toHaveBeenCalledTimes(1);
  });

  it('passes data undefined for events without data', () => {
    const e = new Emitter(quietLogger());
    const h = vi.fn();
    e.on('sdkStateReady', h);
    e.emit('sdkStateReady');
    expect(h).toHaveBeenCalledWith({ name: 'sdkStateReady', data: undefined });
  });

  it('uses context as `this`', () => {
    const e = new Emitter(quietLogger());
    const ctx = { seen: [] as unknown[] };
    let self: unknown;
    e.on(
      'kickedOut',
      function (this: typeof ctx, ev) {
        self = this;
        this.seen.push(ev.data);
      },
      ctx,
    );
    e.emit('kickedOut', { type: 'multipleAccount' });
    expect(self).toBe(ctx);
    expect(ctx.seen).toEqual([{ type: 'multipleAccount' }]);
  });

  it('once fires once, even when the event is re-emitted from inside the handler', () => {
    const e = new Emitter(quietLogger());
    const h = vi.fn(() => e.emit('x', 'nested'));
    e.on('x', h, undefined, true);
    e.emit('x', 1);
    e.emit('x', 2);
    expect(h).toHaveBeenCalledTimes(1);
    expect(h).toHaveBeenCalledWith({ name: 'x', data: 1 });
  });

  it('off removes only the same reference (and context, when given)', () => {
    const log = quietLogger();
    const warn = vi.spyOn(log, 'warn');
    const e = new Emitter(log);
    const h = vi.fn();
    e.on('x', h);
    // A look-alike function is a different reference: nothing is removed.
    e.off('x', (ev) => h(ev));
    expect(warn).toHaveBeenCalledTimes(1);
    e.emit('x');
    expect(h).toHaveBeenCalledTimes(1);
    e.off('x', h);
    e.emit('x');
    expect(h).toHaveBeenCalledTimes(1);

    const a = {};
    const b = {};
    const g = vi.fn();
    e.on('y', g, a);
    e.on('y', g, b);
    e.off('y', g, b);
    e.emit('y');
    expect(g).toHaveBeenCalledTimes(1);
    expect(g.mock.contexts[0]).toBe(a);
  });

  it('off of a once handler before it fired prevents it', () => {
    const e = new Emitter(quietLogger());
    const h = vi.fn();
    e.on('x', h, undefined, true);
    e.off('x', h);
    e.emit('x');
    expect(h).not.toHaveBeenCalled();
  });

  it('off for an unknown event or handler does nothing and does not throw', () => {
    const e = new Emitter(quietLogger());
    expect(() => e.off('never', () => undefined)).not.toThrow();
  });

  it('a throwing handler is logged and does not stop the other handlers', () => {
    const log = quietLogger();
    const error = vi.spyOn(log, 'error');
    const e = new Emitter(log);
    const before = vi.fn();
    const after = vi.fn();
    e.on('x', before);
    e.on('x', () => {
      throw new Error('app bug');
    });
    e.on('x', after);
    expect(() => e.emit('x', 1)).not.toThrow();
    expect(before).toHaveBeenCalledTimes(1);
    expect(after).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledTimes(1);
    // And it keeps working afterwards.
    e.emit('x', 2);
    expect(after).toHaveBeenCalledTimes(2);
  });

  it('a handler that removes itself during emit does not affect the current round', () => {
    const e = new Emitter(quietLogger());
    const second = vi.fn();
    const first = vi.fn(() => e.off('x', first));
    e.on('x', first);
    e.on('x', second);
    e.emit('x');
    e.emit('x');
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(2);
  });

  it('clear() removes every handler', () => {
    const e = new Emitter(quietLogger());
    const h = vi.fn();
    e.on('x', h);
    e.on('y', h);
    e.clear();
    e.emit('x');
    e.emit('y');
    expect(h).not.toHaveBeenCalled();
  });
});

/**
 * TIM-style event emitter: handlers get `{name, data}`, `context` is the
 * `this` of the call, exceptions in handlers are caught and logged.
 */
import type { Logger } from '../logger.js';

type Handler = (event: { name: string; data: unknown }) => void;

interface Registration {
  handler: Handler;
  context: unknown;
  once: boolean;
}

export class Emitter {
  private readonly handlers = new Map<string, Registration[]>();

  constructor(private readonly log: Logger) {}

  on(name: string, handler: Handler, context?: unknown, once = false): void {
    const list = this.handlers.get(name) ?? [];
    list.push({ handler, context, once });
    this.handlers.set(name, list);
  }

  off(name: string, handler: Handler, context?: unknown): void {
    const list = this.handlers.get(name);
    if (!list) return;
    const index = list.findIndex((r) => r.handler === handler && (context === undefined || r.context === context));
    if (index === -1) {
      this.log.warn(`off(${name}): handler was not registered`);
      return;
    }
    list.splice(index, 1);
  }

  emit(name: string, data?: unknown): void {
    const list = this.handlers.get(name);
    if (!list || list.length === 0) return;
    for (const r of [...list]) {
      if (r.once) {
        const i = list.indexOf(r);
        if (i !== -1) list.splice(i, 1);
      }
      try {
        r.handler.call(r.context, { name, data });
      } catch (err) {
        this.log.error(`a handler of ${name} threw`, err);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}

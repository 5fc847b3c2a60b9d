/**
 * Transport abstraction (style guide practice 7): the connection layer sees
 * only this, so browsers use the native WebSocket and Node the `ws` package,
 * and tests can inject their own.
 */

/** The subset of the WebSocket API we use; both the browser's and `ws`'s satisfy it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface TransportHandlers {
  onOpen(): void;
  onText(text: string): void;
  onClose(code: number, reason: string): void;
}

export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens one WebSocket; handlers fire at most once for open/close. */
export function openWebSocketTransport(Ctor: WebSocketConstructor, url: string, handlers: TransportHandlers): Transport {
  const ws = new Ctor(url);
  let closed = false;
  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason);
  };
  ws.onopen = () => handlers.onOpen();
  ws.onmessage = (ev) => {
    if (typeof ev.data === 'string') handlers.onText(ev.data);
    else if (ev.data instanceof ArrayBuffer) handlers.onText(new TextDecoder().decode(ev.data));
    else if (ev.data !== null && typeof ev.data === 'object' && 'toString' in ev.data) handlers.onText(String(ev.data));
  };
  ws.onclose = (ev) => finish(ev.code, ev.reason);
  ws.onerror = () => {
    // 'close' follows 'error' for WebSockets; report it there.
  };
  return {
    send(text) {
      if (ws.readyState === 1) ws.send(text);
    },
    close(code = 1000, reason = '') {
      try {
        ws.close(code, reason);
      } catch {
        // already closing
      }
      finish(code, reason);
    },
  };
}

/** The platform WebSocket: the global one (browsers, Node ≥ 22) or the `ws` package on Node 20. */
export async function resolveWebSocket(explicit?: WebSocketConstructor): Promise<WebSocketConstructor> {
  if (explicit) return explicit;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  const specifier = 'ws';
  // A computed specifier keeps browser bundlers from trying to bundle `ws`.
  const mod = (await import(/* @vite-ignore */ specifier)) as { default?: WebSocketConstructor; WebSocket?: WebSocketConstructor };
  const ctor = mod.default ?? mod.WebSocket;
  if (!ctor) throw new Error('no WebSocket implementation: pass one with TIM.create({ WebSocket })');
  return ctor;
}

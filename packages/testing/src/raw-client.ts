/**
 * A bare protocol client over `ws`, for gateway tests that must send frames
 * the SDK never would (malformed, out of order, oversized).
 */
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type ServerFrame } from '@parley/protocol';

export interface RawClient {
  readonly ws: WebSocket;
  /** Every frame received, in order. */
  readonly frames: ServerFrame[];
  /** Sends raw text (or an object, JSON-encoded). */
  send(frame: unknown): void;
  /** Sends a request and resolves with its `res` frame. */
  request(cmd: string, body?: unknown): Promise<ServerFrame & { cmd: 'res' }>;
  /** Resolves with the next frame matching `predicate` (including ones already received after `fromIndex`). */
  next(predicate: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  /** Resolves when the socket closes, with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  login(userID: string, userSig: string, sdkAppID: number, extra?: Record<string, unknown>): Promise<ServerFrame & { cmd: 'res' }>;
  close(): void;
}

export async function connectRaw(wsUrl: string): Promise<RawClient> {
  const ws = new WebSocket(wsUrl);
  const frames: ServerFrame[] = [];
  const waiters: Array<{ predicate: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }> = [];
  let nextId = 1;
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as ServerFrame;
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.predicate(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: RawClient = {
    ws,
    frames,
    closed,
    send(frame) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next(predicate, timeoutMs = 5000) {
      const found = frames.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
        waiters.push({
          predicate,
          resolve: (f) => {
            clearTimeout(timer);
            resolve(f);
          },
        });
      });
    },
    async request(cmd, body = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ cmd, id, body }));
      return (await client.next((f) => f.cmd === 'res' && f.id === id)) as ServerFrame & { cmd: 'res' };
    },
    login(userID, userSig, sdkAppID, extra = {}) {
      return client.request('login', {
        sdkAppID,
        userID,
        userSig,
        protocolVersion: PROTOCOL_VERSION,
        platform: 'web',
        instanceID: `raw-${Math.random().toString(36).slice(2)}`,
        ...extra,
      });
    },
    close() {
      ws.close();
    },
  };
  return client;
}

/**
 * The lean load-generator client every worker uses: one raw-protocol
 * WebSocket (raw-ws.ts + `@parley/protocol`, docs/protocol.md), its handshake, and
 * request/response matching by `id`. Workers keep their own bookkeeping (what
 * was sent, what arrived) and see every frame that is not the answer to a
 * `request()` through `onFrame`, undecoded unless this class had to decode it,
 * so a hot path can skip JSON parsing (group-worker's parse cache).
 *
 * Also here: `runPool` (N steps with a fixed number in flight, for connecting
 * thousands of sockets) and the choice of a source address 127.0.0.x once one
 * address runs out of local ports.
 */
import { performance } from 'node:perf_hooks';
import {
  PROTOCOL_VERSION,
  decodeServerFrame,
  encodeFrame,
  type ClientFrame,
  type LoginResult,
  type ResponseFrame,
  type ServerFrame,
} from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { OpenError, RawWebSocket } from './raw-ws.js';

/** Where and as whom to connect. */
export interface ConnTarget {
  url: string;
  sdkAppID: number;
  secretKey: string;
  /** Give up on the WebSocket handshake, and on each `request()` by default, after this long, ms. */
  connectTimeoutMs: number;
}

/**
 * idle → opening → open (socket up) → ready (logged in, or joined anonymously: the worker says so)
 * → closed; `failed` when the worker gave up on the connection (it is terminated).
 */
export type ConnState = 'idle' | 'opening' | 'open' | 'ready' | 'closed' | 'failed';

export interface ConnEvents {
  /**
   * Every frame that is not the answer to a pending `request()`. `frame` is the decoded frame when
   * this connection had to decode it (a request was pending), `undefined` when it did not look.
   */
  onFrame?(buf: Buffer, recvEpoch: number, frame: ServerFrame | null | undefined): void;
  /** The socket closed after it had opened; `previous` is the state it was in. */
  onClose?(code: number, previous: ConnState): void;
}

/** A `login` answered with a non-zero code. */
export class LoginError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`login failed: ${code} ${message}`.trim());
  }
}

/** The socket could not be opened; `reason` is the errno code (ECONNREFUSED, EADDRNOTAVAIL, …) or a short word. */
export class ConnectError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request got no answer: `timeout`, or the socket `closed` first. */
export class RequestError extends Error {
  constructor(
    readonly reason: 'timeout' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** A short, countable reason for a failed connect, login or request: the error code, an errno code, `timeout`, `closed`. */
export function failureReason(err: unknown): string {
  if (err instanceof LoginError) return String(err.code);
  if (err instanceof ConnectError || err instanceof RequestError) return err.reason;
  return 'other';
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function describeResponse(res: ResponseFrame): string {
  return `${res.code} ${'message' in res ? res.message : ''}`.trim();
}

interface Waiter {
  resolve: (res: ResponseFrame) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Conn {
  ws: RawWebSocket | null = null;
  state: ConnState = 'idle';
  login: LoginResult | null = null;
  /** The close code once the socket has closed (for failure messages). */
  closeCode: number | null = null;
  private nextID = 1;
  private readonly waiting = new Map<number, Waiter>();
  private closeWaiters: Array<() => void> = [];

  constructor(
    readonly userID: string,
    private readonly events: ConnEvents = {},
  ) {}

  get isOpen(): boolean {
    return (this.state === 'open' || this.state === 'ready') && this.ws !== null;
  }

  /** A fresh request id for a frame the caller tracks itself (see `sendFrame`). */
  nextRequestID(): number {
    return this.nextID++;
  }

  /** Opens the socket (from `localAddress` when given); resolves once it is open. */
  async open(target: ConnTarget, localAddress?: string): Promise<void> {
    const ws = new RawWebSocket({
      onText: (buf, start, end) => this.onMessage(buf.subarray(start, end)),
      onClose: (code) => {
        const previous = this.state;
        this.closeCode = code;
        if (previous !== 'failed') this.state = 'closed';
        this.ws = null;
        this.rejectAll(`socket closed (${code})`);
        for (const resolve of this.closeWaiters.splice(0)) resolve();
        if (previous !== 'failed') this.events.onClose?.(code, previous);
      },
    });
    this.ws = ws;
    this.state = 'opening';
    try {
      await ws.open(target.url, target.connectTimeoutMs, localAddress);
    } catch (err) {
      if (this.state === 'opening') this.state = 'failed';
      this.ws = null;
      throw err instanceof OpenError ? new ConnectError(err.reason, err.message) : err;
    }
    if (this.state === 'opening') this.state = 'open';
  }

  private onMessage(buf: Buffer): void {
    const recvEpoch = epochNow();
    if (this.waiting.size === 0) {
      this.events.onFrame?.(buf, recvEpoch, undefined);
      return;
    }
    const frame = decodeServerFrame(buf.toString('utf8'));
    if (frame?.cmd === 'res') {
      const waiter = this.waiting.get(frame.id);
      if (waiter) {
        this.waiting.delete(frame.id);
        clearTimeout(waiter.timer);
        waiter.resolve(frame);
        return;
      }
    }
    this.events.onFrame?.(buf, recvEpoch, frame);
  }

  /** Sends a request and resolves with its answer; rejects on timeout or when the socket closes first. */
  request(frame: Omit<ClientFrame, 'id'>, timeoutMs: number): Promise<ResponseFrame> {
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!ws?.isOpen) {
        const code = this.closeCode ?? ws?.receivedCloseCode ?? null;
        reject(new RequestError('closed', `socket not open for ${frame.cmd}${code !== null ? ` (closed with ${code})` : ''}`));
        return;
      }
      const id = this.nextID++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new RequestError('timeout', `no answer to ${frame.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      ws.sendText(encodeFrame({ ...frame, id } as ClientFrame));
    });
  }

  /** Sends a frame whose answer the caller matches itself (it arrives through `onFrame`). */
  sendFrame(frame: ClientFrame): void {
    this.ws?.sendText(encodeFrame(frame));
  }

  /** `login` on the open socket (platform `web`, a per-user instanceID); state `ready` on success. */
  async logIn(target: ConnTarget, timeoutMs = target.connectTimeoutMs): Promise<LoginResult> {
    const res = await this.request(
      {
        cmd: 'login',
        body: {
          sdkAppID: target.sdkAppID,
          userID: this.userID,
          userSig: genUserSig({ sdkAppID: target.sdkAppID, secretKey: target.secretKey, userID: this.userID, expireSeconds: 86400 }),
          protocolVersion: PROTOCOL_VERSION,
          platform: 'web',
          instanceID: `bench-${this.userID}`,
        },
      },
      timeoutMs,
    );
    if (res.code !== 0) throw new LoginError(res.code, 'message' in res ? res.message : '');
    this.login = (res as { data: LoginResult }).data;
    this.state = 'ready';
    return this.login;
  }

  /** Open + log in. */
  async connect(target: ConnTarget, localAddress?: string): Promise<LoginResult> {
    await this.open(target, localAddress);
    return this.logIn(target);
  }

  /** Gives up on the connection: terminated, pending requests rejected, no `onClose`. */
  drop(): void {
    this.state = 'failed';
    this.ws?.terminate();
    this.rejectAll('connection dropped');
  }

  /** Closing handshake; resolves when the socket is closed (or at once if it is not open). */
  close(code = 1000): Promise<void> {
    const ws = this.ws;
    if (!ws) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      ws.close(code);
    });
  }

  terminate(): void {
    this.ws?.terminate();
  }

  private rejectAll(reason: string): void {
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new RequestError('closed', reason));
    }
    this.waiting.clear();
  }
}

/** Closes every connection (closing handshake, at most `waitMs`), then terminates what is left. */
export async function closeAll(conns: Iterable<Conn>, waitMs: number): Promise<void> {
  const list = [...conns];
  await Promise.race([Promise.all(list.map((c) => c.close())), new Promise((r) => setTimeout(r, waitMs))]);
  for (const c of list) c.terminate();
}

/**
 * Runs `step` over `items` with at most `concurrency` in flight, in order; `onResult` after each
 * (with the error, or `null`). Resolves with the elapsed ms once every step has settled.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  step: (item: T) => Promise<unknown>,
  onResult: (item: T, error: unknown) => void,
): Promise<number> {
  const started = performance.now();
  let cursor = 0;
  const lane = async (): Promise<void> => {
    while (cursor < items.length) {
      const item = items[cursor++] as T;
      let error: unknown = null;
      try {
        await step(item);
      } catch (err) {
        error = err ?? new Error('failed');
      }
      onResult(item, error);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  return performance.now() - started;
}

/**
 * The source address for connection number `index` (numbered across all workers): 127.0.0.1 for
 * the first `perAddress`, then 127.0.0.2, … Linux gives each (source address, destination) its own
 * ephemeral port range (~28k ports by default), so one address runs out past that many sockets to
 * one server port. `undefined` (the kernel's choice, 127.0.0.1) while one address is enough.
 */
export function sourceAddressFor(index: number, perAddress: number, total: number): string | undefined {
  if (total <= perAddress) return undefined;
  const k = Math.floor(index / perAddress);
  if (k > 253) throw new RangeError(`connection ${index} needs source address number ${k + 1}; 127.0.0.x has 254`);
  return `127.0.0.${k + 1}`;
}

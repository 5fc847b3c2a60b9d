/**
 * Tracks requests in two queues (style guide practice 19): `outgoing` (not
 * yet written to a socket, e.g. while reconnecting) and `pending` (written,
 * awaiting `res`). Every request settles: on its response, its timeout, or
 * `rejectAll`. All Parley v1 requests are idempotent, so requests pending on a
 * dropped socket go back to `outgoing` and are re-sent after re-login.
 */
import type { ClientFrame, RequestBodies, RequestCmd, ResponseData } from '@parley/protocol';
import { ImError } from '../errors.js';

interface Entry {
  id: number;
  frame: ClientFrame;
  resolve: (data: unknown) => void;
  reject: (err: ImError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class RequestManager {
  private nextId = 1;
  private readonly outgoing = new Map<number, Entry>();
  private readonly pending = new Map<number, Entry>();

  constructor(private readonly timeoutMs: number) {}

  /** Creates a request; it waits in `outgoing` until `flush` writes it. */
  create<K extends RequestCmd>(cmd: K, body: RequestBodies[K], timeoutMs = this.timeoutMs): { id: number; promise: Promise<ResponseData[K]> } {
    const id = this.nextId++;
    const promise = new Promise<ResponseData[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.outgoing.delete(id);
        this.pending.delete(id);
        reject(ImError.timeout(`request ${cmd}`));
      }, timeoutMs);
      this.outgoing.set(id, { id, frame: { cmd, id, body } as ClientFrame, resolve: resolve as (data: unknown) => void, reject, timer });
    });
    return { id, promise };
  }

  /** Writes every outgoing request (in creation order) and moves it to `pending`. */
  flush(write: (frame: ClientFrame) => void): void {
    const entries = [...this.outgoing.values()].sort((a, b) => a.id - b.id);
    for (const entry of entries) {
      this.outgoing.delete(entry.id);
      this.pending.set(entry.id, entry);
      write(entry.frame);
    }
  }

  /** Sends one request now (used for `login`, which must go first on a new socket). */
  sendNow(id: number, write: (frame: ClientFrame) => void): void {
    const entry = this.outgoing.get(id);
    if (!entry) return;
    this.outgoing.delete(id);
    this.pending.set(id, entry);
    write(entry.frame);
  }

  resolve(id: number, code: number, dataOrMessage: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (code === 0) entry.resolve(dataOrMessage);
    else entry.reject(new ImError(code, typeof dataOrMessage === 'string' ? dataOrMessage : `error ${code}`));
  }

  /** The socket dropped: pending requests go back to `outgoing` to be re-sent (all v1 requests are idempotent). */
  requeuePending(except?: (frame: ClientFrame) => boolean): void {
    for (const entry of this.pending.values()) {
      if (except?.(entry.frame)) continue;
      this.outgoing.set(entry.id, entry);
    }
    this.pending.clear();
  }

  /** Rejects one request (pending or outgoing) if it is still open. */
  reject(id: number, err: ImError): void {
    const entry = this.pending.get(id) ?? this.outgoing.get(id);
    if (!entry) return;
    this.pending.delete(id);
    this.outgoing.delete(id);
    clearTimeout(entry.timer);
    entry.reject(err);
  }

  rejectAll(err: ImError): void {
    for (const entry of [...this.pending.values(), ...this.outgoing.values()]) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
    this.pending.clear();
    this.outgoing.clear();
  }
}

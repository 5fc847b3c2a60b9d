/**
 * The load generator's WebSocket client (RFC 6455), written directly on a TCP socket with
 * only what talking to a Parley server needs: the HTTP upgrade, masked text frames out,
 * unfragmented text frames in (handed over as a view of the received bytes, no copy), pong
 * for ping, the closing handshake. The `ws` client spends more CPU per received frame than
 * the server spends sending it (a stream per socket, an event per message, buffer copies),
 * so with thousands of group members on a 2-core machine the load generator, not the
 * server, was the bottleneck.
 *
 * Deliberately left out: a random nonce per key and a random mask per frame (a counter does;
 * the server only checks their form — RFC 6455 §5.3 wants unpredictable masks to protect
 * intermediaries, and there are none on loopback), checking Sec-WebSocket-Accept (the
 * `101` status is checked), fragmented messages (the server never fragments; one is treated
 * as a protocol error), extensions (the server disables permessage-deflate).
 */
import { connect, type Socket } from 'node:net';

/** Masks in frames and keys come from one counter per process. */
let counter = 0;

/** A client frame: FIN + opcode, the mask bit and length, a 4-byte mask, the masked payload. */
export function maskedFrame(opcode: number, payload: Buffer, mask: number): Buffer {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLen + 4 + len);
  frame[0] = 0x80 | opcode;
  if (len < 126) {
    frame[1] = 0x80 | len;
  } else if (len < 65_536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  frame.writeUInt32BE(mask >>> 0, headerLen);
  const m0 = frame[headerLen]!;
  const m1 = frame[headerLen + 1]!;
  const m2 = frame[headerLen + 2]!;
  const m3 = frame[headerLen + 3]!;
  const out = headerLen + 4;
  for (let i = 0; i < len; i++) {
    const k = i & 3;
    frame[out + i] = payload[i]! ^ (k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3);
  }
  return frame;
}

/** One complete server frame found in a buffer. */
export interface ServerFrameView {
  fin: boolean;
  opcode: number;
  /** Payload bounds within the buffer. */
  start: number;
  end: number;
}

/**
 * Parses unmasked server frames in `buf` from `offset`, calling `onFrame` for each complete one;
 * returns where the first incomplete frame starts. Stops early (returning that frame's end)
 * when `onFrame` returns false.
 */
export function readServerFrames(buf: Buffer, offset: number, onFrame: (frame: ServerFrameView) => boolean | void): number {
  let at = offset;
  while (buf.length - at >= 2) {
    const b0 = buf[at]!;
    let len = buf[at + 1]! & 0x7f;
    let header = 2;
    if (len === 126) {
      if (buf.length - at < 4) break;
      len = buf.readUInt16BE(at + 2);
      header = 4;
    } else if (len === 127) {
      if (buf.length - at < 10) break;
      len = Number(buf.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (buf.length - at < header + len) break;
    const start = at + header;
    at = start + len;
    if (onFrame({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, start, end: at }) === false) break;
  }
  return at;
}

export interface RawWebSocketEvents {
  /** A text message: `buf.subarray(start, end)` is its payload (valid until this call returns). */
  onText(buf: Buffer, start: number, end: number): void;
  /** The connection is gone (after it had opened): the close code the server sent, or 1006. */
  onClose(code: number): void;
}

/** Thrown by `open()`: `reason` is an errno code (ECONNREFUSED, EADDRNOTAVAIL, …), `handshake` or `closed`. */
export class OpenError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
/** How long to wait, after the close frames, for the server to end the TCP connection, ms. */
const CLOSE_WAIT_MS = 2000;

export class RawWebSocket {
  private socket: Socket | null = null;
  private pending: Buffer | null = null;
  /** Frames of this tick, not yet written (see `send`). */
  private outbox: Buffer[] = [];
  private state: 'idle' | 'opening' | 'open' | 'closing' | 'closed' = 'idle';
  private closeCode = 1006;
  /** After the close frames: resets the connection if the server has not ended it in time. */
  private closeTimer: NodeJS.Timeout | null = null;
  private abortOpen: ((err: Error) => void) | null = null;

  constructor(private readonly events: RawWebSocketEvents) {}

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The code of the server's close frame once one has arrived (the socket may still be closing); else `null`. */
  get receivedCloseCode(): number | null {
    return this.state === 'closing' || this.state === 'closed' ? this.closeCode : null;
  }

  /** TCP connect (from `localAddress` when given) and the upgrade; resolves on `101 Switching Protocols`. */
  open(url: string, timeoutMs: number, localAddress?: string): Promise<void> {
    const target = new URL(url);
    const key = Buffer.alloc(16);
    key.writeUInt32BE(++counter >>> 0, 0);
    key.writeUInt32BE(process.pid, 4);
    this.state = 'opening';
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.hostname, port: Number(target.port), ...(localAddress !== undefined ? { localAddress } : {}) });
      this.socket = socket;
      const fail = (err: Error) => {
        if (this.state !== 'opening') return;
        this.state = 'closed';
        this.abortOpen = null;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      this.abortOpen = fail;
      const timer = setTimeout(() => fail(new OpenError('handshake-timeout', `no upgrade within ${timeoutMs} ms`)), timeoutMs);
      socket.setNoDelay(true);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (this.state === 'opening') fail(new OpenError(err.code ?? 'socket', `socket error: ${err.message}`));
      });
      socket.on('close', () => {
        if (this.state === 'opening') fail(new OpenError('closed', 'closed during the upgrade'));
        else this.closed();
      });
      socket.on('connect', () => {
        socket.write(
          `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key.toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      socket.on('data', (chunk: Buffer) => {
        if (this.state !== 'opening') {
          this.onData(chunk);
          return;
        }
        const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          this.pending = buf;
          return;
        }
        this.pending = null;
        const status = buf.toString('latin1', 0, buf.indexOf('\r\n'));
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          fail(new OpenError('handshake', `upgrade refused: ${status}`));
          return;
        }
        clearTimeout(timer);
        this.abortOpen = null;
        this.state = 'open';
        resolve();
        if (buf.length > end + 4) this.onData(buf.subarray(end + 4));
      });
    });
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    const next = readServerFrames(buf, 0, (f) => {
      if (!f.fin) {
        this.protocolError();
        return false;
      }
      switch (f.opcode) {
        case OP_TEXT:
          this.events.onText(buf, f.start, f.end);
          return this.state === 'open' || this.state === 'closing';
        case OP_PING:
          if (this.state === 'open') this.send(OP_PONG, buf.subarray(f.start, f.end));
          return true;
        case OP_PONG:
          return true;
        case OP_CLOSE:
          this.closeCode = f.end - f.start >= 2 ? buf.readUInt16BE(f.start) : 1005;
          // Echo the close unless this side started it. Then wait for the server to end the TCP
          // connection (RFC 6455 §7.1.1), so the TIME_WAIT stays on its side and this side's local
          // port is free at once: ending it here too raced the server's FIN and left most of a
          // cluster-mode run's ports in TIME_WAIT for a minute. Reset it if the server has not
          // closed it within CLOSE_WAIT_MS.
          if (this.state === 'open') this.send(OP_CLOSE, buf.subarray(f.start, Math.min(f.end, f.start + 2)));
          this.state = 'closing';
          if (this.closeTimer === null) {
            this.closeTimer = setTimeout(() => this.terminate(), CLOSE_WAIT_MS);
            this.closeTimer.unref();
          }
          return false;
        default:
          this.protocolError();
          return false;
      }
    });
    if (this.socket === null || this.state === 'closed') return;
    // Keep an incomplete frame (copied: the chunk belongs to the socket's reader).
    this.pending = next < buf.length ? Buffer.from(buf.subarray(next)) : null;
  }

  private protocolError(): void {
    this.closeCode = 1002;
    this.terminate();
  }

  /**
   * Frames go out once per tick, all of a socket's in one write: a sender refills its window as
   * a batch of acks arrives, and a write per frame cost the load generator a syscall (and the
   * loopback's TCP work, done in the writer's context) per message — a third of its CPU.
   */
  private send(opcode: number, payload: Buffer): void {
    if (this.socket === null) return;
    this.outbox.push(maskedFrame(opcode, payload, Math.imul(++counter, 2654435761)));
    if (this.outbox.length === 1) process.nextTick(this.flush);
  }

  private readonly flush = (): void => {
    const frames = this.outbox;
    if (frames.length === 0) return;
    this.outbox = [];
    this.socket?.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  };

  sendText(text: string): void {
    if (this.state === 'open') this.send(OP_TEXT, Buffer.from(text));
  }

  /** Starts the closing handshake; `onClose` fires when the server has closed the connection. */
  close(code = 1000): void {
    if (this.state !== 'open') return;
    const payload = Buffer.allocUnsafe(2);
    payload.writeUInt16BE(code, 0);
    this.send(OP_CLOSE, payload);
    this.state = 'closing';
  }

  /**
   * Destroys the connection at once (no closing handshake); `onClose` fires if it had opened.
   * An established connection is reset (RST) rather than closed (FIN): closing first would leave
   * it in TIME_WAIT on this side for a minute, holding a local port of the source address, and a
   * run that gives up on many sockets at its end (a slow server's closing handshakes) would leave
   * the next run too few ports.
   */
  terminate(): void {
    if (this.state === 'opening') {
      this.abortOpen?.(new OpenError('dropped', 'connection dropped while opening'));
      return;
    }
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    if (socket.readyState === 'open') socket.resetAndDestroy();
    else socket.destroy();
  }

  private closed(): void {
    if (this.state === 'closed') return;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    this.state = 'closed';
    this.socket = null;
    this.pending = null;
    this.outbox = [];
    this.events.onClose(this.closeCode);
  }
}

/**
 * The leanest possible login, for login-storm: a WebSocket client written directly on a TCP
 * socket, with just what one handshake needs — the HTTP upgrade (RFC 6455 §4.1), one masked
 * text frame out (`login`), text frames in until its answer, a close frame. The `ws` client
 * costs the load generator about as much CPU per connection as the server spends on the whole
 * login (an http.ClientRequest, stream machinery, 16 random bytes from the kernel for every
 * key and mask), which made the load generator the bottleneck of a storm on a small machine.
 *
 * What it leaves out, deliberately: a random nonce per key and a random mask per frame
 * (a counter does; the server only checks their form — RFC 6455 wants them unpredictable
 * to protect intermediaries, and there are none on loopback), checking Sec-WebSocket-Accept,
 * fragmented frames, pings (none come within a login), extensions.
 */
import { connect, type Socket } from 'node:net';
import { PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientFrame } from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { ConnectError, LoginError, RequestError, type ConnTarget } from './conn.js';

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

/**
 * Unmasked server frames in `buf` from `offset`: calls `onText` for each complete text frame and
 * returns where the first incomplete frame starts, or -1 on a close frame.
 */
export function readServerFrames(buf: Buffer, offset: number, onText: (text: string) => void): number {
  let at = offset;
  while (buf.length - at >= 2) {
    const opcode = buf[at]! & 0x0f;
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
    if (opcode === 0x8) return -1;
    if (opcode === 0x1) onText(buf.toString('utf8', at + header, at + header + len));
    at += header + len;
  }
  return at;
}

/**
 * Opens a connection, upgrades it, logs `userID` in, and closes it (close frame; the server
 * then closes the TCP connection). Resolves when the login is answered with code 0.
 */
export function rawLogin(target: ConnTarget, userID: string, timeoutMs: number, localAddress?: string): Promise<void> {
  const url = new URL(target.url);
  const n = ++counter;
  // 16 bytes, base64: the form the server checks.
  const key = Buffer.alloc(16);
  key.writeUInt32BE(n >>> 0, 0);
  key.writeUInt32BE(process.pid, 4);
  const login: ClientFrame = {
    cmd: 'login',
    id: 1,
    body: {
      sdkAppID: target.sdkAppID,
      userID,
      userSig: genUserSig({ sdkAppID: target.sdkAppID, secretKey: target.secretKey, userID, expireSeconds: 86400 }),
      protocolVersion: PROTOCOL_VERSION,
      platform: 'web',
      instanceID: `bench-${userID}`,
    },
  };
  return new Promise((resolve, reject) => {
    let socket: Socket | null = null;
    let settled = false;
    let upgraded = false;
    let pending: Buffer = Buffer.alloc(0);
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === null) {
        // Close handshake: the server answers with a close frame and ends the TCP connection.
        socket?.end(maskedFrame(0x8, Buffer.from([0x03, 0xe8]), n * 2654435761));
        socket?.once('end', () => socket?.destroy());
        socket?.setTimeout(5000, () => socket?.destroy());
        resolve();
      } else {
        socket?.destroy();
        reject(err);
      }
    };
    const timer = setTimeout(() => finish(new RequestError('timeout', `no login answer within ${timeoutMs} ms`)), timeoutMs);
    socket = connect({ host: url.hostname, port: Number(url.port), ...(localAddress !== undefined ? { localAddress } : {}) });
    socket.setNoDelay(true);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(new ConnectError(err.code ?? 'socket', `socket error: ${err.message}`)));
    socket.on('close', () => finish(new ConnectError('closed', 'closed before the login was answered')));
    socket.on('connect', () => {
      socket!.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key.toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = pending.toString('latin1', 0, pending.indexOf('\r\n'));
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          finish(new ConnectError('handshake', `upgrade refused: ${status}`));
          return;
        }
        upgraded = true;
        at = end + 4;
        socket!.write(maskedFrame(0x1, Buffer.from(encodeFrame(login)), n * 2654435761));
      }
      const next = readServerFrames(pending, at, (text) => {
        const frame = decodeServerFrame(text);
        if (frame?.cmd !== 'res' || frame.id !== 1) return;
        if (frame.code === 0) finish(null);
        else finish(new LoginError(frame.code, 'message' in frame ? frame.message : ''));
      });
      if (next < 0) finish(new ConnectError('closed', 'the server closed the connection during login'));
      else pending = pending.subarray(next);
    });
  });
}

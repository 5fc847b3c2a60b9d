import { once } from 'node:events';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { ConnectError, failureReason, LoginError, RequestError, sourceAddressFor } from '../src/conn.js';
import { benchText, parseBenchText } from '../src/endpoints.js';
import { maskedFrame, RawWebSocket, readServerFrames } from '../src/raw-ws.js';

describe('sourceAddressFor', () => {
  it('leaves the choice to the kernel while one address is enough', () => {
    expect(sourceAddressFor(0, 26_000, 20_000)).toBeUndefined();
    expect(sourceAddressFor(19_999, 26_000, 26_000)).toBeUndefined();
  });

  it('moves to the next 127.0.0.x every perAddress connections', () => {
    expect(sourceAddressFor(0, 26_000, 100_000)).toBe('127.0.0.1');
    expect(sourceAddressFor(25_999, 26_000, 100_000)).toBe('127.0.0.1');
    expect(sourceAddressFor(26_000, 26_000, 100_000)).toBe('127.0.0.2');
    expect(sourceAddressFor(99_999, 26_000, 100_000)).toBe('127.0.0.4');
    expect(() => sourceAddressFor(254 * 1000, 1000, 300_000)).toThrow(RangeError);
  });
});

describe('failureReason', () => {
  it('names the login code, the errno code, or the request failure', () => {
    expect(failureReason(new LoginError(70001, 'expired'))).toBe('70001');
    expect(failureReason(new ConnectError('EADDRNOTAVAIL', 'x'))).toBe('EADDRNOTAVAIL');
    expect(failureReason(new RequestError('timeout', 'x'))).toBe('timeout');
    expect(failureReason(new Error('x'))).toBe('other');
  });
});

describe('bench message text', () => {
  it('round-trips the due time and number', () => {
    expect(parseBenchText(benchText(1700000000123.456, 1700000000100.5, 42))).toEqual({ dueEpoch: 1700000000100.5, n: 42 });
    expect(parseBenchText('hello')).toBeNull();
    expect(parseBenchText(undefined)).toBeNull();
  });
});

describe('raw-ws frames', () => {
  it('masks a client frame so that unmasking restores the payload', () => {
    const payload = Buffer.from('{"cmd":"login","id":1}');
    const frame = maskedFrame(0x1, payload, 0x12345678);
    expect(frame[0]).toBe(0x81);
    expect(frame[1]).toBe(0x80 | payload.length);
    const mask = frame.subarray(2, 6);
    const unmasked = Buffer.from(frame.subarray(6).map((b, i) => b ^ mask[i % 4]!));
    expect(unmasked.toString()).toBe(payload.toString());
  });

  it('uses the 16-bit length form from 126 bytes on', () => {
    const frame = maskedFrame(0x1, Buffer.alloc(300, 0x61), 1);
    expect(frame[1]).toBe(0x80 | 126);
    expect(frame.readUInt16BE(2)).toBe(300);
    expect(frame.length).toBe(4 + 4 + 300);
  });

  it('reads complete server text frames and stops at an incomplete one or a close', () => {
    const text = (s: string) => Buffer.concat([Buffer.from([0x81, s.length]), Buffer.from(s)]);
    const long = 'x'.repeat(200);
    const longFrame = Buffer.concat([Buffer.from([0x81, 126, 0, 200]), Buffer.from(long)]);
    const got: string[] = [];
    const buf = Buffer.concat([text('a'), longFrame, text('bc').subarray(0, 3)]);
    const next = readServerFrames(buf, 0, (f) => {
      expect(f).toMatchObject({ fin: true, opcode: 1 });
      got.push(buf.toString('utf8', f.start, f.end));
    });
    expect(got).toEqual(['a', long]);
    expect(next).toBe(3 + 204);
  });

  it('stops where the frame handler says so', () => {
    const frames = Buffer.from([0x88, 2, 0x03, 0xe8, 0x81, 1, 0x61]);
    const seen: number[] = [];
    expect(readServerFrames(frames, 0, (f) => (seen.push(f.opcode), false))).toBe(4);
    expect(seen).toEqual([8]);
  });

  it('writes the frames of one tick in one write, and later ones after them', async () => {
    // A bare TCP server that accepts the upgrade and records what arrives.
    const received: Buffer[] = [];
    let upgraded = false;
    const server = createServer((socket: Socket) => {
      socket.on('error', () => undefined); // terminate() resets the connection
      socket.on('data', (chunk: Buffer) => {
        if (!upgraded) {
          upgraded = true;
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
          return;
        }
        received.push(chunk);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new RawWebSocket({ onText: () => undefined, onClose: () => undefined });
    // Both ends share this process, so the server reads whatever arrived in one chunk either way:
    // the writes are counted where they are made.
    const writes = vi.spyOn(Socket.prototype, 'write');
    try {
      await ws.open(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, 2000);
      writes.mockClear();
      ws.sendText('one');
      ws.sendText('two');
      ws.sendText('three');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(writes).toHaveBeenCalledTimes(1);
      ws.sendText('four');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(writes).toHaveBeenCalledTimes(2);
      const all = Buffer.concat(received);
      const texts: string[] = [];
      for (let at = 0; at < all.length; ) {
        const len = all[at + 1]! & 0x7f;
        const mask = all.subarray(at + 2, at + 6);
        texts.push(Buffer.from(all.subarray(at + 6, at + 6 + len).map((b, i) => b ^ mask[i % 4]!)).toString());
        at += 6 + len;
      }
      expect(texts).toEqual(['one', 'two', 'three', 'four']);
    } finally {
      writes.mockRestore();
      ws.terminate();
      server.close();
    }
  });
});

/**
 * The outbound path (gateway/frame-writer.ts): frames built once and written
 * coalesced per socket must arrive intact and in order, whatever their size
 * and characters; a client that stops reading is cut off with SlowConsumer
 * (4010) once its send buffer passes the limit, and a fresh connection then
 * fills the gap from the server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, isRetryableClose, type WireMessage } from '@parley/protocol';
import { startTestServer, waitUntil, type TestServer } from '@parley/testing';
import type { Socket } from 'node:net';
import { wsTextFrame } from '../../src/gateway/frame-writer.js';
import { ClientPool, expectOk, pushes, textMessage, type ResFrame } from '../helpers.js';

const pool = new ClientPool();
let srv: TestServer | null = null;

afterEach(async () => {
  pool.closeAll();
  await srv?.close();
  srv = null;
});

describe('wsTextFrame', () => {
  it('builds RFC 6455 text frames with 7-bit, 16-bit and 64-bit lengths', () => {
    for (const [text, headerLength] of [
      ['a'.repeat(125), 2],
      ['é'.repeat(63), 4], // 126 bytes in UTF-8: the first 16-bit length
      ['x'.repeat(65_535), 4],
      ['y'.repeat(65_536), 10],
    ] as const) {
      const frame = wsTextFrame(text);
      const bytes = Buffer.byteLength(text);
      expect(frame[0]).toBe(0x81);
      expect(frame.length).toBe(headerLength + bytes);
      const declared = headerLength === 2 ? frame[1] : headerLength === 4 ? frame.readUInt16BE(2) : frame.readUInt32BE(6);
      expect(frame[1]).toBe(headerLength === 2 ? bytes : headerLength === 4 ? 126 : 127);
      expect(declared).toBe(bytes);
      expect(frame.subarray(headerLength).toString('utf8')).toBe(text);
    }
  });

  it('returns the same bytes for the same text and fresh bytes for a different one', () => {
    const a = wsTextFrame('{"cmd":"push"}');
    expect(wsTextFrame('{"cmd":"push"}')).toBe(a);
    const b = wsTextFrame('{"cmd":"pull"}');
    expect(b).not.toBe(a);
    expect(b.subarray(2).toString()).toBe('{"cmd":"pull"}');
  });
});

describe('coalesced writes', () => {
  it('delivers a pipelined burst of acks and pushes intact and in order (multi-byte text, sizes across header forms)', async () => {
    srv = await startTestServer({ config: { maxWebInstances: 0 } });
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const texts = Array.from({ length: 200 }, (_, i) => `${i} ${'ü→😀'.repeat(i * 6)}`);
    const acks = await Promise.all(texts.map((text) => alice.request('msg.send', { message: textMessage('bob', text) })));
    const seqs = acks.map((r: ResFrame) => expectOk<{ message: WireMessage }>(r).message.seq);
    expect(seqs).toEqual(texts.map((_, i) => i + 1));
    await waitUntil(() => pushes<WireMessage>(bob, 'push.message').length === texts.length, 'every push');
    const got = pushes<WireMessage>(bob, 'push.message');
    expect(got.map((m) => m.seq)).toEqual(seqs);
    expect(got.map((m) => (m.payload as { text: string }).text)).toEqual(texts);
  });
});

describe('slow consumers', () => {
  it('cuts off a client that stops reading with 4010 (retryable); its next connection fills the gap', async () => {
    srv = await startTestServer({ config: { maxWebInstances: 0, maxSocketBufferBytes: 64 * 1024 } });
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    // Bob's client stops reading: the kernel buffers fill, then the server's send buffer grows.
    (bob.ws as unknown as { _socket: Socket })._socket.pause();
    const big = 'z'.repeat(10_000);
    let sent = 0;
    const health = async (): Promise<number> => ((await (await fetch(`${srv!.httpUrl}/healthz`)).json()) as { connections: number }).connections;
    expect(await health()).toBe(2);
    // Send until the server has dropped bob (bounded: 40 MB at most).
    while (sent < 4000 && (await health()) === 2) {
      const batch = Array.from({ length: 50 }, (_, i) => alice.request('msg.send', { message: textMessage('bob', `${sent + i} ${big}`) }));
      for (const res of await Promise.all(batch)) expectOk(res);
      sent += 50;
    }
    expect(await health()).toBe(1);
    expect(sent).toBeLessThan(4000);
    // Resumed, bob's socket reports the close the server sent (or an abnormal close if it was cut first).
    (bob.ws as unknown as { _socket: Socket })._socket.resume();
    const { code } = await bob.closed;
    expect([CloseCode.SlowConsumer, 1006]).toContain(code);
    expect(isRetryableClose(CloseCode.SlowConsumer)).toBe(true);
    // The sender was never held up, and every acked message is there for bob's next connection.
    const again = await pool.login(srv, 'bob');
    const pulled = expectOk<{ messages: WireMessage[]; upToSeq: number }>(
      await again.request('msg.pull', { conversationID: 'C2Calice', afterSeq: sent - 5, limit: 100 }),
    );
    expect(pulled.messages.map((m) => m.seq)).toEqual([sent - 4, sent - 3, sent - 2, sent - 1, sent]);
    expect(pulled.upToSeq).toBe(sent);
  });
});

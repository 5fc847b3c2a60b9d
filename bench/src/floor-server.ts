/**
 * The `floor` workload's bare WebSocket server (floor-run.ts forks it): `ws` on loopback with
 * permessage-deflate off, as the Parley server runs it, and nothing else: no login, no protocol,
 * no storage. `echo` answers each message with itself; `fanout` writes one prebuilt frame per
 * message to every connected socket's net.Socket, built by the server's own `wsTextFrame`. What it
 * costs is the machine's floor under the server's own work.
 *
 * IPC in: `{ t: 'fanout', rate, durationMs, bytes }`, `{ t: 'cpu' }`. IPC out: `{ t: 'listening', port }`,
 * `{ t: 'cpu', userMs, systemMs }`, `{ t: 'fanout-done', messages, skipped }`.
 */
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { wsTextFrame } from '@parley/server';

export type FloorServerMode = 'echo' | 'fanout';

export type ToFloorServer = { t: 'fanout'; rate: number; durationMs: number; bytes: number } | { t: 'cpu' };
export type FromFloorServer =
  | { t: 'listening'; port: number }
  | { t: 'cpu'; userMs: number; systemMs: number }
  | { t: 'fanout-done'; messages: number; skipped: number };

/** A socket with more than this unsent is skipped for a message (counted), as a slow consumer would be shed. */
const MAX_UNSENT_BYTES = 256 * 1024;

/**
 * A fan-out message's payload: `{"t":<sent at, ms since the epoch>,"p":"xxx…"}`, padded to `bytes`
 * (at least the stamp). The receiver reads the stamp back with `stampOf`.
 */
export function fanoutPayload(sentAtMs: number, bytes: number): string {
  const head = `{"t":${sentAtMs.toFixed(3)},"p":"`;
  const pad = Math.max(0, bytes - head.length - 2);
  return head + 'x'.repeat(pad) + '"}';
}

/** The stamp `fanoutPayload` wrote, or NaN. */
export function stampOf(buf: Buffer, start: number, end: number): number {
  const comma = buf.indexOf(0x2c, start);
  if (comma < 0 || comma > end || buf[start + 1] !== 0x22 || buf[start + 2] !== 0x74) return Number.NaN;
  return Number(buf.toString('latin1', start + 5, comma));
}

function main(): void {
  const mode = process.argv[2] as FloorServerMode;
  if (mode !== 'echo' && mode !== 'fanout') throw new Error(`floor-server: mode must be echo or fanout (got ${String(mode)})`);
  const send = (msg: FromFloorServer): void => void process.send?.(msg);
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => undefined);
    if (mode === 'echo') {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      return;
    }
    // ws keeps its net.Socket in `_socket` (not in its typings); the Parley server writes there too.
    const socket = (ws as unknown as { _socket: Socket })._socket;
    sockets.add(socket);
    ws.on('close', () => sockets.delete(socket));
  });
  wss.on('listening', () => {
    const address = wss.address();
    if (typeof address === 'object' && address !== null) send({ t: 'listening', port: address.port });
  });

  process.on('message', (msg: ToFloorServer) => {
    if (msg.t === 'cpu') {
      const u = process.cpuUsage();
      send({ t: 'cpu', userMs: u.user / 1000, systemMs: u.system / 1000 });
    } else if (msg.t === 'fanout') {
      fanout(msg.rate, msg.durationMs, msg.bytes, (messages, skipped) => send({ t: 'fanout-done', messages, skipped }));
    }
  });
  process.on('disconnect', () => process.exit(0));

  /** `rate` messages a second to every socket (0: the next as soon as the last one's writes were handed to the kernel). */
  function fanout(rate: number, durationMs: number, bytes: number, done: (messages: number, skipped: number) => void): void {
    const start = performance.now();
    let messages = 0;
    let skipped = 0;
    const round = (): void => {
      const now = performance.now();
      if (now - start >= durationMs) {
        done(messages, skipped);
        return;
      }
      // Serialised once per message, as the server does; one write per socket.
      const frame = wsTextFrame(fanoutPayload(performance.timeOrigin + now, bytes));
      for (const socket of sockets) {
        if (socket.writableLength > MAX_UNSENT_BYTES) skipped++;
        else socket.write(frame);
      }
      messages++;
      if (rate === 0) setImmediate(round);
      else setTimeout(round, Math.max(0, start + (messages * 1000) / rate - performance.now()));
    };
    round();
  }
}

// Only as the forked entry script: the runner and the tests import the frame helpers above.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) main();

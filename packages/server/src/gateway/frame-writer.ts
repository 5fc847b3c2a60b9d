/**
 * Outbound frames, written the cheap way.
 *
 * - A frame's bytes (WebSocket header + UTF-8 JSON) are built once and the
 *   same Buffer goes to every recipient socket: a group fan-out to N sockets
 *   encodes once, not N times (`wsTextFrame` keeps the last frame built, and
 *   fan-out loops hand it the same string over and over).
 * - Writes are coalesced per socket: the first write corks the socket and
 *   one `setImmediate` uncorks every socket corked since, after the event
 *   loop's I/O phase. The acks and pushes a socket gets in one loop turn
 *   leave in one `writev` instead of one syscall each, including pushes that
 *   arrive as separate reads of another connection (a node in cluster mode
 *   receives large group fan-outs from Redis one read at a time: with a
 *   per-tick uncork each became its own write to every socket, 10× the
 *   syscalls, and that node fell seconds behind).
 * - Backpressure: a socket whose unsent bytes, after the tick's writev, exceed
 *   the limit is reported as a slow consumer (the gateway closes it with SlowConsumer; the client
 *   reconnects and fills the gap from the server, so nothing is lost and
 *   memory stays bounded).
 *
 * We write to ws's underlying net.Socket (`ws._socket`, not in ws's typings):
 * permessage-deflate is off and we never send Blobs, so ws's own Sender never
 * queues and writes in call order, exactly like ours; control frames (ping,
 * pong, close) still go through ws and interleave whole.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

let lastText: string | null = null;
let lastFrame: Buffer | null = null;

/** One unmasked, final text frame for `text` (RFC 6455 §5.2), header and payload in one Buffer. */
export function wsTextFrame(text: string): Buffer {
  if (text === lastText && lastFrame !== null) return lastFrame;
  const length = Buffer.byteLength(text, 'utf8');
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + text
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  frame.write(text, headerLength, 'utf8');
  lastText = text;
  lastFrame = frame;
  return frame;
}

/** A socket plus what to do once its writes of a tick have been handed to the kernel. */
export interface OutboundSocket {
  readonly socket: Socket;
  /** Called after the tick's uncork; `socket.writableLength` is then what the kernel did not take. */
  afterFlush(): void;
}

const corked: OutboundSocket[] = [];

function uncorkAll(): void {
  // Take the list first: afterFlush may close sockets, and new writes must start a new tick's list.
  const batch = corked.splice(0, corked.length);
  for (const target of batch) target.socket.uncork();
  for (const target of batch) target.afterFlush();
}

/** The net.Socket under a server-side ws WebSocket (private in ws; see the module comment). */
export function rawSocketOf(ws: WebSocket): Socket | null {
  const socket = (ws as unknown as { _socket?: Socket | null })._socket;
  return socket ?? null;
}

/** Queues `text` as one text frame on the socket, coalesced with the other writes of this tick (one writev when the tick ends). */
export function writeTextFrame(target: OutboundSocket, text: string): void {
  const { socket } = target;
  if (socket.destroyed || !socket.writable) return;
  if (socket.writableCorked === 0) {
    socket.cork();
    if (corked.push(target) === 1) setImmediate(uncorkAll);
  }
  socket.write(wsTextFrame(text));
}

/** One WebSocket's life on the server: login state, liveness, protocol-violation budget. */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { encodeFrame, type ServerFrame } from '@parley/protocol';
import { rawSocketOf, writeTextFrame, type OutboundSocket } from './frame-writer.js';

/** What a connection does when its peer reads too slowly. */
export interface OutboundPolicy {
  /** Unsent bytes a socket may hold before its client counts as a slow consumer. */
  maxBufferedBytes: number;
  /** Called once when the limit is passed (the gateway closes the connection). */
  onSlowConsumer(connection: ClientConnection): void;
}

/** 'anonymous': not logged in, joined AVChatRooms with `group.join-anonymous` (receives their live messages only). */
export type ConnectionState = 'awaiting-login' | 'logging-in' | 'ready' | 'anonymous' | 'closed';

export class ClientConnection {
  state: ConnectionState = 'awaiting-login';
  userID = '';
  instanceID = '';
  platform = '';
  /** Host header of the WebSocket upgrade request (base of the upload URLs handed to this client). */
  host = '';
  /** When login completed, ms (orders instances for the multi-instance rule). */
  openedAt = 0;
  /** Last time anything (frame or pong) arrived, ms. */
  lastSeenMs: number;
  /** Protocol violations in the current window. */
  violations = 0;
  violationWindowStart: number;
  /** Requests received but not yet answered. */
  inFlight = 0;
  sigExpiryTimer: NodeJS.Timeout | null = null;
  loginTimer: NodeJS.Timeout | null = null;
  /** AVChatRooms this connection joined (live membership; see RoomRegistry). */
  readonly rooms = new Set<string>();
  /** Where coalesced frames go (null only if ws has no raw socket: then plain ws.send). */
  private readonly outboundSocket: OutboundSocket | null;
  private slow = false;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    now: number,
    private readonly outbound: OutboundPolicy,
  ) {
    this.lastSeenMs = now;
    this.violationWindowStart = now;
    const socket = rawSocketOf(ws);
    this.outboundSocket = socket ? { socket, afterFlush: () => this.checkBacklog(socket) } : null;
  }

  send(frame: ServerFrame): void {
    this.sendRaw(encodeFrame(frame));
  }

  /** Sends an already-serialised frame (fan-out path: serialised once for all sockets). */
  sendRaw(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN || this.slow) return;
    if (this.outboundSocket) writeTextFrame(this.outboundSocket, text);
    else this.ws.send(text);
  }

  /** After a tick's writes went out: bytes the kernel would not take pile up here when the peer stops reading. */
  private checkBacklog(socket: Socket): void {
    if (this.slow || socket.writableLength <= this.outbound.maxBufferedBytes) return;
    this.slow = true;
    this.outbound.onSlowConsumer(this);
  }

  clearTimers(): void {
    if (this.sigExpiryTimer) clearTimeout(this.sigExpiryTimer);
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.sigExpiryTimer = null;
    this.loginTimer = null;
  }
}

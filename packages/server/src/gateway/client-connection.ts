/** One WebSocket's life on the server: login state, liveness, protocol-violation budget. */
import type { WebSocket } from 'ws';
import { encodeFrame, type ServerFrame } from '@parley/protocol';

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

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    now: number,
  ) {
    this.lastSeenMs = now;
    this.violationWindowStart = now;
  }

  send(frame: ServerFrame): void {
    this.sendRaw(encodeFrame(frame));
  }

  /** Sends an already-serialised frame (fan-out path: serialised once for all sockets). */
  sendRaw(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  clearTimers(): void {
    if (this.sigExpiryTimer) clearTimeout(this.sigExpiryTimer);
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.sigExpiryTimer = null;
    this.loginTimer = null;
  }
}

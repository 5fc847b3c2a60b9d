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

const NO_ROOMS: ReadonlySet<string> = new Set();

/** A connection is its own OutboundSocket (frame-writer.ts): no extra object or closure per socket. */
export class ClientConnection implements OutboundSocket {
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
  /** When the session's UserSig expires, ms (0 until login); the gateway's deadline queue watches it. */
  sigExpiresAtMs = 0;
  loginTimer: NodeJS.Timeout | null = null;
  /** The raw socket coalesced frames go to (null only if ws exposes none: then plain ws.send). */
  readonly socket: Socket;
  private readonly hasSocket: boolean;
  private slow = false;
  /** AVChatRooms this connection joined (live membership; see RoomRegistry); allocated on the first join. */
  private joinedRooms: Set<string> | null = null;

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
    this.hasSocket = socket !== null;
    // ws always exposes its socket on the server side; without one, sendRaw falls back to ws.send.
    this.socket = socket as Socket;
  }

  get rooms(): ReadonlySet<string> {
    return this.joinedRooms ?? NO_ROOMS;
  }

  /** RoomRegistry bookkeeping: false when already in (add) / not in (remove) the room. */
  addRoom(groupID: string): boolean {
    this.joinedRooms ??= new Set();
    if (this.joinedRooms.has(groupID)) return false;
    this.joinedRooms.add(groupID);
    return true;
  }

  removeRoom(groupID: string): boolean {
    const removed = this.joinedRooms?.delete(groupID) ?? false;
    if (this.joinedRooms?.size === 0) this.joinedRooms = null;
    return removed;
  }

  send(frame: ServerFrame): void {
    this.sendRaw(encodeFrame(frame));
  }

  /** Sends an already-serialised frame (fan-out path: serialised once for all sockets). */
  sendRaw(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN || this.slow) return;
    if (this.hasSocket) writeTextFrame(this, text);
    else this.ws.send(text);
  }

  /** After a tick's writes went out: bytes the kernel would not take pile up here when the peer stops reading. */
  afterFlush(): void {
    if (this.slow || this.socket.writableLength <= this.outbound.maxBufferedBytes) return;
    this.slow = true;
    this.outbound.onSlowConsumer(this);
  }

  clearTimers(): void {
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.loginTimer = null;
  }
}

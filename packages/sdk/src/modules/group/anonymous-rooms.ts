/**
 * Anonymous AVChatRoom membership (spec §4.7 joinGroup before login): a
 * separate socket that never logs in, joins rooms with `group.join-anonymous`
 * and receives their live messages. Sends pings to stay alive and, if the
 * socket drops, reconnects with backoff and joins its rooms again.
 */
import {
  ErrorCode,
  decodeServerFrame,
  encodeFrame,
  type ClientFrame,
  type RequestBodies,
  type RequestCmd,
  type ResponseData,
  type SystemNoticePush,
  type WireMessage,
} from '@parley/protocol';
import type { ReconnectPolicy } from '../../connection/reconnect-policy.js';
import { openWebSocketTransport, type Transport, type WebSocketConstructor } from '../../connection/transport.js';
import { ImError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { RequestManager } from '../../rpc/request-manager.js';

export interface AnonymousRoomsOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  sdkAppID: number;
  requestTimeoutMs: number;
  reconnectPolicy: ReconnectPolicy;
  log: Logger;
  /** A room's live message or tip. */
  onMessage(message: WireMessage): void;
  /** A system notice to the room (dismissal: the room is already dropped here). */
  onNotice(data: SystemNoticePush['data']): void;
}

/** How often the anonymous socket pings (the server reaps sockets silent for 2.5 heartbeat intervals). */
const PING_INTERVAL_MS = 10_000;

export class AnonymousRooms {
  private readonly rooms = new Set<string>();
  private readonly requests: RequestManager;
  private transport: Transport | null = null;
  private opening: Promise<void> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private generation = 0;

  constructor(private readonly options: AnonymousRoomsOptions) {
    this.requests = new RequestManager(options.requestTimeoutMs);
  }

  has(groupID: string): boolean {
    return this.rooms.has(groupID);
  }

  list(): string[] {
    return [...this.rooms];
  }

  /** Joins a room anonymously (opens the socket first if needed). */
  async join(groupID: string): Promise<void> {
    await this.open();
    await this.request('group.join-anonymous', { sdkAppID: this.options.sdkAppID, groupID });
    this.rooms.add(groupID);
  }

  /** Leaves a room (best effort on the wire); the socket closes with the last room. */
  async quit(groupID: string): Promise<void> {
    if (!this.rooms.delete(groupID)) return;
    if (this.transport) await this.request('group.quit', { groupID }).catch(() => undefined);
    if (this.rooms.size === 0) this.close();
  }

  /** Leaves every room and closes the socket. */
  close(): void {
    this.rooms.clear();
    this.generation++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
    this.transport?.close(1000, 'anonymous rooms closed');
    this.transport = null;
    this.opening = null;
    this.requests.rejectAll(new ImError(ErrorCode.NoNetwork, 'anonymous room socket closed'));
  }

  private request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]> {
    const { promise } = this.requests.create(cmd, body);
    if (this.transport) this.requests.flush((f) => this.write(f));
    return promise;
  }

  private open(): Promise<void> {
    if (this.transport) return Promise.resolve();
    if (this.opening) return this.opening;
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    this.opening = new Promise<void>((resolve, reject) => {
      let opened = false;
      const transport = openWebSocketTransport(this.options.WebSocket, this.options.url, {
        onOpen: () => {
          if (!current()) return;
          opened = true;
          this.transport = transport;
          this.opening = null;
          this.attempt = 0;
          this.startPing();
          this.requests.flush((f) => this.write(f));
          resolve();
        },
        onText: (text) => {
          if (current()) this.onText(text);
        },
        onClose: (code, reason) => {
          if (!current()) return;
          this.transport = null;
          this.opening = null;
          this.stopPing();
          if (!opened) {
            reject(new ImError(ErrorCode.NetworkError, `could not reach the server (${code}${reason ? `: ${reason}` : ''})`));
            return;
          }
          this.requests.requeuePending();
          if (this.rooms.size > 0) this.scheduleReconnect();
        },
      });
    });
    return this.opening;
  }

  private scheduleReconnect(): void {
    const delay = this.options.reconnectPolicy.nextDelayMs({ attempt: this.attempt++, elapsedMs: 0 });
    if (delay === null) {
      this.close();
      return;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      const rooms = [...this.rooms];
      if (rooms.length === 0) return;
      this.open()
        .then(() => Promise.all(rooms.map((groupID) => this.request('group.join-anonymous', { sdkAppID: this.options.sdkAppID, groupID }))))
        .catch((err: unknown) => {
          this.options.log.warn('anonymous room rejoin failed', err);
          if (!this.transport && this.rooms.size > 0) this.scheduleReconnect();
        });
    }, delay);
  }

  private onText(text: string): void {
    const frame = decodeServerFrame(text);
    if (!frame) return;
    if (frame.cmd === 'res') {
      this.requests.resolve(frame.id, frame.code, frame.code === 0 ? (frame as { data: unknown }).data : (frame as { message: string }).message);
      return;
    }
    if (frame.cmd === 'push.message') {
      if (this.rooms.has(frame.data.to)) this.options.onMessage(frame.data);
      return;
    }
    if (frame.cmd === 'push.system-notice') {
      if (!this.rooms.has(frame.data.groupID)) return;
      if (frame.data.payload.operationType === 5) {
        this.rooms.delete(frame.data.groupID);
        if (this.rooms.size === 0) this.close();
      }
      this.options.onNotice(frame.data);
    }
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      this.request('ping', {}).catch(() => undefined);
    }, PING_INTERVAL_MS);
    (this.pingTimer as { unref?: () => void }).unref?.();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private write(frame: ClientFrame): void {
    this.transport?.send(encodeFrame(frame));
  }
}

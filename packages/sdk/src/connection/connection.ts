/**
 * One logical connection to the server: opens sockets, authenticates each
 * with `login` (re-authenticating after every reconnect), runs the heartbeat,
 * routes responses to the request manager and pushes to the owner, and
 * reconnects with backoff until stopped or terminally closed.
 */
import {
  CloseCode,
  ErrorCode,
  decodeServerFrame,
  encodeFrame,
  isRetryableClose,
  type ClientFrame,
  type KickedPush,
  type LoginBody,
  type LoginResult,
  type PushFrame,
  type RequestBodies,
  type RequestCmd,
  type ResponseData,
} from '@parley/protocol';
import { ImError } from '../errors.js';
import type { Logger } from '../logger.js';
import { RequestManager } from '../rpc/request-manager.js';
import { canTransition, type ConnectionState } from './connection-state.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { openWebSocketTransport, type Transport, type WebSocketConstructor } from './transport.js';

export type KickType = KickedPush['data']['type'];

/** The kick a terminal close code stands for when its `push.kicked` was not seen. */
export function kickTypeOfClose(code: number): KickType | undefined {
  switch (code) {
    case CloseCode.Kicked:
      return 'multipleAccount';
    case CloseCode.UserSigExpired:
      return 'userSigExpired';
    case CloseCode.KickedByAdmin:
      return 'REST_API_Kick';
    default:
      return undefined;
  }
}

/** Why the connection ended for good. */
export interface TerminalReason {
  /** TIM error code describing it (e.g. 70001, 2800). */
  code: number;
  message: string;
  /** Set when the server kicked this instance. */
  kicked?: KickType;
}

export interface ConnectionCallbacks {
  onStateChange(state: ConnectionState, previous: ConnectionState): void;
  /** A (re)login succeeded; `isReconnect` after a dropped socket. */
  onAuthenticated(result: LoginResult, isReconnect: boolean): void;
  onPush(frame: PushFrame): void;
  onTerminal(reason: TerminalReason): void;
}

export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  login: () => Omit<LoginBody, 'resume'>;
  requestTimeoutMs: number;
  /** How long the first connect + login may take, ms. */
  connectTimeoutMs: number;
  reconnectPolicy: ReconnectPolicy;
  log: Logger;
  callbacks: ConnectionCallbacks;
}

export class Connection {
  private state: ConnectionState = 'idle';
  private readonly requests: RequestManager;
  private transport: Transport | null = null;
  /** Increments per socket; callbacks from older sockets are ignored. */
  private socketGeneration = 0;
  private authenticatedOnce = false;
  private attempt = 0;
  private disconnectedAt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastReceivedAt = 0;
  private heartbeatIntervalMs = 30_000;
  /** The server's inbound frame limit (from the login result); bigger frames would close the socket. */
  private maxFrameBytes = 64 * 1024;
  private kicked: KickType | undefined;
  private firstLogin: { resolve: (r: LoginResult) => void; reject: (e: ImError) => void } | null = null;
  private readonly onOnline = () => {
    if (this.state === 'disconnected') this.reconnectNow();
  };

  constructor(private readonly options: ConnectionOptions) {
    this.requests = new RequestManager(options.requestTimeoutMs);
  }

  get current(): ConnectionState {
    return this.state;
  }

  /** Connects and logs in; resolves with the login result or rejects with the server's code. */
  start(): Promise<LoginResult> {
    return new Promise<LoginResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.firstLogin = null;
        this.stop();
        reject(ImError.timeout('login'));
      }, this.options.connectTimeoutMs);
      this.firstLogin = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const g = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
      g.addEventListener?.('online', this.onOnline);
      this.openSocket();
    });
  }

  /** Sends a request (queued while reconnecting); settles on response, timeout or stop. */
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]> {
    if (this.state === 'closed' || this.state === 'idle') return Promise.reject(new ImError(ErrorCode.NoNetwork, 'not connected'));
    // An oversized frame would make the server close the socket (1009), and the re-sent request would do it again.
    const bytes = utf8Length(JSON.stringify(body)) + 64;
    if (bytes > this.maxFrameBytes) {
      return Promise.reject(new ImError(ErrorCode.MessageBodyTooLarge, `request is ${bytes} bytes; the server accepts at most ${this.maxFrameBytes}`));
    }
    const { promise } = this.requests.create(cmd, body);
    if (this.state === 'connected') this.requests.flush((f) => this.write(f));
    return promise;
  }

  /** Closes for good (logout/destroy); open requests reject. */
  stop(closeCode = 1000): void {
    if (this.state === 'closed') return;
    this.transition('closed');
    this.teardown(closeCode);
    const err = new ImError(ErrorCode.NoNetwork, 'connection closed');
    this.requests.rejectAll(err);
    // A start() still waiting for its first login settles now, not at its timeout.
    if (this.firstLogin) {
      this.firstLogin.reject(err);
      this.firstLogin = null;
    }
  }

  /** Test hook and `online` handler: drop the current socket and reconnect now. */
  reconnectNow(): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.state === 'disconnected') this.openSocket();
    else this.transport?.close(4999, 'client reconnect');
  }

  private openSocket(): void {
    this.transition('connecting');
    // A state listener may have stopped us (e.g. logout from a NET_STATE_CHANGE handler): open nothing.
    if (this.state !== 'connecting') return;
    const generation = ++this.socketGeneration;
    const current = () => generation === this.socketGeneration;
    this.transport = openWebSocketTransport(this.options.WebSocket, this.options.url, {
      onOpen: () => {
        if (current()) this.authenticate();
      },
      onText: (text) => {
        if (current()) this.onText(text);
      },
      onClose: (code, reason) => {
        if (current()) this.onSocketClosed(code, reason);
      },
    });
  }

  private authenticate(): void {
    const isReconnect = this.authenticatedOnce;
    const body: LoginBody = { ...this.options.login(), ...(isReconnect ? { resume: true } : {}) };
    const { id, promise } = this.requests.create('login', body, this.options.requestTimeoutMs);
    this.requests.sendNow(id, (f) => this.write(f));
    this.lastReceivedAt = Date.now();
    promise.then(
      (result) => {
        this.authenticatedOnce = true;
        this.attempt = 0;
        this.kicked = undefined;
        this.heartbeatIntervalMs = result.heartbeatIntervalMs;
        this.maxFrameBytes = result.limits.maxFrameBytes;
        this.transition('connected');
        this.startHeartbeat();
        this.options.callbacks.onAuthenticated(result, isReconnect);
        this.requests.flush((f) => this.write(f));
        if (this.firstLogin) {
          this.firstLogin.resolve(result);
          this.firstLogin = null;
        }
      },
      (err: ImError) => {
        // A login the server refused is terminal; a login lost to a dropped socket is retried by onSocketClosed.
        if (err.code === ErrorCode.NetworkTimeout || err.code === ErrorCode.NoNetwork) return;
        this.fail({ code: err.code, message: err.message, ...(err.code === ErrorCode.UserSigExpired && isReconnect ? { kicked: 'userSigExpired' as const } : {}) });
      },
    );
  }

  private onText(text: string): void {
    this.lastReceivedAt = Date.now();
    const frame = decodeServerFrame(text);
    if (!frame) {
      this.options.log.warn('ignored a frame that is not valid JSON');
      return;
    }
    switch (frame.cmd) {
      case 'res':
        this.requests.resolve(frame.id, frame.code, frame.code === 0 ? (frame as { data: unknown }).data : (frame as { message: string }).message);
        return;
      case 'error':
        this.options.log.warn('server reported a protocol error', frame.code, frame.message);
        return;
      case 'push.kicked':
        this.kicked = frame.data.type;
        return;
      default:
        this.options.callbacks.onPush(frame);
    }
  }

  private onSocketClosed(code: number, reason: string): void {
    this.stopHeartbeat();
    this.transport = null;
    if (this.state === 'closed') return;
    if (this.kicked || !isRetryableClose(code)) {
      const kickedType = this.kicked ?? kickTypeOfClose(code);
      this.fail({ code: kickedType ? ErrorCode.KickedOutMultAccount : ErrorCode.NetworkError, message: reason || `closed with ${code}`, ...(kickedType ? { kicked: kickedType } : {}) });
      return;
    }
    if (!this.authenticatedOnce) {
      // The first login never completed: report it rather than retrying forever.
      this.fail({ code: ErrorCode.NetworkError, message: `could not reach the server (${code}${reason ? `: ${reason}` : ''})` });
      return;
    }
    // Requests on the dead socket go back to the queue; login frames are per-socket and are dropped.
    this.requests.requeuePending((f) => f.cmd === 'login');
    this.transition('disconnected');
    if (this.disconnectedAt === 0) this.disconnectedAt = Date.now();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.options.reconnectPolicy.nextDelayMs({ attempt: this.attempt++, elapsedMs: Date.now() - this.disconnectedAt });
    if (delay === null) {
      this.fail({ code: ErrorCode.NetworkError, message: 'gave up reconnecting' });
      return;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'disconnected') this.openSocket();
    }, delay);
  }

  private fail(reason: TerminalReason): void {
    if (this.state === 'closed') return;
    this.transition('closed');
    this.teardown(1000);
    const err = new ImError(reason.code, reason.message);
    this.requests.rejectAll(err);
    if (this.firstLogin) {
      this.firstLogin.reject(err);
      this.firstLogin = null;
      return;
    }
    this.options.callbacks.onTerminal(reason);
  }

  private teardown(closeCode: number): void {
    this.stopHeartbeat();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socketGeneration++;
    this.transport?.close(closeCode, 'client closed');
    this.transport = null;
    const g = globalThis as { removeEventListener?: (type: string, fn: () => void) => void };
    g.removeEventListener?.('online', this.onOnline);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.disconnectedAt = 0;
    const interval = this.heartbeatIntervalMs;
    this.heartbeatTimer = setInterval(() => {
      // No frame for two intervals: the socket is dead even if it has not said so.
      if (Date.now() - this.lastReceivedAt > interval * 2) {
        this.options.log.warn('heartbeat timeout; reconnecting');
        this.transport?.close(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
        return;
      }
      const { id, promise } = this.requests.create('ping', {}, interval * 2);
      this.requests.sendNow(id, (f) => this.write(f));
      promise.catch(() => undefined);
    }, interval);
    const t = this.heartbeatTimer as { unref?: () => void };
    t.unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private write(frame: ClientFrame): void {
    this.transport?.send(encodeFrame(frame));
  }

  private transition(to: ConnectionState): void {
    const from = this.state;
    if (from === to) return;
    if (!canTransition(from, to)) {
      this.options.log.debug(`ignored connection transition ${from} → ${to}`);
      return;
    }
    this.state = to;
    this.options.callbacks.onStateChange(to, from);
  }
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

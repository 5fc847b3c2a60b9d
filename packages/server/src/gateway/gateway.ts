/**
 * The WebSocket gateway: upgrade, login handshake, frame decoding and
 * dispatch into services, heartbeats, kicks, and the one close helper every
 * disconnect goes through. Knows services, never storage.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CAPABILITIES,
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  WS_PATH,
  EncodedData,
  decodeClientFrame,
  encodeOkResponse,
  type ClientFrame,
  type ClientFrameOf,
  type LoginResult,
  type RequestCmd,
  type ResponseData,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type { Broker } from '../cluster/broker.js';
import type { AuthService } from '../services/auth-service.js';
import type { ConversationService } from '../services/conversation-service.js';
import { encodeSentMessage, type MessageService } from '../services/message-service.js';
import type { ProfileService } from '../services/profile-service.js';
import type { RelationshipService } from '../services/relationship-service.js';
import type { FileService } from '../files/file-service.js';
import { ServiceError } from '../services/service-error.js';
import type { Clock } from '../services/clock.js';
import { ClientConnection, type OutboundPolicy } from './client-connection.js';
import { DeadlineQueue } from './deadline-queue.js';
import { SessionRegistry, type KickRequest } from './session-registry.js';
import { RoomRegistry } from './room-registry.js';
import { allowedBeforeLogin, groupHandlers, isGroupConversation, type GroupGatewayServices } from './group-handlers.js';
import type { GroupPresence } from '../services/group-presence.js';

export interface GatewayOptions {
  maxFrameBytes: number;
  maxBodyBytes: number;
  /** Unsent bytes per socket before the client is closed as a slow consumer (4010). */
  maxSocketBufferBytes: number;
  heartbeatIntervalMs: number;
  loginTimeoutMs: number;
  maxWebInstances: number;
  pageSize: number;
  revokeWindowSeconds: number;
  /** Violations allowed per 10 s before the socket is closed. Default 20. */
  maxViolations?: number;
  /** Requests a connection may have in flight. Default 256. */
  maxInFlight?: number;
}

export interface GatewayServices extends GroupGatewayServices {
  auth: AuthService;
  messages: MessageService;
  conversations: ConversationService;
  profiles: ProfileService;
  relationships: RelationshipService;
  files: FileService;
}

/** A command's handler: its answer's data, or that data already serialised (history pages). */
type Handler<K extends RequestCmd> = (connection: ClientConnection, frame: ClientFrameOf<K>) => Promise<ResponseData[K] | EncodedData<ResponseData[K]>>;

const VIOLATION_WINDOW_MS = 10_000;

export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly registry: SessionRegistry;
  private readonly connections = new Set<ClientConnection>();
  /** Every open connection by ID (group presence looks connections up by ID). */
  private readonly byID = new Map<string, ClientConnection>();
  private readonly rooms: RoomRegistry;
  private readonly reaper: NodeJS.Timeout;
  private nextConnectionNumber = 0;
  private readonly nodeTag = randomUUID().slice(0, 8);
  private closing = false;
  private readonly outbound: OutboundPolicy;
  private readonly sigExpiries: DeadlineQueue<ClientConnection>;
  /** Logged-in connections closed since the last sweep of sigExpiries (their entries are dead weight). */
  private closedSinceCompaction = 0;

  constructor(
    private readonly options: GatewayOptions,
    private readonly services: GatewayServices,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.sigExpiries = new DeadlineQueue(() => this.clock.nowMs(), (connection, at) => this.onSigExpiryDue(connection, at));
    this.outbound = {
      maxBufferedBytes: options.maxSocketBufferBytes,
      // Deferred: the overflow is noticed in the middle of a fan-out loop over connection sets.
      onSlowConsumer: (connection) =>
        queueMicrotask(() => {
          this.log.warn({ connection: connection.id, userID: connection.userID }, 'slow consumer: send buffer over the limit, closing');
          this.closeConnection(connection, CloseCode.SlowConsumer, 'send buffer over the limit');
        }),
    };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, perMessageDeflate: false });
    this.registry = new SessionRegistry(broker, options.maxWebInstances, (kick) => this.kick(kick));
    this.rooms = new RoomRegistry(broker);
    // One timer for all sockets: ping, and reap those silent for 2.5 intervals.
    const tick = Math.max(50, Math.floor(options.heartbeatIntervalMs / 2));
    this.reaper = setInterval(() => this.sweep(), tick);
    this.reaper.unref();
  }

  /** Handles HTTP upgrades on WS_PATH (and "/" for convenience). */
  attach(server: HttpServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '/').split('?')[0];
      if (this.closing || (path !== WS_PATH && path !== '/')) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Closes every socket with ServerShutdown (graceful stop). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.reaper);
    this.sigExpiries.close();
    for (const connection of [...this.connections]) this.closeConnection(connection, CloseCode.ServerShutdown, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /**
   * Asks every client to reconnect (ServerShutdown, retryable): the broker lost deliveries
   * (its Redis connection dropped), and a reconnecting client fills the gap from storage.
   */
  resyncAll(): void {
    for (const connection of [...this.connections]) this.closeConnection(connection, CloseCode.ServerShutdown, 'deliveries were interrupted: reconnect to resync');
  }

  /** Drops every socket without a close handshake (tests: simulates a network cut). */
  dropConnections(): void {
    for (const connection of [...this.connections]) connection.ws.terminate();
  }

  /** Live connections as the group services see them (AVChatRoom rooms, who is online). Node-local. */
  presence(): GroupPresence {
    const byID = (id: string): ClientConnection | undefined => this.byID.get(id);
    return {
      joinRoom: (connectionID, groupID) => {
        const connection = byID(connectionID);
        return connection !== undefined && connection.state !== 'closed' && this.rooms.join(connection, groupID);
      },
      leaveRoom: (connectionID, groupID) => {
        const connection = byID(connectionID);
        return connection !== undefined && this.rooms.leave(connection, groupID);
      },
      inRoom: (connectionID, groupID) => byID(connectionID)?.rooms.has(groupID) ?? false,
      roomsOf: (connectionID) => [...(byID(connectionID)?.rooms ?? [])],
      roomUsers: (groupID) => this.rooms.users(groupID),
      userInRoom: (groupID, userID) => this.rooms.hasUser(groupID, userID),
      roomSize: (groupID) => this.rooms.size(groupID) + this.broker.roomCountElsewhere(groupID),
    };
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const id = `${this.nodeTag}-${(++this.nextConnectionNumber).toString(36)}`;
    const connection = new ClientConnection(id, ws, req.socket.remoteAddress ?? '', this.clock.nowMs(), this.outbound);
    connection.host = req.headers.host ?? '';
    this.connections.add(connection);
    this.byID.set(id, connection);
    connection.loginTimer = setTimeout(() => {
      if (connection.state === 'awaiting-login') this.closeConnection(connection, CloseCode.LoginTimeout, 'no login within the deadline');
    }, this.options.loginTimeoutMs);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(connection, data, isBinary));
    ws.on('pong', () => {
      connection.lastSeenMs = this.clock.nowMs();
    });
    ws.on('close', () => this.onClosed(connection));
    ws.on('error', (err) => this.log.debug({ err, connection: id }, 'socket error'));
  }

  private onMessage(connection: ClientConnection, data: RawData, isBinary: boolean): void {
    connection.lastSeenMs = this.clock.nowMs();
    if (connection.state === 'closed') return;
    if (isBinary) {
      this.violation(connection, ErrorCode.InvalidFrame, 'binary frames are not part of protocol v1; send JSON text');
      return;
    }
    // ws hands text frames over as one Buffer (fragmented ones as an array); decode without copying first.
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const decoded = decodeClientFrame(text);
    if (!decoded.ok) {
      this.violation(connection, decoded.code, decoded.message, decoded.id);
      return;
    }
    const frame = decoded.frame;
    // Heartbeats are answered before the in-flight limit: a busy connection is still alive.
    if (frame.cmd === 'ping') {
      connection.send({ cmd: 'res', id: frame.id, code: 0, data: { serverTime: this.clock.nowMs() } });
      return;
    }
    if (connection.inFlight >= (this.options.maxInFlight ?? 256)) {
      connection.send({ cmd: 'res', id: frame.id, code: ErrorCode.RateLimited, message: 'too many requests in flight' });
      return;
    }
    if (frame.cmd === 'login') {
      if (connection.state !== 'awaiting-login') {
        connection.send({ cmd: 'res', id: frame.id, code: ErrorCode.AlreadyLoggedIn, message: 'this connection is already logged in' });
        return;
      }
    } else if (connection.state !== 'ready' && !allowedBeforeLogin(connection, frame.cmd)) {
      connection.send({ cmd: 'res', id: frame.id, code: ErrorCode.NotLoggedIn, message: `log in before "${frame.cmd}"` });
      return;
    }
    connection.inFlight++;
    // The callbacks keep only the id and command, not the frame: a request in flight (10,000 of
    // them in a full 1:1 run) should not hold its decoded body, which would then outlive young-
    // generation collections. One then(), not then/catch/finally: one promise per request.
    const { id, cmd } = frame;
    this.dispatch(connection, frame).then(
      (data) => {
        connection.inFlight--;
        try {
          if (data instanceof EncodedData) connection.sendRaw(encodeOkResponse(id, data.json));
          else connection.send({ cmd: 'res', id, code: 0, data } as never);
        } catch (err) {
          this.answerError(connection, id, cmd, err);
        }
      },
      (err: unknown) => {
        connection.inFlight--;
        this.answerError(connection, id, cmd, err);
      },
    );
  }

  /** Answers a request that failed, and closes the connection after a refused login. */
  private answerError(connection: ClientConnection, id: number, cmd: RequestCmd, err: unknown): void {
    const { code, message } = this.toError(err, connection, cmd);
    connection.send({ cmd: 'res', id, code, message });
    if (cmd !== 'login') return;
    if (code === ErrorCode.InternalError) {
      // Not the client's fault: leave the socket open so it may retry the login.
      if (connection.state === 'logging-in') connection.state = 'awaiting-login';
    } else {
      const closeCode = code === ErrorCode.UnsupportedProtocolVersion ? CloseCode.UnsupportedVersion : CloseCode.AuthFailed;
      this.closeConnection(connection, closeCode, message);
    }
  }

  private dispatch(connection: ClientConnection, frame: ClientFrame): Promise<ResponseData[RequestCmd] | EncodedData<ResponseData[RequestCmd]>> {
    const handler = this.handlers[frame.cmd] as Handler<RequestCmd>;
    return handler(connection, frame);
  }

  private readonly handlers: { [K in RequestCmd]: Handler<K> } = {
    ...groupHandlers(() => this.services),
    login: async (connection, frame) => this.login(connection, frame),
    logout: async (connection) => {
      // Answer first, then close: the client waits for the response.
      setImmediate(() => this.closeConnection(connection, CloseCode.LoggedOut, 'logged out'));
      return {};
    },
    ping: async () => ({ serverTime: this.clock.nowMs() }),
    'msg.send': (c, f) =>
      f.body.message.conversationType === 'GROUP'
        ? this.services.groupMessages.send(this.caller(c), f.body.message, { onlineUserOnly: f.body.onlineUserOnly ?? false })
        : this.services.messages.send(this.caller(c), f.body.message, { onlineUserOnly: f.body.onlineUserOnly ?? false }).then(encodeSentMessage),
    'msg.list': async (c, f) =>
      isGroupConversation(f.body.conversationID)
        ? this.services.groupMessages.list(this.caller(c), f.body.conversationID, f.body.beforeSeq, f.body.count)
        : this.services.messages.list(c.userID, f.body.conversationID, f.body.beforeSeq, f.body.count),
    'msg.pull': async (c, f) =>
      isGroupConversation(f.body.conversationID)
        ? this.services.groupMessages.pull(this.caller(c), f.body.conversationID, f.body.afterSeq, f.body.limit)
        : this.services.messages.pull(c.userID, f.body.conversationID, f.body.afterSeq, f.body.limit),
    'msg.read': async (c, f) => ({
      conversation: isGroupConversation(f.body.conversationID)
        ? await this.services.groupMessages.read(this.caller(c), f.body.conversationID, f.body.upToSeq)
        : await this.services.messages.read(this.caller(c), f.body.conversationID, f.body.upToSeq),
    }),
    'msg.revoke': async (c, f) => ({
      message: isGroupConversation(f.body.conversationID)
        ? await this.services.groupMessages.revoke(this.caller(c), f.body.conversationID, f.body.messageID)
        : await this.services.messages.revoke(this.caller(c), f.body.conversationID, f.body.messageID),
    }),
    'conv.sync': async (c) => ({ conversations: await this.services.conversations.sync(c.userID) }),
    'conv.get': async (c, f) => this.services.conversations.get(c.userID, f.body.conversationID),
    'conv.delete': async (c, f) => ({
      conversationIDList: await this.services.conversations.delete(this.caller(c), f.body.conversationIDList, f.body.clearHistoryMessage),
    }),
    'profile.get': async (_c, f) => ({ profiles: await this.services.profiles.get(f.body.userIDList) }),
    // The codec checks only that `profile` is an object; the service validates every field (40xxx).
    'profile.update': async (c, f) => ({ profile: await this.services.profiles.update(this.caller(c), f.body.profile as Record<string, unknown>) }),
    'blacklist.get': async (c) => ({ userIDList: await this.services.relationships.getBlacklist(c.userID) }),
    'blacklist.add': async (c, f) => ({ userIDList: await this.services.relationships.addToBlacklist(this.caller(c), f.body.userIDList) }),
    'blacklist.remove': async (c, f) => ({ userIDList: await this.services.relationships.removeFromBlacklist(this.caller(c), f.body.userIDList) }),
    'file.slot': async (c, f) => this.services.files.createSlot(c.userID, f.body, c.host),
    'file.info': async (c, f) => this.services.files.info(c.userID, f.body.uuid, c.host),
  };

  private async login(connection: ClientConnection, frame: ClientFrameOf<'login'>): Promise<LoginResult> {
    connection.state = 'logging-in';
    const { userID, expiresAt } = await this.services.auth.login(frame.body);
    if (connection.state !== 'logging-in') throw new ServiceError(ErrorCode.NetworkError, 'connection closed during login');
    connection.clearTimers();
    connection.state = 'ready';
    connection.userID = userID;
    connection.instanceID = frame.body.instanceID;
    connection.platform = frame.body.platform;
    connection.openedAt = this.clock.nowMs();
    this.registry.add(connection);
    this.armSigExpiry(connection, expiresAt);
    await this.broker.publishToUser(userID, {
      kind: 'session-opened',
      connectionID: connection.id,
      instanceID: connection.instanceID,
      platform: connection.platform,
      openedAt: connection.openedAt,
    });
    try {
      // With several nodes, answer once the user's subscription is live: nothing sent after the answer is missed.
      await this.broker.ready();
    } catch (err) {
      this.registry.remove(connection);
      connection.state = 'logging-in';
      throw err;
    }
    this.log.debug({ userID, connection: connection.id }, 'logged in');
    return {
      userID,
      serverTime: this.clock.nowMs(),
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      connectionID: connection.id,
      protocolVersion: PROTOCOL_VERSION,
      capabilities: Object.values(CAPABILITIES),
      limits: {
        maxBodyBytes: this.options.maxBodyBytes,
        maxFrameBytes: this.options.maxFrameBytes,
        pageSize: this.options.pageSize,
        revokeWindowSeconds: this.options.revokeWindowSeconds,
      },
      userSigExpiresAt: expiresAt,
    };
  }

  /** Kicks the connection when its UserSig expires (one shared timer for all connections: deadline-queue.ts). */
  private armSigExpiry(connection: ClientConnection, expiresAt: number): void {
    connection.sigExpiresAtMs = expiresAt * 1000;
    this.sigExpiries.add(connection.sigExpiresAtMs, connection);
  }

  private onSigExpiryDue(connection: ClientConnection, at: number): void {
    // Closed, or logged in again on this socket with another UserSig since: not this deadline's business.
    if (connection.state !== 'ready' || connection.sigExpiresAtMs !== at) return;
    connection.send({ cmd: 'push.kicked', data: { type: 'userSigExpired' } });
    this.closeConnection(connection, CloseCode.UserSigExpired, 'UserSig expired');
  }

  private caller(connection: ClientConnection): { userID: string; connectionID: string } {
    return { userID: connection.userID, connectionID: connection.id };
  }

  private kick({ connection, reason }: KickRequest): void {
    if (reason === 'replaced') {
      this.closeConnection(connection, CloseCode.Replaced, 'replaced by a newer connection of the same instance');
      return;
    }
    connection.send({ cmd: 'push.kicked', data: { type: reason } });
    this.closeConnection(connection, reason === 'REST_API_Kick' ? CloseCode.KickedByAdmin : CloseCode.Kicked, `kicked: ${reason}`);
  }

  /** Counts a protocol violation, answers with an error, and closes the socket when the budget is spent. */
  private violation(connection: ClientConnection, code: number, message: string, id?: number): void {
    const now = this.clock.nowMs();
    if (now - connection.violationWindowStart > VIOLATION_WINDOW_MS) {
      connection.violationWindowStart = now;
      connection.violations = 0;
    }
    connection.violations++;
    if (id !== undefined) connection.send({ cmd: 'res', id, code, message });
    else connection.send({ cmd: 'error', code, message });
    if (connection.violations > (this.options.maxViolations ?? 20)) {
      this.closeConnection(connection, CloseCode.ProtocolViolation, 'too many invalid frames');
    }
  }

  private toError(err: unknown, connection: ClientConnection, cmd: string): { code: number; message: string } {
    if (err instanceof ServiceError) return { code: err.code, message: err.message };
    this.log.error({ err, cmd, userID: connection.userID }, 'request failed');
    return { code: ErrorCode.InternalError, message: 'internal server error' };
  }

  /** The one funnel every server-side close goes through. */
  private closeConnection(connection: ClientConnection, code: number, reason: string): void {
    if (connection.state === 'closed') return;
    this.forget(connection);
    try {
      connection.ws.close(code, reason.slice(0, 120));
    } catch {
      connection.ws.terminate();
    }
    // Don't wait forever for the peer's close frame.
    setTimeout(() => connection.ws.terminate(), 2000).unref();
  }

  private onClosed(connection: ClientConnection): void {
    this.forget(connection);
  }

  private forget(connection: ClientConnection): void {
    if (connection.state === 'closed') return;
    connection.state = 'closed';
    connection.clearTimers();
    this.connections.delete(connection);
    this.byID.delete(connection.id);
    this.rooms.leaveAll(connection);
    if (connection.userID) this.registry.remove(connection);
    // Closed connections' expiry entries are dropped in bulk once they outnumber the live ones.
    if (connection.sigExpiresAtMs > 0 && ++this.closedSinceCompaction > Math.max(1024, this.connections.size)) {
      this.closedSinceCompaction = 0;
      this.sigExpiries.retain((c) => c.state !== 'closed');
    }
  }

  private sweep(): void {
    const now = this.clock.nowMs();
    const deadline = this.options.heartbeatIntervalMs * 2.5;
    for (const connection of this.connections) {
      if (now - connection.lastSeenMs > deadline) {
        this.closeConnection(connection, CloseCode.HeartbeatTimeout, 'heartbeat timeout');
        connection.ws.terminate();
      } else if (now - connection.lastSeenMs > this.options.heartbeatIntervalMs / 2) {
        try {
          connection.ws.ping();
        } catch {
          // socket already closing
        }
      }
    }
  }
}

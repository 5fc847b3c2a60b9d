/**
 * Shared helpers for the SDK integration suites. Everything runs the real SDK
 * (`@parley/sdk`, the built package) against a real server started with
 * `@parley/testing` over real WebSockets.
 *
 *   const h = new Harness(srv);
 *   const alice = await h.login('alice');
 *   const bob = await h.login('bob');
 *   await alice.sendText('bob', 'hi');
 *   await bob.waitForReceived(1);
 *   ...
 *   await h.destroyAll(); // in afterEach
 *
 * Several users live in one process through `createInstance` (TIM.create is a
 * per-SDKAppID singleton).
 */
import WebSocket from 'ws';
import { createInstance, EVENT, TYPES, type ChatSDK, type Conversation, type CreateOptions, type Message, type WebSocketConstructor } from '@parley/sdk';
import type { TestServer } from '@parley/testing';
import { waitUntil } from '@parley/testing';

/** One event as the handler saw it; `snapshot` is a JSON copy of `data` taken at emission time. */
export interface RecordedEvent {
  name: string;
  data: unknown;
  snapshot: unknown;
  at: number;
}

/** What the harness needs of a server: one node of a cluster will do. */
export type ServerAddress = Pick<TestServer, 'sdkAppID' | 'httpUrl' | 'userSig'>;

export type UserOptions = Partial<Omit<CreateOptions, 'SDKAppID'>>;

/** A TIM instance for one user, recording every event it emits. */
export class TestUser {
  readonly events: RecordedEvent[] = [];

  constructor(
    readonly userID: string,
    readonly tim: ChatSDK,
    private readonly srv: ServerAddress,
  ) {
    for (const name of new Set(Object.values(EVENT))) {
      tim.on(name, (event: { name: string; data: unknown }) => {
        this.events.push({ name: event.name, data: event.data, snapshot: snapshot(event.data), at: Date.now() });
      });
    }
  }

  async login(): Promise<this> {
    await this.tim.login({ userID: this.userID, userSig: this.srv.userSig(this.userID) });
    return this;
  }

  /** Recorded events of one name, oldest first. */
  eventsOf(name: string): RecordedEvent[] {
    return this.events.filter((e) => e.name === name);
  }

  /** Every message delivered through MESSAGE_RECEIVED, flattened, in delivery order. */
  received(): Message[] {
    return this.eventsOf(EVENT.MESSAGE_RECEIVED).flatMap((e) => e.data as Message[]);
  }

  revoked(): Message[] {
    return this.eventsOf(EVENT.MESSAGE_REVOKED).flatMap((e) => e.data as Message[]);
  }

  readByPeer(): Message[] {
    return this.eventsOf(EVENT.MESSAGE_READ_BY_PEER).flatMap((e) => e.data as Message[]);
  }

  netStates(): string[] {
    return this.eventsOf(EVENT.NET_STATE_CHANGE).map((e) => (e.data as { state: string }).state);
  }

  /** Payloads (snapshots) of TOTAL_UNREAD_MESSAGE_COUNT_UPDATED. */
  totalUnreadEvents(): number[] {
    return this.eventsOf(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED).map((e) => e.data as number);
  }

  clearEvents(): void {
    this.events.length = 0;
  }

  async waitForReceived(count: number, timeoutMs = 5000): Promise<Message[]> {
    await waitUntil(() => this.received().length >= count, `${this.userID} to receive ${count} message(s) (has ${this.received().length})`, timeoutMs);
    return this.received();
  }

  async waitForEvent(name: string, count = 1, timeoutMs = 5000): Promise<RecordedEvent[]> {
    await waitUntil(() => this.eventsOf(name).length >= count, `${this.userID} to see ${count} × ${name}`, timeoutMs);
    return this.eventsOf(name);
  }

  text(to: string, text: string): Message {
    return this.tim.createTextMessage({ to, conversationType: TYPES.CONV_C2C, payload: { text } });
  }

  async sendText(to: string, text: string): Promise<Message> {
    const res = await this.tim.sendMessage(this.text(to, text));
    return res.data.message;
  }

  async conversationList(): Promise<Conversation[]> {
    return (await this.tim.getConversationList()).data.conversationList;
  }

  async conversation(conversationID: string): Promise<Conversation | undefined> {
    return (await this.conversationList()).find((c) => c.conversationID === conversationID);
  }

  /** Pages through the whole history with getMessageList; returns it oldest first plus the pages. */
  async history(conversationID: string, count?: number): Promise<{ messages: Message[]; pages: Array<{ messageList: Message[]; nextReqMessageID: string; isCompleted: boolean }> }> {
    const pages: Array<{ messageList: Message[]; nextReqMessageID: string; isCompleted: boolean }> = [];
    let next: string | undefined;
    for (let guard = 0; guard < 1000; guard++) {
      const res = await this.tim.getMessageList({ conversationID, ...(next ? { nextReqMessageID: next } : {}), ...(count !== undefined ? { count } : {}) });
      pages.push(res.data);
      if (res.data.isCompleted) break;
      next = res.data.nextReqMessageID;
    }
    const messages = [...pages].reverse().flatMap((p) => p.messageList);
    return { messages, pages };
  }
}

/** Creates users against one server and destroys them all at the end. */
export class Harness {
  readonly users: TestUser[] = [];

  constructor(
    private readonly srv: ServerAddress,
    private readonly defaults: UserOptions = { eventThrottling: false },
  ) {}

  /** A new instance (not logged in) for `userID`. */
  create(userID: string, options: UserOptions = {}): TestUser {
    const tim = createInstance({
      SDKAppID: this.srv.sdkAppID,
      serverUrl: this.srv.httpUrl,
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      ...this.defaults,
      ...options,
    });
    if (!tim) throw new Error('createInstance returned null');
    tim.setLogLevel(4);
    const user = new TestUser(userID, tim, this.srv);
    this.users.push(user);
    return user;
  }

  /** A new instance for `userID`, logged in (SDK_READY has fired when this resolves). */
  async login(userID: string, options: UserOptions = {}): Promise<TestUser> {
    return this.create(userID, options).login();
  }

  async destroyAll(): Promise<void> {
    const users = this.users.splice(0);
    await Promise.all(users.map((u) => u.tim.destroy().catch(() => undefined)));
  }
}

/**
 * One client's network, as a WebSocket implementation to pass to
 * `createInstance({ WebSocket })`: real `ws` sockets to the real server, but
 * `cut()` kills this client's sockets (no close handshake, like a pulled
 * cable) and makes new ones fail until `restore()`. Other clients are not
 * affected, which `srv.dropConnections()` cannot do.
 */
export class NetworkSwitch {
  private online = true;
  private readonly sockets = new Set<WebSocket>();
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const net = this;
    class SwitchedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        net.sockets.add(this);
        this.on('close', () => net.sockets.delete(this));
        this.on('error', () => undefined);
        if (!net.online) this.terminate();
      }
    }
    this.WebSocket = SwitchedWebSocket as unknown as WebSocketConstructor;
  }

  get isOnline(): boolean {
    return this.online;
  }

  cut(): void {
    this.online = false;
    for (const socket of this.sockets) socket.terminate();
  }

  restore(): void {
    this.online = true;
  }
}

/** The fields every delivered Message must carry (spec §8.1). */
export const MESSAGE_SHAPE_KEYS = [
  'ID',
  'type',
  'payload',
  'conversationID',
  'conversationType',
  'to',
  'from',
  'flow',
  'time',
  'clientTime',
  'sequence',
  'clientSequence',
  'random',
  'status',
  'priority',
  'nick',
  'avatar',
  'nameCard',
  'isRead',
  'isPeerRead',
  'isRevoked',
  'revoker',
  'isDeleted',
  'isModified',
  'version',
  'isResend',
  'isSystemMessage',
  'protocol',
  'atUserList',
  'cloudCustomData',
  'needReadReceipt',
  'readReceiptInfo',
] as const;

/** A JSON copy (drops functions and getters' laziness; keeps what the app saw at that moment). */
export function snapshot<T>(value: T): T {
  if (value === undefined) return value;
  try {
    return JSON.parse(JSON.stringify(value)) as T;
  } catch {
    return value;
  }
}

/** Rejection of `promise` (fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code: number; data: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code: number; data: Record<string, unknown> };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

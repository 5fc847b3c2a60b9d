/**
 * The `--client sdk` endpoints: every user is an instance of the real @parley/sdk
 * (`createInstance`, Parley's uncached `TIM.create`, so one process hosts many users; on
 * Node 20 it uses `ws`). Messages go through `createTextMessage` + `sendMessage`, arrive
 * through `MESSAGE_RECEIVED`, so the figures include everything the SDK does per message
 * (Message objects, conversation and unread bookkeeping, sequence tracking, events).
 * A receive time is taken when the SDK hands the message to the app.
 *
 * The SDK is loaded on first use only, so lean workers never load it.
 */
import type { ChatSDK, ImError, Message } from '@parley/sdk';
import { genUserSig } from '@parley/server';
import type { ConnTarget } from './conn.js';
import { EndpointError, parseBenchText, type HistoryPage, type C2CEndpoint, type C2CEvents, type GroupEndpoint, type GroupEvents } from './endpoints.js';
import type { GroupContext } from './lean-endpoints.js';
import { PRIORITIES, type Priority } from './group-logic.js';
import { epochNow } from './worker-runtime.js';

type SdkModule = typeof import('@parley/sdk');
let sdkModule: Promise<SdkModule> | null = null;

function loadSdk(): Promise<SdkModule> {
  sdkModule ??= import('@parley/sdk');
  return sdkModule;
}

/** A logged-out SDK instance for `target`, errors only in its log. */
async function newInstance(target: ConnTarget): Promise<{ sdk: SdkModule; tim: ChatSDK }> {
  const sdk = await loadSdk();
  const tim = sdk.createInstance({ SDKAppID: target.sdkAppID, serverUrl: target.url, requestTimeoutMs: Math.max(20_000, target.connectTimeoutMs) });
  if (tim === null) throw new Error(`the SDK refused SDKAppID ${target.sdkAppID}`);
  tim.setLogLevel(3);
  return { sdk, tim };
}

function userSig(target: ConnTarget, userID: string): string {
  return genUserSig({ sdkAppID: target.sdkAppID, secretKey: target.secretKey, userID, expireSeconds: 86400 });
}

/** The code of a rejected SDK call (an ImError), or -1. */
function codeOf(err: unknown): number {
  const code = (err as Partial<ImError> | null)?.code;
  return typeof code === 'number' ? code : -1;
}

function failure(what: string, err: unknown): EndpointError {
  const message = err instanceof Error ? err.message : String(err);
  return new EndpointError(`${what} failed: ${codeOf(err)} ${message}`, codeOf(err));
}

/** Calls `closed()` once when the SDK's connection drops after login (it then reconnects by itself). */
function watchNetState(sdk: SdkModule, tim: ChatSDK, isUp: () => boolean, closed: () => void): void {
  tim.on(sdk.EVENT.NET_STATE_CHANGE, (event) => {
    if (event.data.state !== sdk.TYPES.NET_STATE_CONNECTED && isUp()) closed();
  });
}

async function destroy(tim: ChatSDK | null): Promise<void> {
  if (!tim) return;
  try {
    await tim.destroy();
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------- login-storm

/**
 * Logs `userID` in with a fresh SDK instance; resolves once the SDK is ready (its login includes
 * the conversation, profile, blacklist and group loads) with a function that destroys it.
 * Rejects with an EndpointError carrying the SDK's code.
 */
export async function sdkLogin(target: ConnTarget, userID: string): Promise<() => Promise<void>> {
  const { tim } = await newInstance(target);
  try {
    await tim.login({ userID, userSig: userSig(target, userID) });
  } catch (err) {
    await destroy(tim);
    throw failure('login', err);
  }
  return () => destroy(tim);
}

// ---------------------------------------------------------------- idle and history

/** A user logged in on an SDK instance of its own; `dropped` when its connection drops after login (the SDK then reconnects by itself). */
class SdkUser {
  private tim: ChatSDK | null = null;
  private up = false;

  constructor(
    protected readonly userID: string,
    private readonly target: ConnTarget,
    private readonly dropped: () => void = () => undefined,
  ) {}

  get ready(): boolean {
    return this.up;
  }

  async connect(): Promise<void> {
    const { sdk, tim } = await newInstance(this.target);
    this.tim = tim;
    watchNetState(sdk, tim, () => this.up, () => {
      this.up = false;
      this.dropped();
    });
    try {
      await tim.login({ userID: this.userID, userSig: userSig(this.target, this.userID) });
    } catch (err) {
      await destroy(tim);
      this.tim = null;
      throw failure('login', err);
    }
    this.up = true;
  }

  async close(): Promise<void> {
    this.up = false;
    await destroy(this.tim);
    this.tim = null;
  }

  protected instance(): ChatSDK {
    if (!this.tim) throw new EndpointError('not logged in', -1);
    return this.tim;
  }
}

/** An idle connection: a logged-in instance that only keeps its heartbeat. */
export class SdkIdleEndpoint extends SdkUser {
  /** One request the server answers through this instance: its own profile (`getUserProfile`, never cached). */
  async request(timeoutMs: number): Promise<void> {
    const tim = this.instance();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EndpointError(`no answer in ${timeoutMs} ms`, -1)), timeoutMs);
    });
    try {
      await Promise.race([tim.getUserProfile({ userIDList: [this.userID] }), timeout]);
    } catch (err) {
      throw err instanceof EndpointError ? err : failure('getUserProfile', err);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A user whose history pages go through `getMessageList`. */
export class SdkHistoryEndpoint extends SdkUser {
  /** The newest page (`cursor` null) or the one older than `cursor`; rejects with an EndpointError. */
  async page(conversationID: string, count: number, cursor: string | null): Promise<HistoryPage> {
    const tim = this.instance();
    try {
      const { data } = await tim.getMessageList({ conversationID, count, ...(cursor !== null ? { nextReqMessageID: cursor } : {}) });
      return { messages: data.messageList.map((m) => ({ seq: m.sequence, from: m.from })), isCompleted: data.isCompleted, cursor: data.nextReqMessageID };
    } catch (err) {
      throw failure('getMessageList', err);
    }
  }
}

// ---------------------------------------------------------------- c2c

export class SdkC2CEndpoint implements C2CEndpoint {
  private tim: ChatSDK | null = null;
  private up = false;

  constructor(
    private readonly userID: string,
    private readonly peerID: string,
    private readonly target: ConnTarget,
    private readonly events: C2CEvents,
  ) {}

  get open(): boolean {
    return this.up;
  }

  async connect(): Promise<void> {
    const { sdk, tim } = await newInstance(this.target);
    this.tim = tim;
    tim.on(sdk.EVENT.MESSAGE_RECEIVED, (event) => {
      const recvEpoch = epochNow();
      for (const m of event.data) this.events.received(m.from, m.payload['text'], m.sequence, recvEpoch);
    });
    tim.on(sdk.EVENT.KICKED_OUT, () => this.events.kicked());
    watchNetState(sdk, tim, () => this.up, () => {
      this.up = false;
      this.events.closed();
    });
    try {
      await tim.login({ userID: this.userID, userSig: userSig(this.target, this.userID) });
    } catch (err) {
      await destroy(tim);
      throw failure('login', err);
    }
    this.up = true;
  }

  send(n: number, text: string): void {
    const tim = this.tim!;
    const message = tim.createTextMessage({ to: this.peerID, conversationType: 'C2C', payload: { text } });
    tim.sendMessage(message).then(
      () => this.events.acked(n, 0, false, epochNow()),
      (err: unknown) => this.events.acked(n, codeOf(err), false, epochNow()),
    );
  }

  async close(): Promise<void> {
    this.up = false;
    await destroy(this.tim);
  }
}

// ---------------------------------------------------------------- group / avchatroom

export class SdkGroupEndpoint implements GroupEndpoint {
  private tim: ChatSDK | null = null;
  private inGroup = false;
  private isLoggedIn = false;

  constructor(
    private readonly userID: string,
    private readonly ctx: GroupContext,
    private readonly target: ConnTarget,
    private readonly events: GroupEvents,
  ) {}

  get ready(): boolean {
    return this.inGroup;
  }

  get loggedIn(): boolean {
    return this.isLoggedIn;
  }

  private async instance(): Promise<ChatSDK> {
    if (this.tim) return this.tim;
    const { sdk, tim } = await newInstance(this.target);
    this.tim = tim;
    tim.on(sdk.EVENT.MESSAGE_RECEIVED, (event) => {
      const recvEpoch = epochNow();
      for (const m of event.data) {
        this.events.frame(recvEpoch);
        this.onMessage(m, recvEpoch);
      }
    });
    tim.on(sdk.EVENT.KICKED_OUT, () => this.events.kicked());
    watchNetState(sdk, tim, () => this.inGroup, () => {
      this.inGroup = false;
      this.events.closed(true);
    });
    return tim;
  }

  private onMessage(m: Message, recvEpoch: number): void {
    if (m.conversationType !== 'GROUP' || m.to !== this.ctx.groupID) {
      // System notices (@TIM#SYSTEM) about the group setup are not part of the measurement.
      if (m.conversationType !== '@TIM#SYSTEM') this.events.unexpected();
      return;
    }
    if (m.type !== 'TIMTextElem' || !m.from.startsWith(this.ctx.prefix)) {
      this.events.push({ kind: 'group-other' }, recvEpoch);
      return;
    }
    const sender = Number(m.from.slice(this.ctx.prefix.length));
    const text = parseBenchText(m.payload['text']);
    if (!Number.isInteger(sender) || sender < 0 || sender >= this.ctx.senders || text === null) {
      this.events.push({ kind: 'unexpected' }, recvEpoch);
      return;
    }
    const priority = PRIORITIES.includes(m.priority as Priority) ? (m.priority as Priority) : 'Normal';
    this.events.push({ kind: 'bench', sender, n: text.n, seq: m.sequence, refEpoch: text.dueEpoch, priority }, recvEpoch);
  }

  async login(): Promise<void> {
    const tim = await this.instance();
    try {
      await tim.login({ userID: this.userID, userSig: userSig(this.target, this.userID) });
    } catch (err) {
      throw failure('login', err);
    }
    this.isLoggedIn = true;
  }

  async join(groupID: string): Promise<void> {
    try {
      await (await this.instance()).joinGroup({ groupID, type: 'AVChatRoom' });
    } catch (err) {
      throw failure('joinGroup', err);
    }
    this.inGroup = true;
  }

  async joinAnonymously(groupID: string): Promise<void> {
    // The SDK joins an AVChatRoom before login anonymously.
    await this.join(groupID);
  }

  async createGroup(type: 'Private' | 'AVChatRoom', name: string): Promise<string> {
    try {
      const res = await (await this.instance()).createGroup({ type, name });
      return res.data.group.groupID;
    } catch (err) {
      throw failure('createGroup', err);
    }
  }

  async addMembers(groupID: string, userIDs: string[]): Promise<{ added: number; notAdded: number }> {
    try {
      const { data } = await (await this.instance()).addGroupMember({ groupID, userIDList: userIDs });
      return {
        added: data.successUserIDList.length + data.existedUserIDList.length,
        notAdded: data.failureUserIDList.length + data.overLimitUserIDList.length,
      };
    } catch (err) {
      throw failure('addGroupMember', err);
    }
  }

  markReady(): void {
    this.inGroup = true;
  }

  send(n: number, priority: Priority, text: string): void {
    const tim = this.tim!;
    const message = tim.createTextMessage({ to: this.ctx.groupID, conversationType: 'GROUP', payload: { text }, priority });
    tim.sendMessage(message).then(
      () => this.events.acked(n, 0, epochNow()),
      (err: unknown) => this.events.acked(n, codeOf(err), epochNow()),
    );
  }

  async close(): Promise<void> {
    this.inGroup = false;
    await destroy(this.tim);
  }

  drop(): void {
    this.inGroup = false;
    void destroy(this.tim);
  }
}

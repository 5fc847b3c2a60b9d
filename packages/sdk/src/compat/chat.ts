/**
 * The TIM instance facade (`TIM.create()` returns one). A thin edge: the
 * readiness gate, parameter validation, `{code, data}` envelopes and TIM
 * events live here; the work is done by the connection and the managers.
 */
import { ErrorCode, PROTOCOL_VERSION, isValidUserID, parseConversationID, type LoginResult, type PushFrame } from '@parley/protocol';
import { Connection, type TerminalReason } from '../connection/connection.js';
import { netStateOf, type ConnectionState } from '../connection/connection-state.js';
import { FullJitterBackoff } from '../connection/reconnect-policy.js';
import { resolveWebSocket } from '../connection/transport.js';
import { ImError, ParamsValidateError } from '../errors.js';
import { Logger, type LogLevel } from '../logger.js';
import { ConversationManager } from '../modules/conversation/conversation-manager.js';
import type { Conversation } from '../modules/conversation/conversation.js';
import type { Group, GroupMember } from '../modules/group/group.js';
import { GroupManager } from '../modules/group/group-manager.js';
import { Message } from '../modules/message/message.js';
import { isIntlApp } from '../modules/message/message-for-show.js';
import { MessageManager, type MessageListPage, type MessageManagerDeps } from '../modules/message/message-manager.js';
import { MediaUploader } from '../modules/media/media-uploader.js';
import type { Profile } from '../modules/profile/profile.js';
import { ProfileManager } from '../modules/profile/profile-manager.js';
import type { ProfileUpdateOptions } from '../modules/profile/profile-update.js';
import { BlacklistManager } from '../modules/relationship/blacklist-manager.js';
import { Emitter } from './emitter.js';
import * as G from './group-api.js';
import { MessageFactory, type CreatorName, type CreatorOptions } from './message-factory.js';
import { EVENT, type TimEvent, type TimEventName } from './event.js';
import { resolveServerUrl, type CreateOptions } from './options.js';
import { Throttle } from './throttle.js';
import { TYPES } from './types.js';
import { Validator, isPlainObject } from './validate.js';

/** What every API resolves with (spec §2.4). */
export interface ImResponse<T> {
  code: 0;
  data: T;
}

type SessionState = 'loggedOut' | 'loggingIn' | 'ready' | 'kickedOut';

/** APIs callable before SDK_READY (spec §2.3, v2 list + v3 additions). */
const EXEMPT = new Set(['login', 'logout', 'destroy', 'on', 'off', 'setLogLevel', 'joinGroup', 'quitGroup', 'registerPlugin', 'getGroupOnlineMemberCount', 'getLoginUser', 'isReady']);

const NOT_READY_TEXT: Record<number, string> = {
  [ErrorCode.UserNotLoggedIn]: 'user not logged in',
  [ErrorCode.LoggingIn]: 'logging in',
  [ErrorCode.LoginFailed]: 'login failed',
  [ErrorCode.KickedOutMultDevice]: 'kicked out: multiple devices',
  [ErrorCode.KickedOutMultAccount]: 'kicked out: multiple accounts',
  [ErrorCode.KickedOutUserSigExpired]: 'kicked out: UserSig expired',
  [ErrorCode.LoggedOut]: 'logged out',
  [ErrorCode.KickedOutRestApi]: 'kicked out by REST API',
};

const KICK_REASON: Record<string, number> = {
  multipleAccount: ErrorCode.KickedOutMultAccount,
  multipleDevice: ErrorCode.KickedOutMultDevice,
  userSigExpired: ErrorCode.KickedOutUserSigExpired,
  REST_API_Kick: ErrorCode.KickedOutRestApi,
};

type EventHandler = (event: { name: string; data: unknown }) => void;

export class ChatSDK {
  private readonly log = new Logger();
  private readonly emitter = new Emitter(this.log);
  private readonly conversations: ConversationManager;
  private readonly messages: MessageManager;
  private readonly profiles: ProfileManager;
  private readonly blacklist: BlacklistManager;
  private readonly groups: GroupManager;
  private readonly groupApi: G.GroupApi;
  private readonly groupThrottle: Throttle;
  private readonly plugins = new Map<string, unknown>();
  private readonly convThrottle: Throttle;
  private readonly unreadThrottle: Throttle;
  private readonly instanceID = randomTag(12);
  private readonly factory = new MessageFactory(this.instanceID, () => this.userID, this.log, () => this.profiles.sender());
  /** Media uploads (modules/media): validation, upload slot, the registered tim-upload-plugin, final payload. */
  private readonly media = new MediaUploader({ request: (cmd, body) => this.requireConnection().request(cmd, body), log: this.log });
  private connection: Connection | null = null;
  private session: SessionState = 'loggedOut';
  private notReadyReason: number = ErrorCode.UserNotLoggedIn;
  private userID = '';
  private loginStartedAt = 0;
  /** Bumped by every login and logout; a login whose epoch is no longer current was abandoned. */
  private loginEpoch = 0;
  private clockOffsetMs = 0;
  private lastNetState = '';
  private lastTotalUnread = 0;
  /** Pushes that arrived during login, before the conversation sync was applied; replayed after SDK_READY. */
  private pushesDuringLogin: PushFrame[] = [];

  /** @internal Use `TIM.create`. */
  constructor(
    readonly SDKAppID: number,
    private readonly options: CreateOptions,
    private readonly onDestroyed: (sdkAppID: number) => void,
  ) {
    const intl = isIntlApp(SDKAppID);
    this.conversations = new ConversationManager(intl, () => this.userID, (groupID) => this.groups.get(groupID));
    const request: MessageManagerDeps['request'] = (cmd, body) => this.requireConnection().request(cmd, body);
    const received = (list: Message[]) => {
      this.groups.observe(list);
      this.emitter.emit(EVENT.MESSAGE_RECEIVED, list);
    };
    this.messages = new MessageManager({
      me: () => this.userID,
      request,
      conversations: this.conversations,
      log: this.log,
      groupTypeOf: (groupID) => this.groups.get(groupID)?.type,
      systemNotices: () => this.groups.systemNotices(),
      events: {
        received,
        revoked: (list) => this.emitter.emit(EVENT.MESSAGE_REVOKED, list),
        readByPeer: (list) => this.emitter.emit(EVENT.MESSAGE_READ_BY_PEER, list),
        conversationsChanged: () => this.conversationsChanged(),
      },
    });
    this.profiles = new ProfileManager({
      me: () => this.userID,
      request,
      conversations: this.conversations,
      log: this.log,
      events: {
        profileUpdated: (list) => this.emitter.emit(EVENT.PROFILE_UPDATED, list),
        conversationsChanged: () => this.conversationsChanged(),
      },
    });
    this.blacklist = new BlacklistManager({
      me: () => this.userID,
      request,
      log: this.log,
      events: { blacklistUpdated: (list) => this.emitter.emit(EVENT.BLACKLIST_UPDATED, list) },
    });
    this.groups = new GroupManager({
      me: () => this.userID,
      request,
      conversations: this.conversations,
      log: this.log,
      intl,
      events: {
        groupListChanged: () => this.groupThrottle.trigger(),
        conversationsChanged: () => this.conversationsChanged(),
        received: (list) => this.emitter.emit(EVENT.MESSAGE_RECEIVED, list),
      },
    });
    this.groupApi = new G.GroupApi({
      api: (name, prepare) => this.api(name, prepare),
      log: this.log,
      me: () => this.userID,
      isReady: () => this.session === 'ready',
      request,
      groups: this.groups,
      conversations: this.conversations,
      messages: this.messages,
      factory: this.factory,
      nick: () => this.profiles.sender().nick,
      unlimitedAVChatRoom: options.unlimitedAVChatRoom === true,
      sdkAppID: SDKAppID,
      anonymousSocket: async () => {
        const url = resolveServerUrl(this.options);
        if (!url) return null;
        const timeout = this.options.requestTimeoutMs ?? 20_000;
        return { url, WebSocket: await resolveWebSocket(this.options.WebSocket), requestTimeoutMs: timeout, reconnectPolicy: new FullJitterBackoff(this.options.reconnect ?? {}) };
      },
      received,
      conversationsChanged: () => this.conversationsChanged(),
    });
    const windowMs = options.eventThrottling === false ? 0 : 1000;
    this.groupThrottle = new Throttle(windowMs, () => {
      if (this.session === 'ready' || this.session === 'loggingIn') this.emitter.emit(EVENT.GROUP_LIST_UPDATED, this.groups.list());
    });
    this.convThrottle = new Throttle(windowMs, () => {
      if (this.session === 'ready' || this.session === 'loggingIn') this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.conversations.list());
    });
    this.unreadThrottle = new Throttle(windowMs, () => {
      const total = this.conversations.totalUnread();
      if (total === this.lastTotalUnread) return;
      this.lastTotalUnread = total;
      this.emitter.emit(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, total);
    });
  }

  // ---------------------------------------------------------------- lifecycle

  login(options: { userID: string; userSig: string }): Promise<ImResponse<Record<string, unknown>>> {
    const v = new Validator(this.log, 'login');
    const o = v.object(options, 'options');
    const userID = v.requiredString(o['userID'], 'userID');
    const userSig = v.requiredString(o['userSig'], 'userSig');
    if (this.session === 'ready') {
      return Promise.resolve({ code: 0, data: { actionStatus: 'OK', errorCode: 0, errorInfo: 'repeat login: already logged in', repeatLogin: true } });
    }
    if (this.session === 'loggingIn' && Date.now() - this.loginStartedAt <= 15_000) {
      return Promise.reject(new ImError(ErrorCode.RepeatLogin, 'a login is already in progress'));
    }
    return this.doLogin(userID, userSig);
  }

  private async doLogin(userID: string, userSig: string): Promise<ImResponse<Record<string, unknown>>> {
    this.connection?.stop();
    this.resetState();
    const epoch = ++this.loginEpoch;
    const abandoned = () => epoch !== this.loginEpoch;
    let ownConnection: Connection | null = null;
    this.session = 'loggingIn';
    this.notReadyReason = ErrorCode.LoggingIn;
    this.loginStartedAt = Date.now();
    this.userID = userID;
    try {
      if (!isValidUserID(userID)) throw new ImError(ErrorCode.AccountInvalidParameters, `invalid userID "${userID}"`);
      const url = resolveServerUrl(this.options);
      if (!url) throw new ImError(ErrorCode.NetworkError, 'no server address: pass serverUrl to TIM.create');
      const WebSocketCtor = await resolveWebSocket(this.options.WebSocket);
      if (abandoned()) throw new ImError(ErrorCode.LoginFailed, 'login was cancelled by logout or a newer login');
      const connection = new Connection({
        url,
        WebSocket: WebSocketCtor,
        login: () => ({
          sdkAppID: this.SDKAppID,
          userID,
          userSig,
          protocolVersion: PROTOCOL_VERSION,
          platform: 'web',
          instanceID: this.instanceID,
        }),
        requestTimeoutMs: this.options.requestTimeoutMs ?? 20_000,
        connectTimeoutMs: this.options.requestTimeoutMs ?? 20_000,
        reconnectPolicy: new FullJitterBackoff(this.options.reconnect ?? {}),
        log: this.log,
        callbacks: {
          onStateChange: (state) => this.onConnectionState(connection, state),
          onAuthenticated: (result, isReconnect) => this.onAuthenticated(connection, result, isReconnect),
          onPush: (frame) => {
            if (this.connection !== connection) return;
            if (this.session === 'ready') this.routePush(frame);
            // Whole-state pushes are applied as they arrive (the managers order them against their loads).
            else if (this.session === 'loggingIn' && (frame.cmd === 'push.profile' || frame.cmd === 'push.blacklist')) this.routePush(frame);
            // The sync answer may not include what was pushed while it was being built: keep it.
            else if (this.session === 'loggingIn') this.pushesDuringLogin.push(frame);
          },
          onTerminal: (reason) => this.onTerminal(connection, reason),
        },
      });
      ownConnection = connection;
      this.connection = connection;
      const result = await connection.start();
      const superseded = () => abandoned() || this.connection !== connection;
      // The initial sync: conversations, blacklist and own profile, in parallel; each is applied as it arrives.
      const synced = connection.request('conv.sync', {}).then(({ conversations }) => {
        if (!superseded()) for (const row of conversations) this.conversations.applyWire(row, true);
      });
      await Promise.all([synced, this.groups.load(true), this.blacklist.load(true), this.profiles.loadOwn(true)]);
      if (superseded()) throw new ImError(ErrorCode.LoginFailed, 'login was superseded');
      this.media.attachPlugin(this.plugins.get('tim-upload-plugin')); // TIM: looked up once, at login (spec §10.1)
      this.session = 'ready';
      this.notReadyReason = 0;
      this.conversationsChanged();
      this.emitter.emit(EVENT.SDK_READY);
      // Sequences already in the sync are dropped as duplicates; anything newer is delivered live.
      const early = this.pushesDuringLogin;
      this.pushesDuringLogin = [];
      if (this.connection === connection && this.session === 'ready') for (const frame of early) this.routePush(frame);
      // AVChatRooms joined anonymously before login move to this connection.
      void this.groupApi.adoptAnonymousRooms();
      return { code: 0, data: { actionStatus: 'OK', errorCode: 0, errorInfo: '', userID: result.userID, serverTime: result.serverTime } };
    } catch (err) {
      const error = ImError.from(err, ErrorCode.LoginFailed);
      ownConnection?.stop();
      // An abandoned login must not tear down what logout or a newer login set up.
      if (!abandoned()) {
        this.pushesDuringLogin = [];
        this.profiles.reset();
        this.blacklist.reset();
        this.groups.reset();
        if (this.connection === ownConnection) this.connection = null;
        this.session = 'loggedOut';
        this.notReadyReason = ErrorCode.LoginFailed;
      }
      throw error;
    }
  }

  async logout(): Promise<ImResponse<Record<string, never>>> {
    if (this.session === 'loggedOut' || this.session === 'kickedOut') {
      if (this.notReadyReason === ErrorCode.UserNotLoggedIn || this.notReadyReason === ErrorCode.LoggedOut || this.session === 'kickedOut') {
        throw new ImError(ErrorCode.UserNotLoggedIn, 'not logged in');
      }
    }
    this.loginEpoch++; // cancels a login still in progress
    const connection = this.connection;
    this.connection = null;
    if (connection && connection.current === 'connected') {
      // Best effort: logout resolves even if the server does not answer (spec §4.1).
      await Promise.race([connection.request('logout', {}).catch(() => undefined), sleep(2000)]);
    }
    connection?.stop();
    const wasReady = this.session === 'ready';
    this.resetState();
    this.session = 'loggedOut';
    this.notReadyReason = ErrorCode.LoggedOut;
    if (wasReady) this.emitter.emit(EVENT.SDK_NOT_READY);
    return { code: 0, data: {} };
  }

  async destroy(): Promise<ImResponse<Record<string, never>>> {
    await this.logout().catch(() => undefined);
    this.groupApi.close();
    this.emitter.emit(EVENT.SDK_DESTROY, { SDKAppID: this.SDKAppID });
    this.emitter.clear();
    this.onDestroyed(this.SDKAppID);
    return { code: 0, data: {} };
  }

  /** Listens to a `TIM.EVENT`; the handler receives `{name, data}` with `this` = `context`. */
  on<N extends TimEventName>(eventName: N, handler: (event: TimEvent<N>) => void, context?: unknown): void {
    this.validateListener('on', eventName, handler);
    if (handler.name === '') this.log.debug(`on(${eventName}): anonymous handlers cannot be removed with off()`);
    this.emitter.on(eventName, handler as EventHandler, context);
  }

  /** Removes a handler registered with `on`/`once` (same function reference). */
  off<N extends TimEventName>(eventName: N, handler: (event: TimEvent<N>) => void, context?: unknown): void {
    this.validateListener('off', eventName, handler);
    this.emitter.off(eventName, handler as EventHandler, context);
  }

  /** Like `on`, for one emission. Not exempt from the readiness gate in TIM v2; Parley lets it through like `on`. */
  once<N extends TimEventName>(eventName: N, handler: (event: TimEvent<N>) => void, context?: unknown): void {
    this.validateListener('once', eventName, handler);
    this.emitter.on(eventName, handler as EventHandler, context, true);
  }

  setLogLevel(level: LogLevel): void {
    if (typeof level === 'number' && level >= 0 && level <= 4) this.log.level = Math.floor(level) as LogLevel;
  }

  /** Stores plugins by name (`tim-upload-plugin` etc.); unknown keys are kept and ignored. */
  registerPlugin(plugins: Record<string, unknown>): void {
    if (!isPlainObject(plugins)) return;
    for (const [key, value] of Object.entries(plugins)) this.plugins.set(key, value);
  }

  /** @internal The registered plugin for a key. */
  getPlugin(key: string): unknown {
    return this.plugins.get(key);
  }

  getLoginUser(): string {
    return this.session === 'ready' ? this.userID : '';
  }

  isReady(): boolean {
    return this.session === 'ready';
  }

  /** Server-corrected clock, milliseconds (v3). */
  getServerTime(): number {
    return this.gateSync<number>('getServerTime') ?? Date.now() + this.clockOffsetMs;
  }

  // ---------------------------------------------------------------- messages

  createTextMessage(options: CreatorOptions): Message {
    return this.creator('createTextMessage', options);
  }

  createTextAtMessage(options: CreatorOptions): Message {
    return this.creator('createTextAtMessage', options);
  }

  createCustomMessage(options: CreatorOptions): Message {
    return this.creator('createCustomMessage', options);
  }

  createFaceMessage(options: CreatorOptions): Message {
    return this.creator('createFaceMessage', options);
  }

  createLocationMessage(options: CreatorOptions): Message {
    return this.creator('createLocationMessage', options);
  }

  /** Media creators (spec §4.2): `payload.file` is checked and uploaded at send time (modules/media). */
  createImageMessage(options: CreatorOptions): Message {
    return this.creator('createImageMessage', options);
  }
  createAudioMessage(options: CreatorOptions): Message {
    return this.creator('createAudioMessage', options);
  }
  createVideoMessage(options: CreatorOptions): Message {
    return this.creator('createVideoMessage', options);
  }
  createFileMessage(options: CreatorOptions): Message {
    return this.creator('createFileMessage', options);
  }

  sendMessage(message: Message, options?: { onlineUserOnly?: boolean; offlinePushInfo?: unknown; messageControlInfo?: unknown }): Promise<ImResponse<{ message: Message }>> {
    return this.api('sendMessage', () => {
      const v = new Validator(this.log, 'sendMessage');
      v.object(message, 'message');
      const onlineUserOnly = options === undefined ? false : (v.optionalBoolean(v.object(options, 'options')['onlineUserOnly'], 'options.onlineUserOnly') ?? false);
      return () => this.sendPipeline(message, onlineUserOnly);
    });
  }

  resendMessage(message: Message): Promise<ImResponse<{ message: Message }>> {
    return this.api('resendMessage', () => {
      new Validator(this.log, 'resendMessage').object(message, 'message');
      return () => {
        message.isResend = true;
        return this.sendPipeline(message, message._onlineOnlyFlag);
      };
    });
  }

  revokeMessage(message: Message): Promise<ImResponse<{ message: Message }>> {
    return this.api('revokeMessage', () => {
      const v = new Validator(this.log, 'revokeMessage');
      v.object(message, 'message');
      if (message.conversationType === TYPES.CONV_SYSTEM) v.fail('system notices cannot be revoked');
      if (message.isRevoked) v.fail('message is already revoked');
      return async () => {
        if (message.status !== 'success') throw new ImError(ErrorCode.MessageRevokeFail, 'only sent messages can be revoked', { message });
        return { message: await this.messages.revoke(message) };
      };
    });
  }

  getMessageList(options: { conversationID: string; nextReqMessageID?: string; count?: number }): Promise<ImResponse<MessageListPage>> {
    return this.api('getMessageList', () => {
      const v = new Validator(this.log, 'getMessageList');
      const o = v.object(options, 'options');
      const conversationID = this.validConversationID(v, o['conversationID']);
      const next = v.optionalString(o['nextReqMessageID'], 'nextReqMessageID');
      let count = 15;
      const rawCount = o['count'];
      if (rawCount !== undefined) {
        if (typeof rawCount !== 'number' || !Number.isInteger(rawCount) || rawCount <= 0) v.fail('count must be a positive integer');
        count = Math.min(rawCount as number, 15);
      }
      return () => this.messages.list(conversationID, next || undefined, count);
    });
  }

  setMessageRead(options: { conversationID: string }): Promise<ImResponse<Record<string, never>>> {
    return this.api('setMessageRead', () => {
      const v = new Validator(this.log, 'setMessageRead');
      const conversationID = this.validConversationID(v, v.object(options, 'options')['conversationID']);
      return async () => {
        const entry = this.conversations.get(conversationID);
        if (!entry) return {};
        // Groups: also clears @-tips; Meeting groups count no unread but still keep a read point.
        const group = entry.conversation.type === 'GROUP';
        if (group && entry.conversation.groupAtInfoList.length > 0) {
          entry.conversation.groupAtInfoList = [];
          this.conversationsChanged();
        }
        if (entry.conversation.unreadCount > 0 || (group && entry.readSeq < entry.lastSeq)) await this.messages.setRead(entry);
        return {};
      };
    });
  }

  /** Memory lookup by ID (spec §5). */
  findMessage(messageID: string): Message | null {
    const gated = this.gateSync<Message | null>('findMessage');
    if (gated !== undefined) return gated;
    for (const entry of this.conversations.all()) {
      const m = entry.messages.get(messageID);
      if (m) return m;
    }
    return null;
  }

  // ---------------------------------------------------------------- conversations

  getConversationList(options?: string[] | { type?: string }): Promise<ImResponse<{ conversationList: Conversation[]; isSyncCompleted: boolean }>> {
    return this.api('getConversationList', () => {
      const v = new Validator(this.log, 'getConversationList');
      if (options !== undefined && !Array.isArray(options) && !isPlainObject(options)) v.fail('options must be an array of conversationIDs or a filter object');
      return async () => {
        let list = this.conversations.list();
        if (Array.isArray(options)) {
          const wanted = new Set(options);
          list = list.filter((c) => wanted.has(c.conversationID));
        } else if (options?.type) {
          list = list.filter((c) => c.type === options.type);
        }
        return { conversationList: list, isSyncCompleted: true };
      };
    });
  }

  getConversationProfile(conversationID: string): Promise<ImResponse<{ conversation: Conversation }>> {
    return this.api('getConversationProfile', () => {
      const id = this.validConversationID(new Validator(this.log, 'getConversationProfile'), conversationID);
      return async () => {
        const parsed = parseConversationID(id);
        if (parsed?.type === 'GROUP') return { conversation: await this.groupApi.groupConversation(id, parsed.peer) };
        if (!parsed || parsed.type !== 'C2C') throw new ImError(ErrorCode.ConversationNotFound, `no conversation profile for ${id}`);
        const local = this.conversations.get(id);
        if (local && !local.hidden) return { conversation: local.conversation };
        const res = await this.requireConnection().request('conv.get', { conversationID: id });
        let entry = local;
        if (res.conversation) entry = this.conversations.applyWire(res.conversation, !local);
        else if (!res.userExists) throw new ImError(ErrorCode.ConversationUserNotFound, `user ${parsed.peer} does not exist`);
        entry ??= this.conversations.create(id, parsed.peer, 0);
        // A conversation with no messages yet still shows the peer's nick/avatar (best effort).
        if (!res.conversation) await this.profiles.getUsers([parsed.peer]).catch(() => undefined);
        entry.hidden = false;
        this.conversationsChanged();
        return { conversation: entry.conversation };
      };
    });
  }

  deleteConversation(options: string | { conversationIDList: string[]; clearHistoryMessage?: boolean }): Promise<ImResponse<{ conversationID: string } | { conversationIDList: string[] }>> {
    return this.api('deleteConversation', () => {
      const v = new Validator(this.log, 'deleteConversation');
      let ids: string[];
      let clear = true;
      const single = typeof options === 'string';
      if (typeof options === 'string') ids = [this.validConversationID(v, options)];
      else {
        const o = v.object(options, 'options');
        const list: unknown = o['conversationIDList'];
        if (!Array.isArray(list) || list.length === 0) v.fail('conversationIDList must be a non-empty array');
        ids = (list as unknown[]).slice(0, 100).map((id) => this.validConversationID(v, id));
        clear = v.optionalBoolean(o['clearHistoryMessage'], 'clearHistoryMessage') ?? true;
      }
      return async () => {
        const existing = ids.filter((id) => this.conversations.get(id) && !this.conversations.get(id)?.hidden);
        if (existing.length === 0) throw new ImError(ErrorCode.ConversationNotFound, 'conversation not found');
        const res = await this.requireConnection().request('conv.delete', { conversationIDList: existing, clearHistoryMessage: clear });
        for (const id of res.conversationIDList) this.conversations.hide(id);
        this.conversationsChanged();
        if (single) return { conversationID: ids[0] ?? '' };
        return { conversationIDList: res.conversationIDList };
      };
    });
  }

  getTotalUnreadMessageCount(): number {
    return this.gateSync<number>('getTotalUnreadMessageCount') ?? this.conversations.totalUnread();
  }

  // ---------------------------------------------------------------- profiles and blacklist

  /** The own profile (loaded at login). */
  getMyProfile(): Promise<ImResponse<Profile>> {
    return this.api('getMyProfile', () => () => this.profiles.getMine());
  }

  /** Profiles of up to 100 users (more are dropped); unknown users are left out. */
  getUserProfile(options: { userIDList: string[] }): Promise<ImResponse<Profile[]>> {
    return this.api('getUserProfile', () => {
      const ids = new Validator(this.log, 'getUserProfile').userIDList(options, false);
      return () => this.profiles.getUsers(ids);
    });
  }

  /** Rejects 2721 (unknown key, invalid value, empty options) or 2722 (nothing to update) before any request. */
  updateMyProfile(options: ProfileUpdateOptions): Promise<ImResponse<Profile>> {
    return this.api('updateMyProfile', () => () => this.profiles.update(options));
  }

  /** The whole blacklist (loaded at login). */
  getBlacklist(): Promise<ImResponse<string[]>> {
    return this.api('getBlacklist', () => async () => this.blacklist.get());
  }

  /** Resolves with the whole blacklist; `[yourself]` rejects 2742. */
  addToBlacklist(options: { userIDList: string[] }): Promise<ImResponse<string[]>> {
    return this.api('addToBlacklist', () => {
      const ids = new Validator(this.log, 'addToBlacklist').userIDList(options, true);
      return () => this.blacklist.add(ids);
    });
  }

  /** Resolves with the remaining blacklist. */
  removeFromBlacklist(options: { userIDList: string[] }): Promise<ImResponse<string[]>> {
    return this.api('removeFromBlacklist', () => {
      const ids = new Validator(this.log, 'removeFromBlacklist').userIDList(options, true);
      return () => this.blacklist.remove(ids);
    });
  }

  // ---------------------------------------------------------------- groups (compat/group-api.ts)

  /** All joined groups (AVChatRooms while joined) → `{groupList}`. */
  getGroupList(options?: { groupProfileFilter?: string[] }): Promise<ImResponse<{ groupList: Group[] }>> {
    return this.groupApi.getGroupList(options);
  }
  getGroupProfile(options: { groupID: string; groupCustomFieldFilter?: string[] }): Promise<ImResponse<{ group: Group }>> {
    return this.groupApi.getGroupProfile(options);
  }
  /** Unknown type → 2600, Community ID prefix rules → 2602; the creator then sends the v3 "group_create" message. */
  createGroup(options: G.CreateGroupOptions): Promise<ImResponse<{ group: Group; overLimitUserIDList: string[] }>> {
    return this.groupApi.createGroup(options);
  }
  dismissGroup(groupID: string): Promise<ImResponse<{ groupID: string }>> {
    return this.groupApi.dismissGroup(groupID);
  }
  updateGroupProfile(options: G.UpdateGroupProfileOptions): Promise<ImResponse<{ group: Group }>> {
    return this.groupApi.updateGroupProfile(options);
  }
  /** Exempt from the readiness gate: before login only AVChatRooms (anonymously; others 2662). */
  joinGroup(options: G.JoinGroupOptions): Promise<ImResponse<G.JoinGroupResult>> {
    return this.groupApi.joinGroup(options);
  }
  /** Exempt from the readiness gate; not a member here → 2623. */
  quitGroup(groupID: string): Promise<ImResponse<{ groupID: string }>> {
    return this.groupApi.quitGroup(groupID);
  }
  searchGroupByID(groupID: string): Promise<ImResponse<{ group: Group }>> {
    return this.groupApi.searchGroupByID(groupID);
  }
  /** AVChatRoom → 2620, to yourself → 2621. */
  changeGroupOwner(options: { groupID: string; newOwnerID: string }): Promise<ImResponse<{ group: Group }>> {
    return this.groupApi.changeGroupOwner(options);
  }
  getGroupApplicationList(): Promise<ImResponse<{ applicationList: G.GroupApplication[] }>> {
    return this.groupApi.getGroupApplicationList();
  }
  /** With the application's system notice (`message`) or a `getGroupApplicationList` item (`application`). */
  handleGroupApplication(options: G.HandleGroupApplicationOptions): Promise<ImResponse<{ group: Group | undefined }>> {
    return this.groupApi.handleGroupApplication(options);
  }
  /** Group form → `{group}`; C2C form (`userIDList`) → `{successUserIDList, failureUserIDList}`. */
  setMessageRemindType(options: { groupID: string; messageRemindType: string }): Promise<ImResponse<{ group: Group }>>;
  setMessageRemindType(options: { userIDList: string[]; messageRemindType: string }): Promise<ImResponse<G.C2CRemindTypeResult>>;
  setMessageRemindType(options: G.SetMessageRemindTypeOptions): Promise<ImResponse<{ group: Group } | G.C2CRemindTypeResult>>;
  setMessageRemindType(options: G.SetMessageRemindTypeOptions): Promise<ImResponse<{ group: Group } | G.C2CRemindTypeResult>> {
    return this.groupApi.setMessageRemindType(options);
  }
  /** `{memberList, offset}`, offset 0 at the end; a group not in the list → empty without a request. */
  getGroupMemberList(options: G.GetGroupMemberListOptions): Promise<ImResponse<{ memberList: GroupMember[]; offset: number }>> {
    return this.groupApi.getGroupMemberList(options);
  }
  getGroupMemberProfile(options: { groupID: string; userIDList: string[]; memberCustomFieldFilter?: string[] }): Promise<ImResponse<{ memberList: GroupMember[] }>> {
    return this.groupApi.getGroupMemberProfile(options);
  }
  /** AVChatRoom → 2661. */
  addGroupMember(options: { groupID: string; userIDList: string[] }): Promise<ImResponse<G.AddGroupMemberResult>> {
    return this.groupApi.addGroupMember(options);
  }
  /** Not in the local list → 2603; AVChatRoom without duration → 2686. */
  deleteGroupMember(options: G.DeleteGroupMemberOptions): Promise<ImResponse<{ group: Group; userIDList: string[] }>> {
    return this.groupApi.deleteGroupMember(options);
  }
  /** Yourself → 2685; muted members' sends fail with 10017. */
  setGroupMemberMuteTime(options: { groupID: string; userID: string; muteTime: number }): Promise<ImResponse<G.GroupAndMember>> {
    return this.groupApi.setGroupMemberMuteTime(options);
  }
  /** Not the owner → 2681, bad role → 2683, yourself → 2684. */
  setGroupMemberRole(options: { groupID: string; userID: string; role: string }): Promise<ImResponse<G.GroupAndMember>> {
    return this.groupApi.setGroupMemberRole(options);
  }
  setGroupMemberNameCard(options: { groupID: string; userID?: string; nameCard: string }): Promise<ImResponse<G.GroupAndMember>> {
    return this.groupApi.setGroupMemberNameCard(options);
  }
  setGroupMemberCustomField(options: { groupID: string; userID?: string; memberCustomField: Array<{ key: string; value: string }> }): Promise<ImResponse<G.GroupAndMember>> {
    return this.groupApi.setGroupMemberCustomField(options);
  }
  /** Exempt from the readiness gate (needs a logged-in connection on Parley). */
  getGroupOnlineMemberCount(groupID: string): Promise<ImResponse<{ memberCount: number }>> {
    return this.groupApi.getGroupOnlineMemberCount(groupID);
  }

  // ---------------------------------------------------------------- internals

  /** Gate → validate (sync throw) → run, with TIM envelopes on both sides. */
  private api<T>(name: string, prepare: () => () => Promise<T>): Promise<ImResponse<T>> {
    const gated = this.gate(name);
    if (gated) return gated;
    const run = prepare(); // throws ParamsValidateError synchronously
    try {
      return run().then(
        (data) => ({ code: 0 as const, data: (data ?? {}) as T }),
        (err: unknown) => {
          throw ImError.from(err);
        },
      );
    } catch (err) {
      return Promise.reject(ImError.from(err));
    }
  }

  /** The not-ready rejection (spec §2.3), or null when the call may proceed. */
  private gate(name: string): Promise<never> | null {
    if (this.session === 'ready' || EXEMPT.has(name)) return null;
    const code = this.notReadyReason || ErrorCode.UserNotLoggedIn;
    const message = `${NOT_READY_TEXT[code] ?? 'not ready'} | ${name} | sdk is not ready`;
    this.emitter.emit(EVENT.ERROR, { code, message });
    return Promise.reject(new ImError(code, message));
  }

  /** For synchronous APIs: TIM returns a rejected Promise in place of the value when not ready. */
  private gateSync<T>(name: string): T | undefined {
    const gated = this.gate(name);
    if (!gated) return undefined;
    gated.catch(() => undefined);
    // TIM's facade returns the rejected Promise even where the API is synchronous (spec §2.3).
    return gated as unknown as T;
  }

  private creator(api: CreatorName, options: CreatorOptions): Message {
    const gated = this.gateSync<Message>(api);
    if (gated !== undefined) return gated;
    const message = this.factory.create(api, options);
    // Group messages carry the sender's name card (spec §4.2).
    if (message.conversationType === TYPES.CONV_GROUP) message.nameCard = this.groups.get(message.to)?.selfInfo.nameCard ?? '';
    return message;
  }

  private async sendPipeline(message: Message, onlineUserOnly: boolean): Promise<{ message: Message }> {
    if (!this.factory.owns(message)) throw new ImError(ErrorCode.MessageSendNeedMessageInstance, 'sendMessage needs a message created by this instance');
    if (message.conversationType !== TYPES.CONV_C2C && message.conversationType !== TYPES.CONV_GROUP) {
      message.status = 'fail';
      throw new ImError(ErrorCode.MessageSendInvalidConversationType, `invalid conversationType "${String(message.conversationType)}"`, { message });
    }
    await this.groupApi.checkSendTarget(message);
    await this.media.prepare(message); // media: upload (if not done yet) and final payload
    return { message: await this.messages.send(message, onlineUserOnly) };
  }

  private validConversationID(v: Validator, value: unknown): string {
    const id = v.requiredString(value, 'conversationID');
    if (!parseConversationID(id)) v.fail(`invalid conversationID "${id}"`);
    return id;
  }

  private routePush(frame: PushFrame): void {
    if (frame.cmd === 'push.profile') this.profiles.handlePush(frame.data);
    else if (frame.cmd === 'push.blacklist') this.blacklist.handlePush(frame.data.userIDList);
    else if (frame.cmd === 'push.group-updated' || frame.cmd === 'push.system-notice' || frame.cmd === 'push.group-read' || frame.cmd === 'push.remind-type') this.groups.handlePush(frame);
    else this.messages.handlePush(frame);
  }

  private validateListener(api: string, eventName: unknown, handler: unknown): void {
    const v = new Validator(this.log, api);
    v.requiredString(eventName, 'eventName');
    v.function(handler, 'handler');
  }

  private requireConnection(): Connection {
    if (!this.connection) throw new ImError(ErrorCode.UserNotLoggedIn, 'not logged in');
    return this.connection;
  }

  private onConnectionState(connection: Connection, state: ConnectionState): void {
    if (this.connection !== connection) return;
    const net = netStateOf(state);
    if (net === this.lastNetState) return;
    this.lastNetState = net;
    this.emitter.emit(EVENT.NET_STATE_CHANGE, { state: net });
  }

  private onAuthenticated(connection: Connection, result: LoginResult, isReconnect: boolean): void {
    this.clockOffsetMs = result.serverTime - Date.now();
    if (!isReconnect) return;
    // Fill whatever was missed while the socket was down.
    if (this.connection === connection && this.session === 'ready') {
      this.blacklist.load(false).catch((err: unknown) => this.log.warn('blacklist reload after reconnect failed', err));
      this.profiles.loadOwn(false).catch((err: unknown) => this.log.warn('profile reload after reconnect failed', err));
      this.groups.afterReconnect().catch((err: unknown) => this.log.warn('group reload after reconnect failed', err));
    }
    connection
      .request('conv.sync', {})
      .then(({ conversations }) => {
        if (this.connection === connection && this.session === 'ready') return this.messages.resync(conversations);
        return undefined;
      })
      .catch((err: unknown) => this.log.warn('resync after reconnect failed', err));
  }

  private onTerminal(connection: Connection, reason: TerminalReason): void {
    if (this.connection !== connection) return;
    this.connection = null;
    const wasReady = this.session === 'ready';
    const kicked = reason.kicked ?? (reason.code === ErrorCode.UserSigExpired ? 'userSigExpired' : undefined);
    this.resetState();
    if (kicked) {
      this.session = 'kickedOut';
      this.notReadyReason = KICK_REASON[kicked] ?? ErrorCode.KickedOutMultAccount;
      this.emitter.emit(EVENT.KICKED_OUT, { type: kicked });
    } else {
      this.session = 'loggedOut';
      this.notReadyReason = ErrorCode.LoginFailed;
      this.emitter.emit(EVENT.ERROR, { code: reason.code, message: reason.message });
    }
    if (wasReady) this.emitter.emit(EVENT.SDK_NOT_READY);
  }

  private conversationsChanged(): void {
    this.convThrottle.trigger();
    this.unreadThrottle.trigger();
  }

  private resetState(): void {
    this.convThrottle.cancel();
    this.unreadThrottle.cancel();
    this.groupThrottle.cancel();
    this.groups.reset();
    this.messages.reset();
    this.conversations.reset();
    this.profiles.reset();
    this.blacklist.reset();
    this.media.reset();
    this.lastTotalUnread = 0;
    this.lastNetState = '';
    this.pushesDuringLogin = [];
  }
}

function randomTag(length: number): string {
  let s = '';
  while (s.length < length) s += Math.random().toString(36).slice(2);
  return s.slice(0, length);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { ParamsValidateError };

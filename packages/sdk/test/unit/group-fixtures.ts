/**
 * Shared fixtures for the group unit tests: the real managers and GroupApi
 * wired to a scripted `request` (no server). `respond` answers requests
 * synchronously by command; unanswered requests stay pending in `calls`.
 */
import type { RequestBodies, RequestCmd, ResponseData, WireGroup, WireGroupMember, WireMessage } from '@parley/protocol';
import type { ImResponse } from '../../src/compat/chat.js';
import { GroupApi } from '../../src/compat/group-api.js';
import { MessageFactory } from '../../src/compat/message-factory.js';
import { ImError } from '../../src/errors.js';
import { Logger } from '../../src/logger.js';
import { ConversationManager } from '../../src/modules/conversation/conversation-manager.js';
import { GroupManager } from '../../src/modules/group/group-manager.js';
import type { Message } from '../../src/modules/message/message.js';
import { MessageManager } from '../../src/modules/message/message-manager.js';

export interface Call {
  cmd: RequestCmd;
  body: Record<string, unknown>;
  resolve: (data: unknown) => void;
  reject: (err: unknown) => void;
}

export type Responder = (cmd: RequestCmd, body: Record<string, unknown>) => unknown;

export function quietLog(): Logger {
  const log = new Logger();
  log.level = 4;
  return log;
}

export const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

export function wireGroup(groupID: string, fields: Partial<WireGroup> = {}, me = 'me'): WireGroup {
  return {
    groupID,
    type: 'Public',
    name: `name of ${groupID}`,
    avatar: '',
    introduction: '',
    notification: '',
    ownerID: me,
    createTime: 1_700_000_000,
    lastInfoTime: 1_700_000_000,
    infoSequence: 0,
    nextMessageSeq: 1,
    memberCount: 1,
    maxMemberCount: 2000,
    joinOption: 'NeedPermission',
    muteAllMembers: false,
    isSupportTopic: false,
    groupCustomField: [],
    selfInfo: { role: 'Owner', nameCard: '', joinTime: 1_700_000_000, messageRemindType: 'AcceptAndNotify', readedSequence: 0, muteUntil: 0, memberCustomField: [] },
    lastMessage: null,
    unreadCount: 0,
    ...fields,
  };
}

export function wireMember(userID: string, fields: Partial<WireGroupMember> = {}): WireGroupMember {
  return { userID, nick: '', avatar: '', role: 'Member', nameCard: '', joinTime: 1_700_000_000, lastSendMsgTime: 0, muteUntil: 0, memberCustomField: [], isOnline: false, ...fields };
}

export function wireGroupMessage(groupID: string, seq: number, fields: Partial<WireMessage> = {}): WireMessage {
  return {
    ID: `m-${groupID}-${seq}`,
    conversationType: 'GROUP',
    from: 'bob',
    to: groupID,
    seq,
    time: 1_700_000_000 + seq,
    clientTime: 1_700_000_000 + seq,
    random: seq,
    type: 'TIMTextElem',
    payload: { text: `text ${seq}` },
    cloudCustomData: '',
    priority: 'Normal',
    nick: '',
    avatar: '',
    isRevoked: false,
    revoker: '',
    onlineOnly: false,
    nameCard: '',
    ...fields,
  };
}

export function tip(groupID: string, seq: number, payload: Record<string, unknown>, fields: Partial<WireMessage> = {}): WireMessage {
  return wireGroupMessage(groupID, seq, { type: 'TIMGroupTipElem', payload: { userIDList: [], ...payload }, from: String(payload['operatorID'] ?? 'bob'), ...fields });
}

export interface Fixture {
  calls: Call[];
  conversations: ConversationManager;
  messages: MessageManager;
  groups: GroupManager;
  api: GroupApi;
  received: Message[][];
  groupListEvents: number;
  conversationEvents: number;
  /** Answers by command (return the data, throw/return an ImError to reject, `undefined` to leave it pending). */
  respond: (responder: Responder) => void;
  state: { ready: boolean; unlimitedAVChatRoom: boolean };
}

export function setup(me = 'me', options: { ready?: boolean; unlimitedAVChatRoom?: boolean } = {}): Fixture {
  const calls: Call[] = [];
  let responder: Responder = () => undefined;
  const request = <K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]> =>
    new Promise<ResponseData[K]>((resolve, reject) => {
      const call: Call = { cmd, body: body as Record<string, unknown>, resolve: resolve as (d: unknown) => void, reject };
      calls.push(call);
      let answer: unknown;
      try {
        answer = responder(cmd, body as Record<string, unknown>);
      } catch (err) {
        reject(err);
        return;
      }
      if (answer instanceof ImError) reject(answer);
      else if (answer !== undefined) resolve(answer as ResponseData[K]);
    });
  const log = quietLog();
  const fixture = {
    calls,
    received: [] as Message[][],
    groupListEvents: 0,
    conversationEvents: 0,
    state: { ready: options.ready ?? true, unlimitedAVChatRoom: options.unlimitedAVChatRoom ?? false },
    respond: (r: Responder) => {
      responder = r;
    },
  } as Fixture;
  let groups: GroupManager | undefined;
  const conversations = new ConversationManager(true, () => me, (groupID) => groups?.get(groupID));
  const received = (list: Message[]) => {
    groups?.observe(list);
    fixture.received.push(list);
  };
  const messages = new MessageManager({
    me: () => me,
    request,
    conversations,
    log,
    groupTypeOf: (groupID) => groups?.get(groupID)?.type,
    systemNotices: () => groups?.systemNotices() ?? [],
    events: {
      received,
      revoked: () => undefined,
      readByPeer: () => undefined,
      conversationsChanged: () => fixture.conversationEvents++,
    },
  });
  groups = new GroupManager({
    me: () => me,
    request,
    conversations,
    log,
    intl: true,
    events: {
      groupListChanged: () => fixture.groupListEvents++,
      conversationsChanged: () => fixture.conversationEvents++,
      received: (list) => fixture.received.push(list),
    },
  });
  const factory = new MessageFactory('t', () => me, log);
  const api = new GroupApi({
    api: <T>(_name: string, prepare: () => () => Promise<T>): Promise<ImResponse<T>> => {
      const run = prepare();
      return run().then((data) => ({ code: 0 as const, data }));
    },
    log,
    me: () => me,
    isReady: () => fixture.state.ready,
    request,
    groups,
    conversations,
    messages,
    factory,
    nick: () => '',
    get unlimitedAVChatRoom() {
      return fixture.state.unlimitedAVChatRoom;
    },
    sdkAppID: 1400000000,
    anonymousSocket: async () => null,
    received,
    conversationsChanged: () => fixture.conversationEvents++,
  });
  Object.assign(fixture, { conversations, messages, groups, api });
  return fixture;
}

/** Loads `list` as the joined-group list. */
export async function loadGroups(f: Fixture, list: WireGroup[]): Promise<void> {
  f.respond((cmd) => (cmd === 'group.list' ? { groups: list } : undefined));
  await f.groups.load(true);
  f.calls.length = 0;
  f.respond(() => undefined);
}

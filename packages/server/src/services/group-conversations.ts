/**
 * Group conversations inside the conversation list, and do-not-disturb
 * (`conv.set-remind`) for group and C2C conversations. The conversation
 * service calls in here for everything GROUP; C2C rows only get their
 * `messageRemindType` added.
 *
 * Remind types (spec §4.5): "Discard" — the server delivers nothing live
 * (group fan-out skips the member; C2C pushes to the user are dropped);
 * "AcceptNotNotify" — delivered, and the client keeps the conversation out of
 * its total unread count. Unread itself is derived the same way for all types.
 */
import {
  ErrorCode,
  c2cConversationID,
  encodeFrame,
  parseConversationID,
  type WireConversation,
  type WireRemindType,
} from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import { c2cKey, type Storage, type StorageRepositories } from '../storage/storage.js';
import { type Clock, nowSeconds } from './clock.js';
import { rulesFor } from './group-rules.js';
import { buildGroupConversation } from './group-views.js';
import type { Caller } from './message-service.js';
import { ServiceError } from './service-error.js';

export class GroupConversations {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
  ) {}

  /** The user's group conversations (AVChatRooms have none: they are live only), hidden ones included. */
  async list(userID: string): Promise<WireConversation[]> {
    const memberships = await this.storage.groups.membershipsOf(userID);
    const out: WireConversation[] = [];
    for (const { group, member } of memberships) {
      if (!rulesFor(group.type).storesHistory) continue;
      out.push(await buildGroupConversation(this.storage, group, member));
    }
    return out;
  }

  /** The user's conversation of the group, or null when they are not a member; `exists` says whether the group exists. */
  async get(userID: string, groupID: string): Promise<{ conversation: WireConversation | null; exists: boolean }> {
    const group = await this.storage.groups.getGroup(groupID);
    if (!group || group.dismissed) return { conversation: null, exists: false };
    const member = await this.storage.groups.getMember(groupID, userID);
    if (!member || !rulesFor(group.type).storesHistory) return { conversation: null, exists: true };
    return { conversation: await buildGroupConversation(this.storage, group, member), exists: true };
  }

  /**
   * conv.delete for GROUP conversation IDs: marks them read and hides them until
   * the next message; with `clearHistory` the member's history up to now is cleared.
   * Returns the IDs that were the user's group conversations.
   */
  async delete(userID: string, conversationIDList: readonly string[], clearHistory: boolean): Promise<string[]> {
    const groupIDs: Array<{ conversationID: string; groupID: string }> = [];
    for (const conversationID of new Set(conversationIDList)) {
      const parsed = parseConversationID(conversationID);
      if (parsed?.type === 'GROUP') groupIDs.push({ conversationID, groupID: parsed.peer });
    }
    if (groupIDs.length === 0) return [];
    return this.storage.transaction(async (tx) => {
      const done: string[] = [];
      for (const { conversationID, groupID } of groupIDs) {
        const group = await tx.groups.getGroup(groupID);
        if (!group || group.dismissed || !rulesFor(group.type).storesHistory) continue;
        const member = await tx.groups.getMember(groupID, userID);
        if (!member) continue;
        await tx.groups.updateMember(groupID, userID, {
          readSeq: Math.max(member.readSeq, group.lastSeq),
          readOwnOrd: member.sendCount,
          readTipCount: group.tipCount,
          hiddenSeq: group.lastSeq,
          ...(clearHistory ? { clearedSeq: Math.max(member.clearedSeq, group.lastSeq) } : {}),
        });
        done.push(conversationID);
      }
      return done;
    });
  }

  /**
   * conv.set-remind: every listed conversation is checked first (GROUP: the group
   * exists and the caller is a member — 10010 / 10007; `@TIM#SYSTEM` — 10004),
   * then all are changed together; the user's other connections get push.remind-type.
   */
  async setRemind(caller: Caller, conversationIDList: readonly string[], remindType: WireRemindType): Promise<string[]> {
    const ids = [...new Set(conversationIDList)];
    const targets = ids.map((conversationID) => {
      const parsed = parseConversationID(conversationID);
      if (!parsed || parsed.type === 'SYSTEM') throw new ServiceError(ErrorCode.InvalidParameters, `cannot set a remind type on "${conversationID}"`);
      return { conversationID, ...parsed };
    });
    const time = nowSeconds(this.clock);
    await this.storage.transaction(async (tx) => {
      for (const target of targets) {
        if (target.type !== 'GROUP') continue;
        const group = await tx.groups.getGroup(target.peer);
        if (!group || group.dismissed) throw new ServiceError(ErrorCode.GroupNotFound, `group ${target.peer} does not exist or was dismissed`);
        if (!(await tx.groups.getMember(target.peer, caller.userID))) throw new ServiceError(ErrorCode.NoPermission, `you are not a member of ${target.peer}`);
      }
      for (const target of targets) {
        if (target.type === 'GROUP') await tx.groups.updateMember(target.peer, caller.userID, { remindType });
        else await tx.groups.setC2CRemindType(caller.userID, target.peer, c2cKey(caller.userID, target.peer), remindType, time);
      }
    });
    const frame = encodeFrame({ cmd: 'push.remind-type', data: { conversationIDList: ids, messageRemindType: remindType } });
    void this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
    return ids;
  }

  /** Adds `messageRemindType` to the user's C2C conversation views ("" when never set). */
  async decorateC2C(userID: string, views: WireConversation[]): Promise<WireConversation[]> {
    const c2c = views.filter((v) => v.type === 'C2C');
    if (c2c.length === 0) return views;
    const types = await this.storage.groups.c2cRemindTypes(userID);
    for (const view of c2c) view.messageRemindType = types.get(view.conversationID) ?? '';
    return views;
  }

  /** Whether `receiver` discards live C2C messages from `sender` (remind type Discard). */
  async discardsC2C(receiver: string, sender: string, repos: Pick<StorageRepositories, 'groups'> = this.storage): Promise<boolean> {
    return (await repos.groups.c2cRemindType(receiver, c2cConversationID(sender))) === 'Discard';
  }
}

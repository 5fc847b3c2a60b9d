/**
 * Group messages (read diffusion): send, history, gap-fill pulls, read state and
 * revoke for `GROUP…` conversations. A stored group message is written once,
 * under the group's own sequence, and one serialised frame is published to every
 * member that receives live messages. AVChatRoom messages are never stored: they
 * go to the room's live connections (anonymous ones too), through a per-group
 * rate limiter that sheds low priorities first.
 */
import {
  ErrorCode,
  EncodedData,
  encodeFrame,
  parseConversationID,
  type ListMessagesResult,
  type PullMessagesResult,
  type WireConversation,
  type WireMessage,
  type WireMessageInput,
} from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import { groupKey, type GroupMemberRow, type GroupRow } from '../storage/group-repository.js';
import type { Storage, StorageRepositories, StoredMessage } from '../storage/storage.js';
import { type Clock, nowSeconds } from './clock.js';
import { assertValidBody } from './element-rules.js';
import { rulesFor } from './group-rules.js';
import type { GroupService } from './group-service.js';
import { encodeMessagePage, encodePullPage } from './conversation-views.js';
import { buildGroupConversation, effectiveRole, historyFloor, toGroupWire } from './group-views.js';
import type { Caller, MessagingLimits } from './message-service.js';
import type { ProfileCache } from './profile-cache.js';
import { ADMIN_FORBID_SEND_OUT } from './profile-rules.js';
import type { SendRateLimiter } from './send-rate-limiter.js';
import { ServiceError } from './service-error.js';

function fail(code: number, message: string): never {
  throw new ServiceError(code, message);
}

export class GroupMessageService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly limits: MessagingLimits,
    private readonly profiles: ProfileCache,
    private readonly groups: GroupService,
    private readonly roomLimiter: SendRateLimiter,
  ) {}

  async send(caller: Caller, input: WireMessageInput, options: { onlineUserOnly?: boolean } = {}): Promise<{ message: WireMessage; duplicate: boolean }> {
    assertValidBody(input, this.limits.maxBodyBytes);
    const groupID = input.to;
    const time = nowSeconds(this.clock);
    const group = await this.requireGroup(this.storage, groupID);
    const rules = rulesFor(group.type);

    if (!rules.storesHistory || options.onlineUserOnly) {
      // Live only: AVChatRooms always, other groups for onlineUserOnly sends. Never stored, no idempotency, seq 0.
      const member = await this.requireSender(this.storage, group, caller, time);
      if (rules.sendRateLimited && !this.roomLimiter.tryAcquire(groupID, input.priority ?? 'Normal')) {
        fail(ErrorCode.GroupSendFrequencyLimit, `the group's send rate limit is reached; ${input.priority ?? 'Normal'} priority messages are being shed`);
      }
      const message = toGroupWire(await this.compose(caller, input, group, member, time, 0, 0, options.onlineUserOnly === true));
      const frame = encodeFrame({ cmd: 'push.message', data: message });
      if (rules.liveMembership) void this.broker.publishToGroup(groupID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
      else this.groups.delivery.publish(await this.groups.delivery.recipients(groupID), frame, caller);
      return { message, duplicate: false };
    }

    const result = await this.storage.transaction(async (tx) => {
      const existing = await tx.groups.findBySender(caller.userID, input.ID);
      // A resend of a stored message answers with the original, whatever changed since.
      if (existing) return { message: existing, duplicate: true };
      const current = await this.requireGroup(tx, groupID);
      const member = await this.requireSender(tx, current, caller, time);
      const { lastSeq } = await tx.groups.advance(groupID, time, false);
      const senderOrd = await tx.groups.recordSend(groupID, caller.userID, time);
      const stored = await this.compose(caller, input, current, member, time, lastSeq, senderOrd, false);
      await tx.groups.insertMessage(stored);
      return { message: stored, duplicate: false };
    });
    if (result.duplicate) {
      if (result.message.convKey !== groupKey(groupID)) fail(ErrorCode.InvalidRequest, `message ID "${input.ID}" was already used for another conversation`);
      return { message: toGroupWire(result.message), duplicate: true };
    }
    const message = toGroupWire(result.message);
    await this.groups.delivery.messageToMembers(groupID, message, caller);
    return { message, duplicate: false };
  }

  /** A history page, already serialised (the storage renders each message's wire JSON). */
  async list(caller: Caller, conversationID: string, beforeSeq: number | undefined, count: number | undefined): Promise<EncodedData<ListMessagesResult>> {
    const group = await this.requireGroup(this.storage, this.groupIDOf(conversationID));
    if (!rulesFor(group.type).storesHistory) return encodeMessagePage([], 0);
    const member = await this.requireMember(this.storage, group, caller);
    const limit = Math.min(count ?? this.limits.pageSize, this.limits.pageSize);
    const newestFirst = await this.storage.groups.listBeforeWire(group.groupID, beforeSeq ?? null, historyFloor(group, member), limit + 1);
    return encodeMessagePage(newestFirst, limit);
  }

  /** Messages after `afterSeq` (gap fill), already serialised. */
  async pull(caller: Caller, conversationID: string, afterSeq: number, limit: number | undefined): Promise<EncodedData<PullMessagesResult>> {
    const group = await this.requireGroup(this.storage, this.groupIDOf(conversationID));
    if (!rulesFor(group.type).storesHistory) return encodePullPage([], 0, afterSeq, afterSeq);
    const member = await this.requireMember(this.storage, group, caller);
    const max = Math.min(limit ?? 100, 100);
    const from = Math.max(afterSeq, historyFloor(group, member));
    const found = await this.storage.groups.listAfterWire(group.groupID, from, max + 1);
    return encodePullPage(found, max, from, group.lastSeq);
  }

  /** Marks the group read up to `upToSeq` (default: everything); the user's other connections get push.group-read. No one else is told. */
  async read(caller: Caller, conversationID: string, upToSeq: number | undefined): Promise<WireConversation> {
    const groupID = this.groupIDOf(conversationID);
    const changed = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, groupID);
      const member = await this.requireMember(tx, group, caller);
      const target = Math.min(upToSeq ?? group.lastSeq, group.lastSeq);
      if (target <= member.readSeq) return null;
      let readOwnOrd = member.sendCount;
      let readTipCount = group.tipCount;
      if (target < group.lastSeq) {
        const after = await tx.groups.countOwnAndTipsAfter(groupID, caller.userID, target);
        readOwnOrd = member.sendCount - after.own;
        readTipCount = group.tipCount - after.tips;
      }
      await tx.groups.updateMember(groupID, caller.userID, { readSeq: target, readOwnOrd, readTipCount });
      return target;
    });
    if (changed !== null) {
      const frame = encodeFrame({ cmd: 'push.group-read', data: { groupID, readSeq: changed } });
      void this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
    }
    const group = await this.requireGroup(this.storage, groupID);
    const member = await this.requireMember(this.storage, group, caller);
    return buildGroupConversation(this.storage, group, member);
  }

  async revoke(caller: Caller, conversationID: string, messageID: string): Promise<WireMessage> {
    const groupID = this.groupIDOf(conversationID);
    const now = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, groupID);
      if (!rulesFor(group.type).storesHistory) fail(ErrorCode.GroupTypeNoRevoke, `${rulesFor(group.type).label} groups do not support revoke`);
      const member = await this.requireMember(tx, group, caller);
      const message = await tx.groups.findMessage(groupID, messageID);
      if (!message || message.seq <= historyFloor(group, member)) fail(ErrorCode.RevokeMessageNotFound, `message ${messageID} not found in ${conversationID}`);
      if (message.type === 'TIMGroupTipElem') fail(ErrorCode.MessageTypeNotRevocable, 'group tips cannot be revoked');
      if (message.isRevoked) return { message, changed: false };
      const role = effectiveRole(group, caller.userID, member);
      // App administrators (config adminUserIDs) revoke like the owner.
      const manager = role === 'Owner' || role === 'Admin' || this.groups.isAppAdmin(caller.userID);
      if (message.from !== caller.userID && !manager) fail(ErrorCode.NoPermission, "only the sender, the owner and admins may revoke a member's message");
      if (!manager && now - message.time > this.limits.revokeWindowSeconds) {
        fail(ErrorCode.GroupRevokeTimeLimitExceeded, `the revoke window of ${this.limits.revokeWindowSeconds} s has passed`);
      }
      await tx.groups.markRevoked(groupID, message.seq, caller.userID, now);
      return { message: { ...message, isRevoked: true, revoker: caller.userID, revokeTime: now }, changed: true };
    });
    const wire = toGroupWire(outcome.message);
    if (outcome.changed) {
      const frame = encodeFrame({ cmd: 'push.revoke', data: wire });
      this.groups.delivery.publish(await this.groups.delivery.recipients(groupID), frame, caller);
    }
    return wire;
  }

  /** Builds the message with the sender's current profile and name card stamped on it. */
  private async compose(
    caller: Caller,
    input: WireMessageInput,
    group: GroupRow,
    member: GroupMemberRow | null,
    time: number,
    seq: number,
    senderOrd: number,
    onlineOnly: boolean,
  ): Promise<StoredMessage> {
    const sender = await this.profiles.get(caller.userID);
    return {
      ID: input.ID,
      conversationType: 'GROUP',
      from: caller.userID,
      to: group.groupID,
      seq,
      time,
      clientTime: input.clientTime,
      random: input.random,
      type: input.type,
      payload: input.payload,
      cloudCustomData: input.cloudCustomData ?? '',
      priority: input.priority ?? 'Normal',
      // The sender's profile at send time, whatever the client claims (a client value only when no profile was ever set).
      nick: sender.nick !== '' ? sender.nick : (input.nick ?? ''),
      avatar: sender.avatar !== '' ? sender.avatar : (input.avatar ?? ''),
      isRevoked: false,
      revoker: '',
      onlineOnly,
      nameCard: member?.nameCard ?? '',
      convKey: groupKey(group.groupID),
      senderOrd,
      revokeTime: 0,
      hiddenForReceiver: false,
    };
  }

  /** The sender must be a member (AVChatRoom: joined on this connection), may send (20012), and must not be muted (10017). */
  private async requireSender(repos: StorageRepositories, group: GroupRow, caller: Caller, now: number): Promise<GroupMemberRow> {
    const member = await this.requireMember(repos, group, caller);
    const facts = await this.profiles.get(caller.userID);
    if (facts.adminForbidType === ADMIN_FORBID_SEND_OUT) fail(ErrorCode.SendForbidden, 'this account may not send messages');
    if (member.muteUntil > now) fail(ErrorCode.MutedInGroup, `you are muted in ${group.groupID} until ${member.muteUntil}`);
    const role = effectiveRole(group, caller.userID, member);
    if (group.muteAll && role !== 'Owner' && role !== 'Admin') fail(ErrorCode.MutedInGroup, `all members of ${group.groupID} are muted`);
    return member;
  }

  private async requireMember(repos: StorageRepositories, group: GroupRow, caller: Caller): Promise<GroupMemberRow> {
    const live = rulesFor(group.type).liveMembership;
    if (live && !this.groups.livePresence.inRoom(caller.connectionID, group.groupID)) fail(ErrorCode.NoPermission, `join ${group.groupID} before using it`);
    const member = await repos.groups.getMember(group.groupID, caller.userID);
    if (!member) fail(ErrorCode.NoPermission, `you are not a member of ${group.groupID}`);
    return member;
  }

  private async requireGroup(repos: StorageRepositories, groupID: string): Promise<GroupRow> {
    const group = await repos.groups.getGroup(groupID);
    if (!group || group.dismissed) fail(ErrorCode.GroupNotFound, `group ${groupID} does not exist or was dismissed`);
    return group;
  }

  private groupIDOf(conversationID: string): string {
    const parsed = parseConversationID(conversationID);
    if (!parsed || parsed.type !== 'GROUP') fail(ErrorCode.InvalidParameters, `invalid group conversationID "${conversationID}"`);
    return parsed.peer;
  }
}

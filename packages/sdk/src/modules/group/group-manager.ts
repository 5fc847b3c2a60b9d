/**
 * The joined-group list: loaded at login (before SDK_READY), kept current from
 * API responses, `push.group-updated`, group tips and system notices. Leaving,
 * dismissal and removal drop the group and its conversation. Also holds the
 * session's group system notices (the `@TIM#SYSTEM` conversation) and applies
 * the group read and remind-type syncs from the user's other instances.
 * Gets the connection and the event sink injected; never imports them.
 */
import type { PushFrame, RequestBodies, RequestCmd, ResponseData, WireGroup, WireGroupSystemNoticePayload } from '@parley/protocol';
import type { Logger } from '../../logger.js';
import type { ConversationManager } from '../conversation/conversation-manager.js';
import { SYSTEM_CONVERSATION_ID } from '../conversation/conversation-manager.js';
import { Message } from '../message/message.js';
import { Group } from './group.js';

export interface GroupEvents {
  /** The joined-group list changed: GROUP_LIST_UPDATED (throttled by the caller). */
  groupListChanged(): void;
  conversationsChanged(): void;
  /** System notices, as MESSAGE_RECEIVED. */
  received(messages: Message[]): void;
}

export interface GroupManagerDeps {
  me(): string;
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]>;
  conversations: ConversationManager;
  events: GroupEvents;
  log: Logger;
  /** English `messageForShow` (spec §3). */
  intl: boolean;
}

/** System notice `operationType` values (spec §8.4). */
export const NOTICE = {
  application: 1,
  approved: 2,
  rejected: 3,
  removed: 4,
  dismissed: 5,
  created: 6,
  invited: 7,
  quit: 8,
  setAdmin: 9,
  adminRevoked: 10,
  recycled: 11,
  /** Banned from an AVChatRoom: consumed, never surfaced as a message (spec §8.4). */
  banned: 21,
  /** Custom notice from the app administrator (REST API), text in `userDefinedField`. */
  custom: 255,
} as const;

/** Group tip `operationType` values (spec §7.2). */
export const TIP = { join: 1, quit: 2, kicked: 3, setAdmin: 4, cancelAdmin: 5, profile: 6, memberProfile: 7, ban: 10, unban: 11 } as const;

/** The fixed sender tinyID of system notices (spec §3). */
const SYSTEM_SENDER_TINY_ID = '144115198244471703';

export class GroupManager {
  private readonly groups = new Map<string, Group>();
  /** This session's system notices, oldest first. */
  private notices: Message[] = [];
  /** Group fetches in flight (a group appeared through a tip or notice). */
  private readonly fetching = new Map<string, Promise<Group | undefined>>();
  /** Bumped by reset(): answers to requests made before it are dropped. */
  private epoch = 0;

  constructor(private readonly deps: GroupManagerDeps) {}

  reset(): void {
    this.groups.clear();
    this.notices = [];
    this.fetching.clear();
    this.epoch++;
  }

  /** The joined groups (the list's instances). */
  list(): Group[] {
    return [...this.groups.values()];
  }

  get(groupID: string): Group | undefined {
    return this.groups.get(groupID);
  }

  /** The in-memory system notices, oldest first. */
  systemNotices(): Message[] {
    return [...this.notices];
  }

  /**
   * Fetches the joined-group list (at login; after a reconnect). `initial`:
   * always announce GROUP_LIST_UPDATED, and leave conversations alone; a reload
   * also drops the conversations of groups that are gone.
   */
  async load(initial: boolean): Promise<void> {
    const epoch = this.epoch;
    const { groups } = await this.deps.request('group.list', {});
    if (epoch !== this.epoch) return;
    const seen = new Set<string>();
    let changed = initial;
    let conversationsGone = false;
    for (const wire of groups) {
      seen.add(wire.groupID);
      if (this.upsert(wire)) changed = true;
    }
    for (const groupID of [...this.groups.keys()]) {
      if (seen.has(groupID)) continue;
      this.groups.delete(groupID);
      if (!initial && this.deps.conversations.remove('GROUP' + groupID)) conversationsGone = true;
      changed = true;
    }
    if (changed) this.deps.events.groupListChanged();
    if (conversationsGone) this.deps.events.conversationsChanged();
  }

  /**
   * After a reconnect: AVChatRoom membership is per connection, so the rooms
   * are joined again (dropped if that fails); then the list is reloaded.
   */
  async afterReconnect(): Promise<void> {
    const rooms = this.list().filter((g) => g.type === 'AVChatRoom');
    await Promise.all(
      rooms.map((g) =>
        this.deps.request('group.join', { groupID: g.groupID }).then(
          (res) => {
            if (res.group) this.accept(res.group);
          },
          () => this.remove(g.groupID),
        ),
      ),
    );
    await this.load(false);
  }

  /**
   * The Group for a server view: when the user is a member (the view has
   * `selfInfo`) the list's instance, updated in place or added; otherwise the
   * list's instance updated (if the group is there) or a fresh object.
   */
  accept(wire: WireGroup): Group {
    if (wire.selfInfo) {
      if (this.upsert(wire)) this.deps.events.groupListChanged();
      return this.groups.get(wire.groupID) as Group;
    }
    const known = this.groups.get(wire.groupID);
    if (!known) return Group.fromWire(wire, this.deps.me(), this.deps.intl);
    const self = known.selfInfo;
    known.applyWire(wire, this.deps.me(), this.deps.intl);
    known.selfInfo = self;
    this.deps.events.groupListChanged();
    return known;
  }

  /** The group is gone for this user (quit, dismissed, removed): drop it and its conversation. */
  remove(groupID: string): void {
    const had = this.groups.delete(groupID);
    const hadConversation = this.deps.conversations.remove('GROUP' + groupID);
    if (had) this.deps.events.groupListChanged();
    if (hadConversation) this.deps.events.conversationsChanged();
  }

  /** Fetches a group that just appeared (a tip or notice named me) and adds it if I am a member. */
  refresh(groupID: string): Promise<Group | undefined> {
    const running = this.fetching.get(groupID);
    if (running) return running;
    const epoch = this.epoch;
    const job = this.deps
      .request('group.get', { groupID })
      .then(({ group }) => (epoch === this.epoch ? this.accept(group) : undefined))
      .catch((err: unknown) => {
        this.deps.log.warn(`could not fetch group ${groupID}`, err);
        return undefined;
      })
      .finally(() => {
        if (epoch === this.epoch) this.fetching.delete(groupID);
      });
    this.fetching.set(groupID, job);
    return job;
  }

  /** Removes a handled application notice (handleGroupApplication). */
  dropNotice(message: Message): void {
    const before = this.notices.length;
    this.notices = this.notices.filter((m) => m.ID !== message.ID);
    const entry = this.deps.conversations.get(SYSTEM_CONVERSATION_ID);
    if (entry?.messages.delete(message.ID) && !message.isRead && entry.conversation.unreadCount > 0) entry.conversation.unreadCount--;
    if (before !== this.notices.length) this.deps.events.conversationsChanged();
  }

  /** Sets a conversation's remind type here (after `conv.set-remind` or its push). */
  applyRemindType(conversationIDList: readonly string[], messageRemindType: string): void {
    let groupsChanged = false;
    for (const conversationID of conversationIDList) {
      const entry = this.deps.conversations.get(conversationID);
      if (entry) entry.conversation.messageRemindType = messageRemindType;
      if (conversationID.startsWith('GROUP')) {
        const group = this.groups.get(conversationID.slice('GROUP'.length));
        if (group) {
          group.selfInfo.messageRemindType = messageRemindType;
          groupsChanged = true;
        }
      }
    }
    if (groupsChanged) this.deps.events.groupListChanged();
    this.deps.events.conversationsChanged();
  }

  handlePush(frame: PushFrame): void {
    switch (frame.cmd) {
      case 'push.group-updated':
        this.accept(frame.data);
        return;
      case 'push.system-notice':
        this.onSystemNotice(frame.data);
        return;
      case 'push.group-read': {
        const entry = this.deps.conversations.get('GROUP' + frame.data.groupID);
        if (entry) this.deps.conversations.markRead(entry, frame.data.readSeq);
        const group = this.groups.get(frame.data.groupID);
        if (group) group.selfInfo.readedSequence = Math.max(group.selfInfo.readedSequence, frame.data.readSeq);
        this.deps.events.conversationsChanged();
        return;
      }
      case 'push.remind-type':
        this.applyRemindType(frame.data.conversationIDList, frame.data.messageRemindType);
        return;
      default:
        return;
    }
  }

  /**
   * Group messages just delivered (live, gap-filled, or from an anonymous room):
   * tips update the cached group; every message moves `nextMessageSeq`/`lastMessage`.
   */
  observe(messages: readonly Message[]): void {
    let changed = false;
    const me = this.deps.me();
    for (const m of messages) {
      if (m.conversationType !== 'GROUP') continue;
      const group = this.groups.get(m.to);
      // Kept current silently: a new message alone does not announce the group list.
      if (group && m.sequence > 0) group.noteMessage({ seq: m.sequence, time: m.time, from: m.from, type: m.type, payload: m.payload }, this.deps.intl);
      if (m.type !== 'TIMGroupTipElem') continue;
      const tip = m.payload as { operatorID?: string; operationType?: number; userIDList?: string[]; newGroupProfile?: Record<string, unknown>; memberList?: Array<{ userID: string; muteTime?: number }>; memberCount?: number };
      const users = Array.isArray(tip.userIDList) ? tip.userIDList : [];
      const aboutMe = users.includes(me);
      if (!group) {
        // A group I was just added to (the join tip can overtake the group itself).
        if (tip.operationType === TIP.join && aboutMe && me !== '') void this.refresh(m.to);
        continue;
      }
      if (typeof tip.memberCount === 'number') group.memberCount = tip.memberCount;
      switch (tip.operationType) {
        case TIP.join:
          if (typeof tip.memberCount !== 'number' && !aboutMe) group.memberCount += users.length;
          break;
        case TIP.quit:
        case TIP.kicked:
        case TIP.ban:
          if (aboutMe) {
            this.remove(group.groupID);
            continue;
          }
          if (typeof tip.memberCount !== 'number') group.memberCount = Math.max(0, group.memberCount - users.length);
          break;
        case TIP.setAdmin:
        case TIP.cancelAdmin:
          if (aboutMe) group.selfInfo.role = tip.operationType === TIP.setAdmin ? 'Admin' : 'Member';
          break;
        case TIP.profile:
          if (tip.newGroupProfile) group.applyProfileChange(tip.newGroupProfile, me);
          break;
        case TIP.memberProfile:
          for (const item of tip.memberList ?? []) {
            if (item.userID !== me || typeof item.muteTime !== 'number') continue;
            group.selfInfo.muteUntil = item.muteTime > 0 ? m.time + item.muteTime : 0;
          }
          break;
        default:
          break;
      }
      changed = true;
    }
    if (changed) this.deps.events.groupListChanged();
  }

  /** A `push.system-notice` becomes a `TIMGroupSystemNoticeElem` message (spec §8.4) and acts on the list. */
  private onSystemNotice(data: { ID: string; time: number; groupID: string; payload: WireGroupSystemNoticePayload }): void {
    if (data.payload.operationType === NOTICE.banned) {
      // Spec §8.4: "SDK consumes" — like notice 4 the room leaves the list (GROUP_LIST_UPDATED),
      // but no @TIM#SYSTEM message and no MESSAGE_RECEIVED. The room's tip 10 names the banned users.
      this.remove(data.groupID);
      return;
    }
    const message = systemNoticeMessage(data, this.deps.me());
    if (this.notices.some((n) => n.ID === message.ID)) return;
    this.notices.push(message);
    this.deps.conversations.recordSystemNotice(message);
    const { operationType } = data.payload;
    const group = this.groups.get(data.groupID);
    switch (operationType) {
      case NOTICE.removed:
      case NOTICE.dismissed:
      case NOTICE.recycled:
      case NOTICE.quit:
        this.remove(data.groupID);
        break;
      case NOTICE.approved:
      case NOTICE.invited:
      case NOTICE.created:
        if (!group) void this.refresh(data.groupID);
        break;
      case NOTICE.setAdmin:
      case NOTICE.adminRevoked:
        if (group) {
          group.selfInfo.role = operationType === NOTICE.setAdmin ? 'Admin' : 'Member';
          this.deps.events.groupListChanged();
        }
        break;
      default:
        break;
    }
    this.deps.events.conversationsChanged();
    this.deps.events.received([message]);
  }

  /** Adds or updates a member's group from a server view; true when the list changed. */
  private upsert(wire: WireGroup): boolean {
    if (!wire.selfInfo) return false;
    const me = this.deps.me();
    const known = this.groups.get(wire.groupID);
    if (known) known.applyWire(wire, me, this.deps.intl);
    else this.groups.set(wire.groupID, Group.fromWire(wire, me, this.deps.intl));
    const group = this.groups.get(wire.groupID) as Group;
    this.deps.conversations.attachGroup(group);
    return true;
  }
}

/** The Message for a system notice (conversation `@TIM#SYSTEM`, from `@TIM#SYSTEM`). */
export function systemNoticeMessage(data: { ID: string; time: number; groupID: string; payload: WireGroupSystemNoticePayload }, me: string): Message {
  const p = data.payload;
  const m = new Message();
  m.ID = data.ID;
  m.type = 'TIMGroupSystemNoticeElem';
  m.payload = {
    operatorID: p.operatorID,
    operationType: p.operationType,
    groupProfile: { from: p.operatorID, groupID: p.groupProfile.groupID || data.groupID, name: p.groupProfile.name, to: me },
    handleMessage: p.handleMessage,
    authentication: p.authentication,
    messageKey: p.messageKey,
    userDefinedField: p.userDefinedField,
  };
  m.conversationID = SYSTEM_CONVERSATION_ID;
  m.conversationType = '@TIM#SYSTEM';
  m.from = '@TIM#SYSTEM';
  m.to = me;
  m.flow = 'in';
  m.time = data.time;
  m.clientTime = data.time;
  m.status = 'success';
  m.isSystemMessage = true;
  m.senderTinyID = SYSTEM_SENDER_TINY_ID;
  return m;
}

/**
 * How group events reach people: tips (stored in the group timeline, pushed as
 * `push.message`), system notices (`push.system-notice`, live only),
 * `push.group-updated`, and AVChatRoom room frames. Every frame is serialised
 * once and published through the broker (per user, or per room channel for
 * AVChatRooms).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  encodeFrame,
  type ServerFrame,
  type WireGroupSystemNoticePayload,
  type WireGroupTipPayload,
  type WireMessage,
} from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import { groupKey, type GroupMemberRow, type GroupRow } from '../storage/group-repository.js';
import type { Storage, StorageRepositories, StoredMessage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import type { GroupPresence } from './group-presence.js';
import { rulesFor } from './group-rules.js';
import { buildGroupView, historyFloor, toGroupWire, unreadFor } from './group-views.js';

/** Who caused an event: their request connection never gets an echo of a live-only notice. */
export interface Origin {
  userID: string;
  connectionID: string;
}

/** The fields of a system notice a caller chooses; the rest default to "". */
export type NoticeFields = Pick<WireGroupSystemNoticePayload, 'operatorID' | 'operationType'> & Partial<WireGroupSystemNoticePayload>;

function randomUint32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Groups whose recipient lists are kept (LRU). */
const RECIPIENT_CACHE_GROUPS = 1024;

export class GroupDelivery {
  private readonly recipientCache = new Map<string, { version: number; userIDs: readonly string[] }>();

  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly presence: () => GroupPresence,
  ) {}

  /**
   * Builds a tip. Stored groups: call inside the operation's transaction, so the
   * tip takes the next sequence atomically with the change. AVChatRooms: not
   * stored (seq 0), delivered with `toRoom`.
   */
  async appendTip(tx: StorageRepositories | null, group: GroupRow, payload: WireGroupTipPayload, time: number): Promise<WireMessage> {
    const stored = rulesFor(group.type).storesHistory && tx !== null;
    const seq = stored ? (await tx.groups.advance(group.groupID, time, true)).lastSeq : 0;
    const message: StoredMessage = {
      ID: `GRPTIP-${randomUUID()}`,
      conversationType: 'GROUP',
      from: payload.operatorID,
      to: group.groupID,
      seq,
      time,
      clientTime: time,
      random: randomUint32(),
      type: 'TIMGroupTipElem',
      payload: payload as unknown as Record<string, unknown>,
      cloudCustomData: '',
      priority: 'Normal',
      nick: '',
      avatar: '',
      isRevoked: false,
      revoker: '',
      onlineOnly: false,
      nameCard: '',
      convKey: groupKey(group.groupID),
      senderOrd: 0,
      revokeTime: 0,
      hiddenForReceiver: false,
    };
    if (stored) await tx.groups.insertMessage(message);
    return toGroupWire(message);
  }

  /** Delivers a stored group's timeline message (or tip) to its members whose remind type is not Discard. */
  async messageToMembers(groupID: string, message: WireMessage, exclude?: Origin): Promise<void> {
    const frame = encodeFrame({ cmd: 'push.message', data: message });
    this.publish(await this.recipients(groupID), frame, exclude);
  }

  /**
   * The members that receive live frames (remind type not Discard). Cached per
   * group and keyed by the group's `membersVersion`, which storage bumps on every
   * change of that set: one primary-key read per fan-out instead of a member scan,
   * and correct across nodes (the version lives in storage).
   */
  async recipients(groupID: string): Promise<readonly string[]> {
    const version = await this.storage.groups.membersVersion(groupID);
    const cached = this.recipientCache.get(groupID);
    if (cached && cached.version === version) {
      this.recipientCache.delete(groupID);
      this.recipientCache.set(groupID, cached);
      return cached.userIDs;
    }
    const userIDs = await this.storage.groups.deliverableMemberIDs(groupID);
    // A version read before the member list can only be older than the list: at worst a needless reload later.
    this.recipientCache.delete(groupID);
    this.recipientCache.set(groupID, { version, userIDs });
    if (this.recipientCache.size > RECIPIENT_CACHE_GROUPS) {
      const oldest = this.recipientCache.keys().next();
      if (!oldest.done) this.recipientCache.delete(oldest.value);
    }
    return userIDs;
  }

  /** Delivers an already serialised frame to the given users (all their connections but `exclude.connectionID`). */
  publish(userIDs: Iterable<string>, frame: string, exclude?: Origin): void {
    // One delivery for everyone: connection IDs are unique, so the excluded one can only match the sender's.
    void this.broker.publishToUsers(userIDs, exclude ? { kind: 'frame', frame, excludeConnectionID: exclude.connectionID } : { kind: 'frame', frame });
  }

  /** A live frame to every connection (logged-in or anonymous) that joined the AVChatRoom. */
  toRoom(groupID: string, frame: ServerFrame, excludeConnectionID?: string): void {
    const text = encodeFrame(frame);
    void this.broker.publishToGroup(groupID, excludeConnectionID === undefined ? { kind: 'frame', frame: text } : { kind: 'frame', frame: text, excludeConnectionID });
  }

  /** The users' connections leave the AVChatRoom on every node (a ban); anonymous sockets stay. */
  evictFromRoom(groupID: string, userIDList: readonly string[]): void {
    if (userIDList.length > 0) void this.broker.publishToGroup(groupID, { kind: 'evicted', userIDList: [...userIDList] });
  }

  /** Ends the AVChatRoom on every node: its connections stop being members. */
  closeRoom(groupID: string): void {
    void this.broker.publishToGroup(groupID, { kind: 'closed' });
  }

  /**
   * A group system notice (spec §8.4) to `recipients`, live only. The connection
   * that made the request never gets it (its response already says what happened).
   */
  systemNotice(recipients: Iterable<string>, group: Pick<GroupRow, 'groupID' | 'name'>, notice: NoticeFields, origin?: Origin): void {
    this.publish(recipients, this.noticeFrame(group, notice), origin);
  }

  /** A system notice to every connection in an AVChatRoom (dismissal). */
  noticeToRoom(group: Pick<GroupRow, 'groupID' | 'name'>, notice: NoticeFields, excludeConnectionID?: string): void {
    const frame = this.noticeFrame(group, notice);
    void this.broker.publishToGroup(group.groupID, excludeConnectionID === undefined ? { kind: 'frame', frame } : { kind: 'frame', frame, excludeConnectionID });
  }

  private noticeFrame(group: Pick<GroupRow, 'groupID' | 'name'>, notice: NoticeFields): string {
    const payload: WireGroupSystemNoticePayload = {
      operatorID: notice.operatorID,
      operationType: notice.operationType,
      groupProfile: { groupID: group.groupID, name: group.name },
      handleMessage: notice.handleMessage ?? '',
      authentication: notice.authentication ?? '',
      messageKey: notice.messageKey ?? '',
      userDefinedField: notice.userDefinedField ?? '',
    };
    return encodeFrame({
      cmd: 'push.system-notice',
      data: { ID: `GRPSYS-${randomUUID()}`, time: Math.floor(this.clock.nowMs() / 1000), groupID: group.groupID, payload },
    });
  }

  /**
   * `push.group-updated` to each of `userIDs` that is a member, with the group as
   * that user sees it. Users without a live connection are skipped (they read the
   * group on their next `group.list`). AVChatRooms get no such push.
   */
  async groupUpdated(groupID: string, userIDs: readonly string[] | 'all', origin?: Origin): Promise<void> {
    const group = await this.storage.groups.getGroup(groupID);
    if (!group || group.dismissed || rulesFor(group.type).liveMembership) return;
    const presence = this.presence();
    let members: GroupMemberRow[];
    if (userIDs === 'all') members = await this.storage.groups.allMembers(groupID);
    else members = await this.storage.groups.getMembers(groupID, [...new Set(userIDs)]);
    // Online on any node (the broker knows): only they get a view built for them.
    const online = await this.broker.onlineAmong(members.map((m) => m.userID));
    members = members.filter((m) => online.has(m.userID));
    if (members.length === 0) return;
    // The group's newest message is what most members see last: fetch it once.
    const newest = rulesFor(group.type).storesHistory && group.lastSeq > 0 ? await this.storage.groups.lastMessage(groupID, 0) : null;
    for (const member of members) {
      const view = await buildGroupView(this.storage, { roomSize: (id) => presence.roomSize(id) }, group, member, { withConversation: false });
      if (newest && newest.seq > historyFloor(group, member)) view.lastMessage = toGroupWire(newest);
      else view.lastMessage = null;
      view.unreadCount = await unreadFor(this.storage, group, member);
      const frame = encodeFrame({ cmd: 'push.group-updated', data: view });
      this.publish([member.userID], frame, origin);
    }
  }
}

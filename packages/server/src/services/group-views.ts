/**
 * Builds the wire shapes of groups (WireGroup, WireGroupMember, the group
 * WireConversation) from storage rows, as one user sees them. Unread counts and
 * history floors are derived here, never stored:
 *
 *   unread = (lastSeq − readSeq)                  messages after the read point
 *          − (tipCount − readTipCount)            … minus tips (never unread)
 *          − (sendCount − readOwnOrd)             … minus the member's own messages
 *          − revoked messages of others after readSeq
 *
 * `readSeq` starts at the group's lastSeq when the member joins, so nothing from
 * before the join is ever unread. Meeting and AVChatRoom count no unread.
 */
import {
  GROUP_PREFIX,
  type WireConversation,
  type WireGroup,
  type WireGroupMember,
  type WireGroupRole,
  type WireMessage,
} from '@parley/protocol';
import type { GroupMemberRow, GroupRow } from '../storage/group-repository.js';
import type { StorageRepositories, StoredMessage } from '../storage/storage.js';
import { toWire } from './conversation-views.js';
import { rulesFor } from './group-rules.js';

/** The wire form of a stored group message (keeps `nameCard`). */
export function toGroupWire(m: StoredMessage): WireMessage {
  return toWire({ ...m, conversationType: 'GROUP' });
}

export function groupConversationID(groupID: string): string {
  return GROUP_PREFIX + groupID;
}

/** Sequences ≤ this are not visible to the member (cleared, or before the join for types without history-before-join). */
export function historyFloor(group: GroupRow, member: GroupMemberRow): number {
  const rules = rulesFor(group.type);
  return Math.max(member.clearedSeq, rules.historyBeforeJoin ? 0 : member.joinSeq);
}

export async function unreadFor(repos: StorageRepositories, group: GroupRow, member: GroupMemberRow): Promise<number> {
  if (!rulesFor(group.type).countsUnread) return 0;
  const after = group.lastSeq - member.readSeq;
  if (after <= 0) return 0;
  const candidates = after - (group.tipCount - member.readTipCount) - (member.sendCount - member.readOwnOrd);
  if (candidates <= 0) return 0;
  const revoked = await repos.groups.countRevokedOthersAfter(group.groupID, member.userID, member.readSeq);
  return Math.max(0, candidates - revoked);
}

export async function lastVisibleMessage(repos: StorageRepositories, group: GroupRow, member: GroupMemberRow): Promise<WireMessage | null> {
  if (!rulesFor(group.type).storesHistory || group.lastSeq === 0) return null;
  const last = await repos.groups.lastMessage(group.groupID, historyFloor(group, member));
  return last ? toGroupWire(last) : null;
}

export interface GroupViewContext {
  /** Live members of an AVChatRoom (its memberCount). */
  roomSize(groupID: string): number;
}

/** The role a user holds in the group: the owner is always "Owner"; `member` is their row when they count as a member. */
export function effectiveRole(group: GroupRow, userID: string, member: GroupMemberRow | null): WireGroupRole | null {
  if (group.owner !== '' && group.owner === userID) return 'Owner';
  if (!member) return null;
  return member.role === 'Owner' ? 'Member' : member.role;
}

/**
 * The group as `member` (or a non-member, when null) sees it. `withConversation`
 * adds lastMessage and unreadCount (members only).
 */
export async function buildGroupView(
  repos: StorageRepositories,
  ctx: GroupViewContext,
  group: GroupRow,
  member: GroupMemberRow | null,
  options: { withConversation?: boolean } = {},
): Promise<WireGroup> {
  const rules = rulesFor(group.type);
  let lastMessage: WireMessage | null = null;
  let unreadCount = 0;
  if (member && options.withConversation !== false) {
    lastMessage = await lastVisibleMessage(repos, group, member);
    unreadCount = await unreadFor(repos, group, member);
  }
  return {
    groupID: group.groupID,
    type: group.type,
    name: group.name,
    avatar: group.avatar,
    introduction: group.introduction,
    notification: group.notification,
    ownerID: group.owner,
    createTime: group.createdAt,
    lastInfoTime: group.lastInfoTime,
    infoSequence: group.infoSeq,
    nextMessageSeq: group.lastSeq + 1,
    memberCount: rules.liveMembership ? ctx.roomSize(group.groupID) : group.memberCount,
    maxMemberCount: group.maxMemberCount,
    joinOption: rules.joinOptionSettable ? group.joinOption : rules.defaultJoinOption,
    muteAllMembers: group.muteAll,
    isSupportTopic: group.isSupportTopic,
    groupCustomField: group.custom,
    selfInfo: member
      ? {
          role: effectiveRole(group, member.userID, member) ?? 'Member',
          nameCard: member.nameCard,
          joinTime: member.joinTime,
          messageRemindType: member.remindType === '' ? 'AcceptAndNotify' : member.remindType,
          readedSequence: member.readSeq,
          muteUntil: member.muteUntil,
          memberCustomField: member.custom,
        }
      : null,
    lastMessage,
    unreadCount,
  };
}

export function buildMemberView(group: GroupRow, member: GroupMemberRow, profile: { nick: string; avatar: string } | undefined, isOnline: boolean): WireGroupMember {
  return {
    userID: member.userID,
    nick: profile?.nick ?? '',
    avatar: profile?.avatar ?? '',
    role: effectiveRole(group, member.userID, member) ?? 'Member',
    nameCard: member.nameCard,
    joinTime: member.joinTime,
    lastSendMsgTime: member.lastSendTime,
    muteUntil: member.muteUntil,
    memberCustomField: member.custom,
    isOnline,
  };
}

/** The group conversation of a member (conv.sync, conv.get, msg.read). */
export async function buildGroupConversation(repos: StorageRepositories, group: GroupRow, member: GroupMemberRow): Promise<WireConversation> {
  return {
    conversationID: groupConversationID(group.groupID),
    type: 'GROUP',
    peer: group.groupID,
    lastSeq: group.lastSeq,
    readSeq: member.readSeq,
    peerReadSeq: 0,
    peerReadTime: 0,
    unreadCount: await unreadFor(repos, group, member),
    lastMessage: await lastVisibleMessage(repos, group, member),
    clearedSeq: member.clearedSeq,
    hidden: member.hiddenSeq >= 0 && group.lastSeq <= member.hiddenSeq,
    updatedAt: Math.max(group.lastTime, member.joinTime),
    peerProfile: { userID: '', nick: '', avatar: '' },
    groupProfile: { groupID: group.groupID, name: group.name, avatar: group.avatar, type: group.type },
    messageRemindType: member.remindType,
  };
}

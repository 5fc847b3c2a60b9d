/**
 * The storage port for groups, group members, join applications, group
 * messages (read diffusion: stored once per group in the shared messages
 * table under `groupKey(groupID)`), and conversation do-not-disturb settings.
 * Part of `StorageRepositories` as `groups`.
 */
import type { WireGroupRole, WireGroupType, WireJoinOption, WireKeyValue, WireRemindType } from '@parley/protocol';
import type { StoredMessage, WireMessageJson } from './storage.js';

export interface GroupRow {
  groupID: string;
  type: WireGroupType;
  name: string;
  /** "" when ownerless (the owner quit a Work group). */
  owner: string;
  introduction: string;
  notification: string;
  avatar: string;
  joinOption: WireJoinOption;
  maxMemberCount: number;
  muteAll: boolean;
  isSupportTopic: boolean;
  custom: WireKeyValue[];
  /** Seconds. */
  createdAt: number;
  /** Seconds: last profile change. */
  lastInfoTime: number;
  infoSeq: number;
  /** Highest group message sequence (tips included); 0 when empty. */
  lastSeq: number;
  /** Time of the last stored message, seconds (0 if none). */
  lastTime: number;
  /** Stored tips so far (tips never count as unread). */
  tipCount: number;
  /** Stored member rows (AVChatRoom: see `liveMembership` — rows only hold per-user attributes there). */
  memberCount: number;
  dismissed: boolean;
}

export interface GroupMemberRow {
  groupID: string;
  userID: string;
  role: WireGroupRole;
  nameCard: string;
  /** Seconds. */
  joinTime: number;
  /** Seconds; muted while > now. */
  muteUntil: number;
  custom: WireKeyValue[];
  /** Highest sequence read. Starts at `joinSeq`. */
  readSeq: number;
  /** The group's `lastSeq` when the member joined: history floor for types without history-before-join. */
  joinSeq: number;
  /** "" = default (AcceptAndNotify). */
  remindType: WireRemindType | '';
  /** Seconds (0 if never sent). */
  lastSendTime: number;
  /** Messages this member has sent since joining (their `senderOrd`). */
  sendCount: number;
  /** `sendCount` at `readSeq`. */
  readOwnOrd: number;
  /** The group's `tipCount` at `readSeq`. */
  readTipCount: number;
  /** Sequences ≤ this are cleared from this member's history (conv.delete with clearHistoryMessage). */
  clearedSeq: number;
  /** conv.delete hid the conversation when the group's lastSeq was `hiddenSeq`; it reappears once lastSeq moves past it. -1 = not hidden. */
  hiddenSeq: number;
}

export interface GroupApplicationRow {
  groupID: string;
  applicant: string;
  message: string;
  /** Seconds. */
  createdAt: number;
  handled: boolean;
  handler: string;
  /** "" while pending; "Agree" or "Reject". */
  result: string;
}

/** One of the user's groups with their member row. */
export interface MembershipRow {
  group: GroupRow;
  member: GroupMemberRow;
}

export type GroupChanges = Partial<
  Pick<
    GroupRow,
    'name' | 'owner' | 'introduction' | 'notification' | 'avatar' | 'joinOption' | 'maxMemberCount' | 'muteAll' | 'custom' | 'lastInfoTime' | 'infoSeq'
  >
>;

export type MemberChanges = Partial<
  Pick<GroupMemberRow, 'role' | 'nameCard' | 'muteUntil' | 'custom' | 'remindType' | 'readSeq' | 'readOwnOrd' | 'readTipCount' | 'clearedSeq' | 'hiddenSeq'>
>;

export interface GroupRepository {
  // ---- groups
  /** Inserts a group; false when the ID is taken (dismissed groups included). */
  createGroup(group: GroupRow): Promise<boolean>;
  /** The group, dismissed or not; null if the ID was never used. */
  getGroup(groupID: string): Promise<GroupRow | null>;
  updateGroup(groupID: string, changes: GroupChanges): Promise<void>;
  /** Reserves the next sequence (and counts a tip); returns the group after the update. */
  advance(groupID: string, time: number, isTip: boolean): Promise<{ lastSeq: number; tipCount: number }>;
  /** Marks the group dismissed and deletes its members, applications and messages. */
  dismiss(groupID: string): Promise<void>;

  // ---- members
  /** Inserts the member unless present; true when inserted (the group's member count follows). */
  addMember(member: GroupMemberRow): Promise<boolean>;
  /** Deletes the member; true when it existed (the group's member count follows). */
  removeMember(groupID: string, userID: string): Promise<boolean>;
  getMember(groupID: string, userID: string): Promise<GroupMemberRow | null>;
  /** The members among `userIDs` (one query). */
  getMembers(groupID: string, userIDs: readonly string[]): Promise<GroupMemberRow[]>;
  /** A page of members ordered by join time then userID; `role` filters. */
  listMembers(groupID: string, offset: number, limit: number, role?: WireGroupRole): Promise<GroupMemberRow[]>;
  /** Every member row of the group (views for a whole group, e.g. push.group-updated). */
  allMembers(groupID: string): Promise<GroupMemberRow[]>;
  /** userIDs of members that receive live messages (remind type not Discard). */
  deliverableMemberIDs(groupID: string): Promise<string[]>;
  /** Changes whenever `deliverableMemberIDs` may change (members added/removed, remind type set, dismissed); 0 for unknown groups. */
  membersVersion(groupID: string): Promise<number>;
  /** userIDs of the owner and admins. */
  managerIDs(groupID: string): Promise<string[]>;
  updateMember(groupID: string, userID: string, changes: MemberChanges): Promise<void>;
  /** Counts one sent message for the member; returns their new `sendCount`. */
  recordSend(groupID: string, userID: string, time: number): Promise<number>;
  /** Non-dismissed groups the user is a member of, with their member rows. */
  membershipsOf(userID: string): Promise<MembershipRow[]>;
  /** How many groups the user is a member of (AVChatRooms, whose rows only hold attributes, not counted). */
  countMemberships(userID: string): Promise<number>;

  // ---- applications
  /** Creates or re-opens (pending again) the application of `applicant`. */
  upsertApplication(application: GroupApplicationRow): Promise<void>;
  getApplication(groupID: string, applicant: string): Promise<GroupApplicationRow | null>;
  /** Pending applications of groups where `userID` is owner or admin, oldest first. */
  pendingApplicationsFor(userID: string): Promise<GroupApplicationRow[]>;
  markApplicationHandled(groupID: string, applicant: string, handler: string, result: string): Promise<void>;

  // ---- group messages (in the shared messages table)
  insertMessage(message: StoredMessage): Promise<void>;
  /** A message of the group by its client ID (any sender). */
  findMessage(groupID: string, messageID: string): Promise<StoredMessage | null>;
  /** A message by idempotency key (sender, ID), any conversation. */
  findBySender(sender: string, messageID: string): Promise<StoredMessage | null>;
  /** Newest-first: seq < beforeSeq (if given), seq > minSeqExclusive. */
  listBefore(groupID: string, beforeSeq: number | null, minSeqExclusive: number, limit: number): Promise<StoredMessage[]>;
  /** `listBefore`, each message as its wire JSON (the history page path). */
  listBeforeWire(groupID: string, beforeSeq: number | null, minSeqExclusive: number, limit: number): Promise<WireMessageJson[]>;
  /** Oldest-first: seq > afterSeq. */
  listAfter(groupID: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  /** `listAfter`, each message as its wire JSON (the gap-fill path). */
  listAfterWire(groupID: string, afterSeq: number, limit: number): Promise<WireMessageJson[]>;
  /** Newest message with seq > minSeqExclusive. */
  lastMessage(groupID: string, minSeqExclusive: number): Promise<StoredMessage | null>;
  markRevoked(groupID: string, seq: number, revoker: string, time: number): Promise<void>;
  /** Revoked messages with seq > afterSeq not sent by `userID` (they leave that member's unread). */
  countRevokedOthersAfter(groupID: string, userID: string, afterSeq: number): Promise<number>;
  /** Among messages with seq > afterSeq: how many `userID` sent and how many are tips (partial reads only). */
  countOwnAndTipsAfter(groupID: string, userID: string, afterSeq: number): Promise<{ own: number; tips: number }>;

  // ---- C2C do-not-disturb (user_conversations.remind_type)
  /** Sets the remind type of the user's C2C conversation; creates a hidden row when the user has none. */
  setC2CRemindType(owner: string, peer: string, convKey: string, remindType: WireRemindType, now: number): Promise<void>;
  /** conversationID → remind type of the user's C2C rows that have one set. */
  c2cRemindTypes(owner: string): Promise<Map<string, WireRemindType>>;
  c2cRemindType(owner: string, conversationID: string): Promise<WireRemindType | ''>;
}

/** An AVChatRoom ban (spec §4.8 deleteGroupMember with `duration`; admin REST `ban_group_member`). */
export interface GroupBanRow {
  groupID: string;
  userID: string;
  /** Seconds; the ban holds while this is > now (expired rows are ignored, not deleted). */
  until: number;
  /** The ban's description (REST `Description`), "" when none. */
  description: string;
  /** Who banned: the owner or an app administrator. */
  operator: string;
  /** Seconds. */
  createdAt: number;
}

/**
 * AVChatRoom bans, stored so they outlive a restart. Merged into
 * `StorageRepositories.groups` (each backend implements it next to its group repository).
 */
export interface GroupBanRepository {
  /** Stores the bans, replacing any earlier ban of the same users (a re-ban restarts the clock). */
  putBans(bans: readonly GroupBanRow[]): Promise<void>;
  /** The user's ban in the group if it holds at `now` (seconds), else null. */
  activeBan(groupID: string, userID: string, now: number): Promise<GroupBanRow | null>;
  /** Deletes the bans of `userIDs`; returns those whose ban still held at `now` (the ones actually lifted). */
  removeBans(groupID: string, userIDs: readonly string[], now: number): Promise<string[]>;
  /** Deletes every ban of the group (dismissal). */
  clearBans(groupID: string): Promise<void>;
}

/** Key of a group's timeline in the messages table. */
export function groupKey(groupID: string): string {
  return `group:${groupID}`;
}

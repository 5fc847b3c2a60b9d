/**
 * Group shapes and command bodies on the wire. Field names follow TIM's
 * Group (spec §8.6), GroupMember (§8.7), tip and system-notice payloads
 * (§8.3, §8.4) one-to-one.
 */
import type { WireMessage } from './message.js';

/** TIM group types: Work, Public, Meeting, AVChatRoom, Community. */
export type WireGroupType = 'Private' | 'Public' | 'ChatRoom' | 'AVChatRoom' | 'Community';

export type WireGroupRole = 'Owner' | 'Admin' | 'Member' | 'Custom';

export type WireJoinOption = 'FreeAccess' | 'NeedPermission' | 'DisableApply';

export type WireRemindType = 'AcceptAndNotify' | 'AcceptNotNotify' | 'Discard' | 'AcceptNotNotifyExceptAt';

export interface WireKeyValue {
  key: string;
  value: string;
}

/** The caller's membership in a group. */
export interface WireGroupSelfInfo {
  role: WireGroupRole;
  nameCard: string;
  /** Seconds. */
  joinTime: number;
  messageRemindType: WireRemindType;
  /** Highest group sequence the member has read. */
  readedSequence: number;
  /** Seconds; muted while > now. */
  muteUntil: number;
  memberCustomField: WireKeyValue[];
}

export interface WireGroup {
  groupID: string;
  type: WireGroupType;
  name: string;
  avatar: string;
  introduction: string;
  notification: string;
  ownerID: string;
  /** Seconds. */
  createTime: number;
  /** Seconds: last profile change. */
  lastInfoTime: number;
  /** Increments on each profile change. */
  infoSequence: number;
  /** Next group message sequence (starts at 1). */
  nextMessageSeq: number;
  memberCount: number;
  maxMemberCount: number;
  joinOption: WireJoinOption;
  muteAllMembers: boolean;
  isSupportTopic: boolean;
  groupCustomField: WireKeyValue[];
  /** Present when the caller is a member. */
  selfInfo: WireGroupSelfInfo | null;
  /** Newest message the caller may see, or null. */
  lastMessage: WireMessage | null;
  /** Unread for the caller: 0 for Meeting and AVChatRoom. */
  unreadCount: number;
}

export interface WireGroupMember {
  userID: string;
  nick: string;
  avatar: string;
  role: WireGroupRole;
  nameCard: string;
  /** Seconds. */
  joinTime: number;
  /** Seconds: last message the member sent (0 if none). */
  lastSendMsgTime: number;
  /** Seconds; muted while > now. */
  muteUntil: number;
  memberCustomField: WireKeyValue[];
  isOnline: boolean;
}

/** A pending join application (spec §4.7 getGroupApplicationList). */
export interface WireGroupApplication {
  applicant: string;
  applicantNick: string;
  groupID: string;
  groupName: string;
  /** The applicant's message. */
  authentication: string;
  /** Opaque token identifying the application for handleGroupApplication. */
  messageKey: string;
  /** 0 join request, 2 invitation awaiting approval. */
  applicationType: number;
  userID: string;
  /** Seconds. */
  time: number;
}

/**
 * Group tip payload (`TIMGroupTipElem`, spec §8.3). Tips are stored in the
 * group's timeline like messages (they take a sequence).
 */
export interface WireGroupTipPayload {
  operatorID: string;
  /** GRP_TIP_* (1 join, 2 quit, 3 kicked, 4 set admin, 5 cancel admin, 6 profile, 7 member profile, 10/11 AVChatRoom ban/unban). */
  operationType: number;
  userIDList: string[];
  newGroupProfile?: Record<string, unknown>;
  memberList?: Array<{ userID: string; muteTime?: number; reason?: string }>;
  memberCount?: number;
}

/**
 * Group system notice payload (`TIMGroupSystemNoticeElem`, conversation
 * `@TIM#SYSTEM`, spec §8.4). Delivered live to the named recipients; not
 * stored as history.
 */
export interface WireGroupSystemNoticePayload {
  operatorID: string;
  /**
   * 1 application, 2 approved, 3 rejected, 4 removed, 5 dismissed, 6 created, 7 invited, 8 quit,
   * 9 set admin, 10 admin revoked, 21 banned from an AVChatRoom (`handleMessage` = the ban's
   * description), 255 custom (admin REST API; the text in `userDefinedField`).
   */
  operationType: number;
  groupProfile: { groupID: string; name: string };
  handleMessage: string;
  authentication: string;
  messageKey: string;
  userDefinedField: string;
}

// ---------------------------------------------------------------- request bodies

export interface CreateGroupBody {
  type: WireGroupType;
  /** ≤ 30 bytes. */
  name: string;
  /** Custom ID (printable ASCII ≤ 48 bytes, not starting "@TGS#", Community: must start "@TGS#_"); omitted → server assigns "@TGS#…". */
  groupID?: string;
  introduction?: string;
  notification?: string;
  avatar?: string;
  maxMemberNum?: number;
  joinOption?: WireJoinOption;
  /** ≤ 500 initial members (dropped for AVChatRoom). */
  memberList?: Array<{ userID: string; role?: WireGroupRole; memberCustomField?: WireKeyValue[] }>;
  groupCustomField?: WireKeyValue[];
  isSupportTopic?: boolean;
}

export interface GroupIDBody {
  groupID: string;
}

export interface UpdateGroupBody {
  groupID: string;
  name?: string;
  avatar?: string;
  introduction?: string;
  notification?: string;
  maxMemberNum?: number;
  joinOption?: WireJoinOption;
  muteAllMembers?: boolean;
  groupCustomField?: WireKeyValue[];
}

export interface JoinGroupBody {
  groupID: string;
  applyMessage?: string;
}

export interface ChangeOwnerBody {
  groupID: string;
  newOwnerID: string;
}

export interface HandleApplicationBody {
  groupID: string;
  /** The application's applicant. */
  applicant: string;
  handleAction: 'Agree' | 'Reject';
  handleMessage?: string;
}

export interface SetRemindTypeBody {
  /** `GROUP<id>` or `C2C<userID>` conversations. */
  conversationIDList: string[];
  messageRemindType: WireRemindType;
}

export interface GroupMembersBody {
  groupID: string;
  /** 1..100, default 15. */
  count?: number;
  offset?: number;
  role?: WireGroupRole;
}

export interface GroupMemberProfilesBody {
  groupID: string;
  /** ≤ 50. */
  userIDList: string[];
}

export interface GroupMembersChangeBody {
  groupID: string;
  /** ≤ 500. */
  userIDList: string[];
  reason?: string;
}

/** `group.delete-members`: a kick, or in an AVChatRoom with `duration` > 0 a ban (spec §4.8 deleteGroupMember). */
export interface DeleteMembersBody extends GroupMembersChangeBody {
  /** AVChatRoom ban length, seconds (> 0 bans; ignored by other group types). */
  duration?: number;
}

export interface MuteMemberBody {
  groupID: string;
  userID: string;
  /** Seconds; 0 unmutes. */
  muteTime: number;
}

export interface SetMemberRoleBody {
  groupID: string;
  userID: string;
  role: WireGroupRole;
}

export interface SetNameCardBody {
  groupID: string;
  userID: string;
  /** ≤ 50 bytes. */
  nameCard: string;
}

export interface SetMemberCustomFieldBody {
  groupID: string;
  userID: string;
  memberCustomField: WireKeyValue[];
}

/**
 * The group-type rules matrix (/work/shared/spec/tim-api.md §9) as one
 * declarative table. Every permission and behaviour that differs by group type
 * is read from here, so the services hold no per-type `if`s of their own and
 * the table-driven test (test/groups/rules-matrix.test.ts) checks exactly
 * this table against the running server.
 */
import type { WireGroupRole, WireGroupType, WireJoinOption } from '@parley/protocol';

/**
 * Who may do something, by role. "appAdmin": only the app administrator (config `adminUserIDs`:
 * the admin REST API's identifier, or such a user logged in over WebSocket). App administrators
 * also pass every other actor but "nobody" (see `allows`).
 */
export type Actor = 'nobody' | 'appAdmin' | 'owner' | 'ownerAndAdmins' | 'anyMember';

export interface GroupTypeRules {
  /** Spec name of the type (Work, Public, Meeting, AVChatRoom, Community). */
  readonly label: string;
  /** Default `maxMemberCount`; 0 = unlimited. Per-deployment overrides: config `groupMaxMembers`. */
  readonly defaultMaxMembers: number;
  /** Roles a member may hold (the owner's "Owner" included). */
  readonly roles: readonly WireGroupRole[];
  /** `group.join`: refused (10007), decided by `joinOption`, or always free. */
  readonly join: 'forbidden' | 'byJoinOption' | 'free';
  /** `joinOption` may be chosen at creation and changed by `group.update`; otherwise fixed to `defaultJoinOption`. */
  readonly joinOptionSettable: boolean;
  readonly defaultJoinOption: WireJoinOption;
  /** `group.add-members`. */
  readonly invite: Actor;
  /** The owner may quit (else 10009); the group then has no owner. */
  readonly ownerCanQuit: boolean;
  /** `group.update`. */
  readonly modifyProfile: Actor;
  /** `group.delete-members` (admins may remove ordinary members only). */
  readonly kick: Actor;
  /** AVChatRoom bans: `group.delete-members` with a `duration`, REST `ban_group_member`/`unban_group_member` (other types: 10007). */
  readonly ban: Actor;
  /** `group.mute-member` (admins may mute ordinary members only). */
  readonly mute: Actor;
  /** `group.dismiss`. */
  readonly dismiss: Actor;
  /** `group.change-owner`. */
  readonly transferOwner: boolean;
  /** Unread counts are derived for members (else always 0). */
  readonly countsUnread: boolean;
  /** New members see messages from before they joined. */
  readonly historyBeforeJoin: boolean;
  /** Messages are stored (history, sequences, revoke); otherwise live only. */
  readonly storesHistory: boolean;
  /** `group.search` finds it (else 10007). */
  readonly searchable: boolean;
  /** Non-members may read the profile with `group.get` (else 10007). */
  readonly profileVisibleToNonMembers: boolean;
  /** Membership is per connection and live only (AVChatRoom); anonymous sockets may join. */
  readonly liveMembership: boolean;
  /** `memberList` of `group.create` is honoured (else dropped). */
  readonly memberListAtCreate: boolean;
  /** Sends go through the per-group rate limiter (config `groupSendRatePerSecond`). */
  readonly sendRateLimited: boolean;
}

const OWNER_MEMBER: readonly WireGroupRole[] = ['Owner', 'Member'];
const WITH_ADMINS: readonly WireGroupRole[] = ['Owner', 'Admin', 'Member'];

export const GROUP_RULES: Readonly<Record<WireGroupType, GroupTypeRules>> = {
  Private: {
    label: 'Work',
    defaultMaxMembers: 200,
    roles: OWNER_MEMBER,
    join: 'forbidden',
    joinOptionSettable: false,
    defaultJoinOption: 'DisableApply',
    invite: 'anyMember',
    ownerCanQuit: true,
    modifyProfile: 'anyMember',
    kick: 'owner',
    ban: 'nobody',
    mute: 'nobody',
    dismiss: 'owner',
    transferOwner: true,
    countsUnread: true,
    historyBeforeJoin: false,
    storesHistory: true,
    searchable: false,
    profileVisibleToNonMembers: false,
    liveMembership: false,
    memberListAtCreate: true,
    sendRateLimited: false,
  },
  Public: {
    label: 'Public',
    defaultMaxMembers: 2000,
    roles: WITH_ADMINS,
    join: 'byJoinOption',
    joinOptionSettable: true,
    defaultJoinOption: 'NeedPermission',
    invite: 'appAdmin',
    ownerCanQuit: false,
    modifyProfile: 'ownerAndAdmins',
    kick: 'ownerAndAdmins',
    ban: 'nobody',
    mute: 'ownerAndAdmins',
    dismiss: 'owner',
    transferOwner: true,
    countsUnread: true,
    historyBeforeJoin: false,
    storesHistory: true,
    searchable: true,
    profileVisibleToNonMembers: true,
    liveMembership: false,
    memberListAtCreate: true,
    sendRateLimited: false,
  },
  ChatRoom: {
    label: 'Meeting',
    defaultMaxMembers: 10_000,
    roles: WITH_ADMINS,
    join: 'free',
    joinOptionSettable: false,
    defaultJoinOption: 'FreeAccess',
    invite: 'appAdmin',
    ownerCanQuit: false,
    modifyProfile: 'ownerAndAdmins',
    kick: 'ownerAndAdmins',
    ban: 'nobody',
    mute: 'ownerAndAdmins',
    dismiss: 'owner',
    transferOwner: true,
    countsUnread: false,
    historyBeforeJoin: true,
    storesHistory: true,
    searchable: true,
    profileVisibleToNonMembers: true,
    liveMembership: false,
    memberListAtCreate: true,
    sendRateLimited: false,
  },
  Community: {
    label: 'Community',
    defaultMaxMembers: 100_000,
    roles: ['Owner', 'Admin', 'Member', 'Custom'],
    join: 'byJoinOption',
    joinOptionSettable: true,
    defaultJoinOption: 'NeedPermission',
    invite: 'anyMember',
    ownerCanQuit: false,
    modifyProfile: 'ownerAndAdmins',
    kick: 'ownerAndAdmins',
    ban: 'nobody',
    mute: 'ownerAndAdmins',
    dismiss: 'owner',
    transferOwner: true,
    countsUnread: true,
    historyBeforeJoin: true,
    storesHistory: true,
    searchable: true,
    profileVisibleToNonMembers: true,
    liveMembership: false,
    memberListAtCreate: true,
    sendRateLimited: false,
  },
  AVChatRoom: {
    label: 'AVChatRoom',
    defaultMaxMembers: 0,
    roles: OWNER_MEMBER,
    join: 'free',
    joinOptionSettable: false,
    defaultJoinOption: 'FreeAccess',
    invite: 'nobody',
    ownerCanQuit: false,
    modifyProfile: 'owner',
    // An AVChatRoom has no kick: removing members is a ban with a duration (spec §4.8, paid at Tencent, enabled here).
    kick: 'nobody',
    ban: 'owner',
    mute: 'ownerAndAdmins',
    dismiss: 'owner',
    transferOwner: false,
    countsUnread: false,
    historyBeforeJoin: false,
    storesHistory: false,
    searchable: true,
    profileVisibleToNonMembers: true,
    liveMembership: true,
    memberListAtCreate: false,
    sendRateLimited: true,
  },
};

export function rulesFor(type: WireGroupType): GroupTypeRules {
  return GROUP_RULES[type];
}

/**
 * Whether a member with `role` (null: not a member) is allowed by `actor`. An app administrator
 * (`appAdmin` true) is allowed everything but "nobody", member or not, as Tencent's REST admin is;
 * other users never pass "appAdmin" or "nobody".
 */
export function allows(actor: Actor, role: WireGroupRole | null, appAdmin = false): boolean {
  if (appAdmin) return actor !== 'nobody';
  if (role === null) return false;
  switch (actor) {
    case 'anyMember':
      return true;
    case 'ownerAndAdmins':
      return role === 'Owner' || role === 'Admin';
    case 'owner':
      return role === 'Owner';
    case 'appAdmin':
    case 'nobody':
      return false;
  }
}

/**
 * Whether `actorRole` may act on a member with `targetRole` for an
 * owner-and-admins operation (kick, mute): the owner acts on anyone but
 * themselves; admins only on ordinary (Member/Custom) members.
 */
export function outranks(actorRole: WireGroupRole, targetRole: WireGroupRole): boolean {
  if (targetRole === 'Owner') return false;
  if (actorRole === 'Owner') return true;
  if (actorRole === 'Admin') return targetRole === 'Member' || targetRole === 'Custom';
  return false;
}

/** Byte limits of group fields (spec §4.7 createGroup, §4.8 setGroupMemberNameCard): breaking one is 10004. */
export const GROUP_FIELD_LIMITS = {
  name: 30,
  introduction: 240,
  notification: 300,
  avatar: 100,
  nameCard: 50,
  /** Custom groupIDs (spec §3): printable ASCII. */
  groupID: 48,
} as const;

/** Server-assigned IDs start with this; custom IDs must not (Community: must start with `@TGS#_`). */
export const SERVER_GROUP_ID_PREFIX = '@TGS#';
export const COMMUNITY_GROUP_ID_PREFIX = '@TGS#_';
/** Largest memberList / add / delete batch. */
export const MEMBER_BATCH_LIMIT = 500;

/** The largest (and default) maxMemberCount of each type: the table's defaults, overridden per deployment (config `groupMaxMembers`). */
export function maxMembersByType(overrides: Partial<Record<WireGroupType, number>>): Record<WireGroupType, number> {
  const out = {} as Record<WireGroupType, number>;
  for (const type of Object.keys(GROUP_RULES) as WireGroupType[]) out[type] = overrides[type] ?? GROUP_RULES[type].defaultMaxMembers;
  return out;
}

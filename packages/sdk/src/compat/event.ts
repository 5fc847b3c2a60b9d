/**
 * `TIM.EVENT` and `TSignaling` — Tencent-Cloud-IM-compatible event names (union of
 * tim-js-sdk 2.27.6 and @tencentcloud/chat 3.6.6 runtime values, spec §6.1).
 *
 * `EVENT` maps constant name → event string; `TimEventPayloads` maps each event string
 * to the type of `event.data` (handlers receive `{name, data}`). A compile-time check
 * below fails if an event lacks a payload entry or a payload entry has no event.
 * Every value is pinned by `test/unit/constants.test.ts`.
 */
import type { TYPES } from './types.js';
import type { Message } from '../modules/message/message.js';
import type { Conversation } from '../modules/conversation/conversation.js';
import type { Profile } from '../modules/profile/profile.js';
import type { Group } from '../modules/group/group.js';

export const EVENT = {
  /** SDK ready after each successful login (login response + initial conversation sync done); data: none. */
  SDK_READY: 'sdkStateReady',
  /** SDK not ready on logout, kick-out or reset; data: none. */
  SDK_NOT_READY: 'sdkStateNotReady',
  /** Fired by `destroy()` (runtime-only, not in d.ts); data: `{SDKAppID}`. */
  SDK_DESTROY: 'sdkDestroy',
  /** v2 only: defined but never emitted in 2.27.6; data: none. */
  SDK_RELOAD: 'sdkReload',
  /** Online-pushed messages, group tips/system notices, own sends from other instances; data: `Message[]`. */
  MESSAGE_RECEIVED: 'onMessageReceived',
  /** Messages changed by a server callback or `modifyMessage` elsewhere; data: `Message[]` (`isModified:true`). */
  MESSAGE_MODIFIED: 'onMessageModified',
  /** Messages revoked; data: `Message[]` with `isRevoked:true`. */
  MESSAGE_REVOKED: 'onMessageRevoked',
  /** Own C2C messages read by the peer; data: `Message[]` (`isPeerRead:true`). */
  MESSAGE_READ_BY_PEER: 'onMessageReadByPeer',
  /** Read receipts from `sendMessageReadReceipt`; data: array of group or C2C receipt items. */
  MESSAGE_READ_RECEIPT_RECEIVED: 'onMessageReadReceiptReceived',
  /** Message extensions set; data: `{messageID, extensions:[{key,value}]}`. */
  MESSAGE_EXTENSIONS_UPDATED: 'onMessageExtensionsUpdated',
  /** Message extensions deleted; data: `{messageID, keyList}`. */
  MESSAGE_EXTENSIONS_DELETED: 'onMessageExtensionsDeleted',
  /** v3 only: message reactions changed; data: `{messageID, reactionList}`. */
  MESSAGE_REACTIONS_UPDATED: 'onMessageReactionsUpdated',
  /** v3 only: TUIRoom custom data; data: pass-through. */
  ROOM_CUSTOM_DATA_RECEIVED: 'onRoomCustomDataReceived',
  /** Conversation list changed (throttled 1/s); data: the whole sorted `Conversation[]`. */
  CONVERSATION_LIST_UPDATED: 'onConversationListUpdated',
  /** Total unread count changed (throttled 1/s); data: `number`. */
  TOTAL_UNREAD_MESSAGE_COUNT_UPDATED: 'onTotalUnreadMessageCountUpdated',
  /** Conversation groups changed; data: list of conversation group entries. */
  CONVERSATION_GROUP_LIST_UPDATED: 'onConversationGroupListUpdated',
  /** Conversations in a conversation group changed; data: `{groupName, conversationList}` (inferred). */
  CONVERSATION_IN_GROUP_UPDATED: 'onConversationInGroupUpdated',
  /** Joined-group list changed (throttled 1/s); data: the whole `Group[]`. */
  GROUP_LIST_UPDATED: 'onGroupListUpdated',
  /** v2 legacy: defined, never emitted (notices arrive via MESSAGE_RECEIVED); data: none. */
  GROUP_SYSTEM_NOTICE_RECEIVED: 'receiveGroupSystemNotice',
  /** Group attributes changed; data: `{groupID, groupAttributes, updatedKeyList, deletedKeyList}`. */
  GROUP_ATTRIBUTES_UPDATED: 'groupAttributesUpdated',
  /** Group counter changed; data: `{groupID, key, value}`. */
  GROUP_COUNTER_UPDATED: 'onGroupCounterUpdated',
  /** Community topic created; data: `{groupID, topicID}`. */
  TOPIC_CREATED: 'onTopicCreated',
  /** Community topics deleted; data: `{groupID, topicIDList}`. */
  TOPIC_DELETED: 'onTopicDeleted',
  /** Community topic changed; data: `{groupID, topic}`. */
  TOPIC_UPDATED: 'onTopicUpdated',
  /** Own and/or friends' profiles changed; data: `Profile[]` (Parley: the own profile — at login, on `updateMyProfile`, and when another instance changes it). */
  PROFILE_UPDATED: 'onProfileUpdated',
  /** User status changed; data: `[{userID, statusType, customStatus}]`. */
  USER_STATUS_UPDATED: 'onUserStatusUpdated',
  /** Blacklist changed; data: the whole blacklist `string[]`. */
  BLACKLIST_UPDATED: 'blacklistUpdated',
  /** Friend list changed (throttled 1/s); data: the whole `Friend[]`. */
  FRIEND_LIST_UPDATED: 'onFriendListUpdated',
  /** Friend groups changed; data: `FriendGroup[]`. */
  FRIEND_GROUP_LIST_UPDATED: 'onFriendGroupListUpdated',
  /** Friend applications changed; data: `{friendApplicationList, unreadCount}`. */
  FRIEND_APPLICATION_LIST_UPDATED: 'onFriendApplicationListUpdated',
  /** v3 only: my followers changed; data: list delta (inferred). */
  MY_FOLLOWERS_LIST_UPDATED: 'onMyFollowersListUpdated',
  /** v3 only: my following list changed; data: list delta (inferred). */
  MY_FOLLOWING_LIST_UPDATED: 'onMyFollowingListUpdated',
  /** v3 only: mutual followers changed; data: list delta (inferred). */
  MUTUAL_FOLLOWERS_LIST_UPDATED: 'onMutualFollowersListUpdated',
  /** This instance was kicked out; data: `{type}` — a `TYPES.KICKED_OUT_*` value. */
  KICKED_OUT: 'kickedOut',
  /** API called before ready, or an internal failure; data: `{code, message}`. */
  ERROR: 'error',
  /** Network state changed (only on change); data: `{state}` — a `TYPES.NET_STATE_*` value. */
  NET_STATE_CHANGE: 'netStateChange',
  /** v3 only: global do-not-disturb option changed; data: the option object. */
  ALL_RECEIVE_MESSAGE_OPT_UPDATED: 'onAllReceiveMessageOptUpdated',
  /** v3 only (runtime-only): server config changed; data: `{config}`. */
  SERVER_CONFIG_UPDATED: 'onServerConfigUpdated',
  /** v3 only: group message pinned/unpinned; data: `{groupID, message, isPinned, operatorInfo}`. */
  PINNED_GROUP_MESSAGE_UPDATED: 'onPinnedGroupMessageUpdated',
} as const satisfies Record<string, string>;

/** An event string value of `EVENT`, e.g. `'sdkStateReady'`. */
export type TimEventName = (typeof EVENT)[keyof typeof EVENT];

type NetState =
  | (typeof TYPES)['NET_STATE_CONNECTED']
  | (typeof TYPES)['NET_STATE_CONNECTING']
  | (typeof TYPES)['NET_STATE_DISCONNECTED'];

type UserStatusType =
  | (typeof TYPES)['USER_STATUS_UNKNOWN']
  | (typeof TYPES)['USER_STATUS_ONLINE']
  | (typeof TYPES)['USER_STATUS_OFFLINE']
  | (typeof TYPES)['USER_STATUS_UNLOGINED'];

/**
 * `event.data` type per event string. `unknown` / `unknown[]` stand for objects of
 * modules Parley does not serve yet (Friend, …).
 */
export interface TimEventPayloads {
  sdkStateReady: undefined;
  sdkStateNotReady: undefined;
  sdkDestroy: { SDKAppID: number };
  sdkReload: unknown;
  onMessageReceived: Message[];
  onMessageModified: Message[];
  onMessageRevoked: Message[];
  onMessageReadByPeer: Message[];
  onMessageReadReceiptReceived: Array<
    | { groupID: string; messageID: string; readCount: number; unreadCount: number }
    | { userID: string; messageID: string; isPeerRead: true }
  >;
  onMessageExtensionsUpdated: { messageID: string; extensions: Array<{ key: string; value: string }> };
  onMessageExtensionsDeleted: { messageID: string; keyList: string[] };
  onMessageReactionsUpdated: { messageID: string; reactionList: unknown[] };
  onRoomCustomDataReceived: unknown;
  onConversationListUpdated: Conversation[];
  onTotalUnreadMessageCountUpdated: number;
  onConversationGroupListUpdated: unknown[];
  onConversationInGroupUpdated: unknown;
  onGroupListUpdated: Group[];
  receiveGroupSystemNotice: unknown;
  groupAttributesUpdated: {
    groupID: string;
    groupAttributes: Record<string, string>;
    updatedKeyList: string[];
    deletedKeyList: string[];
  };
  onGroupCounterUpdated: { groupID: string; key: string; value: number };
  onTopicCreated: { groupID: string; topicID: string };
  onTopicDeleted: { groupID: string; topicIDList: string[] };
  onTopicUpdated: { groupID: string; topic: unknown };
  onProfileUpdated: Profile[];
  onUserStatusUpdated: Array<{ userID: string; statusType: UserStatusType; customStatus: string }>;
  blacklistUpdated: string[];
  onFriendListUpdated: unknown[];
  onFriendGroupListUpdated: unknown[];
  onFriendApplicationListUpdated: { friendApplicationList: unknown[]; unreadCount: number };
  onMyFollowersListUpdated: unknown;
  onMyFollowingListUpdated: unknown;
  onMutualFollowersListUpdated: unknown;
  kickedOut: { type: (typeof TYPES)['KICKED_OUT_MULT_ACCOUNT' | 'KICKED_OUT_MULT_DEVICE' | 'KICKED_OUT_USERSIG_EXPIRED' | 'KICKED_OUT_REST_API'] };
  error: { code: number; message: string };
  netStateChange: { state: NetState };
  onAllReceiveMessageOptUpdated: unknown;
  onServerConfigUpdated: { config: unknown };
  onPinnedGroupMessageUpdated: {
    groupID: string;
    message: unknown;
    isPinned: boolean;
    operatorInfo: { userID: string; [field: string]: unknown };
  };
}

// Compile-time exhaustiveness: every event has a payload entry, and no payload entry is orphaned.
type _MissingPayload = Exclude<TimEventName, keyof TimEventPayloads>;
type _OrphanPayload = Exclude<keyof TimEventPayloads, TimEventName>;
type _Exhaustive = [_MissingPayload, _OrphanPayload] extends [never, never] ? true : never;
const _ok: _Exhaustive = true;
void _ok;

/** The object a handler for event `N` receives. */
export interface TimEvent<N extends TimEventName = TimEventName> {
  name: N;
  data: TimEventPayloads[N];
}

/**
 * v3 `TencentCloudChat.TSignaling`: signaling event names (listen with
 * `addSignalingListener`) and invitation `actionType` values.
 */
export const TSIGNALING = {
  /** An invitation addressed to me arrived. */
  NEW_INVITATION_RECEIVED: 'newInvitationReceived',
  /** An invitee accepted my invitation. */
  INVITEE_ACCEPTED: 'ts_invitee_accepted',
  /** An invitee rejected my invitation. */
  INVITEE_REJECTED: 'ts_invitee_rejected',
  /** The inviter cancelled the invitation. */
  INVITATION_CANCELLED: 'ts_invitation_cancelled',
  /** The invitation timed out. */
  INVITATION_TIMEOUT: 'ts_invitation_timeout',
  /** The invitation was modified. */
  INVITATION_MODIFIED: 'ts_invitation_modified',

  // Signaling `actionType` values.
  ACTION_TYPE_UNKNOWN: 0,
  ACTION_TYPE_INVITE: 1,
  ACTION_TYPE_CANCEL_INVITE: 2,
  ACTION_TYPE_ACCEPT_INVITE: 3,
  ACTION_TYPE_REJECT_INVITE: 4,
  ACTION_TYPE_INVITE_TIMEOUT: 5,
} as const satisfies Record<string, string | number>;

/** A signaling event string value of `TSIGNALING`. */
export type TSignalingEventName = Extract<(typeof TSIGNALING)[keyof typeof TSIGNALING], string>;

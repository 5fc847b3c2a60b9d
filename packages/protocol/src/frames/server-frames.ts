/** Frames the server sends: responses (`res`), pushes (`push.*`), and stand-alone errors. */
import type { WireConversation, WireMessage } from './message.js';
import type { WireProfile } from './profile.js';
import type { WireFileInfo, WireUploadSlot } from './file.js';
import type { WireGroup, WireGroupApplication, WireGroupMember, WireGroupSystemNoticePayload, WireRemindType } from './group.js';
import type { RequestCmd } from './client-frames.js';
import type { Capability } from '../version.js';

export interface LoginResult {
  userID: string;
  /** Server clock, milliseconds (clients derive their clock offset). */
  serverTime: number;
  /** How often the client should send `ping`, milliseconds. */
  heartbeatIntervalMs: number;
  /** ID of this connection (unique per server process lifetime). */
  connectionID: string;
  protocolVersion: number;
  capabilities: Capability[];
  limits: {
    /** Largest message body (type + payload + cloudCustomData as JSON), bytes. */
    maxBodyBytes: number;
    /** Largest inbound frame, bytes. */
    maxFrameBytes: number;
    /** Largest `msg.list` page. */
    pageSize: number;
    /** C2C revoke window, seconds. */
    revokeWindowSeconds: number;
  };
  /** When the UserSig expires, seconds. */
  userSigExpiresAt: number;
}

export interface ListMessagesResult {
  /** Oldest first. */
  messages: WireMessage[];
  /** Nothing older is visible to this user. */
  isCompleted: boolean;
}

export interface PullMessagesResult {
  /** Oldest first, seq > afterSeq. */
  messages: WireMessage[];
  /** Sequence the pull covers up to: everything ≤ this (and > afterSeq) visible to the user is in `messages` unless `hasMore`. */
  upToSeq: number;
  hasMore: boolean;
}

/** The `data` of a successful response, per request command. */
export interface ResponseData {
  login: LoginResult;
  logout: Record<string, never>;
  ping: { serverTime: number };
  'msg.send': { message: WireMessage; duplicate: boolean };
  'msg.list': ListMessagesResult;
  'msg.pull': PullMessagesResult;
  'msg.read': { conversation: WireConversation };
  'msg.revoke': { message: WireMessage };
  'conv.sync': { conversations: WireConversation[] };
  'conv.get': { conversation: WireConversation | null; userExists: boolean };
  'conv.delete': { conversationIDList: string[] };
  'profile.get': { profiles: WireProfile[] };
  'profile.update': { profile: WireProfile };
  /** The whole blacklist after the call, in the order users were added. */
  'blacklist.get': { userIDList: string[] };
  'blacklist.add': { userIDList: string[] };
  'blacklist.remove': { userIDList: string[] };
  'file.slot': WireUploadSlot;
  /** `uploaded: false` while the slot is open and nothing was uploaded yet. */
  'file.info': { uploaded: boolean; file: WireFileInfo | null };
  'group.create': { group: WireGroup; overLimitUserIDList: string[] };
  'group.list': { groups: WireGroup[] };
  'group.get': { group: WireGroup };
  'group.search': { group: WireGroup };
  'group.update': { group: WireGroup };
  'group.dismiss': { groupID: string };
  'group.join': { status: 'JoinedSuccess' | 'WaitAdminApproval' | 'AlreadyInGroup'; group: WireGroup | null };
  'group.join-anonymous': { status: 'JoinedSuccess' };
  'group.quit': { groupID: string };
  'group.change-owner': { group: WireGroup };
  'group.applications': { applicationList: WireGroupApplication[] };
  'group.handle-application': { group: WireGroup | null };
  'conv.set-remind': { conversationIDList: string[]; messageRemindType: WireRemindType };
  /** `offset` is 0 at the end of the list. */
  'group.members': { memberList: WireGroupMember[]; offset: number };
  'group.member-profiles': { memberList: WireGroupMember[] };
  'group.add-members': {
    successUserIDList: string[];
    failureUserIDList: string[];
    existedUserIDList: string[];
    overLimitUserIDList: string[];
    group: WireGroup | null;
  };
  'group.delete-members': { group: WireGroup; userIDList: string[] };
  'group.mute-member': { group: WireGroup; member: WireGroupMember };
  'group.set-role': { group: WireGroup; member: WireGroupMember };
  'group.set-name-card': { group: WireGroup; member: WireGroupMember };
  'group.set-member-custom': { group: WireGroup; member: WireGroupMember };
  'group.online-count': { memberCount: number };
}

export interface OkResponseFrame<K extends RequestCmd = RequestCmd> {
  cmd: 'res';
  id: number;
  code: 0;
  data: ResponseData[K];
}

export interface ErrorResponseFrame {
  cmd: 'res';
  id: number;
  code: number;
  message: string;
}

export type ResponseFrame = OkResponseFrame | ErrorResponseFrame;

/** A frame-level error for input that could not be tied to a request id (e.g. invalid JSON). */
export interface ErrorFrame {
  cmd: 'error';
  code: number;
  message: string;
}

/** A new message for one of the user's conversations (incoming, or sent from another of the user's instances). */
export interface MessagePush {
  cmd: 'push.message';
  data: WireMessage;
}

/** A message was revoked. Carries the revoked message as now stored. */
export interface RevokePush {
  cmd: 'push.revoke';
  data: WireMessage;
}

/**
 * `reader` read the C2C conversation with `peer` up to `readSeq`. Sent to the
 * reader's other instances (unread sync) and to the peer (read receipt) —
 * the same bytes for both.
 */
export interface ReadPush {
  cmd: 'push.read';
  data: { reader: string; peer: string; readSeq: number; time: number };
}

/** The user deleted conversations on another instance. */
export interface ConversationDeletedPush {
  cmd: 'push.conversation-deleted';
  data: { conversationIDList: string[]; clearHistoryMessage: boolean };
}

/**
 * This connection is being closed by the server for `type`. Followed by a close with
 * CloseCode.Kicked (multipleAccount), CloseCode.UserSigExpired (userSigExpired) or
 * CloseCode.KickedByAdmin (REST_API_Kick: an app administrator's `im_open_login_svc/kick`).
 * `multipleDevice` is reserved for later server versions.
 */
export interface KickedPush {
  cmd: 'push.kicked';
  data: { type: 'multipleAccount' | 'multipleDevice' | 'userSigExpired' | 'REST_API_Kick' };
}

/**
 * A user's profile changed. Sent to that user's other connections and to the
 * users who have a conversation with them (they refresh nick/avatar).
 */
export interface ProfilePush {
  cmd: 'push.profile';
  data: WireProfile;
}

/** The user's blacklist changed on another connection; carries the whole list. */
export interface BlacklistPush {
  cmd: 'push.blacklist';
  data: { userIDList: string[] };
}

/** A group system notice (conversation `@TIM#SYSTEM`), live only, to the recipients spec §8.4 names. */
export interface SystemNoticePush {
  cmd: 'push.system-notice';
  data: { ID: string; time: number; groupID: string; payload: WireGroupSystemNoticePayload };
}

/** The user read a group up to `readSeq` on another connection (unread sync). */
export interface GroupReadPush {
  cmd: 'push.group-read';
  data: { groupID: string; readSeq: number };
}

/** The user changed a conversation's do-not-disturb setting on another connection. */
export interface RemindTypePush {
  cmd: 'push.remind-type';
  data: { conversationIDList: string[]; messageRemindType: WireRemindType };
}

/** A group the user belongs to changed (profile, own membership); carries the fresh group as the user sees it. */
export interface GroupUpdatedPush {
  cmd: 'push.group-updated';
  data: WireGroup;
}

export type PushFrame =
  | MessagePush
  | RevokePush
  | ReadPush
  | ConversationDeletedPush
  | KickedPush
  | ProfilePush
  | BlacklistPush
  | SystemNoticePush
  | GroupReadPush
  | RemindTypePush
  | GroupUpdatedPush;

export type ServerFrame = ResponseFrame | ErrorFrame | PushFrame;

/** Frames a client sends. Every request carries a connection-unique positive integer `id`. */
import type { WireMessageInput } from './message.js';
import type { WireProfileUpdate } from './profile.js';
import type {
  ChangeOwnerBody,
  CreateGroupBody,
  GroupIDBody,
  GroupMemberProfilesBody,
  GroupMembersBody,
  DeleteMembersBody,
  GroupMembersChangeBody,
  HandleApplicationBody,
  JoinGroupBody,
  MuteMemberBody,
  SetMemberCustomFieldBody,
  SetMemberRoleBody,
  SetNameCardBody,
  SetRemindTypeBody,
  UpdateGroupBody,
} from './group.js';

export interface LoginBody {
  sdkAppID: number;
  userID: string;
  userSig: string;
  /** Protocol version the client speaks (see PROTOCOL_VERSION). */
  protocolVersion: number;
  /** Platform class for the multi-instance rule: browsers and Node SDK report "web". */
  platform: 'web' | 'node' | 'other';
  /** Random per-SDK-instance ID, stable across reconnects of one instance. */
  instanceID: string;
  /** True when re-authenticating after a dropped connection. Informational (logged); any older socket of the same instanceID is replaced either way. */
  resume?: boolean;
}

export interface SendMessageBody {
  message: WireMessageInput;
  onlineUserOnly?: boolean;
}

export interface ListMessagesBody {
  conversationID: string;
  /** Return messages with seq < beforeSeq (omit for the newest). */
  beforeSeq?: number;
  /** 1..100 accepted; the server clamps it to its page size (15). */
  count?: number;
}

export interface PullMessagesBody {
  conversationID: string;
  /** Return messages with seq > afterSeq, oldest first. */
  afterSeq: number;
  /** 1..100. */
  limit?: number;
}

export interface ReadBody {
  conversationID: string;
  /** Read up to this sequence; default: the conversation's last sequence. */
  upToSeq?: number;
}

export interface RevokeBody {
  conversationID: string;
  messageID: string;
}

export interface GetConversationBody {
  conversationID: string;
}

export interface DeleteConversationsBody {
  conversationIDList: string[];
  clearHistoryMessage: boolean;
}

export interface GetProfilesBody {
  /** 1–100 userIDs; unknown users are omitted from the answer. */
  userIDList: string[];
}

export interface UpdateProfileBody {
  /** Only the fields to change; validated by the server (40001, 40009, 40601, 40605, 40610). */
  profile: WireProfileUpdate;
}

export interface BlacklistChangeBody {
  /** 1..maxBlacklistBatch userIDs (server config; default 1000). */
  userIDList: string[];
}

export interface FileSlotBody {
  /** 1 image, 2 video, 3 audio, 255 file. */
  fileType: 1 | 2 | 3 | 255;
  /** Original file name (1–255 characters); only its extension matters to the server. */
  fileName: string;
  /** Exact size in bytes; the upload must match it. */
  fileSize: number;
  /** MIME type the client believes it has, e.g. "image/png". */
  contentType?: string;
}

export interface FileInfoBody {
  uuid: string;
}

/** Every request command and its body type. */
export interface RequestBodies {
  login: LoginBody;
  logout: Record<string, never>;
  ping: Record<string, never>;
  'msg.send': SendMessageBody;
  'msg.list': ListMessagesBody;
  'msg.pull': PullMessagesBody;
  'msg.read': ReadBody;
  'msg.revoke': RevokeBody;
  'conv.sync': Record<string, never>;
  'conv.get': GetConversationBody;
  'conv.delete': DeleteConversationsBody;
  'profile.get': GetProfilesBody;
  'profile.update': UpdateProfileBody;
  'blacklist.get': Record<string, never>;
  'blacklist.add': BlacklistChangeBody;
  'blacklist.remove': BlacklistChangeBody;
  'file.slot': FileSlotBody;
  'file.info': FileInfoBody;
  'group.create': CreateGroupBody;
  /** Joined groups (AVChatRoom only while joined on this connection). */
  'group.list': Record<string, never>;
  'group.get': GroupIDBody;
  /** Public profile of a non-Work group, for non-members. */
  'group.search': GroupIDBody;
  'group.update': UpdateGroupBody;
  'group.dismiss': GroupIDBody;
  'group.join': JoinGroupBody;
  /**
   * AVChatRoom only, allowed BEFORE login on a fresh socket: receive the room's
   * live messages anonymously. The socket then accepts only this, `group.quit` and `ping`.
   */
  'group.join-anonymous': { sdkAppID: number; groupID: string };
  'group.quit': GroupIDBody;
  'group.change-owner': ChangeOwnerBody;
  'group.applications': Record<string, never>;
  'group.handle-application': HandleApplicationBody;
  /** Do-not-disturb for C2C and group conversations. */
  'conv.set-remind': SetRemindTypeBody;
  'group.members': GroupMembersBody;
  'group.member-profiles': GroupMemberProfilesBody;
  'group.add-members': GroupMembersChangeBody;
  'group.delete-members': DeleteMembersBody;
  'group.mute-member': MuteMemberBody;
  'group.set-role': SetMemberRoleBody;
  'group.set-name-card': SetNameCardBody;
  'group.set-member-custom': SetMemberCustomFieldBody;
  'group.online-count': GroupIDBody;
}

export type RequestCmd = keyof RequestBodies;

/** A request frame, discriminated by `cmd`. */
export type ClientFrame = {
  [K in RequestCmd]: { cmd: K; id: number; body: RequestBodies[K] };
}[RequestCmd];

export type ClientFrameOf<K extends RequestCmd> = Extract<ClientFrame, { cmd: K }>;

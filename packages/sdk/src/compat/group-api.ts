/**
 * The group and group-member calls of the TIM facade (spec §4.7–4.8, v3
 * behaviour where v2 differs, §14): TIM's parameter validation (synchronous
 * "Params validate failed."), the SDK-side checks with their 26xx codes, and
 * the resolved `data` shapes. ChatSDK delegates each public method here; the
 * server enforces every permission rule again.
 */
import {
  ErrorCode,
  type CreateGroupBody,
  type RequestBodies,
  type RequestCmd,
  type ResponseData,
  type WireConversation,
  type WireGroup,
  type WireGroupRole,
  type WireJoinOption,
  type WireKeyValue,
  type WireRemindType,
} from '@parley/protocol';
import type { ReconnectPolicy } from '../connection/reconnect-policy.js';
import type { WebSocketConstructor } from '../connection/transport.js';
import { ImError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConversationManager } from '../modules/conversation/conversation-manager.js';
import type { Conversation } from '../modules/conversation/conversation.js';
import { AnonymousRooms } from '../modules/group/anonymous-rooms.js';
import { type Group, GroupMember, type GroupCustomField } from '../modules/group/group.js';
import { systemNoticeMessage, type GroupManager } from '../modules/group/group-manager.js';
import { Message } from '../modules/message/message.js';
import type { MessageManager } from '../modules/message/message-manager.js';
import type { ImResponse } from './chat.js';
import type { MessageFactory } from './message-factory.js';
import { TYPES } from './types.js';
import { Validator, isPlainObject } from './validate.js';

/** SDK-side codes the protocol catalogue does not list (spec §13.1). */
const BAN_DURATION_INVALID = ErrorCode.BanDurationInvalid;
const OPERATION_NOT_SUPPORTED_IN_AV = ErrorCode.OperationNotSupportedInAV;
const MESSAGE_SEND_FAIL_NOT_IN_AVCHATROOM = ErrorCode.MessageSendFailNotInAVChatRoom;

const GROUP_TYPES: readonly string[] = ['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'Community'];
const JOIN_OPTIONS: readonly string[] = ['FreeAccess', 'NeedPermission', 'DisableApply'];
const REMIND_TYPES: readonly string[] = ['AcceptAndNotify', 'AcceptNotNotify', 'Discard', 'AcceptNotNotifyExceptAt'];
const COMMUNITY_PREFIX = '@TGS#_';

// ------------------------------------------------------------------ public option and result types

export interface CreateGroupOptions {
  name: string;
  /** `TYPES.GRP_*`; default Work ("Private"). Anything else rejects 2600. */
  type?: string;
  groupID?: string;
  introduction?: string;
  notification?: string;
  avatar?: string;
  maxMemberNum?: number;
  /** Honoured for Public and Community only. */
  joinOption?: string;
  /** v2; accepted and ignored. */
  inviteOption?: string;
  /** Dropped for AVChatRoom. */
  memberList?: Array<{ userID: string; role?: string; memberCustomField?: GroupCustomField[] }>;
  groupCustomField?: GroupCustomField[];
  isSupportTopic?: boolean;
}

export interface UpdateGroupProfileOptions {
  groupID: string;
  name?: string;
  avatar?: string;
  introduction?: string;
  notification?: string;
  muteAllMembers?: boolean;
  /** Public and Community only (dropped with a warning otherwise). */
  joinOption?: string;
  /** v2; accepted and ignored. */
  inviteOption?: string;
  maxMemberNum?: number;
  groupCustomField?: GroupCustomField[];
}

export interface JoinGroupOptions {
  groupID: string;
  applyMessage?: string;
  /** Historically required for AVChatRoom; before login anything but AVChatRoom rejects 2662. */
  type?: string;
}

export interface JoinGroupResult {
  status: 'JoinedSuccess' | 'WaitAdminApproval' | 'AlreadyInGroup';
  group?: Group;
}

export interface GroupApplication {
  applicant: string;
  applicantNick: string;
  groupName: string;
  groupID: string;
  authentication: string;
  messageKey: string;
  /** 0 join request, 2 invitation awaiting approval. */
  applicationType: number;
  userID: string;
}

export interface HandleGroupApplicationOptions {
  handleAction: 'Agree' | 'Reject';
  handleMessage?: string;
  /** The system notice (operationType 1) of the application. */
  message?: Message;
  /** An item of `getGroupApplicationList`. */
  application?: Pick<GroupApplication, 'groupID' | 'applicant'> & Partial<GroupApplication>;
}

export interface SetMessageRemindTypeOptions {
  groupID?: string;
  /** C2C form; truncated to 30. */
  userIDList?: string[];
  messageRemindType: string;
}

export interface C2CRemindTypeResult {
  successUserIDList: Array<{ userID: string }>;
  failureUserIDList: Array<{ userID: string; code: number }>;
}

export interface GetGroupMemberListOptions {
  groupID: string;
  /** Default 15, at most 100. */
  count?: number;
  /** Default 0. */
  offset?: number | string;
  /** AVChatRoom custom mark filter; accepted and ignored. */
  filter?: number;
  /** v3: "Owner" / "Admin" / "Member". */
  role?: string;
}

export interface AddGroupMemberResult {
  successUserIDList: string[];
  failureUserIDList: string[];
  existedUserIDList: string[];
  overLimitUserIDList: string[];
  /** Present when at least one user was added. */
  group?: Group;
}

export interface DeleteGroupMemberOptions {
  groupID: string;
  userIDList: string[];
  reason?: string;
  /** AVChatRoom ban duration, seconds. */
  duration?: number;
}

export interface GroupAndMember {
  group: Group;
  member: GroupMember;
}

// ------------------------------------------------------------------ the facade part

/** What the group calls need from the ChatSDK. */
export interface GroupApiHost {
  /** ChatSDK's gate → validate → run wrapper. */
  api<T>(name: string, prepare: () => () => Promise<T>): Promise<ImResponse<T>>;
  log: Logger;
  me(): string;
  isReady(): boolean;
  /** On the logged-in connection (rejects 2024 without one). */
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]>;
  groups: GroupManager;
  conversations: ConversationManager;
  messages: MessageManager;
  factory: MessageFactory;
  /** The own nick (for the "group_create" message's `opUser`). */
  nick(): string;
  unlimitedAVChatRoom: boolean;
  sdkAppID: number;
  /** What an anonymous room socket needs to connect (null: no server address). */
  anonymousSocket(): Promise<{ url: string; WebSocket: WebSocketConstructor; requestTimeoutMs: number; reconnectPolicy: ReconnectPolicy } | null>;
  received(messages: Message[]): void;
  conversationsChanged(): void;
}

export class GroupApi {
  private anonymous: AnonymousRooms | null = null;

  constructor(private readonly host: GroupApiHost) {}

  /** Closes the anonymous room socket (destroy). */
  close(): void {
    this.anonymous?.close();
    this.anonymous = null;
  }

  /** Anonymous rooms joined before login move to the logged-in connection. */
  async adoptAnonymousRooms(): Promise<void> {
    const anonymous = this.anonymous;
    if (!anonymous) return;
    const rooms = anonymous.list();
    this.close();
    for (const groupID of rooms) {
      await this.host
        .request('group.join', { groupID })
        .then((res) => (res.group ? this.host.groups.accept(res.group) : undefined))
        .catch((err: unknown) => this.host.log.warn(`could not rejoin AVChatRoom ${groupID} after login`, err));
    }
  }

  // -------------------------------------------------------------- groups

  getGroupList(options?: { groupProfileFilter?: string[] }): Promise<ImResponse<{ groupList: Group[] }>> {
    return this.host.api('getGroupList', () => {
      if (options !== undefined) this.v('getGroupList').object(options, 'options');
      return async () => {
        await this.host.groups.load(false);
        return { groupList: this.host.groups.list() };
      };
    });
  }

  getGroupProfile(options: { groupID: string; groupCustomFieldFilter?: string[] }): Promise<ImResponse<{ group: Group }>> {
    return this.host.api('getGroupProfile', () => {
      const groupID = this.groupIDOf('getGroupProfile', options);
      return async () => {
        const { group } = await this.host.request('group.get', { groupID }).catch(withGroupID(groupID));
        return { group: this.host.groups.accept(group) };
      };
    });
  }

  createGroup(options: CreateGroupOptions): Promise<ImResponse<{ group: Group; overLimitUserIDList: string[] }>> {
    return this.host.api('createGroup', () => {
      const v: Validator = this.v('createGroup');
      const o = v.object(options, 'options');
      const name = v.requiredString(o['name'], 'name');
      const type = o['type'] === undefined ? TYPES.GRP_WORK : o['type'];
      const groupID = v.optionalString(o['groupID'], 'groupID');
      const introduction = v.optionalString(o['introduction'], 'introduction');
      const notification = v.optionalString(o['notification'], 'notification');
      const avatar = v.optionalString(o['avatar'], 'avatar');
      const maxMemberNum = optionalNumber(v, o['maxMemberNum'], 'maxMemberNum');
      const joinOption = v.optionalString(o['joinOption'], 'joinOption');
      if (joinOption !== undefined && !JOIN_OPTIONS.includes(joinOption)) v.fail(`joinOption "${joinOption}" is not a TYPES.JOIN_OPTIONS_* value`);
      const isSupportTopic = v.optionalBoolean(o['isSupportTopic'], 'isSupportTopic');
      const groupCustomField = keyValues(v, o['groupCustomField'], 'groupCustomField', false);
      const memberList = memberListOf(v, o['memberList']);
      return async () => {
        if (typeof type !== 'string' || !GROUP_TYPES.includes(type)) throw new ImError(ErrorCode.IllegalGroupType, `unknown group type "${String(type)}"`);
        const wireType = type as CreateGroupBody['type'];
        const community = wireType === 'Community';
        if (groupID !== undefined && community !== groupID.startsWith(COMMUNITY_PREFIX)) {
          throw new ImError(ErrorCode.IllegalGroupID, community ? `Community groupIDs must start with "${COMMUNITY_PREFIX}"` : `only Community groupIDs may start with "${COMMUNITY_PREFIX}"`);
        }
        const body: CreateGroupBody = { type: wireType, name };
        if (groupID !== undefined) body.groupID = groupID;
        if (introduction !== undefined) body.introduction = introduction;
        if (notification !== undefined) body.notification = notification;
        if (avatar !== undefined) body.avatar = avatar;
        if (maxMemberNum !== undefined) body.maxMemberNum = maxMemberNum;
        if (joinOption !== undefined && (wireType === 'Public' || community)) body.joinOption = joinOption as WireJoinOption;
        if (memberList !== undefined && wireType !== 'AVChatRoom') body.memberList = memberList;
        if (groupCustomField !== undefined) body.groupCustomField = groupCustomField;
        if (isSupportTopic !== undefined && community) body.isSupportTopic = isSupportTopic;
        const res = await this.host.request('group.create', body);
        const group = this.host.groups.accept(res.group);
        if (!res.group.selfInfo) {
          // AVChatRoom: the creator must still join to receive messages; the object says who owns it.
          group.selfInfo.role = 'Owner';
          group.selfInfo.userID = this.host.me();
          group.selfInfo.messageRemindType = 'AcceptAndNotify';
        }
        if (wireType !== 'AVChatRoom' && !group.isSupportTopic) await this.sendGroupCreated(group.groupID, community);
        return { group, overLimitUserIDList: res.overLimitUserIDList };
      };
    });
  }

  dismissGroup(groupID: string): Promise<ImResponse<{ groupID: string }>> {
    return this.host.api('dismissGroup', () => {
      const id = this.v('dismissGroup').requiredString(groupID, 'groupID');
      return async () => {
        await this.host.request('group.dismiss', { groupID: id });
        this.host.groups.remove(id);
        return { groupID: id };
      };
    });
  }

  updateGroupProfile(options: UpdateGroupProfileOptions): Promise<ImResponse<{ group: Group }>> {
    return this.host.api('updateGroupProfile', () => {
      const v: Validator = this.v('updateGroupProfile');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const body: RequestBodies['group.update'] = { groupID };
      for (const key of ['name', 'avatar', 'introduction', 'notification'] as const) {
        const value = v.optionalString(o[key], key);
        if (value !== undefined) body[key] = value;
      }
      const muteAllMembers = v.optionalBoolean(o['muteAllMembers'], 'muteAllMembers');
      if (muteAllMembers !== undefined) body.muteAllMembers = muteAllMembers;
      const joinOption = v.optionalString(o['joinOption'], 'joinOption');
      if (joinOption !== undefined && !JOIN_OPTIONS.includes(joinOption)) v.fail(`joinOption "${joinOption}" is not a TYPES.JOIN_OPTIONS_* value`);
      const maxMemberNum = optionalNumber(v, o['maxMemberNum'], 'maxMemberNum');
      if (maxMemberNum !== undefined) body.maxMemberNum = maxMemberNum;
      const custom = keyValues(v, o['groupCustomField'], 'groupCustomField', false);
      if (custom !== undefined) body.groupCustomField = custom;
      return async () => {
        if (joinOption !== undefined) {
          const type = this.host.groups.get(groupID)?.type;
          if (type === undefined || type === 'Public' || type === 'Community') body.joinOption = joinOption as WireJoinOption;
          else this.host.log.warn(`updateGroupProfile: joinOption is only settable for Public and Community groups; dropped for ${type}`);
        }
        const { group } = await this.host.request('group.update', body).catch(withGroupID(groupID));
        return { group: this.host.groups.accept(group) };
      };
    });
  }

  joinGroup(options: JoinGroupOptions): Promise<ImResponse<JoinGroupResult>> {
    return this.host.api('joinGroup', () => {
      const v: Validator = this.v('joinGroup');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const applyMessage = v.optionalString(o['applyMessage'], 'applyMessage');
      const type = v.optionalString(o['type'], 'type');
      return async (): Promise<JoinGroupResult> => {
        if (!this.host.isReady()) return this.joinAnonymously(groupID, type);
        const groups = this.host.groups;
        if (groups.get(groupID)) {
          await groups.refresh(groupID);
          return { status: 'AlreadyInGroup' };
        }
        const res = await this.host.request('group.join', { groupID, ...(applyMessage !== undefined ? { applyMessage } : {}) });
        switch (res.status) {
          case 'JoinedSuccess': {
            if (!res.group) throw new ImError(ErrorCode.JoinGroupFail, 'the server did not return the joined group');
            const group = groups.accept(res.group);
            if (group.type === 'AVChatRoom' && !this.host.unlimitedAVChatRoom) await this.leaveOtherRooms(groupID);
            return { status: 'JoinedSuccess', group };
          }
          case 'WaitAdminApproval':
            return { status: 'WaitAdminApproval' };
          case 'AlreadyInGroup':
            if (res.group) groups.accept(res.group);
            return { status: 'AlreadyInGroup' };
          default:
            throw new ImError(ErrorCode.JoinGroupFail, `unexpected join status "${String(res.status)}"`);
        }
      };
    });
  }

  quitGroup(groupID: string): Promise<ImResponse<{ groupID: string }>> {
    return this.host.api('quitGroup', () => {
      const id = this.v('quitGroup').requiredString(groupID, 'groupID');
      return async () => {
        if (this.anonymous?.has(id)) {
          await this.anonymous.quit(id);
          return { groupID: id };
        }
        if (!this.host.isReady() || !this.host.groups.get(id)) throw new ImError(ErrorCode.MemberNotInGroup, `you are not a member of ${id}`);
        await this.host.request('group.quit', { groupID: id }).catch(withGroupID(id));
        this.host.groups.remove(id);
        return { groupID: id };
      };
    });
  }

  searchGroupByID(groupID: string): Promise<ImResponse<{ group: Group }>> {
    return this.host.api('searchGroupByID', () => {
      const id = this.v('searchGroupByID').requiredString(groupID, 'groupID');
      return async () => {
        const { group } = await this.host.request('group.search', { groupID: id }).catch(withGroupID(id));
        return { group: this.host.groups.accept(group) };
      };
    });
  }

  changeGroupOwner(options: { groupID: string; newOwnerID: string }): Promise<ImResponse<{ group: Group }>> {
    return this.host.api('changeGroupOwner', () => {
      const v: Validator = this.v('changeGroupOwner');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const newOwnerID = v.requiredString(o['newOwnerID'], 'newOwnerID');
      return async () => {
        if (this.host.groups.get(groupID)?.type === 'AVChatRoom') throw new ImError(ErrorCode.CannotChangeOwnerInAVChatRoom, 'AVChatRoom groups cannot change owner');
        if (newOwnerID === this.host.me()) throw new ImError(ErrorCode.CannotChangeOwnerToSelf, 'you cannot transfer the group to yourself');
        const { group } = await this.host.request('group.change-owner', { groupID, newOwnerID });
        return { group: this.host.groups.accept(group) };
      };
    });
  }

  getGroupApplicationList(): Promise<ImResponse<{ applicationList: GroupApplication[] }>> {
    return this.host.api('getGroupApplicationList', () => async () => {
      const { applicationList } = await this.host.request('group.applications', {});
      return {
        applicationList: applicationList.map((a) => ({
          applicant: a.applicant,
          applicantNick: a.applicantNick,
          groupName: a.groupName,
          groupID: a.groupID,
          authentication: a.authentication,
          messageKey: a.messageKey,
          applicationType: a.applicationType,
          userID: a.userID,
        })),
      };
    });
  }

  handleGroupApplication(options: HandleGroupApplicationOptions): Promise<ImResponse<{ group: Group | undefined }>> {
    return this.host.api('handleGroupApplication', () => {
      const v: Validator = this.v('handleGroupApplication');
      const o = v.object(options, 'options');
      const action = v.requiredString(o['handleAction'], 'handleAction');
      if (action !== 'Agree' && action !== 'Reject') v.fail('handleAction must be "Agree" or "Reject"');
      const handleAction: 'Agree' | 'Reject' = action;
      const handleMessage = v.optionalString(o['handleMessage'], 'handleMessage');
      const message = o['message'];
      const application = o['application'];
      let groupID: string;
      let applicant: string;
      if (message !== undefined && message !== null) {
        if (!(message instanceof Message) && !isPlainObject(message)) v.fail('message must be a Message');
        const payload = (message as Message).payload ?? {};
        const profileID = (payload['groupProfile'] as { groupID?: unknown } | undefined)?.groupID;
        const operatorID = payload['operatorID'];
        if (payload['operationType'] !== 1 || typeof profileID !== 'string' || typeof operatorID !== 'string') {
          v.fail('message must be a group system notice of a join application (operationType 1)');
        }
        groupID = profileID;
        applicant = operatorID;
      } else if (isPlainObject(application)) {
        groupID = v.requiredString(application['groupID'], 'application.groupID');
        applicant = v.requiredString(application['applicant'] ?? application['userID'], 'application.applicant');
      } else {
        v.fail('message or application is required');
      }
      return async () => {
        const res = await this.host.request('group.handle-application', {
          groupID,
          applicant,
          handleAction,
          ...(handleMessage !== undefined ? { handleMessage } : {}),
        });
        if (message instanceof Message) this.host.groups.dropNotice(message);
        return { group: res.group ? this.host.groups.accept(res.group) : this.host.groups.get(groupID) };
      };
    });
  }

  setMessageRemindType(options: SetMessageRemindTypeOptions): Promise<ImResponse<{ group: Group } | C2CRemindTypeResult>> {
    return this.host.api<{ group: Group } | C2CRemindTypeResult>('setMessageRemindType', () => {
      const v: Validator = this.v('setMessageRemindType');
      const o = v.object(options, 'options');
      const remind = v.requiredString(o['messageRemindType'], 'messageRemindType');
      if (!REMIND_TYPES.includes(remind)) v.fail(`messageRemindType "${remind}" is not supported for groups and C2C conversations`);
      const messageRemindType = remind as WireRemindType;
      const groupID = v.optionalString(o['groupID'], 'groupID');
      if (groupID !== undefined && groupID !== '') {
        return async () => {
          const ids = ['GROUP' + groupID];
          await this.host.request('conv.set-remind', { conversationIDList: ids, messageRemindType }).catch(withGroupID(groupID));
          this.host.groups.applyRemindType(ids, messageRemindType);
          const group = this.host.groups.get(groupID) ?? (await this.host.groups.refresh(groupID));
          if (!group) throw new ImError(ErrorCode.GroupNotFound, `group ${groupID} not found`, { groupID });
          return { group };
        };
      }
      const list: unknown = o['userIDList'];
      if (!Array.isArray(list)) v.fail('groupID or userIDList is required');
      if (!list.every((id: unknown) => typeof id === 'string')) v.fail('userIDList must contain only strings');
      const userIDs = [...new Set(list as string[])].slice(0, 30);
      return async () => {
        if (userIDs.length === 0) return { successUserIDList: [], failureUserIDList: [] };
        const ids = userIDs.map((id) => 'C2C' + id);
        await this.host.request('conv.set-remind', { conversationIDList: ids, messageRemindType });
        this.host.groups.applyRemindType(ids, messageRemindType);
        return { successUserIDList: userIDs.map((userID) => ({ userID })), failureUserIDList: [] };
      };
    });
  }

  // -------------------------------------------------------------- members

  getGroupMemberList(options: GetGroupMemberListOptions): Promise<ImResponse<{ memberList: GroupMember[]; offset: number }>> {
    return this.host.api('getGroupMemberList', () => {
      const v: Validator = this.v('getGroupMemberList');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const count = optionalNumber(v, o['count'], 'count');
      const rawOffset = o['offset'];
      if (rawOffset !== undefined && typeof rawOffset !== 'number' && typeof rawOffset !== 'string') v.fail('offset must be a number or a string');
      const role = v.optionalString(o['role'], 'role');
      if (role !== undefined && role !== 'Owner' && role !== 'Admin' && role !== 'Member') v.fail('role must be "Owner", "Admin" or "Member"');
      return async () => {
        if (!this.host.groups.get(groupID)) return { memberList: [], offset: 0 };
        const offset = typeof rawOffset === 'number' ? rawOffset : typeof rawOffset === 'string' ? Number.parseInt(rawOffset, 10) || 0 : 0;
        const res = await this.host.request('group.members', {
          groupID,
          count: Math.max(1, Math.min(Math.floor(count ?? 15), 100)),
          offset: Math.max(0, Math.floor(offset)),
          ...(role !== undefined ? { role: role as WireGroupRole } : {}),
        });
        return { memberList: res.memberList.map((m) => GroupMember.fromWire(m)), offset: res.offset };
      };
    });
  }

  getGroupMemberProfile(options: { groupID: string; userIDList: string[]; memberCustomFieldFilter?: string[] }): Promise<ImResponse<{ memberList: GroupMember[] }>> {
    return this.host.api('getGroupMemberProfile', () => {
      const v: Validator = this.v('getGroupMemberProfile');
      const groupID = v.requiredString(v.object(options, 'options')['groupID'], 'groupID');
      const userIDList = v.userIDList(options, true).slice(0, 50);
      return async () => {
        this.notInAVChatRoom(groupID, 'getGroupMemberProfile');
        const res = await this.host.request('group.member-profiles', { groupID, userIDList });
        return { memberList: res.memberList.map((m) => GroupMember.fromWire(m)) };
      };
    });
  }

  addGroupMember(options: { groupID: string; userIDList: string[] }): Promise<ImResponse<AddGroupMemberResult>> {
    return this.host.api('addGroupMember', () => {
      const v: Validator = this.v('addGroupMember');
      const groupID = v.requiredString(v.object(options, 'options')['groupID'], 'groupID');
      const userIDList = v.userIDList(options, true).slice(0, 500);
      return async () => {
        if (this.host.groups.get(groupID)?.type === 'AVChatRoom') throw new ImError(ErrorCode.CannotAddMemberInAVChatRoom, 'members cannot be added to an AVChatRoom');
        const res = await this.host.request('group.add-members', { groupID, userIDList });
        const result: AddGroupMemberResult = {
          successUserIDList: res.successUserIDList,
          failureUserIDList: res.failureUserIDList,
          existedUserIDList: res.existedUserIDList,
          overLimitUserIDList: res.overLimitUserIDList,
        };
        if (res.group && res.successUserIDList.length > 0) result.group = this.host.groups.accept(res.group);
        return result;
      };
    });
  }

  deleteGroupMember(options: DeleteGroupMemberOptions): Promise<ImResponse<{ group: Group; userIDList: string[] }>> {
    return this.host.api('deleteGroupMember', () => {
      const v: Validator = this.v('deleteGroupMember');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const userIDList = v.userIDList(options, true).slice(0, 500);
      const reason = v.optionalString(o['reason'], 'reason');
      const duration = optionalNumber(v, o['duration'], 'duration');
      return async () => {
        const local = this.host.groups.get(groupID);
        if (!local) throw new ImError(ErrorCode.GroupNotFoundLocally, `group ${groupID} is not in your group list`, { groupID });
        // An AVChatRoom has no kick: it is a ban for `duration` seconds (spec §4.8; Tencent's paid feature, served by Parley).
        const ban = local.type === 'AVChatRoom';
        if (ban && !duration) throw new ImError(BAN_DURATION_INVALID, 'removing AVChatRoom members is a ban: pass a non-zero duration');
        const res = await this.host.request('group.delete-members', {
          groupID,
          userIDList,
          ...(reason !== undefined ? { reason } : {}),
          ...(ban ? { duration: Math.floor(duration ?? 0) } : {}),
        });
        return { group: this.host.groups.accept(res.group), userIDList: res.userIDList };
      };
    });
  }

  setGroupMemberMuteTime(options: { groupID: string; userID: string; muteTime: number }): Promise<ImResponse<GroupAndMember>> {
    return this.host.api('setGroupMemberMuteTime', () => {
      const v: Validator = this.v('setGroupMemberMuteTime');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const userID = v.requiredString(o['userID'], 'userID');
      const muteTime = v.requiredNumber(o['muteTime'], 'muteTime');
      if (muteTime < 0) v.fail('muteTime must be ≥ 0');
      return async () => {
        if (userID === this.host.me()) throw new ImError(ErrorCode.CannotMuteSelf, 'you cannot mute yourself');
        return this.memberResult(await this.host.request('group.mute-member', { groupID, userID, muteTime: Math.floor(muteTime) }));
      };
    });
  }

  setGroupMemberRole(options: { groupID: string; userID: string; role: string }): Promise<ImResponse<GroupAndMember>> {
    return this.host.api('setGroupMemberRole', () => {
      const v: Validator = this.v('setGroupMemberRole');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const userID = v.requiredString(o['userID'], 'userID');
      const role = v.requiredString(o['role'], 'role');
      return async () => {
        const local = this.host.groups.get(groupID);
        if (local && local.selfInfo.role !== 'Owner') throw new ImError(ErrorCode.NotGroupOwner, 'only the owner may set member roles');
        const allowed = role === 'Admin' || role === 'Member' || (role === 'Custom' && (local === undefined || local.type === 'Community'));
        if (!allowed) throw new ImError(ErrorCode.InvalidMemberRole, `role "${role}" cannot be set`);
        if (userID === this.host.me()) throw new ImError(ErrorCode.CannotSetSelfMemberRole, 'you cannot change your own role');
        return this.memberResult(await this.host.request('group.set-role', { groupID, userID, role: role as WireGroupRole }));
      };
    });
  }

  setGroupMemberNameCard(options: { groupID: string; userID?: string; nameCard: string }): Promise<ImResponse<GroupAndMember>> {
    return this.host.api('setGroupMemberNameCard', () => {
      const v: Validator = this.v('setGroupMemberNameCard');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const userID = v.optionalString(o['userID'], 'userID');
      // "" clears the card, so only the type is checked.
      if (typeof o['nameCard'] !== 'string') v.fail('nameCard must be a string');
      const nameCard = o['nameCard'] as string;
      return async () => {
        this.notInAVChatRoom(groupID, 'setGroupMemberNameCard');
        return this.memberResult(await this.host.request('group.set-name-card', { groupID, userID: userID || this.host.me(), nameCard }));
      };
    });
  }

  setGroupMemberCustomField(options: { groupID: string; userID?: string; memberCustomField: GroupCustomField[] }): Promise<ImResponse<GroupAndMember>> {
    return this.host.api('setGroupMemberCustomField', () => {
      const v: Validator = this.v('setGroupMemberCustomField');
      const o = v.object(options, 'options');
      const groupID = v.requiredString(o['groupID'], 'groupID');
      const userID = v.optionalString(o['userID'], 'userID');
      const memberCustomField = keyValues(v, o['memberCustomField'], 'memberCustomField', true) as WireKeyValue[];
      return async () => {
        this.notInAVChatRoom(groupID, 'setGroupMemberCustomField');
        return this.memberResult(await this.host.request('group.set-member-custom', { groupID, userID: userID || this.host.me(), memberCustomField }));
      };
    });
  }

  getGroupOnlineMemberCount(groupID: string): Promise<ImResponse<{ memberCount: number }>> {
    return this.host.api('getGroupOnlineMemberCount', () => {
      const id = this.v('getGroupOnlineMemberCount').requiredString(groupID, 'groupID');
      return async () => ({ memberCount: (await this.host.request('group.online-count', { groupID: id }).catch(withGroupID(id))).memberCount });
    });
  }

  /**
   * sendMessage's AVChatRoom guard (spec §4.3): a group not in the local list
   * is looked up; an AVChatRoom the user has not joined rejects 2101.
   */
  async checkSendTarget(message: Message): Promise<void> {
    if (message.conversationType !== 'GROUP' || this.host.groups.get(message.to)) return;
    const group = await this.host.request('group.get', { groupID: message.to }).then(
      (res) => res.group,
      () => null, // unknown or not visible: the server answers the send itself
    );
    if (group?.type === 'AVChatRoom' && !group.selfInfo) {
      message.status = 'fail';
      throw new ImError(MESSAGE_SEND_FAIL_NOT_IN_AVCHATROOM, `join AVChatRoom ${message.to} before sending to it`, { message });
    }
  }

  // -------------------------------------------------------------- conversations of groups

  /** getConversationProfile for `GROUP…`: the local conversation (group refreshed), or one built from the group. */
  async groupConversation(conversationID: string, groupID: string): Promise<Conversation> {
    const local = this.host.conversations.get(conversationID);
    let wire: WireGroup;
    try {
      ({ group: wire } = await this.host.request('group.get', { groupID }));
    } catch (err) {
      const e = ImError.from(err);
      if (e.code === ErrorCode.GroupNotFound) throw new ImError(ErrorCode.ConversationUserNotFound, `group ${groupID} does not exist`, { groupID });
      throw e;
    }
    const group = this.host.groups.accept(wire);
    let entry = local;
    if (!entry || entry.hidden) {
      const lastSeq = Math.max(0, wire.nextMessageSeq - 1);
      const row: WireConversation = {
        conversationID,
        type: 'GROUP',
        peer: groupID,
        lastSeq,
        readSeq: wire.selfInfo ? wire.selfInfo.readedSequence : lastSeq,
        peerReadSeq: 0,
        peerReadTime: 0,
        unreadCount: wire.unreadCount,
        lastMessage: wire.lastMessage,
        clearedSeq: 0,
        hidden: false,
        updatedAt: wire.lastMessage?.time ?? 0,
        peerProfile: { userID: '', nick: '', avatar: '' },
        groupProfile: { groupID, name: wire.name, avatar: wire.avatar, type: wire.type },
        messageRemindType: wire.selfInfo?.messageRemindType ?? '',
      };
      entry = this.host.conversations.applyWire(row, !local);
    }
    entry.conversation.groupProfile = group;
    entry.conversation.subType = group.type;
    this.host.conversationsChanged();
    return entry.conversation;
  }

  // -------------------------------------------------------------- internals

  private v(api: string): Validator {
    return new Validator(this.host.log, api);
  }

  private groupIDOf(api: string, options: unknown): string {
    const v: Validator = this.v(api);
    return v.requiredString(v.object(options, 'options')['groupID'], 'groupID');
  }

  /** v3 rejects some member calls for AVChatRooms locally (2687). */
  private notInAVChatRoom(groupID: string, api: string): void {
    if (this.host.groups.get(groupID)?.type === 'AVChatRoom') throw new ImError(OPERATION_NOT_SUPPORTED_IN_AV, `${api} is not supported in AVChatRoom groups`);
  }

  private memberResult(res: { group: WireGroup; member: ResponseData['group.mute-member']['member'] }): GroupAndMember {
    return { group: this.host.groups.accept(res.group), member: GroupMember.fromWire(res.member) };
  }

  /** The v3 "group_create" custom message the creator's SDK sends (spec §4.7). Best effort. */
  private async sendGroupCreated(groupID: string, community: boolean): Promise<void> {
    const data = JSON.stringify({
      businessID: 'group_create',
      content: community ? 'Create Community' : 'Create Group',
      cmd: community ? 1 : 0,
      opUser: this.host.nick() || this.host.me(),
      version: 4,
    });
    try {
      const message = this.host.factory.create('createCustomMessage', { to: groupID, conversationType: TYPES.CONV_GROUP, payload: { data } });
      await this.host.messages.send(message, false);
    } catch (err) {
      this.host.log.warn(`could not send the group_create message to ${groupID}`, err);
    }
  }

  /** One AVChatRoom at a time per instance (spec §4.7): the others are quit (only dropped when I own them). */
  private async leaveOtherRooms(keep: string): Promise<void> {
    for (const group of this.host.groups.list()) {
      if (group.type !== 'AVChatRoom' || group.groupID === keep) continue;
      if (group.ownerID !== this.host.me()) {
        await this.host.request('group.quit', { groupID: group.groupID }).catch((err: unknown) => this.host.log.warn(`could not quit AVChatRoom ${group.groupID}`, err));
      }
      this.host.groups.remove(group.groupID);
    }
  }

  /** joinGroup before login: AVChatRoom only, on a separate anonymous socket. */
  private async joinAnonymously(groupID: string, type: string | undefined): Promise<JoinGroupResult> {
    if (type !== undefined && type !== 'AVChatRoom') {
      throw new ImError(ErrorCode.CannotJoinNonAVChatRoomWithoutLogin, 'only AVChatRoom groups can be joined without logging in');
    }
    if (this.anonymous?.has(groupID)) return { status: 'JoinedSuccess' };
    if (!this.anonymous) {
      const socket = await this.host.anonymousSocket();
      if (!socket) throw new ImError(ErrorCode.NetworkError, 'no server address: pass serverUrl to TIM.create');
      this.anonymous = new AnonymousRooms({
        ...socket,
        sdkAppID: this.host.sdkAppID,
        log: this.host.log,
        onMessage: (wire) => {
          const message = Message.fromWire(wire, '');
          message.conversationSubType = 'AVChatRoom';
          this.host.received([message]);
        },
        onNotice: (data) => this.host.received([systemNoticeMessage(data, '')]),
      });
    }
    const rooms = this.anonymous;
    if (!this.host.unlimitedAVChatRoom) for (const other of rooms.list()) if (other !== groupID) await rooms.quit(other);
    try {
      await rooms.join(groupID);
    } catch (err) {
      if (rooms.list().length === 0) this.close();
      const e = ImError.from(err);
      if (e.code === ErrorCode.NoPermission) throw new ImError(ErrorCode.CannotJoinNonAVChatRoomWithoutLogin, 'only AVChatRoom groups can be joined without logging in');
      throw e;
    }
    return { status: 'JoinedSuccess' };
  }
}

// ------------------------------------------------------------------ validation helpers

function optionalNumber(v: Validator, value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) v.fail(`${name} must be a number`);
  return value;
}

/** `[{key, value}]` with string keys and values (`required`: TIM's "required", so `[]` fails too). */
function keyValues(v: Validator, value: unknown, name: string, required: boolean): WireKeyValue[] | undefined {
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value)) v.fail(`${name} must be an array of {key, value}`);
  if (required && value.length === 0) v.fail(`${name} is required`);
  for (const item of value as unknown[]) {
    if (!isPlainObject(item) || typeof item['key'] !== 'string' || item['key'] === '' || typeof item['value'] !== 'string') {
      v.fail(`${name} items must be {key: string, value: string}`);
    }
  }
  return (value as WireKeyValue[]).map(({ key, value: val }) => ({ key, value: val }));
}

function memberListOf(v: Validator, value: unknown): CreateGroupBody['memberList'] {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) v.fail('memberList must be an array');
  return (value as unknown[]).slice(0, 500).map((item, i) => {
    if (!isPlainObject(item)) v.fail(`memberList[${i}] must be an object`);
    const userID = v.requiredString(item['userID'], `memberList[${i}].userID`);
    const role = v.optionalString(item['role'], `memberList[${i}].role`);
    const custom = keyValues(v, item['memberCustomField'], `memberList[${i}].memberCustomField`, false);
    return { userID, ...(role !== undefined ? { role: role as WireGroupRole } : {}), ...(custom !== undefined ? { memberCustomField: custom } : {}) };
  });
}

/** Server errors of group calls carry `data.groupID` (spec §4.7 getGroupProfile). */
function withGroupID(groupID: string): (err: unknown) => never {
  return (err: unknown) => {
    throw ImError.from(err).withData({ groupID });
  };
}

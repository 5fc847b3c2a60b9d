/**
 * @parley/sdk — a Tencent-Cloud-IM-compatible Web SDK for the Parley server.
 *
 *   import TIM from '@parley/sdk';
 *   const tim = TIM.create({ SDKAppID, serverUrl: 'http://localhost:8080' });
 */
import { TIM } from './compat/tim.js';

export default TIM;
export { TIM, TIM as TencentCloudChat, VERSION } from './compat/tim.js';
export { create, createInstance } from './compat/create.js';
export { EVENT, TSIGNALING } from './compat/event.js';
export type { TimEventName, TimEventPayloads, TimEvent } from './compat/event.js';
export { TYPES } from './compat/types.js';
export type { TimTypeName } from './compat/types.js';
export { ChatSDK } from './compat/chat.js';
export type { ImResponse } from './compat/chat.js';
export type { CreateOptions } from './compat/options.js';
export { ImError } from './errors.js';
export { Message } from './modules/message/message.js';
export type { MessageStatus, MessageFlow, MessageElement } from './modules/message/message.js';
export type { MessageListPage } from './modules/message/message-manager.js';
export type { UploadPlugin, UploadPluginOptions } from './modules/media/media-uploader.js';
export { Conversation } from './modules/conversation/conversation.js';
export type { LastMessage, UserProfileSummary, GroupAtInfo } from './modules/conversation/conversation.js';
export { Group, GroupMember } from './modules/group/group.js';
export type { GroupType, GroupRole, GroupJoinOption, GroupCustomField, GroupSelfInfo, GroupLastMessage } from './modules/group/group.js';
export type {
  CreateGroupOptions,
  UpdateGroupProfileOptions,
  JoinGroupOptions,
  JoinGroupResult,
  GroupApplication,
  HandleGroupApplicationOptions,
  SetMessageRemindTypeOptions,
  C2CRemindTypeResult,
  GetGroupMemberListOptions,
  AddGroupMemberResult,
  DeleteGroupMemberOptions,
  GroupAndMember,
} from './compat/group-api.js';
export { Profile } from './modules/profile/profile.js';
export type { ProfileCustomField, ProfileGender, ProfileAllowType, ProfileForbidType } from './modules/profile/profile.js';
export type { ProfileUpdateOptions } from './modules/profile/profile-update.js';
export type { WebSocketConstructor, WebSocketLike } from './connection/transport.js';
export type { LogLevel } from './logger.js';

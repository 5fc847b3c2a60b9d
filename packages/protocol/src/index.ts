export { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, WS_PATH, CAPABILITIES } from './version.js';
export type { Capability } from './version.js';
export { CloseCode, isRetryableClose } from './close-codes.js';
export type { CloseCodeValue } from './close-codes.js';
export { ErrorCode, ErrorCodeNames, RETRYABLE_ERROR_CODES } from './error-codes.js';
export type { ErrorCodeName, ErrorCodeValue } from './error-codes.js';
export {
  C2C_PREFIX,
  GROUP_PREFIX,
  SYSTEM_CONVERSATION_ID,
  MAX_USER_ID_BYTES,
  MAX_GROUP_ID_BYTES,
  MAX_MESSAGE_ID_LENGTH,
  isValidUserID,
  isValidGroupID,
  parseConversationID,
  c2cConversationID,
} from './ids.js';
export type { ParsedConversationID } from './ids.js';
export { decodeClientFrame, decodeServerFrame, encodeFrame, encodeOkResponse, encodePush, EncodedData, REQUEST_COMMANDS } from './codec/json-codec.js';
export type { DecodeResult } from './codec/json-codec.js';
export type { WireConversationType, WirePriority, WireMessageInput, WireMessage, WireConversation } from './frames/message.js';
export { PROFILE_STANDARD_KEYS, PROFILE_CUSTOM_KEY_PATTERN, PROFILE_MAX_VALUE_BYTES } from './frames/profile.js';
export type { WireProfile, WireProfileUpdate, WireProfileSummary, WireProfileCustomField } from './frames/profile.js';
export { FILE_TYPES } from './frames/file.js';
export type {
  WireGroupType,
  WireGroupRole,
  WireJoinOption,
  WireRemindType,
  WireKeyValue,
  WireGroupSelfInfo,
  WireGroup,
  WireGroupMember,
  WireGroupApplication,
  WireGroupTipPayload,
  WireGroupSystemNoticePayload,
  CreateGroupBody,
  GroupIDBody,
  UpdateGroupBody,
  JoinGroupBody,
  ChangeOwnerBody,
  HandleApplicationBody,
  SetRemindTypeBody,
  GroupMembersBody,
  GroupMemberProfilesBody,
  GroupMembersChangeBody,
  DeleteMembersBody,
  MuteMemberBody,
  SetMemberRoleBody,
  SetNameCardBody,
  SetMemberCustomFieldBody,
} from './frames/group.js';
export type { WireFileType, WireUploadSlot, WireImageVariant, WireFileInfo } from './frames/file.js';
export type {
  LoginBody,
  SendMessageBody,
  ListMessagesBody,
  PullMessagesBody,
  ReadBody,
  RevokeBody,
  GetConversationBody,
  DeleteConversationsBody,
  GetProfilesBody,
  UpdateProfileBody,
  BlacklistChangeBody,
  FileSlotBody,
  FileInfoBody,
  RequestBodies,
  RequestCmd,
  ClientFrame,
  ClientFrameOf,
} from './frames/client-frames.js';
export type {
  LoginResult,
  ListMessagesResult,
  PullMessagesResult,
  ResponseData,
  OkResponseFrame,
  ErrorResponseFrame,
  ResponseFrame,
  ErrorFrame,
  MessagePush,
  RevokePush,
  ReadPush,
  ConversationDeletedPush,
  KickedPush,
  ProfilePush,
  BlacklistPush,
  SystemNoticePush,
  GroupReadPush,
  RemindTypePush,
  GroupUpdatedPush,
  PushFrame,
  ServerFrame,
} from './frames/server-frames.js';

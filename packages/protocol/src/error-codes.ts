/**
 * The error catalogue. Numbers the TIM SDK surface requires keep Tencent's
 * values (spec §13); Parley's own protocol errors live in 95000–95099, a range
 * Tencent does not use. docs/errors.md documents every entry and a test keeps
 * the two in sync.
 */
export const ErrorCode = {
  // ---- SDK-side (Tencent 2000–3999), raised by @parley/sdk ----
  /** Generic send failure. */
  MessageSendFail: 2100,
  /** `sendMessage` was given something that is not a Message of this instance. */
  MessageSendNeedMessageInstance: 2105,
  /** `conversationType` is neither C2C nor GROUP. */
  MessageSendInvalidConversationType: 2106,
  /** Generic revoke failure. */
  MessageRevokeFail: 2110,
  /** Not logged in (also the initial not-ready reason). */
  UserNotLoggedIn: 2024,
  /** A login is already in progress. */
  RepeatLogin: 2025,
  /** `deleteConversation`: none of the IDs exist. */
  ConversationNotFound: 2500,
  /** `getConversationProfile`: the user does not exist. */
  ConversationUserNotFound: 2501,
  /** Network error (socket failed). */
  NetworkError: 2800,
  /** Request timed out. */
  NetworkTimeout: 2801,
  /** No connection to the server. */
  NoNetwork: 2805,
  /** An exception escaped inside an API. */
  UncaughtError: 2903,
  /** Not-ready reason while logging in. */
  LoggingIn: 3000,
  /** Not-ready reason after a failed login. */
  LoginFailed: 3001,
  /** Not-ready reason after a multi-device kick. */
  KickedOutMultDevice: 3002,
  /** Not-ready reason after a multi-instance kick. */
  KickedOutMultAccount: 3003,
  /** Not-ready reason after the UserSig expired. */
  KickedOutUserSigExpired: 3004,
  /** Not-ready reason after logout. */
  LoggedOut: 3005,
  /** Not-ready reason after an admin (REST API) kick. */
  KickedOutRestApi: 3006,

  // ---- Server: message (Tencent 20000 range) ----
  /** Invalid request (e.g. malformed message). */
  InvalidRequest: 20001,
  /** Invalid receiver userID. */
  InvalidReceiver: 20003,
  /** Internal server error while handling a message. */
  MessageInternalError: 20005,
  /** Sender is on the receiver's blacklist. */
  SenderBlacklisted: 20007,
  /** C2C revoke window exceeded. */
  RevokeTimeLimitExceeded: 20016,
  /** Message body too large. */
  MessageBodyTooLarge: 80002,
  /** The sender may not send (profile `adminForbidType` is `AdminForbid_Type_SendOut`). */
  SendForbidden: 20012,
  /** Revoke: message not found. */
  RevokeMessageNotFound: 10030,
  /** Insufficient permission (e.g. revoking someone else's message). */
  NoPermission: 10007,
  /** Invalid parameters. */
  InvalidParameters: 10004,

  // ---- SDK-side: profile and blacklist ----
  /** `updateMyProfile`: unknown key or invalid value. */
  UpdateProfileInvalidParam: 2721,
  /** `updateMyProfile`: nothing to update. */
  UpdateProfileNoKey: 2722,
  /** `addToBlacklist([self])`. */
  CannotAddSelfToBlacklist: 2742,

  // ---- SDK-side: media messages (spec §4.2, §10) ----
  /** No upload plugin was registered before login. */
  CosUndetected: 2040,
  /** Could not get an upload slot (`file.slot` failed twice). */
  CosGetSigFail: 2041,
  /** The media file has no bytes. */
  MessageFileIsEmpty: 2108,
  /** The app's `onProgress` threw. */
  MessageOnProgressFunctionError: 2109,
  /** Image message without a file. */
  MessageImageSelectFileFirst: 2251,
  /** Image extension is not jpg, jpeg, gif, png, bmp, image or webp. */
  MessageImageTypesLimit: 2252,
  /** Image of 20 MB or more. */
  MessageImageSizeLimit: 2253,
  /** Audio message without a file (TIM uses the same code for a failed audio upload). */
  MessageAudioUploadFail: 2300,
  /** Audio over 20 MB. */
  MessageAudioSizeLimit: 2301,
  /** Video upload failed (after one retry), or no video file. */
  MessageVideoUploadFail: 2350,
  /** Video over 100 MB. */
  MessageVideoSizeLimit: 2351,
  /** Video type is not mp4 or mov (QuickTime). */
  MessageVideoTypesLimit: 2352,
  /** Image, audio or file upload failed. */
  MessageFileUploadFail: 2400,
  /** File message without a file. */
  MessageFileSelectFileFirst: 2401,
  /** File over 100 MB. */
  MessageFileSizeLimit: 2402,

  // ---- SDK-side: groups ----
  /** Sending to an AVChatRoom the user has not joined. */
  MessageSendFailNotInAVChatRoom: 2101,
  /** deleteGroupMember on an AVChatRoom (a ban) without a non-zero duration. */
  BanDurationInvalid: 2686,
  /** getGroupMemberProfile, setGroupMemberNameCard or setGroupMemberCustomField on an AVChatRoom. */
  OperationNotSupportedInAV: 2687,
  /** A paid Tencent feature Parley does not serve (e.g. AVChatRoom bans). */
  CannotUseCommercialAbility: 3122,
  /** createGroup with an unknown group type. */
  IllegalGroupType: 2600,
  /** Custom groupID breaks the prefix rules (Community IDs must start @TGS#_, others must not). */
  IllegalGroupID: 2602,
  /** The group is not in this instance's group list. */
  GroupNotFoundLocally: 2603,
  /** changeGroupOwner on an AVChatRoom. */
  CannotChangeOwnerInAVChatRoom: 2620,
  /** changeGroupOwner to yourself. */
  CannotChangeOwnerToSelf: 2621,
  /** quitGroup on a group you are not in. */
  MemberNotInGroup: 2623,
  /** joinGroup got an unexpected status. */
  JoinGroupFail: 2660,
  /** addGroupMember on an AVChatRoom. */
  CannotAddMemberInAVChatRoom: 2661,
  /** joinGroup before login for a group that is not an AVChatRoom. */
  CannotJoinNonAVChatRoomWithoutLogin: 2662,
  /** setGroupMemberRole by someone who is not the owner. */
  NotGroupOwner: 2681,
  /** Role is not Admin or Member (or Custom in a Community). */
  InvalidMemberRole: 2683,
  /** setGroupMemberRole on yourself. */
  CannotSetSelfMemberRole: 2684,
  /** setGroupMemberMuteTime on yourself. */
  CannotMuteSelf: 2685,

  // ---- Server: groups (Tencent 10000 range) ----
  /** Internal error in a group operation. */
  GroupInternalError: 10002,
  /** Admin REST API: no such `group_open_http_svc` command ("wrong API name"). */
  InvalidApiName: 10003,
  /** Group operations too frequent. */
  GroupFrequencyLimit: 10006,
  /** The owner may not quit this group type (only Work groups allow it). */
  OwnerCannotQuit: 10009,
  /** The group does not exist or was dismissed. */
  GroupNotFound: 10010,
  /** The user is already a member. */
  AlreadyGroupMember: 10013,
  /** The group has reached its member limit. */
  GroupFull: 10014,
  /** The groupID is malformed or breaks the custom-ID rules. */
  InvalidGroupID: 10015,
  /** The sender is muted in the group (own mute or mute-all). */
  MutedInGroup: 10017,
  /** The custom groupID is already used. */
  GroupIDInUse: 10021,
  /** Group send rate limit (AVChatRoom: Low/Lowest shed first). */
  GroupSendFrequencyLimit: 10023,
  /** The join application was already handled (by another admin). */
  ApplicationAlreadyHandled: 10024,
  /** Group revoke window exceeded (owners/admins are exempt). */
  GroupRevokeTimeLimitExceeded: 10031,
  /** This message type cannot be revoked (e.g. group tips). */
  MessageTypeNotRevocable: 10032,
  /** The group type does not support revoke (AVChatRoom). */
  GroupTypeNoRevoke: 10033,
  /** The user has joined or created too many groups. */
  UserGroupCountLimit: 10037,
  /** Member count limit for the operation. */
  MemberCountLimit: 10038,

  // ---- Server: profile (Tencent 40000 range) ----
  /** Invalid profile request parameters. */
  ProfileInvalidParameters: 40001,
  /** The requested account does not exist. */
  ProfileAccountNotFound: 40003,
  /** Unknown profile tag (field name). */
  ProfileTagNotFound: 40009,
  /** A profile value is longer than 500 bytes. */
  ProfileValueTooLong: 40601,
  /** A standard profile field has a value outside its allowed set. */
  ProfileInvalidStandardValue: 40605,
  /** A profile value has the wrong type. */
  ProfileValueTypeMismatch: 40610,

  // ---- Server: relationship / blacklist (Tencent 30000 range) ----
  /** Invalid relationship request parameters (e.g. too many IDs in one call, blocking yourself). */
  RelationInvalidParameters: 30001,
  /** A userID in the request does not exist. */
  RelationAccountNotFound: 30003,
  /** The blacklist is full. */
  BlacklistFull: 30013,

  // ---- Server: account / UserSig (Tencent 70000 range) ----
  /** UserSig expired. */
  UserSigExpired: 70001,
  /** UserSig empty. */
  UserSigEmpty: 70002,
  /** UserSig check failed (corrupt, truncated, bad signature). */
  UserSigCheckFailed: 70003,
  /** UserSig check failed (alternative code Tencent also uses). */
  UserSigCheckFailedAlt: 70005,
  /** Legacy public-key signature verification failed. */
  UserSigPublicKeyFailed: 70009,
  /** No verification key is configured for the app. */
  UserSigKeyNotFound: 70016,
  /** UserSig identifier does not match the userID. */
  UserSigIdentifierMismatch: 70013,
  /** UserSig SDKAppID does not match the app. */
  UserSigSdkAppIdMismatch: 70014,
  /** The SDKAppID of an admin REST request is not served here. */
  SdkAppIdNotFound: 70020,
  /** Admin REST API: the account was never used (no login, no message, no group). */
  AccountNotFound: 70107,
  /** Invalid parameters on an account call (e.g. malformed userID). */
  AccountInvalidParameters: 70402,
  /** Admin REST API: the request's `identifier` is not an app administrator. */
  AppAdminRequired: 70403,

  // ---- Server: admin REST API envelope (Tencent 60000 range) ----
  /** The request URL or method is malformed (missing or invalid query parameter, not POST). */
  RestInvalidUrl: 60002,
  /** The request body is not a JSON object. */
  RestJsonParseFailed: 60003,
  /** No such `<service>/<command>`. */
  RestUnknownResource: 60009,
  /** The URL has no numeric `sdkappid`. */
  RestSdkAppIdMissing: 60012,

  // ---- Server: JSON / frame format (Tencent 90000 range) ----
  /** The frame is not valid JSON. */
  JsonParseFailed: 90001,
  /** Internal server error. */
  InternalError: 90992,
  /** Admin REST API: the request body is larger than the server accepts. */
  RestBodyTooLarge: 93000,

  // ---- Parley protocol (95000–95099) ----
  /** The `cmd` is not one the server knows. */
  UnknownCommand: 95001,
  /** The frame is JSON but its shape is wrong (missing field, wrong type, bad id). */
  InvalidFrame: 95002,
  /** The client's protocol version is not supported. */
  UnsupportedProtocolVersion: 95003,
  /** A command other than `login`/`ping` arrived before a successful login. */
  NotLoggedIn: 95004,
  /** `login` sent on a connection that is already logged in. */
  AlreadyLoggedIn: 95005,
  /** The client sends requests faster than the server allows. */
  RateLimited: 95006,
  /** Upload: the file is larger than its type's limit or its slot's declared size. */
  FileTooLarge: 95010,
  /** Upload: the file's type or content is not allowed for the slot (e.g. a ".jpg" that is not an image). */
  FileTypeNotAllowed: 95011,
  /** Upload: the slot expired or was already used. */
  UploadSlotInvalid: 95012,
  /** The file does not exist. */
  FileNotFound: 95013,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** Inverse map: code → name. */
export const ErrorCodeNames: ReadonlyMap<number, ErrorCodeName> = new Map(
  (Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => [ErrorCode[name], name] as const),
);

/** Codes a client may retry as-is (transient). */
export const RETRYABLE_ERROR_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.NetworkError,
  ErrorCode.NetworkTimeout,
  ErrorCode.NoNetwork,
  ErrorCode.MessageInternalError,
  ErrorCode.InternalError,
  ErrorCode.RateLimited,
  ErrorCode.GroupInternalError,
  ErrorCode.GroupFrequencyLimit,
  ErrorCode.GroupSendFrequencyLimit,
]);

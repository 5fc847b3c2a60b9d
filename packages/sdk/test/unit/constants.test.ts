/**
 * Pins every TIM-compatible constant value (spec tim-api.md §6.1, §7.2). Apps persist and
 * compare these literals, so adding, removing or changing any constant must fail here.
 */
import { describe, it, expect } from 'vitest';
import { EVENT, TSIGNALING } from '../../src/compat/event.js';
import type { TimEventName, TimEventPayloads } from '../../src/compat/event.js';
import { TYPES } from '../../src/compat/types.js';

describe('EVENT', () => {
  it('matches the tim-js-sdk 2.27.6 + @tencentcloud/chat 3.6.6 runtime values exactly', () => {
    expect(EVENT).toStrictEqual({
      SDK_READY: 'sdkStateReady',
      SDK_NOT_READY: 'sdkStateNotReady',
      SDK_DESTROY: 'sdkDestroy',
      SDK_RELOAD: 'sdkReload',
      MESSAGE_RECEIVED: 'onMessageReceived',
      MESSAGE_MODIFIED: 'onMessageModified',
      MESSAGE_REVOKED: 'onMessageRevoked',
      MESSAGE_READ_BY_PEER: 'onMessageReadByPeer',
      MESSAGE_READ_RECEIPT_RECEIVED: 'onMessageReadReceiptReceived',
      MESSAGE_EXTENSIONS_UPDATED: 'onMessageExtensionsUpdated',
      MESSAGE_EXTENSIONS_DELETED: 'onMessageExtensionsDeleted',
      MESSAGE_REACTIONS_UPDATED: 'onMessageReactionsUpdated',
      ROOM_CUSTOM_DATA_RECEIVED: 'onRoomCustomDataReceived',
      CONVERSATION_LIST_UPDATED: 'onConversationListUpdated',
      TOTAL_UNREAD_MESSAGE_COUNT_UPDATED: 'onTotalUnreadMessageCountUpdated',
      CONVERSATION_GROUP_LIST_UPDATED: 'onConversationGroupListUpdated',
      CONVERSATION_IN_GROUP_UPDATED: 'onConversationInGroupUpdated',
      GROUP_LIST_UPDATED: 'onGroupListUpdated',
      GROUP_SYSTEM_NOTICE_RECEIVED: 'receiveGroupSystemNotice',
      GROUP_ATTRIBUTES_UPDATED: 'groupAttributesUpdated',
      GROUP_COUNTER_UPDATED: 'onGroupCounterUpdated',
      TOPIC_CREATED: 'onTopicCreated',
      TOPIC_DELETED: 'onTopicDeleted',
      TOPIC_UPDATED: 'onTopicUpdated',
      PROFILE_UPDATED: 'onProfileUpdated',
      USER_STATUS_UPDATED: 'onUserStatusUpdated',
      BLACKLIST_UPDATED: 'blacklistUpdated',
      FRIEND_LIST_UPDATED: 'onFriendListUpdated',
      FRIEND_GROUP_LIST_UPDATED: 'onFriendGroupListUpdated',
      FRIEND_APPLICATION_LIST_UPDATED: 'onFriendApplicationListUpdated',
      MY_FOLLOWERS_LIST_UPDATED: 'onMyFollowersListUpdated',
      MY_FOLLOWING_LIST_UPDATED: 'onMyFollowingListUpdated',
      MUTUAL_FOLLOWERS_LIST_UPDATED: 'onMutualFollowersListUpdated',
      KICKED_OUT: 'kickedOut',
      ERROR: 'error',
      NET_STATE_CHANGE: 'netStateChange',
      ALL_RECEIVE_MESSAGE_OPT_UPDATED: 'onAllReceiveMessageOptUpdated',
      SERVER_CONFIG_UPDATED: 'onServerConfigUpdated',
      PINNED_GROUP_MESSAGE_UPDATED: 'onPinnedGroupMessageUpdated',
    });
    expect(Object.keys(EVENT)).toHaveLength(39);
  });

  it('has a distinct string value per event', () => {
    const values = Object.values(EVENT);
    expect(new Set(values).size).toBe(values.length);
  });

  it('types the exactly-specified payloads (compile-time check)', () => {
    const samples: { [N in TimEventName]?: TimEventPayloads[N] } = {
      sdkStateReady: undefined,
      sdkStateNotReady: undefined,
      sdkDestroy: { SDKAppID: 1400000000 },
      kickedOut: { type: TYPES.KICKED_OUT_MULT_ACCOUNT },
      error: { code: 2024, message: 'not ready' },
      netStateChange: { state: TYPES.NET_STATE_CONNECTED },
      onTotalUnreadMessageCountUpdated: 3,
      blacklistUpdated: ['user1'],
    };
    expect(Object.keys(samples)).toHaveLength(8);
  });
});

describe('TSIGNALING', () => {
  it('matches the @tencentcloud/chat 3.6.6 runtime values exactly', () => {
    expect(TSIGNALING).toStrictEqual({
      NEW_INVITATION_RECEIVED: 'newInvitationReceived',
      INVITEE_ACCEPTED: 'ts_invitee_accepted',
      INVITEE_REJECTED: 'ts_invitee_rejected',
      INVITATION_CANCELLED: 'ts_invitation_cancelled',
      INVITATION_TIMEOUT: 'ts_invitation_timeout',
      INVITATION_MODIFIED: 'ts_invitation_modified',
      ACTION_TYPE_UNKNOWN: 0,
      ACTION_TYPE_INVITE: 1,
      ACTION_TYPE_CANCEL_INVITE: 2,
      ACTION_TYPE_ACCEPT_INVITE: 3,
      ACTION_TYPE_REJECT_INVITE: 4,
      ACTION_TYPE_INVITE_TIMEOUT: 5,
    });
    expect(Object.keys(TSIGNALING)).toHaveLength(12);
  });
});

describe('TYPES', () => {
  it('matches the tim-js-sdk 2.27.6 + @tencentcloud/chat 3.6.6 runtime values exactly', () => {
    expect(TYPES).toStrictEqual({
      // message types
      MSG_TEXT: 'TIMTextElem',
      MSG_IMAGE: 'TIMImageElem',
      MSG_AUDIO: 'TIMSoundElem',
      MSG_SOUND: 'TIMSoundElem',
      MSG_VIDEO: 'TIMVideoFileElem',
      MSG_FILE: 'TIMFileElem',
      MSG_FACE: 'TIMFaceElem',
      MSG_LOCATION: 'TIMLocationElem',
      MSG_GEO: 'TIMLocationElem',
      MSG_CUSTOM: 'TIMCustomElem',
      MSG_MERGER: 'TIMRelayElem',
      MSG_GRP_TIP: 'TIMGroupTipElem',
      MSG_GRP_SYS_NOTICE: 'TIMGroupSystemNoticeElem',
      // @all marker
      MSG_AT_ALL: '__kImSDK_MesssageAtALL__',
      // priority
      MSG_PRIORITY_HIGH: 'High',
      MSG_PRIORITY_NORMAL: 'Normal',
      MSG_PRIORITY_LOW: 'Low',
      MSG_PRIORITY_LOWEST: 'Lowest',
      // conversation types
      CONV_C2C: 'C2C',
      CONV_GROUP: 'GROUP',
      CONV_TOPIC: 'TOPIC',
      CONV_SYSTEM: '@TIM#SYSTEM',
      // @ types
      CONV_AT_ME: 1,
      CONV_AT_ALL: 2,
      CONV_AT_ALL_AT_ME: 3,
      // conversation marks
      CONV_MARK_TYPE_STAR: 1,
      CONV_MARK_TYPE_UNREAD: 2,
      CONV_MARK_TYPE_FOLD: 4,
      CONV_MARK_TYPE_HIDE: 8,
      // group types
      GRP_WORK: 'Private',
      GRP_PRIVATE: 'Private',
      GRP_PUBLIC: 'Public',
      GRP_MEETING: 'ChatRoom',
      GRP_CHATROOM: 'ChatRoom',
      GRP_AVCHATROOM: 'AVChatRoom',
      GRP_COMMUNITY: 'Community',
      GRP_ROOM: 'Room',
      GRP_LIVE: 'Live',
      // member roles
      GRP_MBR_ROLE_OWNER: 'Owner',
      GRP_MBR_ROLE_ADMIN: 'Admin',
      GRP_MBR_ROLE_MEMBER: 'Member',
      GRP_MBR_ROLE_CUSTOM: 'Custom',
      // group tip operation types
      GRP_TIP_MBR_JOIN: 1,
      GRP_TIP_MBR_QUIT: 2,
      GRP_TIP_MBR_KICKED_OUT: 3,
      GRP_TIP_MBR_SET_ADMIN: 4,
      GRP_TIP_MBR_CANCELED_ADMIN: 5,
      GRP_TIP_GRP_PROFILE_UPDATED: 6,
      GRP_TIP_MBR_PROFILE_UPDATED: 7,
      GRP_TIP_BAN_AVCHATROOM_MEMBER: 10,
      GRP_TIP_UNBAN_AVCHATROOM_MEMBER: 11,
      // remind types
      MSG_REMIND_ACPT_AND_NOTE: 'AcceptAndNotify',
      MSG_REMIND_ACPT_NOT_NOTE: 'AcceptNotNotify',
      MSG_REMIND_DISCARD: 'Discard',
      NOT_RECEIVE_OFFLINE_PUSH_EXCEPT_AT: 'AcceptNotNotifyExceptAt',
      RECEIVE_WITH_OFFLINE_PUSH_EXCEPT_AT: 'AcceptNotNotifyExceptAt',
      NOT_RECEIVE_MSG_EXCEPT_AT: 'NotReceiveMsgExceptAt',
      // gender
      GENDER_UNKNOWN: 'Gender_Type_Unknown',
      GENDER_FEMALE: 'Gender_Type_Female',
      GENDER_MALE: 'Gender_Type_Male',
      // kicked out
      KICKED_OUT_MULT_ACCOUNT: 'multipleAccount',
      KICKED_OUT_MULT_DEVICE: 'multipleDevice',
      KICKED_OUT_USERSIG_EXPIRED: 'userSigExpired',
      KICKED_OUT_REST_API: 'REST_API_Kick',
      // friend allow type
      ALLOW_TYPE_ALLOW_ANY: 'AllowType_Type_AllowAny',
      ALLOW_TYPE_NEED_CONFIRM: 'AllowType_Type_NeedConfirm',
      ALLOW_TYPE_DENY_ANY: 'AllowType_Type_DenyAny',
      // admin forbid
      FORBID_TYPE_NONE: 'AdminForbid_Type_None',
      FORBID_TYPE_SEND_OUT: 'AdminForbid_Type_SendOut',
      // join options
      JOIN_OPTIONS_FREE_ACCESS: 'FreeAccess',
      JOIN_OPTIONS_NEED_PERMISSION: 'NeedPermission',
      JOIN_OPTIONS_DISABLE_APPLY: 'DisableApply',
      // join status
      JOIN_STATUS_SUCCESS: 'JoinedSuccess',
      JOIN_STATUS_ALREADY_IN_GROUP: 'AlreadyInGroup',
      JOIN_STATUS_WAIT_APPROVAL: 'WaitAdminApproval',
      // invite options
      INVITE_OPTIONS_FREE_ACCESS: 'FreeAccess',
      INVITE_OPTIONS_NEED_PERMISSION: 'NeedPermission',
      INVITE_OPTIONS_DISABLE_INVITE: 'DisableInvite',
      // group profile filter
      GRP_PROFILE_OWNER_ID: 'ownerID',
      GRP_PROFILE_CREATE_TIME: 'createTime',
      GRP_PROFILE_LAST_INFO_TIME: 'lastInfoTime',
      GRP_PROFILE_MEMBER_NUM: 'memberNum',
      GRP_PROFILE_MAX_MEMBER_NUM: 'maxMemberNum',
      GRP_PROFILE_JOIN_OPTION: 'joinOption',
      GRP_PROFILE_INVITE_OPTION: 'inviteOption',
      GRP_PROFILE_INTRODUCTION: 'introduction',
      GRP_PROFILE_NOTIFICATION: 'notification',
      GRP_PROFILE_MUTE_ALL_MBRS: 'muteAllMembers',
      // friends (SNS)
      SNS_ADD_TYPE_SINGLE: 'Add_Type_Single',
      SNS_ADD_TYPE_BOTH: 'Add_Type_Both',
      SNS_DELETE_TYPE_SINGLE: 'Delete_Type_Single',
      SNS_DELETE_TYPE_BOTH: 'Delete_Type_Both',
      SNS_APPLICATION_TYPE_BOTH: 'Pendency_Type_Both',
      SNS_APPLICATION_SENT_TO_ME: 'Pendency_Type_ComeIn',
      SNS_APPLICATION_SENT_BY_ME: 'Pendency_Type_SendOut',
      SNS_APPLICATION_AGREE: 'Response_Action_Agree',
      SNS_APPLICATION_AGREE_AND_ADD: 'Response_Action_AgreeAndAdd',
      SNS_CHECK_TYPE_BOTH: 'CheckResult_Type_Both',
      SNS_CHECK_TYPE_SINGLE: 'CheckResult_Type_Single',
      SNS_TYPE_NO_RELATION: 'CheckResult_Type_NoRelation',
      SNS_TYPE_A_WITH_B: 'CheckResult_Type_AWithB',
      SNS_TYPE_B_WITH_A: 'CheckResult_Type_BWithA',
      SNS_TYPE_BOTH_WAY: 'CheckResult_Type_BothWay',
      // net state
      NET_STATE_CONNECTED: 'connected',
      NET_STATE_CONNECTING: 'connecting',
      NET_STATE_DISCONNECTED: 'disconnected',
      // read-all scope
      READ_ALL_C2C_MSG: 'readAllC2CMessage',
      READ_ALL_GROUP_MSG: 'readAllGroupMessage',
      READ_ALL_MSG: 'readAllMessage',
      // user status
      USER_STATUS_UNKNOWN: 0,
      USER_STATUS_ONLINE: 1,
      USER_STATUS_OFFLINE: 2,
      USER_STATUS_UNLOGINED: 3,
      // iOS offline push sound
      IOS_OFFLINE_PUSH_NO_SOUND: 'push.no_sound',
      IOS_OFFLINE_PUSH_DEFAULT_SOUND: 'default',
    });
    expect(Object.keys(TYPES)).toHaveLength(115);
  });
});

describe('compatibility pitfalls (spec §16 item 1)', () => {
  it('group types use the legacy internal names', () => {
    expect(TYPES.GRP_WORK).toBe('Private');
    expect(TYPES.GRP_MEETING).toBe('ChatRoom');
    expect(TYPES.GRP_PRIVATE).toBe(TYPES.GRP_WORK);
    expect(TYPES.GRP_CHATROOM).toBe(TYPES.GRP_MEETING);
  });

  it('message types use the legacy element names', () => {
    expect(TYPES.MSG_AUDIO).toBe('TIMSoundElem');
    expect(TYPES.MSG_SOUND).toBe(TYPES.MSG_AUDIO);
    expect(TYPES.MSG_MERGER).toBe('TIMRelayElem');
    expect(TYPES.MSG_GEO).toBe(TYPES.MSG_LOCATION);
  });

  it('MSG_AT_ALL keeps the triple-s typo', () => {
    expect(TYPES.MSG_AT_ALL).toBe('__kImSDK_MesssageAtALL__');
    expect(TYPES.MSG_AT_ALL).not.toBe('__kImSDK_MessageAtALL__');
    expect(TYPES.MSG_AT_ALL).toContain('Messsage');
  });

  it('the system conversation type is "@TIM#SYSTEM"', () => {
    expect(TYPES.CONV_SYSTEM).toBe('@TIM#SYSTEM');
  });

  it('conversation mark types are bit flags 1/2/4/8 (runtime wins over the d.ts 3/4)', () => {
    expect(TYPES.CONV_MARK_TYPE_STAR).toBe(1);
    expect(TYPES.CONV_MARK_TYPE_UNREAD).toBe(2);
    expect(TYPES.CONV_MARK_TYPE_FOLD).toBe(4);
    expect(TYPES.CONV_MARK_TYPE_HIDE).toBe(8);
    expect(TYPES.CONV_MARK_TYPE_FOLD).not.toBe(3);
    expect(TYPES.CONV_MARK_TYPE_HIDE).not.toBe(4);
    const marks = [
      TYPES.CONV_MARK_TYPE_STAR,
      TYPES.CONV_MARK_TYPE_UNREAD,
      TYPES.CONV_MARK_TYPE_FOLD,
      TYPES.CONV_MARK_TYPE_HIDE,
    ];
    expect(marks.reduce((acc, m) => acc | m, 0)).toBe(15);
  });

  it('both v3 "except @" offline-push remind types share one value', () => {
    expect(TYPES.NOT_RECEIVE_OFFLINE_PUSH_EXCEPT_AT).toBe('AcceptNotNotifyExceptAt');
    expect(TYPES.RECEIVE_WITH_OFFLINE_PUSH_EXCEPT_AT).toBe('AcceptNotNotifyExceptAt');
  });
});

/**
 * Type test: tim-js-sdk / @tencentcloud/chat style app code must compile
 * against @parley/sdk's public types (the built `.d.ts`) under a strict,
 * app-like tsconfig. Never executed; `typecheck.test.ts` runs `tsc` on it.
 * `@ts-expect-error` lines prove the assertions are not vacuous.
 */
import TIM, { TIM as NamedTIM, TencentCloudChat, createInstance, Group, GroupMember, Profile, type ChatSDK, type Conversation, type ImError, type ImResponse, type Message, type ProfileUpdateOptions } from '@parley/sdk';
import { expectTypeOf } from 'vitest';

// ---- namespace
expectTypeOf(NamedTIM).toEqualTypeOf(TIM);
expectTypeOf(TencentCloudChat).toEqualTypeOf(TIM);
expectTypeOf(TIM.VERSION).toBeString();
expectTypeOf(TIM.TYPES.CONV_C2C).toEqualTypeOf<'C2C'>();
expectTypeOf(TIM.EVENT.MESSAGE_RECEIVED).toEqualTypeOf<'onMessageReceived'>();

// ---- create: a numeric SDKAppID gives an instance, as in Tencent's d.ts
const tim = TIM.create({ SDKAppID: 1 });
expectTypeOf(tim).toEqualTypeOf<ChatSDK>();
const fromString = TIM.create({ SDKAppID: '1400000000', serverUrl: 'https://chat.example.com' });
expectTypeOf(fromString).toEqualTypeOf<ChatSDK | null>();
const v3 = TencentCloudChat.create({ SDKAppID: 1400000000, proxyServer: 'wss://chat.example.com' });
expectTypeOf(v3).toEqualTypeOf<ChatSDK>();
expectTypeOf(createInstance).returns.toEqualTypeOf<ChatSDK | null>();

// ---- events: handlers get {name, data} with a precise data type
tim.on(TIM.EVENT.MESSAGE_RECEIVED, (event) => {
  event.data;
  expectTypeOf(event.data).toEqualTypeOf<Message[]>();
  for (const message of event.data) {
    expectTypeOf(message.ID).toBeString();
    expectTypeOf(message.from).toBeString();
    expectTypeOf(message.payload).toBeObject();
  }
});
tim.on(TIM.EVENT.SDK_READY, () => {});
tim.on(TIM.EVENT.KICKED_OUT, (event) => {
  expectTypeOf(event.data.type).toBeString();
});
tim.on(TIM.EVENT.ERROR, (event) => {
  expectTypeOf(event.data.code).toBeNumber();
  expectTypeOf(event.data.message).toBeString();
});
tim.on(TIM.EVENT.CONVERSATION_LIST_UPDATED, (event) => {
  expectTypeOf(event.data).toEqualTypeOf<Conversation[]>();
});
tim.on(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (event) => {
  expectTypeOf(event.data).toBeNumber();
});
tim.on(TIM.EVENT.NET_STATE_CHANGE, (event) => {
  expectTypeOf(event.data.state).toBeString();
});
tim.on(TIM.EVENT.SDK_DESTROY, (event) => {
  expectTypeOf(event.data.SDKAppID).toBeNumber();
});
// Context and the same reference for off; once.
const listener = {
  count: 0,
  onReady() {
    this.count++;
  },
};
tim.on(TIM.EVENT.SDK_READY, listener.onReady, listener);
tim.off(TIM.EVENT.SDK_READY, listener.onReady, listener);
tim.once(TIM.EVENT.SDK_NOT_READY, () => {});

// ---- lifecycle
const loginRes = await tim.login({ userID: 'user0', userSig: 'sig' });
expectTypeOf(loginRes.code).toEqualTypeOf<0>();
if (loginRes.data['repeatLogin'] === true) {
  // already logged in
}
// @ts-expect-error userSig is required
void tim.login({ userID: 'user0' });
tim.setLogLevel(0);
tim.setLogLevel(4);
// @ts-expect-error levels are 0–4
tim.setLogLevel(5);
tim.registerPlugin({ 'tim-upload-plugin': {} });
expectTypeOf(tim.isReady()).toBeBoolean();
expectTypeOf(tim.getLoginUser()).toBeString();
expectTypeOf(tim.getServerTime()).toBeNumber();

// ---- messages
const message = tim.createTextMessage({ to: 'user1', conversationType: TIM.TYPES.CONV_C2C, payload: { text: 'Hello world!' } });
expectTypeOf(message).toEqualTypeOf<Message>();
const sent = await tim.sendMessage(message);
expectTypeOf(sent).toEqualTypeOf<ImResponse<{ message: Message }>>();
expectTypeOf(sent.data.message.ID).toBeString();
expectTypeOf(sent.data.message.status).toEqualTypeOf<'unSend' | 'success' | 'fail'>();
// @ts-expect-error ID is a string, not a number
expectTypeOf(sent.data.message.ID).toBeNumber();
tim.sendMessage(message).catch((imError: ImError) => {
  expectTypeOf(imError.code).toBeNumber();
  expectTypeOf(imError.message).toBeString();
  expectTypeOf(imError.data).toBeObject();
});

const page = await tim.getMessageList({ conversationID: 'C2Cuser1' });
expectTypeOf(page.data.messageList).toEqualTypeOf<Message[]>();
expectTypeOf(page.data.nextReqMessageID).toBeString();
expectTypeOf(page.data.isCompleted).toBeBoolean();

// ---- conversations
const convs = await tim.getConversationList();
expectTypeOf(convs.data.conversationList[0].unreadCount).toBeNumber();
expectTypeOf(convs.data.conversationList[0].conversationID).toBeString();
expectTypeOf(convs.data.conversationList[0].lastMessage.messageForShow).toBeString();

// ---- profiles and blacklist
tim.on(TIM.EVENT.PROFILE_UPDATED, (event) => {
  expectTypeOf(event.data).toEqualTypeOf<Profile[]>();
  expectTypeOf(event.data[0].nick).toBeString();
});
tim.on(TIM.EVENT.BLACKLIST_UPDATED, (event) => {
  expectTypeOf(event.data).toEqualTypeOf<string[]>();
});
const myProfile = await tim.getMyProfile();
expectTypeOf(myProfile).toEqualTypeOf<ImResponse<Profile>>();
expectTypeOf(myProfile.data).toEqualTypeOf<Profile>();
expectTypeOf(myProfile.data.userID).toBeString();
expectTypeOf(myProfile.data.messageSettings).toBeNumber();
expectTypeOf(myProfile.data.lastUpdatedTime).toBeNumber();
expectTypeOf(myProfile.data.profileCustomField).toEqualTypeOf<Array<{ key: string; value: string }>>();
const others = await tim.getUserProfile({ userIDList: ['user1', 'user2'] });
expectTypeOf(others.data).toEqualTypeOf<Profile[]>();
// @ts-expect-error userIDList is required
void tim.getUserProfile({});
const updated = await tim.updateMyProfile({
  nick: 'Alice',
  avatar: 'https://example.com/a.png',
  gender: TIM.TYPES.GENDER_FEMALE,
  selfSignature: 'hi',
  allowType: TIM.TYPES.ALLOW_TYPE_NEED_CONFIRM,
  birthday: 20000101,
  location: 'Berlin',
  language: 1,
  messageSettings: 0,
  adminForbidType: TIM.TYPES.FORBID_TYPE_NONE,
  level: 1,
  role: 2,
  profileCustomField: [{ key: 'Tag_Profile_Custom_x', value: 'y' }],
});
expectTypeOf(updated.data).toEqualTypeOf<Profile>();
// Values that are plain strings at compile time (e.g. from a form) are accepted; the SDK checks them at runtime.
const genderFromForm: string = 'Gender_Type_Male';
void tim.updateMyProfile({ gender: genderFromForm });
const options: ProfileUpdateOptions = { nick: 'n' };
void tim.updateMyProfile(options);
// @ts-expect-error nick is a string
void tim.updateMyProfile({ nick: 1 });
// @ts-expect-error unknown profile key
void tim.updateMyProfile({ hobby: 'chess' });
// @ts-expect-error custom fields are {key, value} pairs
void tim.updateMyProfile({ profileCustomField: ['Tag_Profile_Custom_x'] });
const blacklist = await tim.getBlacklist();
expectTypeOf(blacklist.data).toEqualTypeOf<string[]>();
expectTypeOf((await tim.addToBlacklist({ userIDList: ['user1'] })).data).toEqualTypeOf<string[]>();
expectTypeOf((await tim.removeFromBlacklist({ userIDList: ['user1'] })).data).toEqualTypeOf<string[]>();
// @ts-expect-error userIDList is an array
void tim.addToBlacklist({ userIDList: 'user1' });
expectTypeOf(new Profile().allowType).toBeString();

// ---- groups
tim.on(TIM.EVENT.GROUP_LIST_UPDATED, (event) => {
  expectTypeOf(event.data).toEqualTypeOf<Group[]>();
  expectTypeOf(event.data[0].memberNum).toBeNumber();
});
const createdGroup = await tim.createGroup({ type: TIM.TYPES.GRP_WORK, name: 'WebSDK', memberList: [{ userID: 'user1' }, { userID: 'user2' }] });
expectTypeOf(createdGroup.data.group).toEqualTypeOf<Group>();
expectTypeOf(createdGroup.data.overLimitUserIDList).toEqualTypeOf<string[]>();
expectTypeOf(createdGroup.data.group.selfInfo.role).toBeString();
expectTypeOf(createdGroup.data.group.muteAllMembers).toBeBoolean();
// @ts-expect-error name is required
void tim.createGroup({ type: TIM.TYPES.GRP_WORK });
const groupList = await tim.getGroupList();
expectTypeOf(groupList.data.groupList).toEqualTypeOf<Group[]>();
const joinRes = await tim.joinGroup({ groupID: 'group1', type: TIM.TYPES.GRP_AVCHATROOM });
if (joinRes.data.status === TIM.TYPES.JOIN_STATUS_SUCCESS) expectTypeOf(joinRes.data.group).toEqualTypeOf<Group | undefined>();
expectTypeOf((await tim.quitGroup('group1')).data.groupID).toBeString();
expectTypeOf((await tim.dismissGroup('group1')).data.groupID).toBeString();
const members = await tim.getGroupMemberList({ groupID: 'group1', count: 30, offset: 0 });
expectTypeOf(members.data.memberList).toEqualTypeOf<GroupMember[]>();
expectTypeOf(members.data.offset).toBeNumber();
const muted = await tim.setGroupMemberMuteTime({ groupID: 'group1', userID: 'user1', muteTime: 600 });
expectTypeOf(muted.data.member.muteUntil).toBeNumber();
expectTypeOf(muted.data.group).toEqualTypeOf<Group>();
const groupRemind = await tim.setMessageRemindType({ groupID: 'group1', messageRemindType: TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE });
expectTypeOf(groupRemind.data.group).toEqualTypeOf<Group>();
const c2cRemind = await tim.setMessageRemindType({ userIDList: ['user1'], messageRemindType: TIM.TYPES.MSG_REMIND_DISCARD });
expectTypeOf(c2cRemind.data.successUserIDList[0].userID).toBeString();
expectTypeOf(c2cRemind.data.failureUserIDList[0].code).toBeNumber();
const added = await tim.addGroupMember({ groupID: 'group1', userIDList: ['user3'] });
expectTypeOf(added.data.existedUserIDList).toEqualTypeOf<string[]>();
expectTypeOf((await tim.getGroupOnlineMemberCount('group1')).data.memberCount).toBeNumber();
const apps = await tim.getGroupApplicationList();
void tim.handleGroupApplication({ handleAction: 'Agree', application: apps.data.applicationList[0] });
tim.on(TIM.EVENT.MESSAGE_RECEIVED, (event) => {
  for (const m of event.data) {
    if (m.type === TIM.TYPES.MSG_GRP_SYS_NOTICE && m.payload['operationType'] === 1) void tim.handleGroupApplication({ handleAction: 'Reject', message: m });
  }
});
const groupConv = convs.data.conversationList[0];
expectTypeOf(groupConv.groupProfile).toEqualTypeOf<Group | undefined>();
expectTypeOf(groupConv.groupAtInfoList[0].atTypeArray).toEqualTypeOf<number[]>();

await tim.logout();
await tim.destroy();

/**
 * Type test: tim-js-sdk / @tencentcloud/chat style app code must compile
 * against @parley/sdk's public types (the built `.d.ts`) under a strict,
 * app-like tsconfig. Never executed; `typecheck.test.ts` runs `tsc` on it.
 * `@ts-expect-error` lines prove the assertions are not vacuous.
 */
import TIM, { TIM as NamedTIM, TencentCloudChat, createInstance, type ChatSDK, type Conversation, type ImError, type ImResponse, type Message } from '@parley/sdk';
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

await tim.logout();
await tim.destroy();

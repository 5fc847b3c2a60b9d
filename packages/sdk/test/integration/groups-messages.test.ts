/**
 * Group messages through the real SDK and server: delivery with per-group
 * sequences, history, read state synced across a user's instances, revoke,
 * @-mentions (groupAtInfoList), remind types (AcceptNotNotify / Discard, both
 * forms of setMessageRemindType) and unread counts after a relogin and a
 * dropped connection (spec tim-api.md §4.3–4.5, §6.3, §8.2, §9).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, TYPES, type Conversation, type Message } from '@parley/sdk';
import { sleep, waitUntil } from '@parley/testing';
import { NetworkSwitch } from './helpers.js';
import {
  createGroup,
  groupConversation,
  groupIDs,
  groupMessages,
  sendGroupText,
  startGroupWorld,
  stopGroupWorld,
  waitForGroupMessages,
  waitForListed,
  type GroupWorld,
} from './group-helpers.js';

let world: GroupWorld | undefined;

afterEach(async () => {
  await stopGroupWorld(world);
  world = undefined;
});

async function start(): Promise<GroupWorld> {
  world = await startGroupWorld();
  return world;
}

function texts(messages: Message[]): string[] {
  return messages.filter((m) => m.type === TYPES.MSG_TEXT).map((m) => m.payload['text'] as string);
}

describe('group messages', () => {
  it('delivers to every member instance with per-group sequences; history, read sync across instances and revoke work as for C2C', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const alice2 = await h.login('alice');
    const bob = await h.login('bob');
    const bob2 = await h.login('bob');
    const carol = await h.login('carol');
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }, { userID: 'carol' }] });
    await waitForListed(bob, g.groupID);
    await waitForGroupMessages(bob, g.groupID, 2); // join tip + group_create
    const base = (await bob.tim.getGroupProfile({ groupID: g.groupID })).data.group.nextMessageSeq;
    // The group_create message counts as unread like any member's message: start from 0.
    expect((await groupConversation(bob, g.groupID))?.unreadCount).toBe(1);
    await bob.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID });
    await waitUntil(async () => (await groupConversation(bob2, g.groupID))?.unreadCount === 0, 'bob2 unread 0');
    await waitUntil(async () => (await groupConversation(carol, g.groupID))?.unreadCount === 1, 'carol unread 1');
    await carol.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID });
    bob.clearEvents();

    const sent: Message[] = [];
    for (let i = 1; i <= 3; i++) sent.push(await sendGroupText(alice, g.groupID, `hello ${i}`));
    expect(sent.map((m) => m.sequence)).toEqual([base, base + 1, base + 2]);
    expect(sent.every((m) => m.status === 'success' && m.conversationID === 'GROUP' + g.groupID)).toBe(true);
    for (const u of [bob, bob2, carol]) {
      await waitUntil(() => texts(groupMessages(u, g.groupID)).includes('hello 3'), `${u.userID} to get the messages`);
    }
    const got = groupMessages(bob, g.groupID);
    expect(got.map((m) => [m.sequence, m.flow, m.conversationType, m.to, m.from, m.conversationSubType])).toEqual(
      sent.map((m) => [m.sequence, 'in', 'GROUP', g.groupID, 'alice', 'Private']),
    );
    // The sender's other instance gets them as flow "out"; the sender itself gets nothing.
    await waitUntil(() => texts(groupMessages(alice2, g.groupID)).includes('hello 3'), 'alice2 echoes');
    expect(groupMessages(alice2, g.groupID).filter((m) => m.type === TYPES.MSG_TEXT).every((m) => m.flow === 'out')).toBe(true);
    expect(alice.received().some((m) => sent.some((s) => s.ID === m.ID))).toBe(false);
    expect((await alice.tim.getGroupProfile({ groupID: g.groupID })).data.group.nextMessageSeq).toBe(base + 3);

    // Unread: 3 for bob on both instances, in the total; the conversation shows the group.
    const conv = (await groupConversation(bob, g.groupID)) as Conversation;
    expect(conv).toMatchObject({ type: 'GROUP', subType: 'Private', unreadCount: 3 });
    expect(conv.toAccount).toBe(g.groupID);
    expect(conv.groupProfile?.groupID).toBe(g.groupID);
    expect(conv.lastMessage).toMatchObject({ lastSequence: base + 2, fromAccount: 'alice', messageForShow: 'hello 3' });
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(3);
    await waitUntil(async () => (await groupConversation(bob2, g.groupID))?.unreadCount === 3, 'bob2 unread 3');

    // History: ascending, tips and the group_create message included.
    const history = (await bob.tim.getMessageList({ conversationID: 'GROUP' + g.groupID })).data;
    expect(history.isCompleted).toBe(true);
    expect(history.messageList.map((m) => m.type)).toEqual([TYPES.MSG_GRP_TIP, TYPES.MSG_CUSTOM, TYPES.MSG_TEXT, TYPES.MSG_TEXT, TYPES.MSG_TEXT]);
    expect(history.messageList.map((m) => m.sequence)).toEqual([base - 2, base - 1, base, base + 1, base + 2]);

    // Read: bob's unread drops to 0 and bob2 follows (push.group-read); nobody else is told.
    expect(await bob.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID })).toEqual({ code: 0, data: {} });
    expect((await groupConversation(bob, g.groupID))?.unreadCount).toBe(0);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(0);
    await waitUntil(async () => (await groupConversation(bob2, g.groupID))?.unreadCount === 0, 'bob2 unread synced to 0');
    await waitUntil(() => bob2.totalUnreadEvents().at(-1) === 0, 'bob2 total unread event 0');
    expect((await groupConversation(carol, g.groupID))?.unreadCount).toBe(3);
    expect(alice.readByPeer()).toEqual([]);

    // Revoke: the sender's message is revoked for everyone; carol's unread drops by one.
    const revoked = await alice.tim.revokeMessage(sent[2]!);
    expect(revoked.data.message.isRevoked).toBe(true);
    await waitUntil(() => carol.revoked().some((m) => m.ID === sent[2]!.ID), 'carol MESSAGE_REVOKED');
    expect(carol.revoked().find((m) => m.ID === sent[2]!.ID)).toMatchObject({ isRevoked: true, revoker: 'alice' });
    await waitUntil(async () => (await groupConversation(carol, g.groupID))?.unreadCount === 2, 'carol unread 2 after revoke');
    await expect(carol.tim.revokeMessage(groupMessages(carol, g.groupID).find((m) => m.ID === sent[0]!.ID)!)).rejects.toMatchObject({ code: 10007 });
  });

  it('@-mentions: createTextAtMessage fills atUserList; the mentioned member’s conversation gets groupAtInfoList 1 / 2 / 3, cleared by setMessageRead', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const g = await createGroup(alice, TYPES.GRP_PUBLIC, { joinOption: TYPES.JOIN_OPTIONS_FREE_ACCESS });
    await bob.tim.joinGroup({ groupID: g.groupID });
    const at = (atUserList: string[], text: string) => alice.tim.sendMessage(alice.tim.createTextAtMessage({ to: g.groupID, conversationType: TYPES.CONV_GROUP, payload: { text, atUserList } }));
    const m1 = (await at(['bob'], '@bob hi')).data.message;
    expect(m1.atUserList).toEqual(['bob']);
    await at([TYPES.MSG_AT_ALL], '@all hi');
    await at([TYPES.MSG_AT_ALL, 'bob'], '@all @bob hi');
    await at(['carol'], '@carol hi');
    await waitUntil(() => texts(groupMessages(bob, g.groupID)).includes('@carol hi'), 'bob to get the @ messages');
    expect(groupMessages(bob, g.groupID).find((m) => m.ID === m1.ID)?.atUserList).toEqual(['bob']);
    const conv = (await groupConversation(bob, g.groupID)) as Conversation;
    expect(conv.groupAtInfoList.map((i) => i.atTypeArray)).toEqual([[TYPES.CONV_AT_ME], [TYPES.CONV_AT_ALL], [TYPES.CONV_AT_ALL_AT_ME]]);
    expect(conv.groupAtInfoList[0]).toEqual({ from: 'alice', groupID: g.groupID, topicID: '', messageSequence: m1.sequence, atTypeArray: [1] });
    await bob.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID });
    expect((await groupConversation(bob, g.groupID))?.groupAtInfoList).toEqual([]);
  });

  it('priority and cloudCustomData travel with group messages; Meeting groups never count unread', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const meeting = await createGroup(alice, TYPES.GRP_MEETING);
    await bob.tim.joinGroup({ groupID: meeting.groupID });
    await sendGroupText(alice, meeting.groupID, 'important', { priority: TYPES.MSG_PRIORITY_HIGH, cloudCustomData: 'cc' });
    await sendGroupText(alice, meeting.groupID, 'lowest', { priority: 4 });
    await waitUntil(() => texts(groupMessages(bob, meeting.groupID)).includes('lowest'), 'bob gets the meeting messages');
    const [high, low] = groupMessages(bob, meeting.groupID).filter((m) => m.type === TYPES.MSG_TEXT);
    expect([high?.priority, high?.cloudCustomData, low?.priority]).toEqual(['High', 'cc', 'Lowest']);
    expect(high?.conversationSubType).toBe('ChatRoom');
    const conv = (await groupConversation(bob, meeting.groupID)) as Conversation;
    expect([conv.subType, conv.unreadCount]).toEqual(['ChatRoom', 0]);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(0);
  });
});

describe('group conversations', () => {
  it('getConversationProfile of a group conversation: the list’s conversation with the Group as groupProfile; a group without one gets one built from its profile; unknown → 2501', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }] });
    await waitForGroupMessages(bob, g.groupID, 2);
    const listed = await groupConversation(bob, g.groupID);
    const res = await bob.tim.getConversationProfile('GROUP' + g.groupID);
    expect(res.data.conversation).toBe(listed);
    expect(res.data.conversation.groupProfile).toBe((await bob.tim.getGroupList()).data.groupList[0]);
    expect(res.data.conversation.subType).toBe('Private');

    // A group without a conversation here (a Public group carol is not in): built from the group's profile.
    const pub = await createGroup(alice, TYPES.GRP_PUBLIC);
    await sendGroupText(alice, pub.groupID, 'members only');
    const carol = await h.login('carol');
    const built = (await carol.tim.getConversationProfile('GROUP' + pub.groupID)).data.conversation;
    expect(built).toMatchObject({ conversationID: 'GROUP' + pub.groupID, type: 'GROUP', subType: 'Public', unreadCount: 0 });
    expect(built.groupProfile).toMatchObject({ groupID: pub.groupID, name: pub.name, type: 'Public' });
    expect(built.toAccount).toBe(pub.groupID);
    expect((await carol.conversationList()).map((c) => c.conversationID)).toEqual(['GROUP' + pub.groupID]);
    expect(await groupIDs(carol)).toEqual([]);
    await expect(bob.tim.getConversationProfile('GROUP@TGS#NOSUCHGROUP')).rejects.toMatchObject({ code: 2501 });
  });
});

describe('remind types', () => {
  it('group form: AcceptNotNotify still delivers but leaves the total unread; the other instance follows; Discard stops delivery', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const bob2 = await h.login('bob');
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }] });
    await waitForListed(bob, g.groupID);
    await waitForGroupMessages(bob, g.groupID, 2);
    await bob.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID });

    const res = await bob.tim.setMessageRemindType({ groupID: g.groupID, messageRemindType: TYPES.MSG_REMIND_ACPT_NOT_NOTE });
    expect(Object.keys(res.data)).toEqual(['group']);
    const group = (res.data as { group: { groupID: string; selfInfo: { messageRemindType: string } } }).group;
    expect([group.groupID, group.selfInfo.messageRemindType]).toEqual([g.groupID, 'AcceptNotNotify']);
    expect((await groupConversation(bob, g.groupID))?.messageRemindType).toBe('AcceptNotNotify');
    await waitUntil(async () => (await groupConversation(bob2, g.groupID))?.messageRemindType === 'AcceptNotNotify', 'bob2 remind type synced');

    await sendGroupText(alice, g.groupID, 'quietly');
    await waitUntil(() => texts(groupMessages(bob, g.groupID)).includes('quietly'), 'bob still receives');
    expect((await groupConversation(bob, g.groupID))?.unreadCount).toBe(1);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(0);

    await bob.tim.setMessageRemindType({ groupID: g.groupID, messageRemindType: TYPES.MSG_REMIND_DISCARD });
    await waitUntil(async () => (await groupConversation(bob2, g.groupID))?.messageRemindType === 'Discard', 'bob2 Discard synced');
    await sendGroupText(alice, g.groupID, 'discarded');
    await sendGroupText(alice, g.groupID, 'discarded too');
    await sleep(300);
    expect(texts(groupMessages(bob, g.groupID))).not.toContain('discarded');
    expect(texts(groupMessages(bob2, g.groupID))).not.toContain('discarded');
    // History still has them.
    const history = (await bob.tim.getMessageList({ conversationID: 'GROUP' + g.groupID })).data.messageList;
    expect(texts(history)).toEqual(['quietly', 'discarded', 'discarded too']);

    await bob.tim.setMessageRemindType({ groupID: g.groupID, messageRemindType: TYPES.MSG_REMIND_ACPT_AND_NOTE });
    await sendGroupText(alice, g.groupID, 'loud again');
    await waitUntil(() => texts(groupMessages(bob, g.groupID)).includes('loud again'), 'bob receives again');
    expect(bob.tim.getTotalUnreadMessageCount()).toBe((await groupConversation(bob, g.groupID))?.unreadCount);
  });

  it('C2C form resolves {successUserIDList: [{userID}], failureUserIDList: []} and excludes the conversation from the total', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const bob2 = await h.login('bob');
    await alice.sendText('bob', 'first');
    await bob.waitForReceived(1);
    const res = await bob.tim.setMessageRemindType({ userIDList: ['alice', 'carol'], messageRemindType: TYPES.MSG_REMIND_ACPT_NOT_NOTE });
    expect(res.data).toEqual({ successUserIDList: [{ userID: 'alice' }, { userID: 'carol' }], failureUserIDList: [] });
    expect((await bob.conversation('C2Calice'))?.messageRemindType).toBe('AcceptNotNotify');
    await waitUntil(async () => (await bob2.conversation('C2Calice'))?.messageRemindType === 'AcceptNotNotify', 'bob2 C2C remind type synced');
    await alice.sendText('bob', 'second');
    await bob.waitForReceived(2);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(2);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(0);
    // A fresh login sees the setting from the sync.
    const bob3 = await h.login('bob');
    expect((await bob3.conversation('C2Calice'))?.messageRemindType).toBe('AcceptNotNotify');
    expect(bob3.tim.getTotalUnreadMessageCount()).toBe(0);
  });
});

describe('unread after reconnect', () => {
  it('messages sent while a member was logged out count as unread at the next login (tips never do) and are not replayed as MESSAGE_RECEIVED', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }] });
    await waitForListed(bob, g.groupID);
    await bob.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID });
    await bob.tim.logout();

    await sendGroupText(alice, g.groupID, 'while you were out 1');
    await alice.tim.updateGroupProfile({ groupID: g.groupID, name: 'new name' }); // a tip: never unread
    await sendGroupText(alice, g.groupID, 'while you were out 2');

    const again = h.create('bob');
    await again.login();
    const conv = (await groupConversation(again, g.groupID)) as Conversation;
    expect(conv.unreadCount).toBe(2);
    expect(conv.lastMessage.messageForShow).toBe('while you were out 2');
    expect(conv.groupProfile?.name).toBe('new name');
    expect(again.tim.getTotalUnreadMessageCount()).toBe(2);
    expect(again.received()).toEqual([]);
    await waitUntil(() => again.eventsOf(EVENT.GROUP_LIST_UPDATED).length > 0, 'GROUP_LIST_UPDATED at login');
    expect(texts((await again.tim.getMessageList({ conversationID: 'GROUP' + g.groupID })).data.messageList)).toEqual(['while you were out 1', 'while you were out 2']);
  });

  it('a dropped connection is filled on reconnect: missed group messages arrive in order, unread counts them, and a group joined meanwhile appears', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const net = new NetworkSwitch();
    const bob = await h.login('bob', { WebSocket: net.WebSocket });
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }] });
    await waitForGroupMessages(bob, g.groupID, 2);
    await bob.tim.setMessageRead({ conversationID: 'GROUP' + g.groupID });

    net.cut();
    await waitUntil(() => bob.netStates().includes('connecting') || bob.netStates().includes('disconnected'), 'bob to notice the drop');
    for (let i = 1; i <= 3; i++) await sendGroupText(alice, g.groupID, `missed ${i}`);
    const other = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }] });
    net.restore();

    await waitUntil(() => texts(groupMessages(bob, g.groupID)).includes('missed 3'), 'bob to get the missed messages', 10_000);
    expect(texts(groupMessages(bob, g.groupID))).toEqual(['missed 1', 'missed 2', 'missed 3']);
    await waitUntil(async () => (await groupConversation(bob, g.groupID))?.unreadCount === 3, 'bob unread 3 after the fill');
    await waitForListed(bob, other.groupID);
  });
});

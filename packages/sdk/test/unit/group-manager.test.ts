/**
 * GroupManager, and the group side of ConversationManager and MessageManager,
 * against scripted pushes and requests: the joined-group list kept current by
 * tips, system notices and pushes; group conversations (unread without tips,
 * Meeting/AVChatRoom 0, @-info, removal); `@TIM#SYSTEM`; live-only AVChatRoom
 * messages (spec §4.7, §6.1, §8.2–8.4).
 */
import { describe, expect, it } from 'vitest';
import type { PushFrame, WireConversation } from '@parley/protocol';
import { Group } from '../../src/modules/group/group.js';
import { flush, loadGroups, setup, tip, wireGroup, wireGroupMessage } from './group-fixtures.js';

function push(f: ReturnType<typeof setup>, frame: PushFrame): void {
  if (frame.cmd === 'push.message' || frame.cmd === 'push.revoke') f.messages.handlePush(frame);
  else f.groups.handlePush(frame);
}

function groupRow(groupID: string, fields: Partial<WireConversation> = {}): WireConversation {
  return {
    conversationID: 'GROUP' + groupID,
    type: 'GROUP',
    peer: groupID,
    lastSeq: 0,
    readSeq: 0,
    peerReadSeq: 0,
    peerReadTime: 0,
    unreadCount: 0,
    lastMessage: null,
    clearedSeq: 0,
    hidden: false,
    updatedAt: 0,
    peerProfile: { userID: '', nick: '', avatar: '' },
    groupProfile: { groupID, name: `name of ${groupID}`, avatar: '', type: 'Public' },
    messageRemindType: '',
    ...fields,
  };
}

function notice(groupID: string, operationType: number, ID = `n-${groupID}-${operationType}`): PushFrame {
  return {
    cmd: 'push.system-notice',
    data: { ID, time: 100, groupID, payload: { operatorID: 'bob', operationType, groupProfile: { groupID, name: 'G' }, handleMessage: '', authentication: '', messageKey: '', userDefinedField: '' } },
  };
}

describe('the joined-group list', () => {
  it('load announces once and keeps one Group instance per groupID; memberNum/maxMemberNum alias the counts', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g', { memberCount: 3, maxMemberCount: 200 })]);
    expect(f.groupListEvents).toBe(1);
    const g = f.groups.get('g');
    expect(g).toBeInstanceOf(Group);
    expect(g?.memberNum).toBe(3);
    expect(g?.maxMemberNum).toBe(200);
    expect(g?.selfInfo.userID).toBe('me');
    push(f, { cmd: 'push.group-updated', data: wireGroup('g', { name: 'renamed', memberCount: 4 }) });
    expect(f.groups.get('g')).toBe(g);
    expect(g?.name).toBe('renamed');
    expect(g?.memberNum).toBe(4);
    expect(JSON.parse(JSON.stringify(g))).toMatchObject({ groupID: 'g', memberCount: 4, muteAllMembers: false });
  });

  it('a reload drops groups that are gone, with their conversations', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('a'), wireGroup('b')]);
    f.conversations.applyWire(groupRow('b'), true);
    f.respond((cmd) => (cmd === 'group.list' ? { groups: [wireGroup('a')] } : undefined));
    await f.groups.load(false);
    expect(f.groups.list().map((g) => g.groupID)).toEqual(['a']);
    expect(f.conversations.get('GROUPb')).toBeUndefined();
  });

  it('group conversations show the list’s Group as groupProfile and its type as subType, whichever arrives first', async () => {
    const f = setup();
    f.conversations.applyWire(groupRow('early', { groupProfile: { groupID: 'early', name: 'partial', avatar: '', type: 'ChatRoom' } }), true);
    const partial = f.conversations.get('GROUPearly')?.conversation;
    expect(partial?.groupProfile?.name).toBe('partial');
    expect(partial?.subType).toBe('ChatRoom');
    expect(partial?.type).toBe('GROUP');
    expect(partial?.toAccount).toBe('early');
    await loadGroups(f, [wireGroup('early', { type: 'ChatRoom' }), wireGroup('late')]);
    expect(partial?.groupProfile).toBe(f.groups.get('early'));
    f.conversations.applyWire(groupRow('late'), true);
    expect(f.conversations.get('GROUPlate')?.conversation.groupProfile).toBe(f.groups.get('late'));
  });

  it('tips keep the cached group current: join/quit/kick counts, admin roles, profile changes, owner transfer, mute', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g', { ownerID: 'bob', memberCount: 3, selfInfo: { ...wireGroup('x').selfInfo!, role: 'Member' }, nextMessageSeq: 1 })]);
    f.conversations.applyWire(groupRow('g'), true);
    const g = f.groups.get('g') as Group;
    push(f, { cmd: 'push.message', data: tip('g', 1, { operatorID: 'bob', operationType: 1, userIDList: ['carol', 'dave'] }) });
    expect(g.memberCount).toBe(5);
    push(f, { cmd: 'push.message', data: tip('g', 2, { operatorID: 'carol', operationType: 2, userIDList: ['carol'] }) });
    push(f, { cmd: 'push.message', data: tip('g', 3, { operatorID: 'bob', operationType: 3, userIDList: ['dave'] }) });
    expect(g.memberCount).toBe(3);
    push(f, { cmd: 'push.message', data: tip('g', 4, { operatorID: 'bob', operationType: 4, userIDList: ['me'] }) });
    expect(g.selfInfo.role).toBe('Admin');
    push(f, { cmd: 'push.message', data: tip('g', 5, { operatorID: 'bob', operationType: 5, userIDList: ['me'] }) });
    expect(g.selfInfo.role).toBe('Member');
    push(f, { cmd: 'push.message', data: tip('g', 6, { operatorID: 'bob', operationType: 6, newGroupProfile: { name: 'N', muteAllMembers: true, groupCustomField: [{ key: 'k', value: 'v' }] } }) });
    expect([g.name, g.muteAllMembers, g.groupCustomField]).toEqual(['N', true, [{ key: 'k', value: 'v' }]]);
    push(f, { cmd: 'push.message', data: tip('g', 7, { operatorID: 'bob', operationType: 6, newGroupProfile: { ownerID: 'me' } }) });
    expect([g.ownerID, g.selfInfo.role]).toEqual(['me', 'Owner']);
    push(f, { cmd: 'push.message', data: tip('g', 8, { operatorID: 'bob', operationType: 7, userIDList: ['me'], memberList: [{ userID: 'me', muteTime: 60 }] }) });
    expect(g.selfInfo.muteUntil).toBe(1_700_000_008 + 60);
    expect(g.nextMessageSeq).toBe(9);
    expect(g.lastMessage).toMatchObject({ lastSequence: 8, messageForShow: '[Group Notification]' });
    // Every tip went out through MESSAGE_RECEIVED, in order, and none of them counts as unread.
    expect(f.received.flat().map((m) => m.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(f.conversations.get('GROUPg')?.conversation.unreadCount).toBe(0);
  });

  it('a join tip naming me for an unknown group fetches it and adds it', async () => {
    const f = setup();
    f.respond((cmd, body) => (cmd === 'group.get' ? { group: wireGroup(String(body['groupID']), { ownerID: 'bob' }) } : undefined));
    push(f, { cmd: 'push.message', data: tip('new', 7, { operatorID: 'bob', operationType: 1, userIDList: ['me'] }) });
    await flush();
    expect(f.groups.get('new')?.ownerID).toBe('bob');
    // The conversation of a group first seen through a live message starts at that message: no history replay.
    const entry = f.conversations.get('GROUPnew');
    expect(entry?.tracker.watermark).toBe(7);
    expect(f.calls.map((c) => c.cmd)).toEqual(['group.get']);
  });
});

describe('system notices', () => {
  it('become @TIM#SYSTEM messages via MESSAGE_RECEIVED and sit in the system conversation (not in the total unread)', () => {
    const f = setup();
    push(f, notice('g', 1));
    const [m] = f.received.flat();
    expect(m).toMatchObject({
      ID: 'n-g-1',
      type: 'TIMGroupSystemNoticeElem',
      conversationID: '@TIM#SYSTEM',
      conversationType: '@TIM#SYSTEM',
      from: '@TIM#SYSTEM',
      to: 'me',
      flow: 'in',
      time: 100,
      payload: { operatorID: 'bob', operationType: 1, groupProfile: { groupID: 'g', name: 'G' }, handleMessage: '' },
    });
    const system = f.conversations.get('@TIM#SYSTEM')?.conversation;
    expect(system?.type).toBe('@TIM#SYSTEM');
    expect(system?.unreadCount).toBe(1);
    expect(system?.lastMessage.messageForShow).toBe('[Group System Message]');
    expect(f.conversations.totalUnread()).toBe(0);
    // A duplicate push is ignored.
    push(f, notice('g', 1));
    expect(f.received.flat()).toHaveLength(1);
  });

  it('removed (4), dismissed (5) and quit elsewhere (8) drop the group and its conversation; approved (2)/invited (7) fetch it; 9/10 set the role', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('k'), wireGroup('d'), wireGroup('q'), wireGroup('r', { ownerID: 'bob' })]);
    for (const id of ['k', 'd', 'q']) f.conversations.applyWire(groupRow(id), true);
    push(f, notice('k', 4));
    push(f, notice('d', 5));
    push(f, notice('q', 8));
    expect(f.groups.list().map((g) => g.groupID)).toEqual(['r']);
    expect(['k', 'd', 'q'].map((id) => f.conversations.get('GROUP' + id))).toEqual([undefined, undefined, undefined]);
    push(f, notice('r', 9));
    expect(f.groups.get('r')?.selfInfo.role).toBe('Admin');
    push(f, notice('r', 10));
    expect(f.groups.get('r')?.selfInfo.role).toBe('Member');
    f.respond((cmd, body) => (cmd === 'group.get' ? { group: wireGroup(String(body['groupID'])) } : undefined));
    push(f, notice('a', 2));
    push(f, notice('i', 7));
    await flush();
    expect(f.groups.list().map((g) => g.groupID).sort()).toEqual(['a', 'i', 'r']);
    expect(f.groups.systemNotices().map((n) => n.payload['operationType'])).toEqual([4, 5, 8, 9, 10, 2, 7]);
  });

  it('getMessageList of @TIM#SYSTEM pages the in-memory notices; setMessageRead is local', async () => {
    const f = setup();
    for (let i = 1; i <= 20; i++) push(f, notice('g', 255, `n${i}`));
    const first = await f.messages.list('@TIM#SYSTEM', undefined, 15);
    expect(first.messageList.map((m) => m.ID)).toEqual(Array.from({ length: 15 }, (_, i) => `n${i + 6}`));
    expect(first.isCompleted).toBe(false);
    expect(first.nextReqMessageID).toBe('n6');
    const second = await f.messages.list('@TIM#SYSTEM', first.nextReqMessageID, 15);
    expect(second).toMatchObject({ nextReqMessageID: '', isCompleted: true });
    expect(second.messageList.map((m) => m.ID)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    const entry = f.conversations.get('@TIM#SYSTEM');
    if (!entry) throw new Error('no system conversation');
    await f.messages.setRead(entry);
    expect(entry.conversation.unreadCount).toBe(0);
    expect(f.calls).toHaveLength(0);
  });
});

describe('group conversations', () => {
  it('unread counts others’ messages but never tips; Meeting and AVChatRoom count none', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('pub'), wireGroup('meet', { type: 'ChatRoom' })]);
    f.conversations.applyWire(groupRow('pub', { lastSeq: 2, readSeq: 0, unreadCount: 2 }), true);
    f.conversations.applyWire(groupRow('meet', { lastSeq: 2, readSeq: 0, unreadCount: 2, groupProfile: { groupID: 'meet', name: '', avatar: '', type: 'ChatRoom' } }), true);
    expect(f.conversations.get('GROUPpub')?.conversation.unreadCount).toBe(2);
    expect(f.conversations.get('GROUPmeet')?.conversation.unreadCount).toBe(0);
    push(f, { cmd: 'push.message', data: wireGroupMessage('pub', 3) });
    push(f, { cmd: 'push.message', data: tip('pub', 4, { operatorID: 'bob', operationType: 6, newGroupProfile: { name: 'x' } }) });
    push(f, { cmd: 'push.message', data: wireGroupMessage('pub', 5, { from: 'me' }) });
    push(f, { cmd: 'push.message', data: wireGroupMessage('meet', 3) });
    expect(f.conversations.get('GROUPpub')?.conversation.unreadCount).toBe(3);
    expect(f.conversations.get('GROUPmeet')?.conversation.unreadCount).toBe(0);
    expect(f.received.flat().map((m) => [m.conversationID, m.sequence, m.flow, m.conversationSubType])).toEqual([
      ['GROUPpub', 3, 'in', 'Public'],
      ['GROUPpub', 4, 'in', 'Public'],
      ['GROUPpub', 5, 'out', 'Public'],
      ['GROUPmeet', 3, 'in', 'ChatRoom'],
    ]);
  });

  it('@me / @all / both go into groupAtInfoList with atTypeArray 1 / 2 / 3; reading clears them', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g')]);
    f.conversations.applyWire(groupRow('g'), true);
    const AT_ALL = '__kImSDK_MesssageAtALL__';
    push(f, { cmd: 'push.message', data: wireGroupMessage('g', 1, { payload: { text: '@me', atUserList: ['me'] } }) });
    push(f, { cmd: 'push.message', data: wireGroupMessage('g', 2, { payload: { text: '@all', atUserList: [AT_ALL] } }) });
    push(f, { cmd: 'push.message', data: wireGroupMessage('g', 3, { payload: { text: '@both', atUserList: [AT_ALL, 'me'] } }) });
    push(f, { cmd: 'push.message', data: wireGroupMessage('g', 4, { payload: { text: '@carol', atUserList: ['carol'] } }) });
    const c = f.conversations.get('GROUPg')?.conversation;
    expect(c?.groupAtInfoList).toEqual([
      { from: 'bob', groupID: 'g', topicID: '', messageSequence: 1, atTypeArray: [1] },
      { from: 'bob', groupID: 'g', topicID: '', messageSequence: 2, atTypeArray: [2] },
      { from: 'bob', groupID: 'g', topicID: '', messageSequence: 3, atTypeArray: [3] },
    ]);
    expect(f.received.flat()[0]?.atUserList).toEqual(['me']);
    push(f, { cmd: 'push.group-read', data: { groupID: 'g', readSeq: 2 } });
    expect(c?.groupAtInfoList.map((i) => i.messageSequence)).toEqual([3]);
    f.respond((cmd) => (cmd === 'msg.read' ? { conversation: groupRow('g', { lastSeq: 4, readSeq: 4, unreadCount: 0 }) } : undefined));
    const entry = f.conversations.get('GROUPg');
    if (!entry) throw new Error('no conversation');
    await f.messages.setRead(entry);
    expect(c?.groupAtInfoList).toEqual([]);
    expect(c?.unreadCount).toBe(0);
  });

  it('push.group-read (another instance read) zeroes unread; push.remind-type updates conversation and group', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g')]);
    f.conversations.applyWire(groupRow('g', { lastSeq: 3, unreadCount: 3 }), true);
    push(f, { cmd: 'push.group-read', data: { groupID: 'g', readSeq: 3 } });
    expect(f.conversations.get('GROUPg')?.conversation.unreadCount).toBe(0);
    expect(f.groups.get('g')?.selfInfo.readedSequence).toBe(3);
    push(f, { cmd: 'push.remind-type', data: { conversationIDList: ['GROUPg'], messageRemindType: 'AcceptNotNotify' } });
    expect(f.conversations.get('GROUPg')?.conversation.messageRemindType).toBe('AcceptNotNotify');
    expect(f.groups.get('g')?.selfInfo.messageRemindType).toBe('AcceptNotNotify');
    // AcceptNotNotify conversations stay out of the total unread count.
    push(f, { cmd: 'push.message', data: wireGroupMessage('g', 4) });
    expect(f.conversations.get('GROUPg')?.conversation.unreadCount).toBe(1);
    expect(f.conversations.totalUnread()).toBe(0);
  });

  it('AVChatRoom: messages and tips (sequence 0) are delivered live without a conversation; getMessageList resolves empty without a request', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('room', { type: 'AVChatRoom' })]);
    push(f, { cmd: 'push.message', data: wireGroupMessage('room', 0, { ID: 'live1' }) });
    push(f, { cmd: 'push.message', data: tip('room', 0, { operatorID: 'carol', operationType: 1, userIDList: ['carol'], memberCount: 42 }, { ID: 'live2' }) });
    expect(f.received.flat().map((m) => [m.ID, m.conversationSubType])).toEqual([
      ['live1', 'AVChatRoom'],
      ['live2', 'AVChatRoom'],
    ]);
    expect(f.groups.get('room')?.memberCount).toBe(42);
    expect(f.conversations.get('GROUProom')).toBeUndefined();
    expect(await f.messages.list('GROUProom', undefined, 15)).toEqual({ messageList: [], nextReqMessageID: '', isCompleted: true });
    expect(f.calls).toHaveLength(0);
  });

  it('AVChatRoom bans: notice 21 drops the room (GROUP_LIST_UPDATED) and is consumed, not surfaced; tips 10/11 arrive as messages and set memberCount', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('room', { type: 'AVChatRoom' }), wireGroup('other', { type: 'AVChatRoom' })]);
    const listEvents = f.groupListEvents;
    push(f, { cmd: 'push.message', data: tip('room', 0, { operatorID: 'bob', operationType: 10, userIDList: ['carol'], memberCount: 7 }, { ID: 'ban' }) });
    push(f, { cmd: 'push.message', data: tip('room', 0, { operatorID: 'bob', operationType: 11, userIDList: ['carol'], memberCount: 8 }, { ID: 'unban' }) });
    expect(f.received.flat().map((m) => [m.ID, m.payload['operationType']])).toEqual([
      ['ban', 10],
      ['unban', 11],
    ]);
    expect(f.groups.get('room')?.memberCount).toBe(8);
    push(f, notice('room', 21));
    expect(f.groups.get('room')).toBeUndefined();
    expect(f.groupListEvents).toBeGreaterThan(listEvents);
    expect(f.received.flat()).toHaveLength(2);
    expect(f.groups.systemNotices()).toEqual([]);
    expect(f.conversations.get('@TIM#SYSTEM')).toBeUndefined();
    // A ban tip naming me (if it overtakes the notice) drops the room too.
    push(f, { cmd: 'push.message', data: tip('other', 0, { operatorID: 'bob', operationType: 10, userIDList: ['me'] }, { ID: 'ban-me' }) });
    expect(f.groups.get('other')).toBeUndefined();
  });

  it('a resync row of a group unknown here starts delivery at the user’s read point, not at 0', async () => {
    const f = setup();
    f.respond((cmd) => (cmd === 'msg.pull' ? { messages: [wireGroupMessage('g', 11)], upToSeq: 11, hasMore: false } : undefined));
    await f.messages.resync([groupRow('g', { lastSeq: 11, readSeq: 10, unreadCount: 1 })]);
    expect(f.calls.map((c) => c.body)).toEqual([{ conversationID: 'GROUPg', afterSeq: 10, limit: 100 }]);
    expect(f.received.flat().map((m) => m.sequence)).toEqual([11]);
  });
});

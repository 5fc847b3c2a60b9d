/**
 * AVChatRoom through the real SDK and server: live-only delivery (no
 * conversation, no history, no unread), anonymous joinGroup before login on a
 * separate socket, one room at a time per instance unless
 * `unlimitedAVChatRoom`, and the room's tips and dismissal
 * (spec tim-api.md §4.4, §4.7, §9, §12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TYPES } from '@parley/sdk';
import { sleep, waitUntil } from '@parley/testing';
import {
  createGroup,
  groupConversation,
  groupIDs,
  groupMessages,
  sendGroupText,
  startGroupWorld,
  stopGroupWorld,
  tipsOf,
  waitForGroupMessages,
  waitForNotice,
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

function texts(user: { received(): Array<{ conversationID: string; type: string; payload: Record<string, unknown> }> }, groupID: string): string[] {
  return user
    .received()
    .filter((m) => m.conversationID === 'GROUP' + groupID && m.type === TYPES.MSG_TEXT)
    .map((m) => m.payload['text'] as string);
}

describe('AVChatRoom', () => {
  it('anonymous joinGroup before login receives the room’s messages; quitGroup stops them; non-AVChatRoom groups → 2662', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    const joined = await alice.tim.joinGroup({ groupID: room.groupID });
    expect(joined.data.status).toBe('JoinedSuccess');
    expect(joined.data.group?.type).toBe('AVChatRoom');

    const viewer = h.create('viewer'); // never logs in
    const res = await viewer.tim.joinGroup({ groupID: room.groupID, type: TYPES.GRP_AVCHATROOM });
    expect(res).toEqual({ code: 0, data: { status: 'JoinedSuccess' } });
    await sendGroupText(alice, room.groupID, 'hello viewers', { priority: TYPES.MSG_PRIORITY_HIGH });
    await waitUntil(() => texts(viewer, room.groupID).includes('hello viewers'), 'the anonymous viewer to receive the message');
    const m = viewer.received().find((x) => x.payload['text'] === 'hello viewers')!;
    expect(m).toMatchObject({ conversationType: 'GROUP', conversationSubType: 'AVChatRoom', from: 'alice', to: room.groupID, flow: 'in', priority: 'High', sequence: 0 });
    // Still not ready: other calls hit the readiness gate.
    await expect(viewer.tim.getConversationList()).rejects.toMatchObject({ code: 2024 });

    expect((await viewer.tim.quitGroup(room.groupID)).data).toEqual({ groupID: room.groupID });
    await sendGroupText(alice, room.groupID, 'after the viewer left');
    await sleep(300);
    expect(texts(viewer, room.groupID)).toEqual(['hello viewers']);

    const pub = await createGroup(alice, TYPES.GRP_PUBLIC);
    await expect(viewer.tim.joinGroup({ groupID: pub.groupID })).rejects.toMatchObject({ code: 2662 });
    await expect(viewer.tim.joinGroup({ groupID: pub.groupID, type: TYPES.GRP_PUBLIC })).rejects.toMatchObject({ code: 2662 });
  });

  it('messages are live only: no conversation, unread or history (getMessageList empty+completed); join/quit tips carry memberCount', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    await alice.tim.joinGroup({ groupID: room.groupID });
    const joined = await bob.tim.joinGroup({ groupID: room.groupID });
    expect(joined.data.group?.memberCount).toBe(2);
    expect(await groupIDs(bob)).toEqual([room.groupID]);
    await waitUntil(() => tipsOf(alice, room.groupID, 1).some((t) => t.from === 'bob'), 'alice sees bob’s join tip');
    const joinTip = tipsOf(alice, room.groupID, 1).find((t) => t.from === 'bob');
    expect(joinTip?.payload).toMatchObject({ operatorID: 'bob', operationType: 1, userIDList: ['bob'], memberCount: 2 });

    const sent = await sendGroupText(alice, room.groupID, 'live');
    expect(sent.sequence).toBe(0);
    await waitForGroupMessages(bob, room.groupID, 1);
    expect(texts(bob, room.groupID)).toEqual(['live']);
    expect(await groupConversation(bob, room.groupID)).toBeUndefined();
    expect(await groupConversation(alice, room.groupID)).toBeUndefined();
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(0);
    expect((await bob.tim.getMessageList({ conversationID: 'GROUP' + room.groupID })).data).toEqual({ messageList: [], nextReqMessageID: '', isCompleted: true });
    expect((await bob.tim.getGroupOnlineMemberCount(room.groupID)).data).toEqual({ memberCount: 2 });
    await expect(alice.tim.addGroupMember({ groupID: room.groupID, userIDList: ['carol'] })).rejects.toMatchObject({ code: 2661 });
    await expect(alice.tim.changeGroupOwner({ groupID: room.groupID, newOwnerID: 'bob' })).rejects.toMatchObject({ code: 2620 });
    await expect(alice.tim.deleteGroupMember({ groupID: room.groupID, userIDList: ['bob'] })).rejects.toMatchObject({ code: 2686 });
    await expect(bob.tim.revokeMessage(groupMessages(bob, room.groupID)[0]!)).rejects.toMatchObject({ code: 10033 });

    await bob.tim.quitGroup(room.groupID);
    expect(await groupIDs(bob)).toEqual([]);
    await waitUntil(() => tipsOf(alice, room.groupID, 2).length > 0, 'alice sees bob’s quit tip');
    expect(tipsOf(alice, room.groupID, 2)[0]?.payload).toMatchObject({ operationType: 2, userIDList: ['bob'], memberCount: 1 });
  });

  it('one AVChatRoom at a time per instance: joining a second quits the first; unlimitedAVChatRoom keeps both', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol', { unlimitedAVChatRoom: true });
    const r1 = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    const r2 = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    await alice.tim.joinGroup({ groupID: r1.groupID });
    await bob.tim.joinGroup({ groupID: r1.groupID });
    await bob.tim.joinGroup({ groupID: r2.groupID });
    expect(await groupIDs(bob)).toEqual([r2.groupID]);
    await carol.tim.joinGroup({ groupID: r1.groupID });
    await carol.tim.joinGroup({ groupID: r2.groupID });
    expect(await groupIDs(carol)).toEqual([r1.groupID, r2.groupID].sort());

    await sendGroupText(alice, r1.groupID, 'room one');
    await waitUntil(() => texts(carol, r1.groupID).includes('room one'), 'carol (unlimited) still in room one');
    await sleep(200);
    expect(texts(bob, r1.groupID)).toEqual([]);
    // Sending to a room one has not joined: 2101 (the SDK looks the group up first), message in err.data.
    const notJoined = await bob.tim.sendMessage(bob.tim.createTextMessage({ to: r1.groupID, conversationType: TYPES.CONV_GROUP, payload: { text: 'hi' } })).catch((e: unknown) => e);
    expect(notJoined).toMatchObject({ code: 2101, data: { message: { status: 'fail' } } });
    expect((await alice.tim.getGroupOnlineMemberCount(r1.groupID)).data.memberCount).toBe(2);
  });

  it('dismissing the room sends notice 5 to logged-in and anonymous members and drops it from their lists', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    await alice.tim.joinGroup({ groupID: room.groupID });
    await bob.tim.joinGroup({ groupID: room.groupID });
    const viewer = h.create('viewer');
    await viewer.tim.joinGroup({ groupID: room.groupID });
    await alice.tim.dismissGroup(room.groupID);
    await waitForNotice(bob, room.groupID, 5);
    await waitUntil(async () => (await groupIDs(bob)).length === 0, 'bob’s list to drop the room');
    await waitUntil(() => viewer.received().some((m) => m.type === TYPES.MSG_GRP_SYS_NOTICE && m.payload['operationType'] === 5), 'the viewer to get notice 5');
    // The viewer's socket was closed with the last room: quitting now is "not a member".
    await expect(viewer.tim.quitGroup(room.groupID)).rejects.toMatchObject({ code: 2623 });
  });

  it('an anonymous viewer who logs in keeps the room on the logged-in connection', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    await alice.tim.joinGroup({ groupID: room.groupID });
    const viewer = h.create('viewer');
    await viewer.tim.joinGroup({ groupID: room.groupID });
    await viewer.login();
    await waitUntil(async () => (await groupIDs(viewer)).includes(room.groupID), 'the room in the viewer’s list after login');
    await sendGroupText(alice, room.groupID, 'welcome, logged-in viewer');
    await waitUntil(() => texts(viewer, room.groupID).includes('welcome, logged-in viewer'), 'the viewer to receive after login');
    await sleep(200);
    expect(texts(viewer, room.groupID)).toEqual(['welcome, logged-in viewer']); // once, not once per socket
  });
});

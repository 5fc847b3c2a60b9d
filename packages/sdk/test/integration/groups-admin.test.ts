/**
 * What the app administrator does, as the real SDK sees it (real server, real
 * admin REST API): the force logout (KICKED_OUT REST_API_Kick, not-ready 3006),
 * AVChatRoom bans through deleteGroupMember({duration}) and the REST API
 * (notice 21 consumed, tips 10/11), custom system notices (255) and an SDK
 * logged in as the administrator (spec §4.8, §8.4, §9, §12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, TYPES, type Message } from '@parley/sdk';
import { sleep, waitUntil } from '@parley/testing';
import { adminRest } from './admin-rest.js';
import {
  createGroup,
  groupIDs,
  lastGroupListEvent,
  noticesOf,
  sendGroupText,
  startGroupWorld,
  stopGroupWorld,
  tipsOf,
  waitForListed,
  waitForNotice,
  waitForTip,
  type GroupWorld,
} from './group-helpers.js';
import { rejectionOf } from './helpers.js';

let world: GroupWorld | undefined;

afterEach(async () => {
  await stopGroupWorld(world);
  world = undefined;
});

async function start(): Promise<GroupWorld> {
  world = await startGroupWorld();
  return world;
}

describe('admin force logout (im_open_login_svc/kick)', () => {
  it('every instance of the user gets KICKED_OUT {type: REST_API_Kick} then SDK_NOT_READY, calls reject 3006, no reconnect; others are untouched', async () => {
    const { srv, h } = await start();
    const a1 = await h.login('alice');
    const a2 = await h.login('alice');
    const bob = await h.login('bob');
    await adminRest(srv, 'im_open_login_svc/kick', { UserID: 'alice' });
    for (const alice of [a1, a2]) {
      await alice.waitForEvent(EVENT.SDK_NOT_READY);
      expect(alice.eventsOf(EVENT.KICKED_OUT).map((e) => e.data)).toEqual([{ type: TYPES.KICKED_OUT_REST_API }]);
      const names = alice.events.map((e) => e.name);
      expect(names.indexOf(EVENT.KICKED_OUT)).toBeLessThan(names.indexOf(EVENT.SDK_NOT_READY));
      expect(alice.tim.isReady()).toBe(false);
      expect((await rejectionOf(alice.tim.getConversationList())).code).toBe(3006);
    }
    expect(TYPES.KICKED_OUT_REST_API).toBe('REST_API_Kick');
    await sleep(500);
    expect(a1.netStates().at(-1)).toBe('disconnected');
    expect(bob.eventsOf(EVENT.KICKED_OUT)).toEqual([]);
    expect(bob.tim.isReady()).toBe(true);
    // The app may log the user in again.
    await a1.login();
    expect(a1.tim.isReady()).toBe(true);
    const m = await bob.sendText('alice', 'welcome back');
    await waitUntil(() => a1.received().some((x) => x.ID === m.ID), 'alice to receive after logging in again');
  });
});

describe('AVChatRoom bans', () => {
  it('the owner bans with deleteGroupMember({duration}): bob drops the room (no message for notice 21), the room sees tip 10, bob cannot rejoin until the REST unban (tip 11)', async () => {
    const { srv, h } = await start();
    const alice = await h.login('alice');
    const b1 = await h.login('bob');
    const b2 = await h.login('bob');
    const carol = await h.login('carol');
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    for (const u of [alice, b1, b2, carol]) await u.tim.joinGroup({ groupID: room.groupID });
    await waitUntil(async () => (await carol.tim.getGroupOnlineMemberCount(room.groupID)).data.memberCount === 3, 'three users in the room');

    const banned = await alice.tim.deleteGroupMember({ groupID: room.groupID, userIDList: ['bob'], duration: 300, reason: 'spam' });
    expect(banned.data.userIDList).toEqual(['bob']);
    expect(banned.data.group.groupID).toBe(room.groupID);

    // Both of bob's instances drop the room and announce the list; notice 21 is consumed, never surfaced.
    for (const bob of [b1, b2]) {
      await waitForListed(bob, room.groupID, false);
      expect(await groupIDs(bob)).toEqual([]);
    }
    await sleep(200);
    expect([...noticesOf(b1), ...noticesOf(b2)]).toEqual([]);
    expect((await b1.tim.getMessageList({ conversationID: TYPES.CONV_SYSTEM })).data.messageList).toEqual([]);

    // The room is told with tip 10 (and bob's instances are out of it).
    const [tip] = await waitForTip(carol, room.groupID, TYPES.GRP_TIP_BAN_AVCHATROOM_MEMBER);
    expect(TYPES.GRP_TIP_BAN_AVCHATROOM_MEMBER).toBe(10);
    expect(tip?.payload).toMatchObject({ operatorID: 'alice', operationType: 10, userIDList: ['bob'], memberCount: 2 });
    expect(tip?.conversationID).toBe('GROUP' + room.groupID);
    expect(tipsOf(b1, room.groupID, 10)).toEqual([]);
    const live = await sendGroupText(alice, room.groupID, 'after the ban', { priority: TYPES.MSG_PRIORITY_HIGH });
    await waitUntil(() => carol.received().some((m) => m.ID === live.ID), 'carol receives');
    await sleep(200);
    expect([...b1.received(), ...b2.received()].some((m) => m.ID === live.ID)).toBe(false);
    expect((await carol.tim.getGroupOnlineMemberCount(room.groupID)).data.memberCount).toBe(2);

    const refused = await rejectionOf(b1.tim.joinGroup({ groupID: room.groupID }));
    expect(refused.code).toBe(10007);

    await adminRest(srv, 'group_open_http_svc/unban_group_member', { GroupId: room.groupID, Members_Account: ['bob'] });
    const [unbanTip] = await waitForTip(carol, room.groupID, TYPES.GRP_TIP_UNBAN_AVCHATROOM_MEMBER);
    expect(unbanTip?.payload).toMatchObject({ operatorID: 'administrator', operationType: 11, userIDList: ['bob'] });
    expect((await b1.tim.joinGroup({ groupID: room.groupID })).data.status).toBe(TYPES.JOIN_STATUS_SUCCESS);
    await waitForListed(b1, room.groupID, true);
    const again = await sendGroupText(alice, room.groupID, 'welcome back', { priority: TYPES.MSG_PRIORITY_HIGH });
    await waitUntil(() => b1.received().some((m) => m.ID === again.ID), 'bob receives again');
  });

  it('a ban through the REST API drops the room for the banned user the same way', async () => {
    const { srv, h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM);
    await alice.tim.joinGroup({ groupID: room.groupID });
    await bob.tim.joinGroup({ groupID: room.groupID });
    await waitForListed(bob, room.groupID, true);
    await adminRest(srv, 'group_open_http_svc/ban_group_member', { GroupId: room.groupID, Members_Account: ['bob'], Duration: 60, Description: 'cool down' });
    await waitForListed(bob, room.groupID, false);
    const [tip] = await waitForTip(alice, room.groupID, 10);
    expect(tip?.payload).toMatchObject({ operatorID: 'administrator', userIDList: ['bob'] });
    expect((await rejectionOf(bob.tim.joinGroup({ groupID: room.groupID }))).code).toBe(10007);
  });
});

describe('custom system notices (send_group_system_notification)', () => {
  it('arrive as TIMGroupSystemNoticeElem messages in @TIM#SYSTEM with operationType 255 and the text in userDefinedField', async () => {
    const { srv, h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol');
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }] });
    await waitForListed(bob, g.groupID, true);
    await adminRest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: g.groupID, Content: 'server maintenance tonight' });
    for (const user of [alice, bob]) {
      const [notice] = await waitForNotice(user, g.groupID, 255);
      expect(notice).toMatchObject({
        type: TYPES.MSG_GRP_SYS_NOTICE,
        conversationID: TYPES.CONV_SYSTEM,
        conversationType: TYPES.CONV_SYSTEM,
        from: '@TIM#SYSTEM',
        flow: 'in',
        payload: { operatorID: 'administrator', operationType: 255, userDefinedField: 'server maintenance tonight', groupProfile: { groupID: g.groupID } },
      });
    }
    const system = await bob.conversation(TYPES.CONV_SYSTEM);
    expect(system?.lastMessage.messageForShow).toMatch(/^\[(Group System Message|群系统通知)\]$/); // by the SDK's language (spec §3)
    await sleep(200);
    expect(noticesOf(carol)).toEqual([]);
    // The group itself is still there.
    expect(await groupIDs(bob)).toEqual([g.groupID]);
  });
});

describe('the SDK logged in as the app administrator', () => {
  it('adds members to a Public group, which its owner cannot (10007); the added user’s SDK gets the group', async () => {
    const { h } = await start();
    const owner = await h.login('owner');
    const newcomer = await h.login('newcomer');
    const admin = await h.login('administrator');
    const g = await createGroup(owner, TYPES.GRP_PUBLIC);
    expect((await rejectionOf(owner.tim.addGroupMember({ groupID: g.groupID, userIDList: ['newcomer'] }))).code).toBe(10007);
    // The SDK checks nothing locally for addGroupMember outside AVChatRooms: the server decides.
    const added = await admin.tim.addGroupMember({ groupID: g.groupID, userIDList: ['newcomer'] });
    expect(added.data.successUserIDList).toEqual(['newcomer']);
    await waitForListed(newcomer, g.groupID, true);
    const [notice] = await waitForNotice(newcomer, g.groupID, 7);
    expect((notice as Message).payload['operatorID']).toBe('administrator');
    const [joinTip] = await waitForTip(owner, g.groupID, 1);
    expect(joinTip?.payload).toMatchObject({ operatorID: 'administrator', userIDList: ['newcomer'] });
    expect(lastGroupListEvent(newcomer)?.find((x) => x.groupID === g.groupID)?.memberCount).toBe(2);
  });
});

/**
 * Groups through the real SDK and server: creating every group type (and the
 * creator's automatic "group_create" message), join flows with applications
 * and their system notices on both sides, group tips with their operation
 * types and payloads, kick and dismiss removing the group and its
 * conversation, mute enforcement, member paging and the resolved shapes
 * (spec tim-api.md §4.7–4.8, §8.3–8.4, §8.6–8.7, §9).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, Group, GroupMember, TYPES, type Message } from '@parley/sdk';
import { waitUntil } from '@parley/testing';
import { nowSeconds, rejectionOf } from './helpers.js';
import {
  createGroup,
  groupConversation,
  groupIDs,
  noticesOf,
  sendGroupText,
  startGroupWorld,
  stopGroupWorld,
  tipsOf,
  waitForGroupMessages,
  waitForListed,
  waitForNotice,
  waitForTip,
  type GroupWorld,
} from './group-helpers.js';

let world: GroupWorld | undefined;

afterEach(async () => {
  await stopGroupWorld(world);
  world = undefined;
});

async function start(config: Record<string, unknown> = {}): Promise<GroupWorld> {
  world = await startGroupWorld({ config });
  return world;
}

describe('createGroup', () => {
  it('creates every group type with the spec’s resolved shape; non-AVChatRoom groups get the v3 group_create message', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const alice2 = await h.login('alice');
    const bob = await h.login('bob');

    const res = await alice.tim.createGroup({ name: 'work', type: TYPES.GRP_WORK, memberList: [{ userID: 'bob' }], introduction: 'intro' });
    expect(res.code).toBe(0);
    expect(Object.keys(res.data).sort()).toEqual(['group', 'overLimitUserIDList']);
    expect(res.data.overLimitUserIDList).toEqual([]);
    const work = res.data.group;
    expect(work).toBeInstanceOf(Group);
    expect(work.groupID.startsWith('@TGS#')).toBe(true);
    expect(work).toMatchObject({ type: 'Private', name: 'work', introduction: 'intro', ownerID: 'alice', memberCount: 2, memberNum: 2, muteAllMembers: false });
    expect(work.maxMemberNum).toBe(work.maxMemberCount);
    expect(work.selfInfo).toMatchObject({ role: 'Owner', messageRemindType: 'AcceptAndNotify', userID: 'alice' });

    // The creator's SDK sent the v3 "group_create" custom message: members (and alice's other instance) receive it.
    const created = (await waitForGroupMessages(bob, work.groupID, 2)).find((m) => m.type === TYPES.MSG_CUSTOM) as Message;
    expect(created.from).toBe('alice');
    expect(JSON.parse(created.payload['data'] as string)).toEqual({ businessID: 'group_create', content: 'Create Group', cmd: 0, opUser: 'alice', version: 4 });
    await waitUntil(() => alice2.received().some((m) => m.ID === created.ID && m.flow === 'out'), 'alice2 to receive the group_create message as flow out');
    // bob was added at creation: system notice 7 (invited), the join tip, and the group in his list.
    await waitForNotice(bob, work.groupID, 7);
    const [joinTip] = await waitForTip(bob, work.groupID, TYPES.GRP_TIP_MBR_JOIN);
    expect(joinTip?.payload).toMatchObject({ operatorID: 'alice', operationType: 1, userIDList: ['bob'] });
    await waitForListed(bob, work.groupID);
    // alice's other instance: system notice 6 (created) and the group in its list.
    await waitForNotice(alice2, work.groupID, 6);
    await waitForListed(alice2, work.groupID);
    // The creator does not get MESSAGE_RECEIVED for its own send, but has the conversation.
    expect(alice.received().some((m) => m.ID === created.ID)).toBe(false);
    expect((await groupConversation(alice, work.groupID))?.lastMessage.payload).toMatchObject({ data: created.payload['data'] });

    const pub = await createGroup(alice, TYPES.GRP_PUBLIC, { joinOption: TYPES.JOIN_OPTIONS_FREE_ACCESS });
    const meeting = await createGroup(alice, TYPES.GRP_MEETING);
    const community = await createGroup(alice, TYPES.GRP_COMMUNITY, { groupID: '@TGS#_my-community' });
    const room = await createGroup(alice, TYPES.GRP_AVCHATROOM, { memberList: [{ userID: 'bob' }] });
    expect([pub.type, pub.joinOption]).toEqual(['Public', 'FreeAccess']);
    expect([meeting.type, meeting.joinOption]).toEqual(['ChatRoom', 'FreeAccess']);
    expect([community.type, community.groupID]).toEqual(['Community', '@TGS#_my-community']);
    expect([room.type, room.selfInfo.role]).toEqual(['AVChatRoom', 'Owner']);
    const communityCreated = (await alice.tim.getMessageList({ conversationID: 'GROUP' + community.groupID })).data.messageList;
    expect(communityCreated.map((m) => JSON.parse(m.payload['data'] as string))).toEqual([{ businessID: 'group_create', content: 'Create Community', cmd: 1, opUser: 'alice', version: 4 }]);
    // The AVChatRoom is not joined yet: it is not in the list and got no group_create message.
    expect(await groupIDs(alice)).toEqual([work.groupID, pub.groupID, meeting.groupID, community.groupID].sort());
    expect(await groupConversation(alice, room.groupID)).toBeUndefined();
    // GROUP_LIST_UPDATED carries the whole list.
    await waitUntil(() => (alice.eventsOf(EVENT.GROUP_LIST_UPDATED).at(-1)?.data as Group[] | undefined)?.length === 4, 'alice GROUP_LIST_UPDATED with 4 groups');

    // SDK-side and server-side refusals.
    await expect(alice.tim.createGroup({ name: 'x', type: 'Room' })).rejects.toMatchObject({ code: 2600 });
    await expect(alice.tim.createGroup({ name: 'x', type: TYPES.GRP_COMMUNITY, groupID: 'plain' })).rejects.toMatchObject({ code: 2602 });
    await expect(alice.tim.createGroup({ name: 'x'.repeat(31) })).rejects.toMatchObject({ code: 10004 });
    await expect(alice.tim.createGroup({ name: 'x', groupID: '@TGS#_my-community', type: TYPES.GRP_COMMUNITY })).rejects.toMatchObject({ code: 10021 });
    expect(() => alice.tim.createGroup({ name: '' })).toThrow('Params validate failed.');
  });
});

describe('joinGroup and applications', () => {
  it('NeedPermission: applicant waits; owner and admins get notice 1; approve → notice 2, group in the applicant’s list and a join tip; reject → notice 3; a second decision → 10024', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const alice2 = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol');
    const pub = await createGroup(alice, TYPES.GRP_PUBLIC);
    expect(pub.joinOption).toBe('NeedPermission');

    const waiting = await bob.tim.joinGroup({ groupID: pub.groupID, applyMessage: 'let me in' });
    expect(waiting.data).toEqual({ status: 'WaitAdminApproval' });
    for (const owner of [alice, alice2]) {
      const [n] = await waitForNotice(owner, pub.groupID, 1);
      expect(n).toMatchObject({ conversationID: '@TIM#SYSTEM', conversationType: '@TIM#SYSTEM', from: '@TIM#SYSTEM', flow: 'in', type: 'TIMGroupSystemNoticeElem' });
      expect(n?.payload).toMatchObject({ operatorID: 'bob', operationType: 1, handleMessage: 'let me in', groupProfile: { groupID: pub.groupID, name: pub.name } });
    }
    // The system conversation holds it.
    const system = (await alice.conversation('@TIM#SYSTEM'))!;
    expect(system.type).toBe('@TIM#SYSTEM');
    expect(system.unreadCount).toBe(1);
    expect((await alice.tim.getMessageList({ conversationID: '@TIM#SYSTEM' })).data.messageList.map((m) => m.payload['operationType'])).toEqual([1]);

    const apps = (await alice.tim.getGroupApplicationList()).data.applicationList;
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ applicant: 'bob', groupID: pub.groupID, groupName: pub.name, authentication: 'let me in', applicationType: 0, userID: 'bob' });
    expect(Object.keys(apps[0]!).sort()).toEqual(['applicant', 'applicantNick', 'applicationType', 'authentication', 'groupID', 'groupName', 'messageKey', 'userID']);

    const [application] = noticesOf(alice, pub.groupID, 1);
    const handled = await alice.tim.handleGroupApplication({ handleAction: 'Agree', handleMessage: 'welcome', message: application! });
    expect(handled.data.group).toBeInstanceOf(Group);
    expect(handled.data.group?.memberCount).toBe(2);
    expect((await alice.tim.getMessageList({ conversationID: '@TIM#SYSTEM' })).data.messageList).toEqual([]);
    const [approved] = await waitForNotice(bob, pub.groupID, 2);
    expect(approved?.payload).toMatchObject({ operatorID: 'alice', operationType: 2, handleMessage: 'welcome' });
    await waitForListed(bob, pub.groupID);
    const [joinTip] = await waitForTip(alice2, pub.groupID, 1);
    expect(joinTip?.payload).toMatchObject({ operatorID: 'alice', operationType: 1, userIDList: ['bob'] });
    // The other admin instance deciding again: already handled.
    await expect(alice2.tim.handleGroupApplication({ handleAction: 'Reject', message: noticesOf(alice2, pub.groupID, 1)[0]! })).rejects.toMatchObject({ code: 10024 });

    // Reject with an application item.
    await carol.tim.joinGroup({ groupID: pub.groupID, applyMessage: 'me too' });
    await waitForNotice(alice, pub.groupID, 1, 2);
    const carolApp = (await alice.tim.getGroupApplicationList()).data.applicationList.find((a) => a.applicant === 'carol')!;
    await alice.tim.handleGroupApplication({ handleAction: 'Reject', handleMessage: 'full', application: carolApp });
    const [rejected] = await waitForNotice(carol, pub.groupID, 3);
    expect(rejected?.payload).toMatchObject({ operatorID: 'alice', operationType: 3, handleMessage: 'full' });
    expect(await groupIDs(carol)).toEqual([]);
    expect((await alice.tim.getGroupApplicationList()).data.applicationList).toEqual([]);

    // Joining again when already in the list: AlreadyInGroup.
    expect((await bob.tim.joinGroup({ groupID: pub.groupID })).data).toEqual({ status: 'AlreadyInGroup' });
  });

  it('free join (Meeting, FreeAccess Public) resolves {status: JoinedSuccess, group}; Work and DisableApply refuse with 10007; unknown groups 10010', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const meeting = await createGroup(alice, TYPES.GRP_MEETING);
    const open = await createGroup(alice, TYPES.GRP_PUBLIC, { joinOption: TYPES.JOIN_OPTIONS_FREE_ACCESS });
    const closed = await createGroup(alice, TYPES.GRP_PUBLIC, { joinOption: TYPES.JOIN_OPTIONS_DISABLE_APPLY });
    const work = await createGroup(alice, TYPES.GRP_WORK);
    for (const g of [meeting, open]) {
      const res = await bob.tim.joinGroup({ groupID: g.groupID });
      expect(res.data.status).toBe('JoinedSuccess');
      expect(res.data.group).toBeInstanceOf(Group);
      expect(res.data.group?.selfInfo.role).toBe('Member');
      const [t] = await waitForTip(alice, g.groupID, 1);
      expect(t?.payload).toMatchObject({ operatorID: 'bob', operationType: 1, userIDList: ['bob'] });
    }
    expect(await groupIDs(bob)).toEqual([meeting.groupID, open.groupID].sort());
    await expect(bob.tim.joinGroup({ groupID: closed.groupID })).rejects.toMatchObject({ code: 10007 });
    await expect(bob.tim.joinGroup({ groupID: work.groupID, type: TYPES.GRP_WORK })).rejects.toMatchObject({ code: 10007 });
    await expect(bob.tim.joinGroup({ groupID: '@TGS#NOSUCHGROUP' })).rejects.toMatchObject({ code: 10010 });
  });
});

describe('tips and member operations', () => {
  it('profile, admin, mute and owner changes reach members as tips with the right operationType and payload', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol');
    const g = await createGroup(alice, TYPES.GRP_PUBLIC, { joinOption: TYPES.JOIN_OPTIONS_FREE_ACCESS });
    await bob.tim.joinGroup({ groupID: g.groupID });
    await carol.tim.joinGroup({ groupID: g.groupID });

    // 6: profile updated (muteAllMembers as a boolean).
    const updated = await alice.tim.updateGroupProfile({ groupID: g.groupID, name: 'renamed', notification: 'read the rules', muteAllMembers: true });
    expect(updated.data.group).toMatchObject({ name: 'renamed', notification: 'read the rules', muteAllMembers: true });
    const [profileTip] = await waitForTip(bob, g.groupID, TYPES.GRP_TIP_GRP_PROFILE_UPDATED);
    expect(profileTip?.payload).toMatchObject({ operatorID: 'alice', operationType: 6, newGroupProfile: { name: 'renamed', notification: 'read the rules', muteAllMembers: true } });
    await waitUntil(async () => (await bob.tim.getGroupProfile({ groupID: g.groupID })).data.group.name === 'renamed', 'bob sees the new name');
    const bobsGroup = (await bob.tim.getGroupList()).data.groupList.find((x) => x.groupID === g.groupID)!;
    expect(bobsGroup.muteAllMembers).toBe(true);

    // muteAllMembers: members cannot send (10017), the owner can.
    const muted = await rejectionOf(sendGroupText(bob, g.groupID, 'can I talk?'));
    expect(muted.code).toBe(10017);
    expect((muted.data['message'] as Message).status).toBe('fail');
    await sendGroupText(alice, g.groupID, 'owner speaks');
    await alice.tim.updateGroupProfile({ groupID: g.groupID, muteAllMembers: false });
    await waitForTip(carol, g.groupID, 6, 2);

    // 4 / 5: admin set and revoked; the target also gets system notice 9 / 10.
    const set = await alice.tim.setGroupMemberRole({ groupID: g.groupID, userID: 'bob', role: TYPES.GRP_MBR_ROLE_ADMIN });
    expect(Object.keys(set.data).sort()).toEqual(['group', 'member']);
    expect(set.data.member).toBeInstanceOf(GroupMember);
    expect(set.data.member).toMatchObject({ userID: 'bob', role: 'Admin' });
    const [adminTip] = await waitForTip(carol, g.groupID, TYPES.GRP_TIP_MBR_SET_ADMIN);
    expect(adminTip?.payload).toMatchObject({ operatorID: 'alice', operationType: 4, userIDList: ['bob'] });
    await waitForNotice(bob, g.groupID, 9);
    await waitUntil(async () => (await bob.tim.getGroupList()).data.groupList.find((x) => x.groupID === g.groupID)?.selfInfo.role === 'Admin', 'bob to be admin locally');
    await alice.tim.setGroupMemberRole({ groupID: g.groupID, userID: 'bob', role: TYPES.GRP_MBR_ROLE_MEMBER });
    const [cancelTip] = await waitForTip(carol, g.groupID, TYPES.GRP_TIP_MBR_CANCELED_ADMIN);
    expect(cancelTip?.payload).toMatchObject({ operationType: 5, userIDList: ['bob'] });
    await waitForNotice(bob, g.groupID, 10);
    await expect(bob.tim.setGroupMemberRole({ groupID: g.groupID, userID: 'carol', role: 'Admin' })).rejects.toMatchObject({ code: 2681 });

    // 7: member muted; the muted member's sends fail with 10017 until unmuted.
    const before = nowSeconds();
    const mute = await alice.tim.setGroupMemberMuteTime({ groupID: g.groupID, userID: 'carol', muteTime: 60 });
    expect(mute.data.member.userID).toBe('carol');
    expect(mute.data.member.muteUntil).toBeGreaterThanOrEqual(before + 60);
    expect(mute.data.member.muteUntil).toBeLessThanOrEqual(nowSeconds() + 61);
    const [muteTip] = await waitForTip(bob, g.groupID, TYPES.GRP_TIP_MBR_PROFILE_UPDATED);
    expect(muteTip?.payload).toMatchObject({ operatorID: 'alice', operationType: 7, userIDList: ['carol'], memberList: [{ userID: 'carol', muteTime: 60 }] });
    await waitForTip(carol, g.groupID, 7);
    await expect(sendGroupText(carol, g.groupID, 'hello?')).rejects.toMatchObject({ code: 10017 });
    await expect(carol.tim.setGroupMemberMuteTime({ groupID: g.groupID, userID: 'carol', muteTime: 10 })).rejects.toMatchObject({ code: 2685 });
    await expect(bob.tim.setGroupMemberMuteTime({ groupID: g.groupID, userID: 'carol', muteTime: 10 })).rejects.toMatchObject({ code: 10007 });
    await alice.tim.setGroupMemberMuteTime({ groupID: g.groupID, userID: 'carol', muteTime: 0 });
    await waitForTip(carol, g.groupID, 7, 2);
    await sendGroupText(carol, g.groupID, 'free again');

    // Owner transfer: tip 6 with newGroupProfile.ownerID; roles follow locally.
    const changed = await alice.tim.changeGroupOwner({ groupID: g.groupID, newOwnerID: 'bob' });
    expect(changed.data.group).toMatchObject({ ownerID: 'bob' });
    expect(changed.data.group.selfInfo.role).toBe('Member');
    await waitUntil(() => tipsOf(carol, g.groupID, 6).some((t) => (t.payload['newGroupProfile'] as { ownerID?: string }).ownerID === 'bob'), 'carol owner-change tip');
    await waitUntil(async () => (await bob.tim.getGroupList()).data.groupList.find((x) => x.groupID === g.groupID)?.selfInfo.role === 'Owner', 'bob to own the group locally');
    await expect(alice.tim.changeGroupOwner({ groupID: g.groupID, newOwnerID: 'alice' })).rejects.toMatchObject({ code: 2621 });
  });

  it('quitGroup: remaining members get tip 2, the quitter’s group and conversation go (other instance: notice 8); the owner of a Public group gets 10009; not a member → 2623', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const carol = await h.login('carol');
    const carol2 = await h.login('carol');
    const g = await createGroup(alice, TYPES.GRP_MEETING);
    await carol.tim.joinGroup({ groupID: g.groupID });
    await sendGroupText(alice, g.groupID, 'hi all');
    await waitForGroupMessages(carol2, g.groupID, 1);
    await waitForListed(carol2, g.groupID);
    expect(await groupConversation(carol2, g.groupID)).toBeDefined();

    expect((await carol.tim.quitGroup(g.groupID)).data).toEqual({ groupID: g.groupID });
    expect(await groupIDs(carol)).toEqual([]);
    expect(await groupConversation(carol, g.groupID)).toBeUndefined();
    const [quitTip] = await waitForTip(alice, g.groupID, TYPES.GRP_TIP_MBR_QUIT);
    expect(quitTip?.payload).toMatchObject({ operatorID: 'carol', operationType: 2, userIDList: ['carol'] });
    await waitForNotice(carol2, g.groupID, 8);
    await waitForListed(carol2, g.groupID, false);
    expect(await groupConversation(carol2, g.groupID)).toBeUndefined();
    await expect(carol.tim.quitGroup(g.groupID)).rejects.toMatchObject({ code: 2623 });
    await expect(alice.tim.quitGroup(g.groupID)).rejects.toMatchObject({ code: 10009 });
  });

  it('kick and dismiss remove the group and its conversation on the member’s side (notices 4 and 5); others see tip 3', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol');
    const g = await createGroup(alice, TYPES.GRP_WORK, { memberList: [{ userID: 'bob' }, { userID: 'carol' }] });
    await waitForListed(bob, g.groupID);
    await waitForListed(carol, g.groupID);
    await sendGroupText(bob, g.groupID, 'hello from bob');
    await waitForGroupMessages(carol, g.groupID, 3); // join tip, group_create, bob's text
    expect(await groupConversation(bob, g.groupID)).toBeDefined();

    const kicked = await alice.tim.deleteGroupMember({ groupID: g.groupID, userIDList: ['bob'], reason: 'spam' });
    expect(kicked.data.userIDList).toEqual(['bob']);
    expect(kicked.data.group.memberCount).toBe(2);
    const [removed] = await waitForNotice(bob, g.groupID, 4);
    expect(removed?.payload).toMatchObject({ operatorID: 'alice', operationType: 4 });
    await waitForListed(bob, g.groupID, false);
    expect(await groupIDs(bob)).toEqual([]);
    expect(await groupConversation(bob, g.groupID)).toBeUndefined();
    const [kickTip] = await waitForTip(carol, g.groupID, TYPES.GRP_TIP_MBR_KICKED_OUT);
    expect(kickTip?.payload).toMatchObject({ operatorID: 'alice', operationType: 3, userIDList: ['bob'], memberList: [{ userID: 'bob', reason: 'spam' }] });
    await expect(sendGroupText(bob, g.groupID, 'still here?')).rejects.toMatchObject({ code: 10007 });
    await expect(carol.tim.deleteGroupMember({ groupID: g.groupID, userIDList: ['alice'] })).rejects.toMatchObject({ code: 10007 });
    await expect(bob.tim.deleteGroupMember({ groupID: g.groupID, userIDList: ['carol'] })).rejects.toMatchObject({ code: 2603 });

    await expect(carol.tim.dismissGroup(g.groupID)).rejects.toMatchObject({ code: 10007 });
    expect((await alice.tim.dismissGroup(g.groupID)).data).toEqual({ groupID: g.groupID });
    expect(await groupIDs(alice)).toEqual([]);
    expect(await groupConversation(alice, g.groupID)).toBeUndefined();
    const [dismissed] = await waitForNotice(carol, g.groupID, 5);
    expect(dismissed?.payload).toMatchObject({ operatorID: 'alice', operationType: 5 });
    await waitForListed(carol, g.groupID, false);
    expect(await groupConversation(carol, g.groupID)).toBeUndefined();
    await expect(carol.tim.getGroupProfile({ groupID: g.groupID })).rejects.toMatchObject({ code: 10010, data: { groupID: g.groupID } });
  });
});

describe('members', () => {
  it('getGroupMemberList pages with count/offset (offset 0 at the end); member profiles, name cards and custom fields', async () => {
    const { h } = await start();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await bob.tim.updateMyProfile({ nick: 'Bobby' });
    const g = await createGroup(alice, TYPES.GRP_WORK);
    const others = ['bob', 'u1', 'u2', 'u3', 'u4', 'u5'];
    const added = await alice.tim.addGroupMember({ groupID: g.groupID, userIDList: [...others, 'alice'] });
    expect(added.data).toMatchObject({ successUserIDList: others, failureUserIDList: [], existedUserIDList: ['alice'], overLimitUserIDList: [] });
    expect(added.data.group?.memberCount).toBe(7);
    const again = await alice.tim.addGroupMember({ groupID: g.groupID, userIDList: ['bob'] });
    expect(again.data).toEqual({ successUserIDList: [], failureUserIDList: [], existedUserIDList: ['bob'], overLimitUserIDList: [] });

    const seen: string[] = [];
    const offsets: number[] = [];
    let offset = 0;
    for (let page = 0; page < 10; page++) {
      const res = await alice.tim.getGroupMemberList({ groupID: g.groupID, count: 3, offset });
      expect(Object.keys(res.data).sort()).toEqual(['memberList', 'offset']);
      expect(res.data.memberList.length).toBeLessThanOrEqual(3);
      seen.push(...res.data.memberList.map((m) => m.userID));
      offsets.push(res.data.offset);
      offset = res.data.offset;
      if (offset === 0) break;
    }
    expect(offsets).toEqual([3, 6, 0]);
    expect([...seen].sort()).toEqual(['alice', ...others].sort());
    const everyone = (await alice.tim.getGroupMemberList({ groupID: g.groupID, count: 100 })).data;
    expect(everyone.offset).toBe(0);
    const bobMember = everyone.memberList.find((m) => m.userID === 'bob')!;
    expect(bobMember).toBeInstanceOf(GroupMember);
    expect(bobMember).toMatchObject({ nick: 'Bobby', role: 'Member', muteUntil: 0, nameCard: '' });
    expect(bobMember.joinTime).toBeGreaterThan(0);
    expect(everyone.memberList.find((m) => m.userID === 'alice')?.role).toBe('Owner');
    // Not in the local list: empty without asking.
    expect((await alice.tim.getGroupMemberList({ groupID: '@TGS#NOTMINE' })).data).toEqual({ memberList: [], offset: 0 });

    // Name card: own card updates selfInfo and shows on later messages.
    await waitForListed(bob, g.groupID);
    const card = await bob.tim.setGroupMemberNameCard({ groupID: g.groupID, nameCard: 'Bob the builder' });
    expect(card.data.member).toMatchObject({ userID: 'bob', nameCard: 'Bob the builder' });
    expect(card.data.group.selfInfo.nameCard).toBe('Bob the builder');
    const sent = await sendGroupText(bob, g.groupID, 'with a card');
    expect(sent.nameCard).toBe('Bob the builder');
    await waitUntil(() => alice.received().some((m) => m.ID === sent.ID), 'alice to get bob’s message');
    const got = alice.received().find((m) => m.ID === sent.ID);
    expect(got?.nameCard).toBe('Bob the builder');

    const custom = await alice.tim.setGroupMemberCustomField({ groupID: g.groupID, userID: 'u1', memberCustomField: [{ key: 'level', value: '3' }] });
    expect(custom.data.member.memberCustomField).toEqual([{ key: 'level', value: '3' }]);
    const profiles = await alice.tim.getGroupMemberProfile({ groupID: g.groupID, userIDList: ['u1', 'bob', 'nobody'] });
    expect(profiles.data.memberList.map((m) => m.userID)).toEqual(['u1', 'bob']);
    expect(profiles.data.memberList[0]?.memberCustomField).toEqual([{ key: 'level', value: '3' }]);
    expect(profiles.data.memberList[1]?.nameCard).toBe('Bob the builder');

    const online = await alice.tim.getGroupOnlineMemberCount(g.groupID);
    expect(online.data).toEqual({ memberCount: 2 });
    const profile = await alice.tim.getGroupProfile({ groupID: g.groupID });
    expect(profile.data.group).toBe((await alice.tim.getGroupList()).data.groupList.find((x) => x.groupID === g.groupID));
    expect(profile.data.group.memberNum).toBe(7);
    expect(profile.data.group.nextMessageSeq).toBeGreaterThan(1);
    // Work groups cannot be searched; Public ones can, by non-members too.
    await expect(bob.tim.searchGroupByID(g.groupID)).rejects.toMatchObject({ code: 10007 });
    const pub = await createGroup(alice, TYPES.GRP_PUBLIC);
    const found = await bob.tim.searchGroupByID(pub.groupID);
    expect(found.data.group).toMatchObject({ groupID: pub.groupID, type: 'Public', name: pub.name });
    expect(await groupIDs(bob)).toEqual([g.groupID]);
  });
});

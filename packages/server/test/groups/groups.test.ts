/**
 * Group commands: happy paths and every refusal with the spec's code (and
 * nothing changed): create, list, get, search, update, dismiss, join, quit,
 * change-owner, and the per-deployment limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { createGroup, getGroup, groupConversation, memberIDs, ok, refused, sendGroup, uid } from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

async function users(n: number): Promise<{ ids: string[]; clients: RawClient[] }> {
  const p = uid('g');
  const ids = Array.from({ length: n }, (_, i) => `${p}-u${i}`);
  return { ids, clients: await Promise.all(ids.map((id) => pool.login(srv, id))) };
}

describe('group.create', () => {
  it('creates with members, custom fields and profile fields; the creator is owner', async () => {
    const { ids, clients } = await users(3);
    const [alice] = clients as [RawClient];
    const res = await ok(alice, 'group.create', {
      type: 'Public',
      name: 'Readers',
      introduction: 'About books',
      notification: 'Be nice',
      avatar: 'https://x/a.png',
      maxMemberNum: 50,
      joinOption: 'FreeAccess',
      memberList: [{ userID: ids[1], role: 'Admin', memberCustomField: [{ key: 'k', value: 'v' }] }, { userID: ids[2] }, { userID: ids[0] }],
      groupCustomField: [{ key: 'topic', value: 'books' }],
    });
    expect(res.overLimitUserIDList).toEqual([]);
    expect(res.group).toMatchObject({
      type: 'Public',
      name: 'Readers',
      introduction: 'About books',
      notification: 'Be nice',
      avatar: 'https://x/a.png',
      ownerID: ids[0],
      memberCount: 3,
      maxMemberCount: 50,
      joinOption: 'FreeAccess',
      muteAllMembers: false,
      isSupportTopic: false,
      groupCustomField: [{ key: 'topic', value: 'books' }],
      infoSequence: 0,
      // The join tip took sequence 1.
      nextMessageSeq: 2,
      selfInfo: { role: 'Owner', nameCard: '', messageRemindType: 'AcceptAndNotify', readedSequence: 0, muteUntil: 0, memberCustomField: [] },
      unreadCount: 0,
    });
    expect(res.group.groupID).toMatch(/^@TGS#[A-Z0-9]{10}$/);
    expect(res.group.lastMessage).toMatchObject({ type: 'TIMGroupTipElem', seq: 1 });
    const bobView = await getGroup(clients[1]!, res.group.groupID);
    expect(bobView.selfInfo).toMatchObject({ role: 'Admin', memberCustomField: [{ key: 'k', value: 'v' }] });
    // Community IDs and isSupportTopic.
    const community = await createGroup(alice, 'Community', { isSupportTopic: true });
    expect(community.groupID).toMatch(/^@TGS#_[A-Z0-9]{10}$/);
    expect(community.isSupportTopic).toBe(true);
    expect((await createGroup(alice, 'Public', { isSupportTopic: true })).isSupportTopic).toBe(false);
  });

  it('custom groupIDs: accepted when valid, 10015 for the reserved prefixes, 10021 when taken', async () => {
    const { clients } = await users(1);
    const alice = clients[0]!;
    const id = uid('custom-');
    expect((await createGroup(alice, 'Private', { groupID: id })).groupID).toBe(id);
    await refused(alice, 'group.create', { type: 'Private', name: 'x', groupID: id }, ErrorCode.GroupIDInUse);
    await refused(alice, 'group.create', { type: 'Public', name: 'x', groupID: `@TGS#${uid('a')}` }, ErrorCode.InvalidGroupID);
    await refused(alice, 'group.create', { type: 'Community', name: 'x', groupID: uid('plain') }, ErrorCode.InvalidGroupID);
    const communityID = `@TGS#_${uid('c')}`;
    expect((await createGroup(alice, 'Community', { groupID: communityID })).groupID).toBe(communityID);
    // A dismissed group's ID stays taken.
    await ok(alice, 'group.dismiss', { groupID: id });
    await refused(alice, 'group.create', { type: 'Private', name: 'x', groupID: id }, ErrorCode.GroupIDInUse);
  });

  it('refuses over-long fields (10004), bad roles (10004) and too many members (10014), creating nothing', async () => {
    const { ids, clients } = await users(3);
    const alice = clients[0]!;
    const before = (await ok(alice, 'group.list')).groups.length;
    const groupID = uid('never-');
    const bad: Array<[Record<string, unknown>, number]> = [
      [{ name: '中'.repeat(11) }, ErrorCode.InvalidParameters], // 33 bytes > 30
      [{ name: 'x', introduction: 'i'.repeat(241) }, ErrorCode.InvalidParameters],
      [{ name: 'x', notification: 'n'.repeat(301) }, ErrorCode.InvalidParameters],
      [{ name: 'x', avatar: 'a'.repeat(101) }, ErrorCode.InvalidParameters],
      [{ name: 'x', memberList: [{ userID: ids[1], role: 'Owner' }] }, ErrorCode.InvalidParameters],
      [{ name: 'x', type: 'Private', memberList: [{ userID: ids[1], role: 'Admin' }] }, ErrorCode.InvalidParameters],
      [{ name: 'x', memberList: [{ userID: ids[1], role: 'Custom' }] }, ErrorCode.InvalidParameters],
      [{ name: 'x', maxMemberNum: 2, memberList: [{ userID: ids[1] }, { userID: ids[2] }] }, ErrorCode.GroupFull],
      [{ name: 'x', maxMemberNum: 2001 }, ErrorCode.InvalidParameters],
    ];
    for (const [body, code] of bad) await refused(alice, 'group.create', { type: 'Public', groupID, ...body }, code);
    expect((await ok(alice, 'group.list')).groups).toHaveLength(before);
    await refused(alice, 'group.get', { groupID }, ErrorCode.GroupNotFound);
    // Exactly at the limits is fine.
    const atLimit = await createGroup(alice, 'Public', { name: '中'.repeat(10), introduction: 'i'.repeat(240), notification: 'n'.repeat(300), avatar: 'a'.repeat(100) });
    expect(atLimit.name).toBe('中'.repeat(10));
    // Frame-level shape errors stay 95002.
    await refused(alice, 'group.create', { type: 'Secret', name: 'x' }, ErrorCode.InvalidFrame);
  });

  it('AVChatRoom drops memberList; the creator owns it but has not joined', async () => {
    const { ids, clients } = await users(2);
    const res = await ok(clients[0]!, 'group.create', { type: 'AVChatRoom', name: 'Live', memberList: [{ userID: ids[1] }] });
    expect(res.group).toMatchObject({ ownerID: ids[0], memberCount: 0, selfInfo: null, maxMemberCount: 0 });
    expect((await getGroup(clients[1]!, res.group.groupID)).selfInfo).toBeNull();
  });
});

describe('group.list / group.get / group.search', () => {
  it('lists joined groups with unread and lastMessage; get/search refusals', async () => {
    const { ids, clients } = await users(3);
    const [alice, bob, carol] = clients as [RawClient, RawClient, RawClient];
    const work = await createGroup(alice, 'Private', { memberList: [{ userID: ids[1] }] });
    const pub = await createGroup(bob, 'Public', { memberList: [{ userID: ids[0] }] });
    await sendGroup(bob, pub.groupID, 'hello');
    const list = (await ok(alice, 'group.list')).groups;
    expect(list.map((g) => g.groupID).sort()).toEqual([work.groupID, pub.groupID].sort());
    const pubView = list.find((g) => g.groupID === pub.groupID)!;
    expect(pubView).toMatchObject({ unreadCount: 1, lastMessage: { payload: { text: 'hello' } }, selfInfo: { role: 'Member' } });
    expect((await ok(carol, 'group.list')).groups).toEqual([]);

    await refused(carol, 'group.get', { groupID: uid('missing') }, ErrorCode.GroupNotFound);
    await refused(carol, 'group.get', { groupID: work.groupID }, ErrorCode.NoPermission);
    await refused(carol, 'group.search', { groupID: work.groupID }, ErrorCode.NoPermission);
    await refused(carol, 'group.search', { groupID: uid('missing') }, ErrorCode.GroupNotFound);
    const outsiderView = await getGroup(carol, pub.groupID);
    expect(outsiderView).toMatchObject({ selfInfo: null, lastMessage: null, unreadCount: 0, memberCount: 2 });
    const searched = (await ok(carol, 'group.search', { groupID: pub.groupID })).group;
    expect(searched).toEqual(outsiderView);
  });
});

describe('group.update', () => {
  it('changes fields, merges custom fields, toggles muteAllMembers; refusals change nothing', async () => {
    const { ids, clients } = await users(3);
    const [alice, bob, carol] = clients as [RawClient, RawClient, RawClient];
    const g = (await createGroup(alice, 'Public', { memberList: [{ userID: ids[1], role: 'Admin' }, { userID: ids[2] }], groupCustomField: [{ key: 'a', value: '1' }] })).groupID;
    const { group } = await ok(bob, 'group.update', {
      groupID: g,
      name: 'New',
      avatar: 'av',
      introduction: 'intro',
      notification: 'note',
      joinOption: 'DisableApply',
      groupCustomField: [{ key: 'b', value: '2' }, { key: 'a', value: '3' }],
    });
    expect(group).toMatchObject({
      name: 'New',
      avatar: 'av',
      introduction: 'intro',
      notification: 'note',
      joinOption: 'DisableApply',
      infoSequence: 1,
      groupCustomField: [{ key: 'a', value: '3' }, { key: 'b', value: '2' }],
    });
    expect(group.lastInfoTime).toBeGreaterThan(0);
    expect((await ok(alice, 'group.update', { groupID: g, muteAllMembers: true })).group.muteAllMembers).toBe(true);
    // Refusals: a member (10007), an admin changing maxMemberNum (owner only, 10007), over-long fields (10004), unknown group (10010).
    const before = await getGroup(alice, g);
    await refused(carol, 'group.update', { groupID: g, name: 'Nope' }, ErrorCode.NoPermission);
    await refused(bob, 'group.update', { groupID: g, maxMemberNum: 100 }, ErrorCode.NoPermission);
    await refused(alice, 'group.update', { groupID: g, maxMemberNum: 2 }, ErrorCode.InvalidParameters);
    await refused(alice, 'group.update', { groupID: g, name: 'x'.repeat(31) }, ErrorCode.InvalidParameters);
    await refused(alice, 'group.update', { groupID: g, notification: 'x'.repeat(301) }, ErrorCode.InvalidParameters);
    await refused(alice, 'group.update', { groupID: uid('missing'), name: 'x' }, ErrorCode.GroupNotFound);
    expect(await getGroup(alice, g)).toEqual(before);
    expect((await ok(alice, 'group.update', { groupID: g, maxMemberNum: 3 })).group.maxMemberCount).toBe(3);
    // joinOption is ignored for types that fix it.
    const work = (await createGroup(alice, 'Private')).groupID;
    expect((await ok(alice, 'group.update', { groupID: work, joinOption: 'FreeAccess' })).group).toMatchObject({ joinOption: 'DisableApply', infoSequence: 0 });
  });
});

describe('group.join / group.quit', () => {
  it('AlreadyInGroup, full (10014), unknown (10010); quit refusals', async () => {
    const { ids, clients } = await users(4);
    const [alice, bob, carol, dave] = clients as [RawClient, RawClient, RawClient, RawClient];
    const g = (await createGroup(alice, 'ChatRoom', { maxMemberNum: 3, memberList: [{ userID: ids[1] }] })).groupID;
    expect((await ok(bob, 'group.join', { groupID: g })).status).toBe('AlreadyInGroup');
    expect((await ok(carol, 'group.join', { groupID: g })).status).toBe('JoinedSuccess');
    await refused(dave, 'group.join', { groupID: g }, ErrorCode.GroupFull);
    expect(await memberIDs(alice, g)).toEqual([ids[0], ids[1], ids[2]].sort());
    await refused(dave, 'group.join', { groupID: uid('missing') }, ErrorCode.GroupNotFound);
    // Quit: non-members 10007; after quitting, the member's group and conversation are gone.
    await refused(dave, 'group.quit', { groupID: g }, ErrorCode.NoPermission);
    await ok(carol, 'group.quit', { groupID: g });
    expect(await groupConversation(carol, g)).toBeUndefined();
    expect((await ok(carol, 'group.list')).groups).toEqual([]);
    await refused(carol, 'msg.send', { message: { ID: uid('m'), conversationType: 'GROUP', to: g, type: 'TIMTextElem', payload: { text: 'x' }, clientTime: 1, random: 1 } }, ErrorCode.NoPermission);
    expect((await ok(dave, 'group.join', { groupID: g })).status).toBe('JoinedSuccess');
  });

  it('pending applications are re-opened by a second apply', async () => {
    const { clients } = await users(2);
    const [alice, bob] = clients as [RawClient, RawClient];
    const g = (await createGroup(alice, 'Public')).groupID;
    expect((await ok(bob, 'group.join', { groupID: g, applyMessage: 'one' })).status).toBe('WaitAdminApproval');
    expect((await ok(bob, 'group.join', { groupID: g, applyMessage: 'two' })).status).toBe('WaitAdminApproval');
    const apps = (await ok(alice, 'group.applications')).applicationList;
    expect(apps.map((a) => a.authentication)).toEqual(['two']);
  });
});

describe('group.change-owner', () => {
  it('refuses self (10004), non-members (10004), non-owners (10007)', async () => {
    const { ids, clients } = await users(3);
    const [alice, bob] = clients as [RawClient, RawClient];
    const g = (await createGroup(alice, 'Public', { memberList: [{ userID: ids[1] }] })).groupID;
    await refused(alice, 'group.change-owner', { groupID: g, newOwnerID: ids[0] }, ErrorCode.InvalidParameters);
    await refused(alice, 'group.change-owner', { groupID: g, newOwnerID: ids[2] }, ErrorCode.InvalidParameters);
    await refused(bob, 'group.change-owner', { groupID: g, newOwnerID: ids[1] }, ErrorCode.NoPermission);
    expect((await getGroup(alice, g)).ownerID).toBe(ids[0]);
  });
});

describe('per-deployment limits', () => {
  it('groupMaxMembers raises a type’s limit; maxGroupsPerUser gives 10037 and overLimitUserIDList', async () => {
    await using limited = await startTestServer({ config: { groupMaxMembers: { Private: 3 }, maxGroupsPerUser: 2 } });
    const p = uid('lim');
    const alice = await pool.login(limited, `${p}-a`);
    const bob = await pool.login(limited, `${p}-b`);
    const g1 = await createGroup(alice, 'Private');
    expect(g1.maxMemberCount).toBe(3);
    await refused(alice, 'group.create', { type: 'Private', name: 'x', maxMemberNum: 4 }, ErrorCode.InvalidParameters);
    await createGroup(bob, 'Private');
    await createGroup(bob, 'Private');
    // bob is in 2 groups: adding him reports him over the limit.
    const g2 = await ok(alice, 'group.create', { type: 'Private', name: 'y', memberList: [{ userID: `${p}-b` }] });
    expect(g2.overLimitUserIDList).toEqual([`${p}-b`]);
    expect(g2.group.memberCount).toBe(1);
    // alice is now in 2 groups herself.
    await refused(alice, 'group.create', { type: 'Private', name: 'z' }, ErrorCode.UserGroupCountLimit);
    await refused(bob, 'group.create', { type: 'Public', name: 'z' }, ErrorCode.UserGroupCountLimit);
    const carol = await pool.login(limited, `${p}-c`);
    const pub = await createGroup(carol, 'Public', { joinOption: 'FreeAccess' });
    await refused(alice, 'group.join', { groupID: pub.groupID }, ErrorCode.UserGroupCountLimit);
    expect(await memberIDs(carol, pub.groupID)).toEqual([`${p}-c`]);
  });
});

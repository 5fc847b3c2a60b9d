/**
 * Member commands: paging, profiles, add/delete, mute (and its enforcement),
 * roles, name cards, member custom fields, online counts — happy paths and
 * refusals with the spec's codes and nothing changed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type WireGroupMember } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { createGroup, getGroup, groupConversation, groupText, memberIDs, ok, refused, sendGroup, uid } from './group-helpers.js';

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
  const p = uid('m');
  const ids = Array.from({ length: n }, (_, i) => `${p}-u${i}`);
  return { ids, clients: await Promise.all(ids.map((id) => pool.login(srv, id))) };
}

/** Public group: u0 owner, u1 admin, the rest members. */
async function publicGroup(ids: string[], owner: RawClient, extra: Record<string, unknown> = {}): Promise<string> {
  const memberList = ids.slice(1).map((userID, i) => ({ userID, role: i === 0 ? 'Admin' : 'Member' }));
  return (await createGroup(owner, 'Public', { memberList, ...extra })).groupID;
}

async function profileOf(client: RawClient, groupID: string, userID: string): Promise<WireGroupMember | undefined> {
  return (await ok(client, 'group.member-profiles', { groupID, userIDList: [userID] })).memberList[0];
}

describe('group.members and group.member-profiles', () => {
  it('pages by count/offset (offset 0 at the end), filters by role, fills nick/avatar from profiles', async () => {
    const { ids, clients } = await users(7);
    const owner = clients[0]!;
    await ok(clients[2]!, 'profile.update', { profile: { nick: 'Two', avatar: 'two.png' } });
    const g = await publicGroup(ids, owner);
    const seen: string[] = [];
    const offsets: number[] = [];
    let offset = 0;
    do {
      const page = await ok(owner, 'group.members', { groupID: g, count: 3, offset });
      expect(page.memberList.length).toBeLessThanOrEqual(3);
      seen.push(...page.memberList.map((m) => m.userID));
      offsets.push(page.offset);
      offset = page.offset;
    } while (offset !== 0);
    expect(offsets).toEqual([3, 6, 0]);
    expect(seen.sort()).toEqual([...ids].sort());
    // Exactly a full last page still ends with offset 0.
    expect((await ok(owner, 'group.members', { groupID: g, count: 7 })).offset).toBe(0);
    expect((await ok(owner, 'group.members', { groupID: g })).memberList).toHaveLength(7);
    const admins = await ok(owner, 'group.members', { groupID: g, role: 'Admin' });
    expect(admins.memberList.map((m) => m.userID)).toEqual([ids[1]]);
    const owners = await ok(owner, 'group.members', { groupID: g, role: 'Owner' });
    expect(owners.memberList.map((m) => m.userID)).toEqual([ids[0]]);
    const two = (await ok(owner, 'group.members', { groupID: g, count: 100 })).memberList.find((m) => m.userID === ids[2])!;
    expect(two).toMatchObject({ nick: 'Two', avatar: 'two.png', role: 'Member', nameCard: '', muteUntil: 0, lastSendMsgTime: 0, isOnline: true, memberCustomField: [] });
    expect(two.joinTime).toBeGreaterThan(0);
  });

  it('member-profiles returns the members found; non-members are refused (10007)', async () => {
    const { ids, clients } = await users(4);
    const g = await publicGroup(ids.slice(0, 3), clients[0]!);
    await sendGroup(clients[2]!, g, 'hi');
    const { memberList } = await ok(clients[1]!, 'group.member-profiles', { groupID: g, userIDList: [ids[2], ids[3], 'nobody', ids[0]] });
    expect(memberList.map((m) => m.userID)).toEqual([ids[2], ids[0]]);
    expect(memberList[0]!.lastSendMsgTime).toBeGreaterThan(0);
    expect(memberList[1]!.role).toBe('Owner');
    await refused(clients[3]!, 'group.member-profiles', { groupID: g, userIDList: [ids[0]] }, ErrorCode.NoPermission);
    await refused(clients[3]!, 'group.members', { groupID: g }, ErrorCode.NoPermission);
    await refused(clients[0]!, 'group.member-profiles', { groupID: g, userIDList: Array.from({ length: 51 }, (_, i) => `u${i}`) }, ErrorCode.InvalidFrame);
  });
});

describe('group.add-members / group.delete-members', () => {
  it('add: success/existed lists, memberCount; full group (10014) adds nobody', async () => {
    const { ids, clients } = await users(5);
    const owner = clients[0]!;
    const g = (await createGroup(owner, 'Private', { maxMemberNum: 4, memberList: [{ userID: ids[1] }] })).groupID;
    const res = await ok(clients[1]!, 'group.add-members', { groupID: g, userIDList: [ids[2], ids[0], ids[2]] });
    expect(res).toMatchObject({ successUserIDList: [ids[2]], existedUserIDList: [ids[0]], failureUserIDList: [], overLimitUserIDList: [] });
    expect(res.group?.memberCount).toBe(3);
    // Adding only existing members succeeds with group: null.
    expect((await ok(owner, 'group.add-members', { groupID: g, userIDList: [ids[1]] })).group).toBeNull();
    await refused(owner, 'group.add-members', { groupID: g, userIDList: [ids[3], ids[4]] }, ErrorCode.GroupFull);
    expect(await memberIDs(owner, g)).toEqual([ids[0], ids[1], ids[2]].sort());
    await refused(clients[3]!, 'group.add-members', { groupID: g, userIDList: [ids[4]] }, ErrorCode.NoPermission);
    await refused(owner, 'group.add-members', { groupID: uid('missing'), userIDList: [ids[4]] }, ErrorCode.GroupNotFound);
  });

  it('delete: the removed member loses the group, its conversation and history; refusals change nothing', async () => {
    const { ids, clients } = await users(4);
    const [owner, admin, member, other] = clients as [RawClient, RawClient, RawClient, RawClient];
    const g = await publicGroup(ids, owner);
    await sendGroup(owner, g, 'before kick');
    await refused(member, 'group.delete-members', { groupID: g, userIDList: [ids[3]] }, ErrorCode.NoPermission);
    await refused(admin, 'group.delete-members', { groupID: g, userIDList: [ids[0]] }, ErrorCode.NoPermission);
    await refused(admin, 'group.delete-members', { groupID: g, userIDList: [ids[1]] }, ErrorCode.InvalidParameters);
    expect(await memberIDs(owner, g)).toEqual([...ids].sort());
    const res = await ok(admin, 'group.delete-members', { groupID: g, userIDList: [ids[2], 'not-a-member'] });
    expect(res.userIDList).toEqual([ids[2]]);
    expect(res.group.memberCount).toBe(3);
    expect(await groupConversation(member, g)).toBeUndefined();
    await refused(member, 'msg.list', { conversationID: `GROUP${g}` }, ErrorCode.NoPermission);
    await refused(member, 'msg.send', { message: groupText(g, 'let me back') }, ErrorCode.NoPermission);
    expect((await getGroup(member, g)).selfInfo).toBeNull();
    // Work: only the owner removes; a member may not remove the owner.
    const work = (await createGroup(owner, 'Private', { memberList: [{ userID: ids[1] }, { userID: ids[3] }] })).groupID;
    await refused(other, 'group.delete-members', { groupID: work, userIDList: [ids[1]] }, ErrorCode.NoPermission);
    await ok(owner, 'group.delete-members', { groupID: work, userIDList: [ids[1]] });
    expect(await memberIDs(owner, work)).toEqual([ids[0], ids[3]].sort());
  });
});

describe('group.mute-member and muteAllMembers', () => {
  it('muted members get 10017 until unmuted; admins mute members only; self 10004', async () => {
    const { ids, clients } = await users(4);
    const [owner, admin, member] = clients as [RawClient, RawClient, RawClient];
    const g = await publicGroup(ids, owner);
    await refused(admin, 'group.mute-member', { groupID: g, userID: ids[1], muteTime: 60 }, ErrorCode.InvalidParameters);
    await refused(admin, 'group.mute-member', { groupID: g, userID: ids[0], muteTime: 60 }, ErrorCode.NoPermission);
    await refused(admin, 'group.mute-member', { groupID: g, userID: 'nobody', muteTime: 60 }, ErrorCode.InvalidParameters);
    await refused(member, 'group.mute-member', { groupID: g, userID: ids[3], muteTime: 60 }, ErrorCode.NoPermission);
    expect((await profileOf(owner, g, ids[0]!))?.muteUntil).toBe(0);

    const res = await ok(admin, 'group.mute-member', { groupID: g, userID: ids[2], muteTime: 120 });
    expect(res.member.muteUntil - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(118);
    expect((await getGroup(member, g)).selfInfo?.muteUntil).toBe(res.member.muteUntil);
    const before = (await getGroup(owner, g)).nextMessageSeq;
    await refused(member, 'msg.send', { message: groupText(g, 'quiet?') }, ErrorCode.MutedInGroup);
    await refused(member, 'msg.send', { message: groupText(g, 'quiet?'), onlineUserOnly: true }, ErrorCode.MutedInGroup);
    expect((await getGroup(owner, g)).nextMessageSeq).toBe(before);
    // The owner mutes the admin too.
    await ok(owner, 'group.mute-member', { groupID: g, userID: ids[1], muteTime: 60 });
    await refused(admin, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.MutedInGroup);
    // Unmute.
    await ok(owner, 'group.mute-member', { groupID: g, userID: ids[2], muteTime: 0 });
    expect((await sendGroup(member, g, 'free again')).seq).toBeGreaterThan(0);
  });

  it('muteAllMembers silences all but the owner and admins', async () => {
    const { ids, clients } = await users(3);
    const [owner, admin, member] = clients as [RawClient, RawClient, RawClient];
    const g = await publicGroup(ids, owner);
    await ok(owner, 'group.update', { groupID: g, muteAllMembers: true });
    await refused(member, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.MutedInGroup);
    await sendGroup(admin, g, 'admin speaks');
    await sendGroup(owner, g, 'owner speaks');
    await ok(owner, 'group.update', { groupID: g, muteAllMembers: false });
    await sendGroup(member, g, 'member speaks');
  });
});

describe('group.set-role', () => {
  it('owner only; Admin/Member (Custom in Community); not on self; Work has no admins', async () => {
    const { ids, clients } = await users(3);
    const [owner, admin, member] = clients as [RawClient, RawClient, RawClient];
    const g = await publicGroup(ids, owner);
    await refused(admin, 'group.set-role', { groupID: g, userID: ids[2], role: 'Admin' }, ErrorCode.NoPermission);
    await refused(owner, 'group.set-role', { groupID: g, userID: ids[0], role: 'Member' }, ErrorCode.InvalidParameters);
    await refused(owner, 'group.set-role', { groupID: g, userID: ids[2], role: 'Owner' }, ErrorCode.InvalidParameters);
    await refused(owner, 'group.set-role', { groupID: g, userID: ids[2], role: 'Custom' }, ErrorCode.InvalidParameters);
    await refused(owner, 'group.set-role', { groupID: g, userID: 'nobody', role: 'Admin' }, ErrorCode.InvalidParameters);
    expect((await profileOf(owner, g, ids[2]!))?.role).toBe('Member');
    const res = await ok(owner, 'group.set-role', { groupID: g, userID: ids[2], role: 'Admin' });
    expect(res.member.role).toBe('Admin');
    expect((await getGroup(member, g)).selfInfo?.role).toBe('Admin');
    await ok(owner, 'group.set-role', { groupID: g, userID: ids[1], role: 'Member' });
    expect((await getGroup(admin, g)).selfInfo?.role).toBe('Member');

    const work = (await createGroup(owner, 'Private', { memberList: [{ userID: ids[1] }] })).groupID;
    await refused(owner, 'group.set-role', { groupID: work, userID: ids[1], role: 'Admin' }, ErrorCode.NoPermission);
    const community = (await createGroup(owner, 'Community', { memberList: [{ userID: ids[1] }] })).groupID;
    expect((await ok(owner, 'group.set-role', { groupID: community, userID: ids[1], role: 'Custom' })).member.role).toBe('Custom');
  });
});

describe('group.set-name-card / group.set-member-custom', () => {
  it('name card: ≤ 50 bytes; own, owner any, admin members only; stamped on later messages', async () => {
    const { ids, clients } = await users(4);
    const [owner, admin, member, other] = clients as [RawClient, RawClient, RawClient, RawClient];
    const g = await publicGroup(ids, owner);
    await refused(member, 'group.set-name-card', { groupID: g, userID: ids[2], nameCard: 'x'.repeat(51) }, ErrorCode.InvalidParameters);
    await refused(member, 'group.set-name-card', { groupID: g, userID: ids[3], nameCard: 'hey' }, ErrorCode.NoPermission);
    await refused(admin, 'group.set-name-card', { groupID: g, userID: ids[0], nameCard: 'hey' }, ErrorCode.NoPermission);
    await refused(other, 'group.set-name-card', { groupID: uid('missing'), userID: ids[3], nameCard: 'x' }, ErrorCode.GroupNotFound);
    expect((await profileOf(owner, g, ids[3]!))?.nameCard).toBe('');
    expect((await ok(member, 'group.set-name-card', { groupID: g, userID: ids[2], nameCard: '小明'.repeat(8) })).member.nameCard).toBe('小明'.repeat(8));
    await ok(admin, 'group.set-name-card', { groupID: g, userID: ids[3], nameCard: 'by admin' });
    await ok(owner, 'group.set-name-card', { groupID: g, userID: ids[1], nameCard: 'by owner' });
    expect((await profileOf(other, g, ids[3]!))?.nameCard).toBe('by admin');
    expect((await getGroup(admin, g)).selfInfo?.nameCard).toBe('by owner');
    const sent = await sendGroup(other, g, 'hello');
    expect(sent.nameCard).toBe('by admin');
    const history = await ok(owner, 'msg.list', { conversationID: `GROUP${g}` });
    expect(history.messages.at(-1)).toMatchObject({ ID: sent.ID, nameCard: 'by admin' });
  });

  it('member custom fields: any key by default, merged; permissions as name cards', async () => {
    const { ids, clients } = await users(3);
    const [owner, , member] = clients as [RawClient, RawClient, RawClient];
    const g = await publicGroup(ids, owner);
    await ok(member, 'group.set-member-custom', { groupID: g, userID: ids[2], memberCustomField: [{ key: 'level', value: '1' }] });
    const res = await ok(owner, 'group.set-member-custom', { groupID: g, userID: ids[2], memberCustomField: [{ key: 'title', value: 'x' }, { key: 'level', value: '2' }] });
    expect(res.member.memberCustomField).toEqual([{ key: 'level', value: '2' }, { key: 'title', value: 'x' }]);
    await refused(member, 'group.set-member-custom', { groupID: g, userID: ids[1], memberCustomField: [{ key: 'a', value: 'b' }] }, ErrorCode.NoPermission);
  });

  it('an allow-list in config refuses other keys (10004)', async () => {
    await using strict = await startTestServer({ config: { groupMemberCustomKeys: ['level'] } });
    const p = uid('ck');
    const owner = await pool.login(strict, `${p}-a`);
    const g = (await createGroup(owner, 'Private')).groupID;
    await ok(owner, 'group.set-member-custom', { groupID: g, userID: `${p}-a`, memberCustomField: [{ key: 'level', value: '3' }] });
    await refused(owner, 'group.set-member-custom', { groupID: g, userID: `${p}-a`, memberCustomField: [{ key: 'title', value: 'x' }] }, ErrorCode.InvalidParameters);
    expect((await getGroup(owner, g)).selfInfo?.memberCustomField).toEqual([{ key: 'level', value: '3' }]);
  });
});

describe('group.online-count', () => {
  it('counts members with a live connection (a user with two connections counts once)', async () => {
    const { ids, clients } = await users(4);
    const [owner, , member, outsider] = clients as [RawClient, RawClient, RawClient, RawClient];
    const g = await publicGroup(ids.slice(0, 3), owner);
    await pool.login(srv, ids[0]!);
    expect((await ok(owner, 'group.online-count', { groupID: g })).memberCount).toBe(3);
    clients[1]!.ws.terminate();
    await new Promise((r) => setTimeout(r, 100));
    expect((await ok(member, 'group.online-count', { groupID: g })).memberCount).toBe(2);
    await refused(outsider, 'group.online-count', { groupID: g }, ErrorCode.NoPermission);
    const profile = (await ok(owner, 'group.members', { groupID: g, count: 100 })).memberList.find((m) => m.userID === ids[1]);
    expect(profile?.isOnline).toBe(false);
  });
});

/**
 * App administrators over WebSocket (config `adminUserIDs`, default
 * "administrator"): a user logged in with an admin ID and a valid UserSig passes
 * the "app admin only" cells of the rules (spec §9: addGroupMember in Public and
 * Meeting) and every owner/admin check, as Tencent's REST admin does; everyone
 * else keeps the rules (10007).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ServerFrame } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { clearFrames, createGroup, getGroup, groupText, memberIDs, ok, refused, sendGroup, settle, uid } from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

const tipFor =
  (groupID: string, operationType: number) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.message' && f.data.to === groupID && f.data.type === 'TIMGroupTipElem' && (f.data.payload as { operationType: number }).operationType === operationType;
const noticeFor =
  (groupID: string, operationType: number) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.system-notice' && f.data.groupID === groupID && f.data.payload.operationType === operationType;

interface Cast {
  admin: RawClient;
  owner: RawClient;
  member: RawClient;
  memberOther: RawClient;
  newcomer: RawClient;
  ids: { owner: string; member: string; newcomer: string };
}

async function cast(): Promise<Cast> {
  const p = uid('aa');
  const ids = { owner: `${p}-owner`, member: `${p}-member`, newcomer: `${p}-new` };
  return {
    admin: await pool.login(srv, 'administrator'),
    owner: await pool.login(srv, ids.owner),
    member: await pool.login(srv, ids.member),
    memberOther: await pool.login(srv, ids.member),
    newcomer: await pool.login(srv, ids.newcomer),
    ids,
  };
}

describe('an app administrator logged in over WebSocket', () => {
  for (const type of ['Public', 'ChatRoom'] as const) {
    it(`adds members to a ${type} group without being a member: tip 1 to every member connection, notice 7 to the added; an ordinary member gets 10007`, async () => {
      const c = await cast();
      const g = (await createGroup(c.owner, type, { memberList: [{ userID: c.ids.member }] })).groupID;
      // The owner and an ordinary member may not (spec §9: app admin only).
      await refused(c.member, 'group.add-members', { groupID: g, userIDList: [c.ids.newcomer] }, ErrorCode.NoPermission);
      await refused(c.owner, 'group.add-members', { groupID: g, userIDList: [c.ids.newcomer] }, ErrorCode.NoPermission);
      expect(await memberIDs(c.owner, g)).toEqual([c.ids.member, c.ids.owner].sort());

      const everyone = [c.admin, c.owner, c.member, c.memberOther, c.newcomer];
      await settle(...everyone);
      clearFrames(...everyone);
      const res = await ok(c.admin, 'group.add-members', { groupID: g, userIDList: [c.ids.newcomer, c.ids.member] });
      expect(res).toMatchObject({ successUserIDList: [c.ids.newcomer], existedUserIDList: [c.ids.member], failureUserIDList: [] });
      // The administrator is no member: the answer's group is the public view.
      expect(res.group?.selfInfo).toBeNull();
      await settle(...everyone);
      for (const client of [c.owner, c.member, c.memberOther, c.newcomer]) {
        const tip = client.frames.find(tipFor(g, 1)) as { data: { from: string; payload: { operatorID: string; userIDList: string[] } } } | undefined;
        expect(tip?.data.payload).toMatchObject({ operatorID: 'administrator', userIDList: [c.ids.newcomer] });
      }
      expect(c.admin.frames.some(tipFor(g, 1))).toBe(false);
      expect([c.owner, c.member, c.memberOther, c.newcomer].map((client) => client.frames.some(noticeFor(g, 7)))).toEqual([false, false, false, true]);
      const notice = c.newcomer.frames.find(noticeFor(g, 7)) as { data: { payload: { operatorID: string } } };
      expect(notice.data.payload.operatorID).toBe('administrator');
      expect(await memberIDs(c.newcomer, g)).toEqual([c.ids.member, c.ids.newcomer, c.ids.owner].sort());
    });
  }

  it('passes the owner/admin checks: dismiss a Work group, kick, mute, profile, roles, owner transfer — the owner stays out of reach', async () => {
    const c = await cast();
    const pub = (await createGroup(c.owner, 'Public', { memberList: [{ userID: c.ids.member }, { userID: c.ids.newcomer }] })).groupID;
    await refused(c.member, 'group.mute-member', { groupID: pub, userID: c.ids.newcomer, muteTime: 60 }, ErrorCode.NoPermission);
    await ok(c.admin, 'group.mute-member', { groupID: pub, userID: c.ids.newcomer, muteTime: 60 });
    await refused(c.newcomer, 'msg.send', { message: groupText(pub, 'x') }, ErrorCode.MutedInGroup);
    await refused(c.admin, 'group.mute-member', { groupID: pub, userID: c.ids.owner, muteTime: 60 }, ErrorCode.NoPermission);
    expect((await ok(c.admin, 'group.update', { groupID: pub, name: 'By admin', maxMemberNum: 50 })).group).toMatchObject({ name: 'By admin', maxMemberCount: 50 });
    await ok(c.admin, 'group.set-role', { groupID: pub, userID: c.ids.member, role: 'Admin' });
    expect((await getGroup(c.member, pub)).selfInfo?.role).toBe('Admin');
    await ok(c.admin, 'group.set-name-card', { groupID: pub, userID: c.ids.owner, nameCard: 'Chief' });
    await refused(c.admin, 'group.delete-members', { groupID: pub, userIDList: [c.ids.owner] }, ErrorCode.NoPermission);
    await ok(c.admin, 'group.delete-members', { groupID: pub, userIDList: [c.ids.newcomer] });
    expect(await memberIDs(c.owner, pub)).toEqual([c.ids.member, c.ids.owner].sort());
    await ok(c.admin, 'group.change-owner', { groupID: pub, newOwnerID: c.ids.member });
    const afterTransfer = await getGroup(c.owner, pub);
    expect(afterTransfer.ownerID).toBe(c.ids.member);
    expect(afterTransfer.selfInfo?.role).toBe('Member');

    const work = (await createGroup(c.owner, 'Private', { memberList: [{ userID: c.ids.member }] })).groupID;
    await refused(c.member, 'group.dismiss', { groupID: work }, ErrorCode.NoPermission);
    await settle(c.member, c.memberOther);
    clearFrames(c.member, c.memberOther, c.owner);
    await ok(c.admin, 'group.dismiss', { groupID: work });
    await settle(c.member, c.memberOther, c.owner);
    expect([c.owner, c.member, c.memberOther].map((client) => client.frames.some(noticeFor(work, 5)))).toEqual([true, true, true]);
    await refused(c.owner, 'group.get', { groupID: work }, ErrorCode.GroupNotFound);
  });

  it('revokes any member’s message in a group it belongs to, at any time, like the owner', async () => {
    const c = await cast();
    const g = (await createGroup(c.owner, 'Public', { memberList: [{ userID: c.ids.member }, { userID: 'administrator' }] })).groupID;
    const sent = await sendGroup(c.member, g, 'regrettable');
    await refused(c.newcomer, 'msg.revoke', { conversationID: `GROUP${g}`, messageID: sent.ID }, ErrorCode.NoPermission);
    const revoked = await ok(c.admin, 'msg.revoke', { conversationID: `GROUP${g}`, messageID: sent.ID });
    expect(revoked.message).toMatchObject({ isRevoked: true, revoker: 'administrator' });
  });

  it('"nobody" stays nobody: no members added to an AVChatRoom, no mute in a Work group', async () => {
    const c = await cast();
    const room = (await createGroup(c.owner, 'AVChatRoom')).groupID;
    await refused(c.admin, 'group.add-members', { groupID: room, userIDList: [c.ids.member] }, ErrorCode.NoPermission);
    const work = (await createGroup(c.owner, 'Private', { memberList: [{ userID: c.ids.member }] })).groupID;
    await refused(c.admin, 'group.mute-member', { groupID: work, userID: c.ids.member, muteTime: 60 }, ErrorCode.NoPermission);
  });

  it('only the configured IDs are administrators (PARLEY_ADMIN_USER_IDS)', async () => {
    await using custom = await startTestServer({ config: { adminUserIDs: ['ops'] } });
    const owner = await pool.login(custom, 'owner');
    const g = (await createGroup(owner, 'Public')).groupID;
    const administrator = await pool.login(custom, 'administrator');
    await refused(administrator, 'group.add-members', { groupID: g, userIDList: ['x'] }, ErrorCode.NoPermission);
    const ops = await pool.login(custom, 'ops');
    expect((await ok(ops, 'group.add-members', { groupID: g, userIDList: ['x'] })).successUserIDList).toEqual(['x']);
  });
});

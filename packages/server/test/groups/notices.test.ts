/**
 * Who receives what: for every group event, the exact set of connections that
 * get its tip (push.message TIMGroupTipElem), its system notice
 * (push.system-notice) and push.group-updated. Four users; alice has two
 * connections (a1 makes the requests, a2 is her other instance).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServerFrame, SystemNoticePush, WireGroup, WireMessage } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { CAST, createGroup, groupConversation, loginCast, isNotice, ok, settle, isTip, uid, type Cast, type CastName } from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterAll(async () => {
  await srv.close();
});

let ids: Cast['ids'];
let conns: Cast['conns'];
let cast: Cast;

beforeEach(async () => {
  cast = await loginCast(pool, srv, uid('n'));
  ({ ids, conns } = cast);
});
afterEach(() => pool.closeAll());

type Name = CastName;
const observe = <T>(action: () => Promise<T>): Promise<T> => cast.observe(action);
const who = (predicate: (f: ServerFrame) => boolean): Name[] => cast.who(predicate);
const tip = isTip;
const notice = isNotice;
const updated =
  (groupID: string) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.group-updated' && f.data.groupID === groupID;

function noticeOf(name: Name, groupID: string, operationType: number): SystemNoticePush['data'] {
  const frame = conns[name].frames.find(notice(groupID, operationType)) as SystemNoticePush | undefined;
  if (!frame) throw new Error(`${name} got no notice ${operationType}`);
  return frame.data;
}

function tipOf(name: Name, groupID: string, operationType: number): WireMessage {
  const frame = conns[name].frames.find(tip(groupID, operationType)) as { data: WireMessage } | undefined;
  if (!frame) throw new Error(`${name} got no tip ${operationType}`);
  return frame.data;
}

/** Nothing at all for the group reached these connections. */
function untouched(groupID: string): Name[] {
  return CAST.filter((name) => !conns[name].frames.some((f) => (f.cmd === 'push.message' && f.data.to === groupID) || (f.cmd === 'push.system-notice' && f.data.groupID === groupID) || (f.cmd === 'push.group-updated' && f.data.groupID === groupID)));
}

/** A Public group owned by alice with bob as admin and carol as member; dave is outside. */
async function publicGroup(joinOption = 'FreeAccess'): Promise<string> {
  const group = await createGroup(conns.a1, 'Public', { joinOption, memberList: [{ userID: ids.bob, role: 'Admin' }, { userID: ids.carol }] });
  await settle(...Object.values(conns));
  return group.groupID;
}

describe('group lifecycle', () => {
  it('create: tip 1 to every member connection, notice 7 to invitees, notice 6 to the creator’s other instance', async () => {
    const group = await observe(() => createGroup(conns.a1, 'Public', { memberList: [{ userID: ids.bob, role: 'Admin' }, { userID: ids.carol }] }));
    const g = group.groupID;
    expect(who(tip(g, 1))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(tipOf('bob', g, 1)).toMatchObject({ from: ids.alice, seq: 1, payload: { operatorID: ids.alice, operationType: 1, userIDList: [ids.bob, ids.carol] } });
    expect(who(notice(g, 7))).toEqual(['bob', 'carol']);
    expect(noticeOf('bob', g, 7).payload).toMatchObject({ operatorID: ids.alice, groupProfile: { groupID: g, name: 'Public group' } });
    expect(who(notice(g, 6))).toEqual(['a2']);
    expect(who(updated(g))).toEqual(['a2', 'bob', 'carol']);
    const bobView = conns.bob.frames.find(updated(g)) as { data: WireGroup };
    expect(bobView.data.selfInfo).toMatchObject({ role: 'Admin', messageRemindType: 'AcceptAndNotify' });
    expect(untouched(g)).toEqual(['dave']);
  });

  it('join: tip 1 to all members including the joiner; nothing to outsiders', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.dave, 'group.join', { groupID: g }));
    expect(who(tip(g, 1))).toEqual(CAST);
    expect(tipOf('a2', g, 1)).toMatchObject({ from: ids.dave, payload: { operatorID: ids.dave, userIDList: [ids.dave] } });
    // The joiner's only connection made the request: the response carries the group.
    expect(who(updated(g))).toEqual([]);
  });

  it('update: tip 6 with only the changed fields to all; group-updated to every member connection but the requester', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.bob, 'group.update', { groupID: g, name: 'Renamed', introduction: 'Public group'.slice(0, 0), muteAllMembers: true }));
    expect(who(tip(g, 6))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(tipOf('carol', g, 6).payload).toEqual({
      operatorID: ids.bob,
      operationType: 6,
      userIDList: [ids.bob],
      newGroupProfile: { name: 'Renamed', muteAllMembers: true },
    });
    expect(who(updated(g))).toEqual(['a1', 'a2', 'carol']);
    const carolView = conns.carol.frames.find(updated(g)) as { data: WireGroup };
    expect(carolView.data).toMatchObject({ name: 'Renamed', muteAllMembers: true, selfInfo: { role: 'Member' } });
    // A no-op update sends nothing.
    await observe(() => ok(conns.bob, 'group.update', { groupID: g, name: 'Renamed' }));
    expect(untouched(g)).toEqual(CAST);
  });

  it('quit: tip 2 to the remaining members, notice 8 to the quitter’s other instance only', async () => {
    const work = await createGroup(conns.bob, 'Private', { memberList: [{ userID: ids.alice }, { userID: ids.carol }] });
    const g = work.groupID;
    await settle(...Object.values(conns));
    await observe(() => ok(conns.a1, 'group.quit', { groupID: g }));
    expect(who(tip(g, 2))).toEqual(['bob', 'carol']);
    expect(tipOf('bob', g, 2).payload).toMatchObject({ operatorID: ids.alice, userIDList: [ids.alice] });
    expect(who(notice(g, 8))).toEqual(['a2']);
    expect(await groupConversation(conns.a2, g)).toBeUndefined();
  });

  it('dismiss: notice 5 to every member connection except the requester; groups and conversations are gone', async () => {
    const g = await publicGroup();
    await ok(conns.dave, 'group.join', { groupID: g });
    await observe(() => ok(conns.a1, 'group.dismiss', { groupID: g }));
    expect(who(notice(g, 5))).toEqual(['a2', 'bob', 'carol', 'dave']);
    expect(who(tip(g, 5))).toEqual([]);
    for (const c of [conns.bob, conns.carol, conns.a2]) {
      expect(await groupConversation(c, g)).toBeUndefined();
      expect((await ok(c, 'group.list')).groups.map((x) => x.groupID)).not.toContain(g);
    }
  });

  it('change-owner: tip 6 with newGroupProfile.ownerID to all; everyone’s view updates', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.a1, 'group.change-owner', { groupID: g, newOwnerID: ids.carol }));
    expect(who(tip(g, 6))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(tipOf('bob', g, 6).payload).toMatchObject({ newGroupProfile: { ownerID: ids.carol } });
    expect(who(updated(g))).toEqual(['a2', 'bob', 'carol']);
    const carolView = conns.carol.frames.find(updated(g)) as { data: WireGroup };
    expect(carolView.data).toMatchObject({ ownerID: ids.carol, selfInfo: { role: 'Owner' } });
    const a2View = conns.a2.frames.find(updated(g)) as { data: WireGroup };
    expect(a2View.data.selfInfo?.role).toBe('Member');
  });
});

describe('members', () => {
  it('add-members: tip 1 (operator = inviter) to all incl. the added user, notice 7 to the added user', async () => {
    const work = await createGroup(conns.bob, 'Private', { memberList: [{ userID: ids.alice }] });
    const g = work.groupID;
    await settle(...Object.values(conns));
    await observe(() => ok(conns.a1, 'group.add-members', { groupID: g, userIDList: [ids.carol] }));
    expect(who(tip(g, 1))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(tipOf('carol', g, 1).payload).toMatchObject({ operatorID: ids.alice, userIDList: [ids.carol] });
    expect(who(notice(g, 7))).toEqual(['carol']);
    expect(who(updated(g))).toEqual(['carol']);
  });

  it('delete-members: tip 3 to the remaining members, notice 4 (with the reason) to the removed user', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.bob, 'group.delete-members', { groupID: g, userIDList: [ids.carol], reason: 'spam' }));
    expect(who(tip(g, 3))).toEqual(['a1', 'a2', 'bob']);
    expect(tipOf('a1', g, 3).payload).toMatchObject({ operatorID: ids.bob, userIDList: [ids.carol], memberList: [{ userID: ids.carol, reason: 'spam' }] });
    expect(who(notice(g, 4))).toEqual(['carol']);
    expect(noticeOf('carol', g, 4).payload).toMatchObject({ operatorID: ids.bob, handleMessage: 'spam' });
    expect(await groupConversation(conns.carol, g)).toBeUndefined();
  });

  it('set-role: tip 4 / 5 to all, notice 9 / 10 and group-updated to the target', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.a1, 'group.set-role', { groupID: g, userID: ids.carol, role: 'Admin' }));
    expect(who(tip(g, 4))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(who(notice(g, 9))).toEqual(['carol']);
    expect(who(updated(g))).toEqual(['carol']);
    await observe(() => ok(conns.a1, 'group.set-role', { groupID: g, userID: ids.carol, role: 'Member' }));
    expect(who(tip(g, 5))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(who(notice(g, 10))).toEqual(['carol']);
    expect((conns.carol.frames.find(updated(g)) as { data: WireGroup }).data.selfInfo?.role).toBe('Member');
  });

  it('mute: tip 7 with memberList [{userID, muteTime}] to all; group-updated to the muted member', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.bob, 'group.mute-member', { groupID: g, userID: ids.carol, muteTime: 300 }));
    expect(who(tip(g, 7))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(tipOf('a2', g, 7).payload).toMatchObject({ operatorID: ids.bob, userIDList: [ids.carol], memberList: [{ userID: ids.carol, muteTime: 300 }] });
    expect(who(updated(g))).toEqual(['carol']);
    expect((conns.carol.frames.find(updated(g)) as { data: WireGroup }).data.selfInfo?.muteUntil).toBeGreaterThan(Date.now() / 1000 + 290);
  });

  it('name card: no tip; group-updated to the target’s connections (not the requester)', async () => {
    const g = await publicGroup();
    await observe(() => ok(conns.a1, 'group.set-name-card', { groupID: g, userID: ids.alice, nameCard: 'Boss' }));
    expect(who(tip(g, 7))).toEqual([]);
    expect(who(updated(g))).toEqual(['a2']);
  });
});

describe('applications end to end', () => {
  it('apply → owner (both instances) and admin get notice 1 → admin agrees → applicant gets notice 2, members get tip 1 → second handling is 10024', async () => {
    const g = await publicGroup('NeedPermission');
    const res = await observe(() => ok(conns.dave, 'group.join', { groupID: g, applyMessage: 'please' }));
    expect(res).toEqual({ status: 'WaitAdminApproval', group: null });
    expect(who(notice(g, 1))).toEqual(['a1', 'a2', 'bob']);
    expect(noticeOf('bob', g, 1).payload).toMatchObject({ operatorID: ids.dave, handleMessage: 'please', groupProfile: { groupID: g } });
    expect(who(tip(g, 1))).toEqual([]);

    // The owner and the admin see it in their application lists; an ordinary member sees none.
    const list = (await ok(conns.bob, 'group.applications')).applicationList;
    expect(list).toEqual([
      expect.objectContaining({ applicant: ids.dave, groupID: g, groupName: 'Public group', authentication: 'please', applicationType: 0, userID: ids.dave }),
    ]);
    expect(list[0]?.messageKey).toBe(noticeOf('bob', g, 1).payload.messageKey);
    expect((await ok(conns.a1, 'group.applications')).applicationList).toHaveLength(1);
    expect((await ok(conns.carol, 'group.applications')).applicationList).toEqual([]);
    const carolTry = await conns.carol.request('group.handle-application', { groupID: g, applicant: ids.dave, handleAction: 'Agree' });
    expect(carolTry.code).toBe(10007);

    await observe(() => ok(conns.bob, 'group.handle-application', { groupID: g, applicant: ids.dave, handleAction: 'Agree', handleMessage: 'welcome' }));
    expect(who(notice(g, 2))).toEqual(['dave']);
    expect(noticeOf('dave', g, 2).payload).toMatchObject({ operatorID: ids.bob, handleMessage: 'welcome' });
    expect(who(tip(g, 1))).toEqual(CAST);
    expect(tipOf('a1', g, 1).payload).toMatchObject({ operatorID: ids.bob, userIDList: [ids.dave] });
    expect(who(updated(g))).toEqual(['dave']);
    expect((await ok(conns.dave, 'group.get', { groupID: g })).group.selfInfo?.role).toBe('Member');

    const again = await conns.a1.request('group.handle-application', { groupID: g, applicant: ids.dave, handleAction: 'Reject' });
    expect(again.code).toBe(10024);
    expect((await ok(conns.a1, 'group.applications')).applicationList).toEqual([]);
  });

  it('reject → notice 3 to the applicant only, no tip, not a member', async () => {
    const g = await publicGroup('NeedPermission');
    await ok(conns.dave, 'group.join', { groupID: g });
    await observe(() => ok(conns.a1, 'group.handle-application', { groupID: g, applicant: ids.dave, handleAction: 'Reject', handleMessage: 'no' }));
    expect(who(notice(g, 3))).toEqual(['dave']);
    expect(noticeOf('dave', g, 3).payload.handleMessage).toBe('no');
    expect(who(tip(g, 1))).toEqual([]);
    expect((await conns.dave.request('group.get', { groupID: g })).code).toBe(0);
    expect((await ok(conns.dave, 'group.get', { groupID: g })).group.selfInfo).toBeNull();
    // Handling an application that never existed: 10004.
    expect((await conns.a1.request('group.handle-application', { groupID: g, applicant: ids.carol, handleAction: 'Agree' })).code).toBe(10004);
  });
});

describe('read state', () => {
  it('msg.read on a group: push.group-read to the reader’s other instances only', async () => {
    const g = await publicGroup();
    await ok(conns.bob, 'msg.send', { message: { ID: `r-${uid('x')}`, conversationType: 'GROUP', to: g, type: 'TIMTextElem', payload: { text: 'hi' }, clientTime: 1, random: 1 } });
    await settle(...Object.values(conns));
    const conv = await observe(() => ok(conns.a1, 'msg.read', { conversationID: `GROUP${g}` }));
    expect(conv.conversation).toMatchObject({ type: 'GROUP', unreadCount: 0 });
    const reads = who((f) => f.cmd === 'push.group-read');
    expect(reads).toEqual(['a2']);
    expect(conns.a2.frames.find((f) => f.cmd === 'push.group-read')).toMatchObject({ data: { groupID: g, readSeq: conv.conversation.lastSeq } });
    expect(who((f) => f.cmd === 'push.read')).toEqual([]);
  });
});

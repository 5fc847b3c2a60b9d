/**
 * The group commands of the admin REST API, end to end: what each one changes
 * and exactly which connections get its tip and system notice. Four users;
 * alice has two connections (a1, a2). The app administrator is not a member of
 * any group.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type ServerFrame, type SystemNoticePush, type WireMessage } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { CAST, createGroup, groupConversation, groupText, loginCast, memberIDs, isNotice, ok, refused, sendGroup, settle, isTip, uid, type Cast, type CastName } from '../groups/group-helpers.js';
import { ADMIN, expectFail, expectOK, rest } from './admin-helpers.js';

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
  cast = await loginCast(pool, srv, uid('r'));
  ({ ids, conns } = cast);
});
afterEach(() => pool.closeAll());

type Name = CastName;
const observe = <T>(action: () => Promise<T>): Promise<T> => cast.observe(action);
const who = (predicate: (f: ServerFrame) => boolean): Name[] => cast.who(predicate);
const tip = isTip;
const notice = isNotice;

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

/** A Public group owned by alice with bob and carol as members; dave is outside. */
async function publicGroup(): Promise<string> {
  const group = await createGroup(conns.a1, 'Public', { memberList: [{ userID: ids.bob }, { userID: ids.carol }] });
  await settle(...Object.values(conns));
  return group.groupID;
}

describe('send_group_system_notification (notice 255)', () => {
  it('to every member connection (both of alice’s), operatorID = the administrator, text in userDefinedField; outsiders get nothing', async () => {
    const g = await publicGroup();
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: g, Content: 'maintenance at 10:00' })));
    expect(who(notice(g, 255))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(noticeOf('a2', g, 255).payload).toMatchObject({
      operatorID: ADMIN,
      operationType: 255,
      userDefinedField: 'maintenance at 10:00',
      groupProfile: { groupID: g, name: 'Public group' },
    });
    // A notice is not a group message: no tip, no history.
    expect(who(tip(g, 255))).toEqual([]);
    expect((await groupConversation(conns.bob, g))?.lastSeq).toBe(1);
  });

  it('ToMembers_Account: only the listed members; listed non-members are ignored', async () => {
    const g = await publicGroup();
    await observe(async () =>
      expectOK(await rest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: g, Content: 'just you', ToMembers_Account: [ids.alice, ids.dave, 'nobody-at-all'] })),
    );
    expect(who(notice(g, 255))).toEqual(['a1', 'a2']);
    // An empty list is the whole group (Tencent: "empty = all members").
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: g, Content: 'all', ToMembers_Account: [] })));
    expect(who(notice(g, 255))).toEqual(['a1', 'a2', 'bob', 'carol']);
  });

  it('AVChatRoom: to every connection in the room (anonymous too); a recipient list → 10004', async () => {
    const room = (await createGroup(conns.a1, 'AVChatRoom')).groupID;
    await ok(conns.a1, 'group.join', { groupID: room });
    await ok(conns.bob, 'group.join', { groupID: room });
    const anon = await pool.connect(srv.wsUrl);
    await ok(anon, 'group.join-anonymous', { sdkAppID: srv.sdkAppID, groupID: room });
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: room, Content: 'live notice' })));
    expect(who(notice(room, 255))).toEqual(['a1', 'bob']);
    await anon.next((f) => f.cmd === 'push.system-notice' && f.data.payload.userDefinedField === 'live notice');
    expectFail(await rest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: room, Content: 'x', ToMembers_Account: [ids.bob] }), ErrorCode.InvalidParameters);
  });
});

describe('add_group_member', () => {
  it('adds to a Public group (app admin only): MemberList results 1/2, tip 1 to every member connection, notice 7 to the added users', async () => {
    const g = await publicGroup();
    const answer = await observe(async () =>
      expectOK(await rest(srv, 'group_open_http_svc/add_group_member', { GroupId: g, MemberList: [{ Member_Account: ids.dave }, { Member_Account: ids.bob }] })),
    );
    expect(answer['MemberList']).toEqual([
      { Member_Account: ids.dave, Result: 1 },
      { Member_Account: ids.bob, Result: 2 },
    ]);
    expect(who(tip(g, 1))).toEqual(CAST);
    expect(tipOf('dave', g, 1)).toMatchObject({ from: ADMIN, payload: { operatorID: ADMIN, userIDList: [ids.dave] } });
    expect(who(notice(g, 7))).toEqual(['dave']);
    expect(noticeOf('dave', g, 7).payload.operatorID).toBe(ADMIN);
    expect(await memberIDs(conns.dave, g)).toEqual([ids.alice, ids.bob, ids.carol, ids.dave].sort());
    // The owner herself may not add to a Public group over the SDK path.
    await refused(conns.a1, 'group.add-members', { groupID: g, userIDList: ['someone'] }, ErrorCode.NoPermission);
  });

  it('Silence 1: added without tip or notice; users that never logged in are added too', async () => {
    const g = await publicGroup();
    const stranger = uid('stranger');
    const answer = await observe(async () =>
      expectOK(await rest(srv, 'group_open_http_svc/add_group_member', { GroupId: g, Silence: 1, MemberList: [{ Member_Account: ids.dave }, { Member_Account: stranger }] })),
    );
    expect(answer['MemberList']).toEqual([
      { Member_Account: ids.dave, Result: 1 },
      { Member_Account: stranger, Result: 1 },
    ]);
    expect(who(tip(g, 1))).toEqual([]);
    expect(who(notice(g, 7))).toEqual([]);
    expect(await memberIDs(conns.a1, g)).toContain(stranger);
  });

  it('Result 0 for a user over the group limit; AVChatRoom → 10007; a full group → 10014', async () => {
    await using limited = await startTestServer({ config: { maxGroupsPerUser: 1 } });
    const owner = await pool.login(limited, 'owner');
    const busy = await pool.login(limited, 'busy');
    await createGroup(busy, 'Private');
    const { groupID } = await createGroup(owner, 'Public', { maxMemberNum: 3 });
    const answer = expectOK(await rest(limited, 'group_open_http_svc/add_group_member', { GroupId: groupID, MemberList: [{ Member_Account: 'busy' }, { Member_Account: 'fresh' }] }));
    expect(answer['MemberList']).toEqual([
      { Member_Account: 'busy', Result: 0 },
      { Member_Account: 'fresh', Result: 1 },
    ]);
    expectFail(await rest(limited, 'group_open_http_svc/add_group_member', { GroupId: groupID, MemberList: [{ Member_Account: 'x1' }, { Member_Account: 'x2' }] }), ErrorCode.GroupFull);
    const room = (await createGroup(owner, 'AVChatRoom')).groupID;
    expectFail(await rest(limited, 'group_open_http_svc/add_group_member', { GroupId: room, MemberList: [{ Member_Account: 'fresh' }] }), ErrorCode.NoPermission);
  });
});

describe('delete_group_member', () => {
  it('kicks: tip 3 (with the reason) to the remaining members, notice 4 to the removed; non-members are skipped', async () => {
    const g = await publicGroup();
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/delete_group_member', { GroupId: g, MemberToDel_Account: [ids.carol, ids.dave], Reason: 'spam' })));
    expect(who(tip(g, 3))).toEqual(['a1', 'a2', 'bob']);
    expect(tipOf('bob', g, 3).payload).toMatchObject({ operatorID: ADMIN, userIDList: [ids.carol], memberList: [{ userID: ids.carol, reason: 'spam' }] });
    expect(who(notice(g, 4))).toEqual(['carol']);
    expect(noticeOf('carol', g, 4).payload).toMatchObject({ operatorID: ADMIN, handleMessage: 'spam' });
    expect(await memberIDs(conns.bob, g)).toEqual([ids.alice, ids.bob].sort());
  });

  it('Silence 1: no tip to the group, the removed user still gets notice 4; the owner cannot be removed (10007)', async () => {
    const g = await publicGroup();
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/delete_group_member', { GroupId: g, Silence: 1, MemberToDel_Account: [ids.bob] })));
    expect(who(tip(g, 3))).toEqual([]);
    expect(who(notice(g, 4))).toEqual(['bob']);
    expectFail(await rest(srv, 'group_open_http_svc/delete_group_member', { GroupId: g, MemberToDel_Account: [ids.alice, ids.carol] }), ErrorCode.NoPermission);
    expect(await memberIDs(conns.a1, g)).toEqual([ids.alice, ids.carol].sort());
  });

  it('works in every type that has kicks, whoever owns it (Work: the owner only over the SDK path)', async () => {
    for (const type of ['Private', 'ChatRoom', 'Community'] as const) {
      const g = (await createGroup(conns.bob, type, { memberList: [{ userID: ids.carol }] })).groupID;
      expectOK(await rest(srv, 'group_open_http_svc/delete_group_member', { GroupId: g, MemberToDel_Account: [ids.carol] }));
      expect(await memberIDs(conns.bob, g)).toEqual([ids.bob]);
    }
  });
});

describe('forbid_send_msg', () => {
  it('mutes several members at once: one tip 7 naming them all; their sends fail 10017; MuteTime 0 unmutes', async () => {
    const g = await publicGroup();
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/forbid_send_msg', { GroupId: g, Members_Account: [ids.bob, ids.carol], MuteTime: 600 })));
    expect(who(tip(g, 7))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(tipOf('a2', g, 7).payload).toMatchObject({
      operatorID: ADMIN,
      userIDList: [ids.bob, ids.carol],
      memberList: [
        { userID: ids.bob, muteTime: 600 },
        { userID: ids.carol, muteTime: 600 },
      ],
    });
    await refused(conns.bob, 'msg.send', { message: groupText(g, 'hi') }, ErrorCode.MutedInGroup);
    await refused(conns.carol, 'msg.send', { message: groupText(g, 'hi') }, ErrorCode.MutedInGroup);
    await sendGroup(conns.a1, g, 'the owner is not muted');
    expectOK(await rest(srv, 'group_open_http_svc/forbid_send_msg', { GroupId: g, Members_Account: [ids.bob], MuteTime: 0 }));
    await sendGroup(conns.bob, g, 'unmuted');
    await refused(conns.carol, 'msg.send', { message: groupText(g, 'still muted') }, ErrorCode.MutedInGroup);
  });

  it('a non-member in the list → 10004 and nobody is muted; Work groups have no mute (10007); the owner cannot be muted (10007)', async () => {
    const g = await publicGroup();
    expectFail(await rest(srv, 'group_open_http_svc/forbid_send_msg', { GroupId: g, Members_Account: [ids.bob, ids.dave], MuteTime: 60 }), ErrorCode.InvalidParameters);
    await sendGroup(conns.bob, g, 'not muted');
    expectFail(await rest(srv, 'group_open_http_svc/forbid_send_msg', { GroupId: g, Members_Account: [ids.alice], MuteTime: 60 }), ErrorCode.NoPermission);
    const work = (await createGroup(conns.a1, 'Private', { memberList: [{ userID: ids.bob }] })).groupID;
    expectFail(await rest(srv, 'group_open_http_svc/forbid_send_msg', { GroupId: work, Members_Account: [ids.bob], MuteTime: 60 }), ErrorCode.NoPermission);
  });
});

describe('destroy_group', () => {
  it('dismisses any type, Work included (not the owner’s own SDK rule): notice 5 to every member connection; the group is gone', async () => {
    const work = (await createGroup(conns.bob, 'Private', { memberList: [{ userID: ids.alice }, { userID: ids.carol }] })).groupID;
    await settle(...Object.values(conns));
    await observe(async () => expectOK(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: work })));
    expect(who(notice(work, 5))).toEqual(['a1', 'a2', 'bob', 'carol']);
    expect(noticeOf('bob', work, 5).payload.operatorID).toBe(ADMIN);
    await refused(conns.bob, 'group.get', { groupID: work }, ErrorCode.GroupNotFound);
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: work }), ErrorCode.GroupNotFound);
  });
});

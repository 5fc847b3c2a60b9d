/**
 * AVChatRoom bans (spec §4.8 deleteGroupMember with `duration`, §7.2 tips 10/11,
 * §8.4 notice 21): who may ban, who hears what, that banned connections leave
 * the room and cannot rejoin until the ban ends or is lifted, and that bans
 * survive a restart. Banned bob has two connections in the room; carol and dave
 * are in it too, and so is an anonymous viewer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type ServerFrame, type SystemNoticePush, type WireMessage } from '@parley/protocol';
import { startTestServer, waitUntil, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { expectFail, expectOK, rest } from '../admin-api/admin-helpers.js';
import { clearFrames, createGroup, groupText, ok, refused, sendGroup, settle } from './group-helpers.js';

const pool = new ClientPool();
const servers: TestServer[] = [];

afterEach(async () => {
  pool.closeAll();
  for (const s of servers.splice(0)) await s.close();
});

let offsetMs = 0;

async function server(): Promise<TestServer> {
  offsetMs = 0;
  const srv = await startTestServer({ config: { maxWebInstances: 0 }, clock: { nowMs: () => Date.now() + offsetMs } });
  servers.push(srv);
  return srv;
}

interface Room {
  srv: TestServer;
  groupID: string;
  alice: RawClient;
  b1: RawClient;
  b2: RawClient;
  carol: RawClient;
  dave: RawClient;
  anon: RawClient;
  all: RawClient[];
}

/** alice owns the room; bob (two connections), carol, dave and an anonymous viewer are in it. */
async function room(srv: TestServer): Promise<Room> {
  const alice = await pool.login(srv, 'alice');
  const groupID = (await createGroup(alice, 'AVChatRoom')).groupID;
  const r: Omit<Room, 'all'> = {
    srv,
    groupID,
    alice,
    b1: await pool.login(srv, 'bob'),
    b2: await pool.login(srv, 'bob'),
    carol: await pool.login(srv, 'carol'),
    dave: await pool.login(srv, 'dave'),
    anon: await pool.connect(srv.wsUrl),
  };
  for (const c of [r.alice, r.b1, r.b2, r.carol, r.dave]) await ok(c, 'group.join', { groupID });
  await ok(r.anon, 'group.join-anonymous', { sdkAppID: srv.sdkAppID, groupID });
  const all = [r.alice, r.b1, r.b2, r.carol, r.dave, r.anon];
  await settle(r.alice, r.b1, r.b2, r.carol, r.dave);
  return { ...r, all };
}

async function observe<T>(r: Room, action: () => Promise<T>): Promise<T> {
  clearFrames(...r.all);
  const result = await action();
  await settle(r.alice, r.b1, r.b2, r.carol, r.dave);
  // The anonymous socket can only ping.
  await r.anon.request('ping');
  return result;
}

const tipOp =
  (groupID: string, operationType: number) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.message' && f.data.to === groupID && f.data.type === 'TIMGroupTipElem' && (f.data.payload as { operationType: number }).operationType === operationType;
const noticeOp =
  (groupID: string, operationType: number) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.system-notice' && f.data.groupID === groupID && f.data.payload.operationType === operationType;

function names(r: Room, predicate: (f: ServerFrame) => boolean): string[] {
  const named: Array<[string, RawClient]> = [
    ['alice', r.alice],
    ['b1', r.b1],
    ['b2', r.b2],
    ['carol', r.carol],
    ['dave', r.dave],
    ['anon', r.anon],
  ];
  return named.filter(([, c]) => c.frames.some(predicate)).map(([name]) => name);
}

function tipPayload(client: RawClient, groupID: string, operationType: number): Record<string, unknown> {
  const frame = client.frames.find(tipOp(groupID, operationType)) as { data: WireMessage } | undefined;
  if (!frame) throw new Error(`no tip ${operationType}`);
  return frame.data.payload;
}

async function onlineCount(r: Room): Promise<number> {
  return (await ok(r.carol, 'group.online-count', { groupID: r.groupID })).memberCount;
}

describe('banning by the owner (deleteGroupMember with duration)', () => {
  it('bob’s connections leave the room and get notice 21; everyone else in the room gets tip 10; bob cannot rejoin', async () => {
    const r = await room(await server());
    expect(await onlineCount(r)).toBe(5); // alice, bob, carol, dave + the anonymous viewer
    const res = await observe(r, () => ok(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['bob'], duration: 600, reason: 'spam' }));
    expect(res.userIDList).toEqual(['bob']);
    expect(res.group.groupID).toBe(r.groupID);

    expect(names(r, noticeOp(r.groupID, 21))).toEqual(['b1', 'b2']);
    const notice = (r.b2.frames.find(noticeOp(r.groupID, 21)) as SystemNoticePush).data;
    expect(notice.payload).toMatchObject({ operatorID: 'alice', operationType: 21, handleMessage: 'spam', groupProfile: { groupID: r.groupID } });
    expect(names(r, tipOp(r.groupID, 10))).toEqual(['alice', 'carol', 'dave', 'anon']);
    expect(tipPayload(r.carol, r.groupID, 10)).toMatchObject({ operatorID: 'alice', operationType: 10, userIDList: ['bob'], memberCount: 4 });

    // Out of the room: nothing reaches bob's connections, he cannot send, the room no longer counts him.
    const sent = await sendGroup(r.alice, r.groupID, 'after the ban', { priority: 'High' });
    await r.carol.next((f) => f.cmd === 'push.message' && f.data.ID === sent.ID);
    await settle(r.b1, r.b2);
    expect([r.b1, r.b2].map((c) => c.frames.some((f) => f.cmd === 'push.message' && f.data.ID === sent.ID))).toEqual([false, false]);
    await refused(r.b1, 'msg.send', { message: groupText(r.groupID, 'x') }, ErrorCode.NoPermission);
    expect(await onlineCount(r)).toBe(4);
    expect((await ok(r.carol, 'group.members', { groupID: r.groupID })).memberList.map((m) => m.userID).sort()).toEqual(['alice', 'carol', 'dave']);
    expect((await ok(r.b1, 'group.list')).groups.map((g) => g.groupID)).not.toContain(r.groupID);

    // Rejoining is refused (the spec has no "banned" code: 10007), on any connection, and the room hears nothing.
    const join = await refused(r.b1, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
    expect((join as { message: string }).message).toMatch(/banned/);
    await refused(r.b2, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
    const fresh = await pool.login(r.srv, 'bob');
    await refused(fresh, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
    expect(await onlineCount(r)).toBe(4);
  });

  it('unban (REST unban_group_member): tip 11 to the room, then bob may rejoin; a second unban changes nothing and sends no tip', async () => {
    const r = await room(await server());
    await ok(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['bob'], duration: 600 });
    await observe(r, async () => expectOK(await rest(r.srv, 'group_open_http_svc/unban_group_member', { GroupId: r.groupID, Members_Account: ['bob', 'carol'] })));
    expect(names(r, tipOp(r.groupID, 11))).toEqual(['alice', 'carol', 'dave', 'anon']);
    expect(tipPayload(r.dave, r.groupID, 11)).toMatchObject({ operatorID: 'administrator', operationType: 11, userIDList: ['bob'] });
    expect((await ok(r.b1, 'group.join', { groupID: r.groupID })).status).toBe('JoinedSuccess');
    expect(await onlineCount(r)).toBe(5);
    await observe(r, async () => expectOK(await rest(r.srv, 'group_open_http_svc/unban_group_member', { GroupId: r.groupID, Members_Account: ['bob'] })));
    expect(names(r, tipOp(r.groupID, 11))).toEqual([]);
  });

  it('a ban ends by itself when its duration has passed (no tip)', async () => {
    const r = await room(await server());
    await ok(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['bob'], duration: 30 });
    await refused(r.b1, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
    offsetMs = 31_000;
    expect((await ok(r.b1, 'group.join', { groupID: r.groupID })).status).toBe('JoinedSuccess');
  });

  it('bans survive a restart', async () => {
    const srv = await server();
    const r = await room(srv);
    await ok(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['bob', 'carol'], duration: 3600 });
    pool.closeAll();
    await srv.restart();
    const bob = await pool.login(srv, 'bob');
    await refused(bob, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
    const dave = await pool.login(srv, 'dave');
    expect((await ok(dave, 'group.join', { groupID: r.groupID })).status).toBe('JoinedSuccess');
    expectOK(await rest(srv, 'group_open_http_svc/unban_group_member', { GroupId: r.groupID, Members_Account: ['bob'] }));
    expect((await ok(bob, 'group.join', { groupID: r.groupID })).status).toBe('JoinedSuccess');
    const carol = await pool.login(srv, 'carol');
    await refused(carol, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
  });

  it('who may ban: the owner (in the room or not) and app administrators; not members; not without a duration (no kick in an AVChatRoom); not yourself or the owner', async () => {
    const r = await room(await server());
    await refused(r.carol, 'group.delete-members', { groupID: r.groupID, userIDList: ['dave'], duration: 60 }, ErrorCode.NoPermission);
    await refused(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['dave'] }, ErrorCode.NoPermission);
    await refused(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['dave'], duration: 0 }, ErrorCode.NoPermission);
    await refused(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['alice', 'dave'], duration: 60 }, ErrorCode.InvalidParameters);
    const admin = await pool.login(r.srv, 'administrator');
    await refused(admin, 'group.delete-members', { groupID: r.groupID, userIDList: ['alice'], duration: 60 }, ErrorCode.NoPermission);
    expect(await onlineCount(r)).toBe(5);
    // The owner outside the room bans too; so does an app administrator over WebSocket.
    await ok(r.alice, 'group.quit', { groupID: r.groupID });
    expect((await ok(r.alice, 'group.delete-members', { groupID: r.groupID, userIDList: ['dave'], duration: 60 })).userIDList).toEqual(['dave']);
    expect((await ok(admin, 'group.delete-members', { groupID: r.groupID, userIDList: ['carol'], duration: 60 })).userIDList).toEqual(['carol']);
    await waitUntil(async () => (await ok(r.b1, 'group.online-count', { groupID: r.groupID })).memberCount === 2, 'carol and dave out of the room');
    // Users not in the room (or never seen) can be banned ahead of time.
    await ok(admin, 'group.delete-members', { groupID: r.groupID, userIDList: ['eve'], duration: 60 });
    const eve = await pool.login(r.srv, 'eve');
    await refused(eve, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
  });

  it('in other group types a duration is ignored: delete-members kicks (tip 3, notice 4), no ban is stored', async () => {
    const srv = await server();
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const g = (await createGroup(alice, 'ChatRoom', { memberList: [{ userID: 'bob' }] })).groupID;
    await ok(alice, 'group.delete-members', { groupID: g, userIDList: ['bob'], duration: 600 });
    await bob.next((f) => f.cmd === 'push.system-notice' && f.data.payload.operationType === 4);
    expect((await ok(bob, 'group.join', { groupID: g })).status).toBe('JoinedSuccess');
  });
});

describe('banning through the admin REST API', () => {
  it('ban_group_member: same effects, operatorID = the administrator, Description in notice 21; several users at once', async () => {
    const r = await room(await server());
    await observe(r, async () =>
      expectOK(await rest(r.srv, 'group_open_http_svc/ban_group_member', { GroupId: r.groupID, Members_Account: ['bob', 'dave'], Duration: 120, Description: 'flooding' })),
    );
    expect(names(r, noticeOp(r.groupID, 21))).toEqual(['b1', 'b2', 'dave']);
    expect((r.dave.frames.find(noticeOp(r.groupID, 21)) as SystemNoticePush).data.payload).toMatchObject({ operatorID: 'administrator', handleMessage: 'flooding' });
    expect(names(r, tipOp(r.groupID, 10))).toEqual(['alice', 'carol', 'anon']);
    expect(tipPayload(r.alice, r.groupID, 10)).toMatchObject({ operatorID: 'administrator', userIDList: ['bob', 'dave'], memberCount: 3 });
    await refused(r.dave, 'group.join', { groupID: r.groupID }, ErrorCode.NoPermission);
  });

  it('not an AVChatRoom → 10007 (ban and unban); the owner → 10007; an unknown group → 10010', async () => {
    const srv = await server();
    const alice = await pool.login(srv, 'alice');
    for (const type of ['Private', 'Public', 'ChatRoom', 'Community'] as const) {
      const g = (await createGroup(alice, type, { memberList: [{ userID: 'bob' }] })).groupID;
      expectFail(await rest(srv, 'group_open_http_svc/ban_group_member', { GroupId: g, Members_Account: ['bob'], Duration: 60 }), ErrorCode.NoPermission);
      expectFail(await rest(srv, 'group_open_http_svc/unban_group_member', { GroupId: g, Members_Account: ['bob'] }), ErrorCode.NoPermission);
    }
    const roomID = (await createGroup(alice, 'AVChatRoom')).groupID;
    expectFail(await rest(srv, 'group_open_http_svc/ban_group_member', { GroupId: roomID, Members_Account: ['alice'], Duration: 60 }), ErrorCode.NoPermission);
    expectFail(await rest(srv, 'group_open_http_svc/ban_group_member', { GroupId: '@TGS#NOPE', Members_Account: ['bob'], Duration: 60 }), ErrorCode.GroupNotFound);
    // A dismissed room forgets its bans with it.
    expectOK(await rest(srv, 'group_open_http_svc/ban_group_member', { GroupId: roomID, Members_Account: ['bob'], Duration: 60 }));
    expectOK(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: roomID }));
    expectFail(await rest(srv, 'group_open_http_svc/unban_group_member', { GroupId: roomID, Members_Account: ['bob'] }), ErrorCode.GroupNotFound);
  });
});

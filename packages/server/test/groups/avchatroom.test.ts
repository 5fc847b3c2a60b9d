/**
 * AVChatRoom: live membership per connection, anonymous sockets that never log
 * in, messages that are delivered live and never stored, and the per-group send
 * rate limit that sheds Lowest/Low first and never High.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, type WireMessage } from '@parley/protocol';
import { startTestServer, waitUntil, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { createGroup, getGroup, groupConversation, groupMessages, groupText, notices, ok, refused, sendGroup, settle, tips, uid } from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

async function anonymous(server: TestServer, groupID: string): Promise<RawClient> {
  const client = await pool.connect(server.wsUrl);
  const res = await ok(client, 'group.join-anonymous', { sdkAppID: server.sdkAppID, groupID });
  expect(res).toEqual({ status: 'JoinedSuccess' });
  return client;
}

describe('AVChatRoom', () => {
  it('delivers live to joined connections only (anonymous ones too), stores nothing, counts no unread', async () => {
    const p = uid('av');
    const owner = await pool.login(srv, `${p}-owner`);
    const viewer = await pool.login(srv, `${p}-viewer`);
    const viewerOther = await pool.login(srv, `${p}-viewer`);
    const outsider = await pool.login(srv, `${p}-out`);
    const g = (await createGroup(owner, 'AVChatRoom')).groupID;

    // Not joined yet: sending is refused (the owner too).
    await refused(owner, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.NoPermission);
    const joined = await ok(owner, 'group.join', { groupID: g });
    expect(joined.status).toBe('JoinedSuccess');
    expect(joined.group?.selfInfo?.role).toBe('Owner');
    expect((await ok(owner, 'group.join', { groupID: g })).status).toBe('AlreadyInGroup');
    await ok(viewer, 'group.join', { groupID: g });
    const anon = await anonymous(srv, g);

    const sent = await sendGroup(owner, g, 'live!', { priority: 'High' });
    expect(sent).toMatchObject({ seq: 0, onlineOnly: false, from: `${p}-owner` });
    await settle(viewer, viewerOther, outsider, owner);
    await anon.next((f) => f.cmd === 'push.message' && f.data.ID === sent.ID);
    expect(groupMessages(viewer, g).map((m) => m.ID)).toContain(sent.ID);
    // Membership is per connection: the viewer's other connection did not join.
    expect(groupMessages(viewerOther, g)).toEqual([]);
    expect(groupMessages(outsider, g)).toEqual([]);
    expect(groupMessages(owner, g).filter((m) => m.ID === sent.ID)).toEqual([]);

    // No history, no conversation, no unread.
    expect(await ok(viewer, 'msg.list', { conversationID: `GROUP${g}` })).toEqual({ messages: [], isCompleted: true });
    expect(await groupConversation(viewer, g)).toBeUndefined();
    expect((await getGroup(viewer, g)).unreadCount).toBe(0);
    await refused(viewer, 'msg.revoke', { conversationID: `GROUP${g}`, messageID: sent.ID }, ErrorCode.GroupTypeNoRevoke);

    // group.list shows the room only on the connection that joined it.
    expect((await ok(viewer, 'group.list')).groups.map((x) => x.groupID)).toContain(g);
    expect((await ok(viewerOther, 'group.list')).groups.map((x) => x.groupID)).not.toContain(g);
    // Online count: two logged-in users and one anonymous socket; the member list shows the logged-in ones.
    expect((await ok(outsider, 'group.online-count', { groupID: g })).memberCount).toBe(3);
    expect((await getGroup(outsider, g)).memberCount).toBe(3);
    expect((await ok(viewer, 'group.members', { groupID: g })).memberList.map((m) => m.userID).sort()).toEqual([`${p}-owner`, `${p}-viewer`]);
    await refused(viewerOther, 'group.members', { groupID: g }, ErrorCode.NoPermission);

    // Leaving: quit, or closing the socket.
    await ok(viewer, 'group.quit', { groupID: g });
    await refused(viewer, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.NoPermission);
    await refused(viewer, 'group.quit', { groupID: g }, ErrorCode.NoPermission);
    anon.ws.terminate();
    await waitUntil(async () => (await ok(outsider, 'group.online-count', { groupID: g })).memberCount === 1, 'members to leave');
  });

  it('tips go live to the room; join/quit tips carry memberCount; profile changes reach anonymous sockets', async () => {
    const p = uid('avt');
    const owner = await pool.login(srv, `${p}-owner`);
    const viewer = await pool.login(srv, `${p}-viewer`);
    const g = (await createGroup(owner, 'AVChatRoom')).groupID;
    await ok(owner, 'group.join', { groupID: g });
    const anon = await anonymous(srv, g);
    await ok(viewer, 'group.join', { groupID: g });
    await anon.next((f) => f.cmd === 'push.message' && f.data.type === 'TIMGroupTipElem');
    const joinTip = tips(anon, g)[0]!;
    expect(joinTip).toMatchObject({ seq: 0, payload: { operationType: 1, userIDList: [`${p}-viewer`], memberCount: 3 } });
    await ok(owner, 'group.update', { groupID: g, notification: 'welcome' });
    await anon.next((f) => f.cmd === 'push.message' && f.data.type === 'TIMGroupTipElem' && (f.data.payload as { operationType: number }).operationType === 6);
    // Only the owner changes an AVChatRoom; muting is the owner's too.
    await refused(viewer, 'group.update', { groupID: g, notification: 'x' }, ErrorCode.NoPermission);
    await ok(owner, 'group.mute-member', { groupID: g, userID: `${p}-viewer`, muteTime: 60 });
    await refused(viewer, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.MutedInGroup);
    await refused(owner, 'group.set-role', { groupID: g, userID: `${p}-viewer`, role: 'Admin' }, ErrorCode.NoPermission);
  });

  it('anonymous sockets: only join-anonymous, quit and ping; no login afterwards; bad requests refused', async () => {
    const p = uid('ava');
    const owner = await pool.login(srv, `${p}-owner`);
    const g = (await createGroup(owner, 'AVChatRoom')).groupID;
    const work = (await createGroup(owner, 'Private')).groupID;
    const fresh = await pool.connect(srv.wsUrl);
    await refused(fresh, 'group.join-anonymous', { sdkAppID: srv.sdkAppID, groupID: work }, ErrorCode.NoPermission);
    await refused(fresh, 'group.join-anonymous', { sdkAppID: srv.sdkAppID, groupID: uid('missing') }, ErrorCode.GroupNotFound);
    await refused(fresh, 'group.join-anonymous', { sdkAppID: srv.sdkAppID + 1, groupID: g }, ErrorCode.UserSigSdkAppIdMismatch);
    await refused(fresh, 'group.quit', { groupID: g }, ErrorCode.NotLoggedIn);

    const anon = await anonymous(srv, g);
    await refused(anon, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.NotLoggedIn);
    await refused(anon, 'group.get', { groupID: g }, ErrorCode.NotLoggedIn);
    await refused(anon, 'conv.sync', {}, ErrorCode.NotLoggedIn);
    expect((await anon.request('ping')).code).toBe(0);
    const login = await anon.request('login', {
      sdkAppID: srv.sdkAppID,
      userID: `${p}-x`,
      userSig: srv.userSig(`${p}-x`),
      protocolVersion: PROTOCOL_VERSION,
      platform: 'web',
      instanceID: 'i',
    });
    expect(login.code).toBe(ErrorCode.AlreadyLoggedIn);
    // A logged-in socket uses group.join instead.
    await refused(owner, 'group.join-anonymous', { sdkAppID: srv.sdkAppID, groupID: g }, ErrorCode.AlreadyLoggedIn);
    // Quit, then nothing arrives any more; the socket stays usable.
    await ok(anon, 'group.quit', { groupID: g });
    await refused(anon, 'group.quit', { groupID: g }, ErrorCode.NoPermission);
    await ok(owner, 'group.join', { groupID: g });
    await sendGroup(owner, g, 'after quit');
    expect((await anon.request('ping')).code).toBe(0);
    expect(groupMessages(anon, g)).toEqual([]);
    // Anonymous sockets are not reaped by the login deadline.
    expect(anon.ws.readyState).toBe(anon.ws.OPEN);
  });

  it('dismiss: notice 5 to every connection in the room (anonymous included), then the room is gone', async () => {
    const p = uid('avd');
    const owner = await pool.login(srv, `${p}-owner`);
    const viewer = await pool.login(srv, `${p}-viewer`);
    const g = (await createGroup(owner, 'AVChatRoom')).groupID;
    await ok(viewer, 'group.join', { groupID: g });
    const anon = await anonymous(srv, g);
    await ok(owner, 'group.dismiss', { groupID: g });
    await anon.next((f) => f.cmd === 'push.system-notice' && f.data.payload.operationType === 5);
    await settle(viewer);
    expect(notices(viewer, g).map((n) => n.payload.operationType)).toEqual([5]);
    expect(notices(owner, g)).toEqual([]);
    await refused(viewer, 'msg.send', { message: groupText(g, 'x') }, ErrorCode.GroupNotFound);
    expect((await ok(viewer, 'group.list')).groups.map((x) => x.groupID)).not.toContain(g);
  });
});

describe('AVChatRoom send rate limit', () => {
  it('sheds Lowest and Low before Normal and never drops High (10023 for shed sends)', async () => {
    await using limited = await startTestServer({ config: { groupSendRatePerSecond: 10 } });
    const p = uid('rate');
    const sender = await pool.login(limited, `${p}-s`);
    const receiver = await pool.login(limited, `${p}-r`);
    const g = (await createGroup(sender, 'AVChatRoom')).groupID;
    await ok(sender, 'group.join', { groupID: g });
    await ok(receiver, 'group.join', { groupID: g });
    // Let the bucket refill after the join tips.
    await new Promise((r) => setTimeout(r, 1100));

    async function burst(priority: 'High' | 'Normal' | 'Low' | 'Lowest', n: number): Promise<{ ok: WireMessage[]; shed: number }> {
      const results = await Promise.all(Array.from({ length: n }, (_, i) => sender.request('msg.send', { message: groupText(g, `${priority} ${i}`, { priority }) })));
      const okays: WireMessage[] = [];
      let shed = 0;
      for (const r of results) {
        if (r.code === 0) okays.push((r as unknown as { data: { message: WireMessage } }).data.message);
        else {
          expect(r.code).toBe(ErrorCode.GroupSendFrequencyLimit);
          shed++;
        }
      }
      return { ok: okays, shed };
    }

    // A full bucket (10): Lowest may use only the top quarter, Low the top half.
    const lowest = await burst('Lowest', 10);
    const low = await burst('Low', 10);
    const normal = await burst('Normal', 10);
    const high = await burst('High', 30);
    expect(lowest.ok.length).toBeLessThanOrEqual(4);
    expect(lowest.shed).toBeGreaterThanOrEqual(6);
    expect(low.ok.length).toBeLessThanOrEqual(4);
    expect(normal.ok.length).toBeGreaterThanOrEqual(3);
    expect(normal.ok.length).toBeGreaterThan(low.ok.length);
    expect(high).toMatchObject({ shed: 0 });
    expect(high.ok).toHaveLength(30);
    // Under High load the bucket is empty: Normal is shed too, High still passes.
    const normalAfter = await burst('Normal', 5);
    expect(normalAfter.shed).toBeGreaterThanOrEqual(3);
    expect((await burst('High', 5)).shed).toBe(0);
    // Exactly the accepted messages were delivered.
    const accepted = [lowest, low, normal, high, normalAfter].flatMap((b) => b.ok.map((m) => m.ID));
    await settle(receiver);
    await waitUntil(() => groupMessages(receiver, g).filter((m) => m.type === 'TIMTextElem').length >= accepted.length + 5, 'deliveries');
    const delivered = groupMessages(receiver, g).filter((m) => m.type === 'TIMTextElem').map((m) => m.ID);
    for (const id of accepted) expect(delivered).toContain(id);
    expect(delivered).toHaveLength(accepted.length + 5);
  });
});

describe('AVChatRoom join/quit tips in busy rooms', () => {
  it('are coalesced from roomTipBatchFrom sockets on: one tip naming every joiner, then one naming every quitter', async () => {
    const busy = await startTestServer({ config: { maxWebInstances: 0, roomTipBatchFrom: 3 } });
    try {
      const p = uid('avb');
      const owner = await pool.login(busy, `${p}-owner`);
      const g = (await createGroup(owner, 'AVChatRoom')).groupID;
      await ok(owner, 'group.join', { groupID: g });
      const watcher = await anonymous(busy, g);
      // Two sockets in the room: this join is announced alone, at once.
      const first = await pool.login(busy, `${p}-u0`);
      await ok(first, 'group.join', { groupID: g });
      await watcher.next((f) => f.cmd === 'push.message' && f.data.type === 'TIMGroupTipElem');
      expect(tips(watcher, g).map((t) => t.payload)).toEqual([expect.objectContaining({ operationType: 1, operatorID: `${p}-u0`, userIDList: [`${p}-u0`] })]);
      // From three sockets on, the next joins within a second share one tip.
      const joiners = await Promise.all([1, 2, 3].map((i) => pool.login(busy, `${p}-u${i}`)));
      for (const c of joiners) await ok(c, 'group.join', { groupID: g });
      await waitUntil(() => tips(watcher, g).length === 2, 'the batched join tip');
      const batched = tips(watcher, g)[1]!;
      expect(batched.payload).toMatchObject({ operationType: 1, operatorID: `${p}-u1`, userIDList: [`${p}-u1`, `${p}-u2`, `${p}-u3`], memberCount: 6 });
      for (const c of joiners) await ok(c, 'group.quit', { groupID: g });
      await waitUntil(() => tips(watcher, g).length === 3, 'the batched quit tip');
      expect(tips(watcher, g)[2]!.payload).toMatchObject({ operationType: 2, userIDList: [`${p}-u1`, `${p}-u2`, `${p}-u3`] });
    } finally {
      await busy.close();
    }
  });
});

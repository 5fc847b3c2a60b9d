/**
 * Two real nodes sharing one SQLite file and a real Redis (startTestCluster),
 * clients on different nodes over real WebSockets: what a user of
 * `parley start --processes N` relies on. Skipped with a message when no
 * Redis answers, never under CI.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, type WireMessage } from '@parley/protocol';
import { sleep, startTestCluster, testRedisUrl, waitUntil, type RawClient, type TestCluster } from '@parley/testing';
import { ClientPool, closedWithin, listAll, pushes, send, textMessage } from '../helpers.js';
import { createGroup, groupMessages, ok, sendGroup } from '../groups/group-helpers.js';
import { rest } from '../admin-api/admin-helpers.js';

const redisUrl = await testRedisUrl();
const pool = new ClientPool();
const clusters: TestCluster[] = [];

afterEach(async () => {
  pool.closeAll();
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

async function cluster(config: Parameters<typeof startTestCluster>[0]['config'] = {}): Promise<TestCluster> {
  const c = await startTestCluster({ nodes: 2, redisUrl: redisUrl!, config: { maxWebInstances: 0, ...config } });
  clusters.push(c);
  return c;
}

/** What ClientPool.login needs to log in on one node of the cluster. */
function node(c: TestCluster, i: number) {
  const n = c.nodes[i]!;
  return { wsUrl: n.wsUrl, httpUrl: n.httpUrl, sdkAppID: c.sdkAppID, userSig: (userID: string) => c.userSig(userID) };
}

function messagePushes(client: RawClient): WireMessage[] {
  return pushes<WireMessage>(client, 'push.message');
}

describe.skipIf(redisUrl === null)('two nodes, one SQLite file, one Redis', () => {
  it('1:1 messages cross nodes both ways, once each, and the sender’s other device on the other node gets its copy', async () => {
    const c = await cluster();
    const alice = await pool.login(node(c, 0), 'alice', { instanceID: 'a-0' });
    const aliceElsewhere = await pool.login(node(c, 1), 'alice', { instanceID: 'a-1' });
    const bob = await pool.login(node(c, 1), 'bob');

    const toBob = await send(alice, textMessage('bob', 'hi from node 0'));
    const toAlice = await send(bob, textMessage('alice', 'hi from node 1'));
    await waitUntil(() => messagePushes(bob).length === 1 && messagePushes(alice).length === 1 && messagePushes(aliceElsewhere).length === 2, 'pushes');
    await sleep(150);
    expect(messagePushes(bob).map((m) => m.ID)).toEqual([toBob.message.ID]);
    expect(messagePushes(alice).map((m) => m.ID)).toEqual([toAlice.message.ID]);
    // Pushes from two nodes may interleave either way (the SDK releases them in seq order); each arrives once.
    expect(messagePushes(aliceElsewhere).map((m) => m.ID).sort()).toEqual([toBob.message.ID, toAlice.message.ID].sort());
    // Both nodes read the same history.
    expect((await listAll(bob, 'C2Calice')).map((m) => m.ID)).toEqual([toBob.message.ID, toAlice.message.ID]);
    expect((await listAll(alice, 'C2Cbob')).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('concurrent sends into one conversation from both nodes: every one stored once, seqs 1..n without gaps, every push once', async () => {
    const c = await cluster();
    const alice = await pool.login(node(c, 0), 'alice');
    const bob = await pool.login(node(c, 1), 'bob');
    const n = 150;
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) => [send(alice, textMessage('bob', `a${i}`)), send(bob, textMessage('alice', `b${i}`))]).flat(),
    );
    const seqs = sent.map((s) => s.message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    const history = await listAll(alice, 'C2Cbob');
    expect(history.map((m) => m.seq)).toEqual(seqs);
    await waitUntil(() => messagePushes(bob).length === n && messagePushes(alice).length === n, 'all pushes');
    await sleep(150);
    expect(new Set(messagePushes(bob).map((m) => m.ID)).size).toBe(n);
    expect(messagePushes(bob)).toHaveLength(n);
    // Each receiver sees its peer's messages in seq order.
    const bobSeqs = messagePushes(bob).map((m) => m.seq);
    expect(bobSeqs).toEqual([...bobSeqs].sort((x, y) => x - y));
    // A resend of the same client message ID on the other node is the stored original, not a second message.
    const first = sent[0]!.message;
    const again = await pool.login(node(c, 1), 'alice');
    const resent = await send(again, { ...textMessage('bob', 'a0'), ID: first.ID, random: first.random });
    expect(resent.duplicate).toBe(true);
    expect(resent.message.seq).toBe(first.seq);
  });

  it('a group message reaches members on both nodes; members added on one node get group-updated on the other', async () => {
    const c = await cluster();
    const owner = await pool.login(node(c, 0), 'owner');
    const m1 = await pool.login(node(c, 1), 'm1');
    const m2 = await pool.login(node(c, 0), 'm2');
    const group = await createGroup(owner, 'Private', { memberList: [{ userID: 'm1' }, { userID: 'm2' }] });
    const sent = await sendGroup(m1, group.groupID, 'to everyone');
    await waitUntil(() => groupMessages(owner, group.groupID).some((m) => m.ID === sent.ID) && groupMessages(m2, group.groupID).some((m) => m.ID === sent.ID), 'group pushes');
    // The sender's request connection gets no echo.
    expect(groupMessages(m1, group.groupID).filter((m) => m.ID === sent.ID)).toEqual([]);

    // m3 is online on node 1 only: node 0 must learn that from the broker to push the group to m3.
    const m3 = await pool.login(node(c, 1), 'm3');
    await ok(owner, 'group.add-members', { groupID: group.groupID, userIDList: ['m3', 'offline-user'] });
    await waitUntil(() => pushes(m3, 'push.group-updated').length === 1, 'push.group-updated on node 1');
    expect(pushes<{ groupID: string }>(m3, 'push.group-updated')[0]!.groupID).toBe(group.groupID);
    // The online count counts members online on either node (offline-user is not).
    expect((await ok(owner, 'group.online-count', { groupID: group.groupID })).memberCount).toBe(4);
  });

  it('the multi-instance rule kicks the older instance on the other node', async () => {
    const c = await cluster({ maxWebInstances: 1 });
    const older = await pool.login(node(c, 0), 'alice', { instanceID: 'tab-1' });
    const newer = await pool.login(node(c, 1), 'alice', { instanceID: 'tab-2' });
    const closed = await closedWithin(older, 3000);
    expect(closed.code).toBe(CloseCode.Kicked);
    expect(pushes(older, 'push.kicked')).toEqual([{ type: 'multipleAccount' }]);
    expect(newer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('a profile changed on one node is what the other node stamps on the next message (its cache was invalidated)', async () => {
    const c = await cluster();
    const aliceOn0 = await pool.login(node(c, 0), 'alice', { instanceID: 'x' });
    const aliceOn1 = await pool.login(node(c, 1), 'alice', { instanceID: 'y' });
    await pool.login(node(c, 1), 'bob');
    // Node 1 caches alice's (empty) nick with this send.
    expect((await send(aliceOn1, textMessage('bob', 'before'))).message.nick).toBe('');
    await ok(aliceOn0, 'profile.update', { profile: { nick: 'Alice A.' } });
    await waitUntil(async () => (await send(aliceOn1, textMessage('bob', 'after'))).message.nick === 'Alice A.', 'node 1 to see the new nick', 3000, 50);
  });

  it('AVChatRoom: members and an anonymous socket on both nodes get the room’s messages', async () => {
    const c = await cluster();
    const owner = await pool.login(node(c, 0), 'owner');
    const group = await createGroup(owner, 'AVChatRoom');
    await ok(owner, 'group.join', { groupID: group.groupID });
    const viewer = await pool.login(node(c, 1), 'viewer');
    await ok(viewer, 'group.join', { groupID: group.groupID });
    const anonymous = await pool.connect(c.nodes[1]!.wsUrl);
    await ok(anonymous, 'group.join-anonymous', { groupID: group.groupID, sdkAppID: c.sdkAppID });
    const fromOwner = await sendGroup(owner, group.groupID, 'live from node 0');
    const fromViewer = await sendGroup(viewer, group.groupID, 'live from node 1');
    await waitUntil(
      () =>
        groupMessages(viewer, group.groupID).some((m) => m.ID === fromOwner.ID) &&
        groupMessages(anonymous, group.groupID).filter((m) => m.type === 'TIMTextElem').length === 2 &&
        groupMessages(owner, group.groupID).some((m) => m.ID === fromViewer.ID),
      'room messages on both nodes',
    );
    // Once each; two senders on two nodes have no order between them (live messages carry no sequence).
    expect(groupMessages(anonymous, group.groupID).filter((m) => m.type === 'TIMTextElem').map((m) => m.ID).sort()).toEqual([fromOwner.ID, fromViewer.ID].sort());
    // The member count adds the other node's members (heard within about a second).
    await waitUntil(async () => (await ok(owner, 'group.online-count', { groupID: group.groupID })).memberCount === 3, 'three members counted on node 0', 4000, 100);
    await waitUntil(async () => (await ok(viewer, 'group.online-count', { groupID: group.groupID })).memberCount === 3, 'three members counted on node 1', 4000, 100);
    await ok(viewer, 'group.quit', { groupID: group.groupID });
    await waitUntil(async () => (await ok(owner, 'group.online-count', { groupID: group.groupID })).memberCount === 2, 'the quit counted on node 0', 4000, 100);
  });

  it('an admin REST kick on one node logs the user out on the other', async () => {
    const c = await cluster();
    const victim = await pool.login(node(c, 1), 'victim');
    const answer = await rest(node(c, 0), 'im_open_login_svc/kick', { UserID: 'victim' });
    expect(answer.body.ActionStatus).toBe('OK');
    expect(answer.body.ErrorCode).toBe(0);
    const closed = await closedWithin(victim, 3000);
    expect(closed.code).toBe(CloseCode.KickedByAdmin);
  });
});

/**
 * The real SDK against two real nodes sharing one SQLite file and a real
 * Redis (cluster mode): pushes for one conversation that come from two nodes
 * may interleave on the wire, and the SDK still emits them once each, in
 * sequence order. Skipped with a message when no Redis answers, never under CI.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, testRedisUrl, waitUntil, type TestCluster } from '@parley/testing';
import { Harness, type ServerAddress } from './helpers.js';

const redisUrl = await testRedisUrl();
let cluster: TestCluster | null = null;
const harnesses: Harness[] = [];

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.destroyAll()));
  await cluster?.close();
  cluster = null;
});

function onNode(c: TestCluster, i: number): Harness {
  const address: ServerAddress = { sdkAppID: c.sdkAppID, httpUrl: c.nodes[i]!.httpUrl, userSig: (userID: string) => c.userSig(userID) };
  const h = new Harness(address, { eventThrottling: false });
  harnesses.push(h);
  return h;
}

describe.skipIf(redisUrl === null)('SDK on a two-node cluster', () => {
  it('a user’s second instance on the other node gets both sides of a busy conversation once each, in sequence order', async () => {
    cluster = await startTestCluster({ nodes: 2, redisUrl: redisUrl!, config: { maxWebInstances: 0 } });
    const alice = await onNode(cluster, 0).login('alice');
    const aliceOther = await onNode(cluster, 1).login('alice');
    const bob = await onNode(cluster, 1).login('bob');
    const n = 40;
    await Promise.all([
      ...Array.from({ length: n }, (_, i) => alice.sendText('bob', `a${i}`)),
      ...Array.from({ length: n }, (_, i) => bob.sendText('alice', `b${i}`)),
    ]);
    await waitUntil(() => aliceOther.received().filter((m) => m.conversationID === 'C2Cbob').length >= 2 * n, 'both sides on the other instance', 10_000);
    const seen = aliceOther.received().filter((m) => m.conversationID === 'C2Cbob');
    expect(seen.map((m) => m.sequence)).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    expect(seen.filter((m) => m.flow === 'out')).toHaveLength(n);
    // Bob, on node 1, got alice's messages from node 0 in order.
    const fromAlice = bob.received().filter((m) => m.from === 'alice');
    expect(fromAlice.map((m) => (m.payload as { text: string }).text)).toEqual(Array.from({ length: n }, (_, i) => `a${i}`));
  });
});

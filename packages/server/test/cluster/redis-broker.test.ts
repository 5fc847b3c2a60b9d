/**
 * RedisBroker against a real Redis: two brokers are two nodes of one cluster
 * (same prefix). Skipped with a message when no Redis answers, never under CI.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisBroker, type Invalidation, type RoomDelivery, type UserDelivery } from '@parley/server';
import { sleep, testRedisUrl, waitUntil } from '@parley/testing';

const redisUrl = await testRedisUrl();
const brokers: RedisBroker[] = [];
const admins: Redis[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  for (const r of admins.splice(0)) r.disconnect();
});

/** Two nodes of a cluster no other test shares. */
async function twoNodes(roomCountIntervalMs = 1000): Promise<[RedisBroker, RedisBroker]> {
  const prefix = `broker-test-${randomBytes(6).toString('hex')}:`;
  const a = await RedisBroker.connect({ url: redisUrl!, prefix, timeoutMs: 3000, roomCountIntervalMs });
  const b = await RedisBroker.connect({ url: redisUrl!, prefix, timeoutMs: 3000, roomCountIntervalMs });
  brokers.push(a, b);
  return [a, b];
}

function collectUser(broker: RedisBroker, userID: string): Array<UserDelivery> {
  const got: UserDelivery[] = [];
  broker.subscribeUser(userID, (id, delivery) => {
    expect(id).toBe(userID);
    got.push(delivery);
  });
  return got;
}

describe.skipIf(redisUrl === null)('RedisBroker', () => {
  it('delivers to a user on the other node exactly once, frame byte for byte, and once locally', async () => {
    const [a, b] = await twoNodes();
    const onB = collectUser(b, 'bob');
    const onA = collectUser(a, 'bob');
    await Promise.all([a.ready(), b.ready()]);
    const frame = '{"cmd":"push.message","data":{"text":"two\\nlines, 中文, \\"quoted\\""}}\n{"tail":true}';
    await a.publishToUser('bob', { kind: 'frame', frame, excludeConnectionID: 'c-1' });
    await waitUntil(() => onB.length === 1, 'the delivery on node B');
    expect(onB).toEqual([{ kind: 'frame', frame, excludeConnectionID: 'c-1' }]);
    // The publisher's own subscription got it synchronously and ignores the copy coming back from Redis.
    await sleep(100);
    expect(onA).toEqual([{ kind: 'frame', frame, excludeConnectionID: 'c-1' }]);
    expect(onB).toHaveLength(1);
  });

  it('passes session-opened and kicked deliveries across nodes', async () => {
    const [a, b] = await twoNodes();
    const onB = collectUser(b, 'alice');
    await b.ready();
    const opened: UserDelivery = { kind: 'session-opened', connectionID: 'c-9', instanceID: 'i-1', platform: 'web', openedAt: 123 };
    await a.publishToUser('alice', opened);
    await a.publishToUser('alice', { kind: 'kicked', type: 'REST_API_Kick' });
    await waitUntil(() => onB.length === 2, 'both deliveries on node B');
    expect(onB).toEqual([opened, { kind: 'kicked', type: 'REST_API_Kick' }]);
  });

  it('publishToUsers: short lists and bulk lists reach exactly the listed users on each node', async () => {
    const [a, b] = await twoNodes();
    const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
    const got = new Map<string, string[]>();
    users.forEach((userID, i) => {
      // Even users on node A, odd on node B.
      (i % 2 === 0 ? a : b).subscribeUser(userID, (_id, d) => got.set(userID, [...(got.get(userID) ?? []), d.kind === 'frame' ? d.frame : d.kind]));
    });
    await Promise.all([a.ready(), b.ready()]);
    await a.publishToUsers(users.slice(0, 3), { kind: 'frame', frame: 'short' });
    await a.publishToUsers(users.slice(5, 25), { kind: 'frame', frame: 'bulk' });
    await a.publishToUsers(['nobody-1', 'nobody-2'], { kind: 'frame', frame: 'lost' });
    await waitUntil(() => got.get('u23')?.length === 1 && got.get('u1')?.length === 1, 'the remote deliveries');
    await sleep(100);
    users.forEach((userID, i) => {
      const expected = [...(i < 3 ? ['short'] : []), ...(i >= 5 && i < 25 ? ['bulk'] : [])];
      expect(got.get(userID) ?? [], userID).toEqual(expected);
    });
  });

  it('keeps the publish order of one node across per-user and bulk deliveries', async () => {
    const [a, b] = await twoNodes();
    const onB = collectUser(b, 'carol');
    for (let i = 0; i < 20; i++) b.subscribeUser(`member-${i}`, () => {});
    await b.ready();
    const members = ['carol', ...Array.from({ length: 20 }, (_, i) => `member-${i}`)];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) void a.publishToUsers(members, { kind: 'frame', frame: String(i) });
      else void a.publishToUser('carol', { kind: 'frame', frame: String(i) });
    }
    await waitUntil(() => onB.length === 300, '300 deliveries', 10_000);
    expect(onB.map((d) => (d.kind === 'frame' ? Number(d.frame) : -1))).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('rooms: frames, evictions and closes reach the other node’s subscribers only while subscribed', async () => {
    const [a, b] = await twoNodes();
    const got: RoomDelivery[] = [];
    const unsubscribe = b.subscribeGroup('@TGS#room', (groupID, d) => {
      expect(groupID).toBe('@TGS#room');
      got.push(d);
    });
    await b.ready();
    await a.publishToGroup('@TGS#room', { kind: 'frame', frame: 'hello', excludeConnectionID: 'x' });
    await a.publishToGroup('@TGS#room', { kind: 'evicted', userIDList: ['eve'] });
    await a.publishToGroup('@TGS#room', { kind: 'closed' });
    await waitUntil(() => got.length === 3, 'three room deliveries');
    expect(got).toEqual([{ kind: 'frame', frame: 'hello', excludeConnectionID: 'x' }, { kind: 'evicted', userIDList: ['eve'] }, { kind: 'closed' }]);
    unsubscribe();
    await a.publishToGroup('@TGS#room', { kind: 'frame', frame: 'after' });
    await sleep(150);
    expect(got).toHaveLength(3);
  });

  it('onlineAmong sees subscriptions on every node, and forgets them on unsubscribe', async () => {
    const [a, b] = await twoNodes();
    a.subscribeUser('on-a', () => {});
    const offB = b.subscribeUser('on-b', () => {});
    await Promise.all([a.ready(), b.ready()]);
    expect([...(await a.onlineAmong(['on-a', 'on-b', 'off']))].sort()).toEqual(['on-a', 'on-b']);
    expect([...(await b.onlineAmong(['on-a', 'on-b', 'off']))].sort()).toEqual(['on-a', 'on-b']);
    offB();
    await waitUntil(async () => !(await a.onlineAmong(['on-b'])).has('on-b'), 'on-b offline');
    // Large lists are asked in chunks.
    const many = Array.from({ length: 2500 }, (_, i) => `x${i}`);
    expect((await a.onlineAmong([...many, 'on-a'])).size).toBe(1);
  });

  it('AVChatRoom counts: each node learns the others’ within a period, drops them when a node leaves or goes silent', async () => {
    const [a, b] = await twoNodes(50);
    const c = await RedisBroker.connect({ url: redisUrl!, prefix: 'never-used:', roomCountIntervalMs: 50 });
    brokers.push(c);
    a.setRoomCount('room-1', 7);
    b.setRoomCount('room-1', 5);
    b.setRoomCount('room-2', 1);
    await waitUntil(() => a.roomCountElsewhere('room-1') === 5 && b.roomCountElsewhere('room-1') === 7, 'counts exchanged');
    expect(a.roomCountElsewhere('room-2')).toBe(1);
    expect(b.roomCountElsewhere('room-2')).toBe(0);
    b.setRoomCount('room-2', 0);
    await waitUntil(() => a.roomCountElsewhere('room-2') === 0, 'room-2 emptied');
    expect(a.roomCountElsewhere('room-1')).toBe(5);
    // A node that closes withdraws its counts at once.
    await b.close();
    await waitUntil(() => a.roomCountElsewhere('room-1') === 0, 'node B withdrawn', 500);
    // Another cluster's counts never mix in.
    expect(c.roomCountElsewhere('room-1')).toBe(0);
  });

  it('a node that stops refreshing its counts is dropped after the TTL', async () => {
    const [a, b] = await twoNodes(20);
    b.setRoomCount('room-x', 3);
    await waitUntil(() => a.roomCountElsewhere('room-x') === 3, 'count heard');
    // Simulate a crash: B's publisher is gone without withdrawing anything.
    (b as unknown as { pub: Redis }).pub.disconnect();
    await waitUntil(() => a.roomCountElsewhere('room-x') === 0, 'the stale count to expire', 3000);
  });

  it('invalidations reach the other nodes, not the publisher', async () => {
    const [a, b] = await twoNodes();
    const onA: Invalidation[] = [];
    const onB: Invalidation[] = [];
    a.onInvalidation((i) => onA.push(i));
    b.onInvalidation((i) => onB.push(i));
    await a.publishInvalidation({ kind: 'profile', userIDs: ['alice', 'bob'] });
    await waitUntil(() => onB.length === 1, 'the invalidation on node B');
    await sleep(100);
    expect(onB).toEqual([{ kind: 'profile', userIDs: ['alice', 'bob'] }]);
    expect(onA).toEqual([]);
  });

  it('clusters with different prefixes do not hear each other', async () => {
    const [a] = await twoNodes();
    const other = await RedisBroker.connect({ url: redisUrl!, prefix: `broker-test-${randomBytes(6).toString('hex')}:` });
    brokers.push(other);
    const got = collectUser(other, 'bob');
    await other.ready();
    await a.publishToUser('bob', { kind: 'frame', frame: 'not yours' });
    await sleep(150);
    expect(got).toEqual([]);
  });

  it('after losing its Redis subscription it re-subscribes and asks for a resync', async () => {
    const [a, b] = await twoNodes();
    const onB = collectUser(b, 'dave');
    await b.ready();
    let resyncs = 0;
    b.onResync(() => resyncs++);
    const admin = new Redis(redisUrl!);
    admins.push(admin);
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const subscriber = list.split('\n').find((line) => line.includes(`name=parley-${b.nodeID}`) && / sub=[1-9]/.test(line));
    const id = /\bid=(\d+)/.exec(subscriber ?? '')?.[1];
    expect(id, 'subscriber connection of node B').toBeDefined();
    await admin.call('CLIENT', 'KILL', 'ID', id!);
    await waitUntil(() => resyncs === 1, 'a resync', 10_000);
    // The subscription is back: deliveries flow again.
    await waitUntil(async () => {
      await a.publishToUser('dave', { kind: 'frame', frame: 'again' });
      await sleep(50);
      return onB.some((d) => d.kind === 'frame' && d.frame === 'again');
    }, 'deliveries after the re-subscription', 10_000);
  });

  it('connect() rejects (does not hang) when Redis is unreachable', async () => {
    const started = Date.now();
    await expect(RedisBroker.connect({ url: 'redis://127.0.0.1:1', timeoutMs: 500 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

/**
 * The blacklist through the real SDK and server (spec tim-api.md §4.1
 * initial sync, §4.6 getBlacklist/addToBlacklist/removeFromBlacklist, §6.1
 * BLACKLIST_UPDATED, §4.3 20007): loaded before SDK_READY, the whole list
 * on every answer and event, both instances of a user in step, bad input,
 * limits, and enforcement on C2C sends (20007, nothing reaches the blocker,
 * resend after unblocking).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, type Message } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer, type TestServerOptions } from '@parley/testing';
import { Harness, NetworkSwitch, rejectionOf, type TestUser } from './helpers.js';

let srv: TestServer | undefined;
let h: Harness | undefined;

async function setup(config: TestServerOptions['config'] = {}): Promise<{ srv: TestServer; h: Harness }> {
  srv = await startTestServer({ config: { maxWebInstances: 0, ...config } });
  h = new Harness(srv);
  return { srv, h };
}

afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
});

function blacklistEvents(user: TestUser): string[][] {
  return user.eventsOf(EVENT.BLACKLIST_UPDATED).map((e) => e.snapshot as string[]);
}

async function blacklistOf(user: TestUser): Promise<string[]> {
  const res = await user.tim.getBlacklist();
  expect(res.code).toBe(0);
  return res.data;
}

describe('blacklist: loading at login', () => {
  it('a fresh user: BLACKLIST_UPDATED [] before SDK_READY; getBlacklist() resolves []', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const names = alice.events.map((e) => e.name);
    expect(names.indexOf(EVENT.BLACKLIST_UPDATED)).toBeGreaterThanOrEqual(0);
    expect(names.indexOf(EVENT.BLACKLIST_UPDATED)).toBeLessThan(names.indexOf(EVENT.SDK_READY));
    expect(blacklistEvents(alice)).toEqual([[]]);
    expect(await blacklistOf(alice)).toEqual([]);
  });

  it('the stored list is already there inside the SDK_READY handler, and was announced before it', async () => {
    const { h } = await setup();
    await h.login('bob');
    await h.login('carol');
    const alice = await h.login('alice');
    await alice.tim.addToBlacklist({ userIDList: ['carol'] });
    await alice.tim.addToBlacklist({ userIDList: ['bob'] });

    const again = h.create('alice');
    let inReady: Promise<{ data: string[] }> | undefined;
    again.tim.on(EVENT.SDK_READY, function onReady() {
      inReady = again.tim.getBlacklist();
    });
    await again.login();
    expect(inReady).toBeDefined();
    expect((await inReady!).data).toEqual(['carol', 'bob']);
    const names = again.events.map((e) => e.name);
    expect(names.indexOf(EVENT.BLACKLIST_UPDATED)).toBeLessThan(names.indexOf(EVENT.SDK_READY));
    expect(blacklistEvents(again)).toEqual([['carol', 'bob']]);
  });
});

describe('addToBlacklist / removeFromBlacklist', () => {
  it('resolve with the whole list (in the order added); BLACKLIST_UPDATED on both instances; getBlacklist agrees everywhere', async () => {
    const { h } = await setup();
    await h.login('bob');
    await h.login('carol');
    await h.login('dave');
    const first = await h.login('alice');
    const second = await h.login('alice');
    first.clearEvents();
    second.clearEvents();

    const added = await first.tim.addToBlacklist({ userIDList: ['bob'] });
    expect(added).toEqual({ code: 0, data: ['bob'] });
    await second.waitForEvent(EVENT.BLACKLIST_UPDATED);
    expect(blacklistEvents(first)).toEqual([['bob']]);
    expect(blacklistEvents(second)).toEqual([['bob']]);

    expect((await second.tim.addToBlacklist({ userIDList: ['carol', 'dave'] })).data).toEqual(['bob', 'carol', 'dave']);
    await first.waitForEvent(EVENT.BLACKLIST_UPDATED, 2);
    expect(blacklistEvents(first).at(-1)).toEqual(['bob', 'carol', 'dave']);
    expect(await blacklistOf(first)).toEqual(['bob', 'carol', 'dave']);

    expect((await first.tim.removeFromBlacklist({ userIDList: ['carol', 'nobody'] })).data).toEqual(['bob', 'dave']);
    await second.waitForEvent(EVENT.BLACKLIST_UPDATED, 3);
    expect(await blacklistOf(second)).toEqual(['bob', 'dave']);

    // No change: no event anywhere, but the call still resolves with the whole list.
    expect((await first.tim.addToBlacklist({ userIDList: ['bob'] })).data).toEqual(['bob', 'dave']);
    expect((await first.tim.removeFromBlacklist({ userIDList: ['carol'] })).data).toEqual(['bob', 'dave']);
    await sleep(200);
    expect(blacklistEvents(first)).toEqual([['bob'], ['bob', 'carol', 'dave'], ['bob', 'dave']]);
    expect(blacklistEvents(second)).toEqual(blacklistEvents(first));

    expect((await second.tim.removeFromBlacklist({ userIDList: ['bob', 'dave'] })).data).toEqual([]);
    await first.waitForEvent(EVENT.BLACKLIST_UPDATED, 4);
    expect(await blacklistOf(first)).toEqual([]);
    // A later login of the same user loads what is stored.
    const third = await h.login('alice');
    expect(await blacklistOf(third)).toEqual([]);
  });

  it('[self] rejects 2742 without a request; self in a longer list is dropped; removing only yourself changes nothing', async () => {
    const { h } = await setup();
    await h.login('bob');
    const alice = await h.login('alice');
    const other = await h.login('alice');
    alice.clearEvents();
    other.clearEvents();

    const err = await rejectionOf(alice.tim.addToBlacklist({ userIDList: ['alice'] }));
    expect(err.code).toBe(2742);
    expect(err).toBeInstanceOf(Error);
    expect((await rejectionOf(alice.tim.addToBlacklist({ userIDList: ['alice', 'alice'] }))).code).toBe(2742);
    expect((await alice.tim.addToBlacklist({ userIDList: ['alice', 'bob'] })).data).toEqual(['bob']);
    expect((await alice.tim.removeFromBlacklist({ userIDList: ['alice'] })).data).toEqual(['bob']);
    await other.waitForEvent(EVENT.BLACKLIST_UPDATED);
    await sleep(200);
    expect(blacklistEvents(alice)).toEqual([['bob']]);
    expect(blacklistEvents(other)).toEqual([['bob']]);
  });

  it('throws "Params validate failed." synchronously when userIDList is missing, empty or not strings', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    for (const bad of [undefined, null, 'bob', {}, { userIDList: [] }, { userIDList: 'bob' }, { userIDList: [1] }, { userIDList: [null] }]) {
      const options = bad as unknown as { userIDList: string[] };
      expect(() => alice.tim.addToBlacklist(options), JSON.stringify(bad)).toThrow('Params validate failed.');
      expect(() => alice.tim.removeFromBlacklist(options), JSON.stringify(bad)).toThrow('Params validate failed.');
    }
    expect(await blacklistOf(alice)).toEqual([]);
  });

  it('unknown users → 30003 and nothing changes (all or nothing)', async () => {
    const { h } = await setup();
    await h.login('bob');
    const alice = await h.login('alice');
    alice.clearEvents();
    const err = await rejectionOf(alice.tim.addToBlacklist({ userIDList: ['bob', 'never-logged-in'] }));
    expect(err.code).toBe(30003);
    expect(await blacklistOf(alice)).toEqual([]);
    const fresh = await h.login('alice');
    expect(await blacklistOf(fresh)).toEqual([]);
    expect(blacklistEvents(alice)).toEqual([]);
  });

  it('the configured limits: a full list → 30013, a too-large batch → 30001; nothing changes', async () => {
    const { h } = await setup({ maxBlacklistSize: 2, maxBlacklistBatch: 3 });
    for (const u of ['bob', 'carol', 'dave']) await h.login(u);
    const alice = await h.login('alice');
    expect((await alice.tim.addToBlacklist({ userIDList: ['bob', 'carol'] })).data).toEqual(['bob', 'carol']);
    expect((await rejectionOf(alice.tim.addToBlacklist({ userIDList: ['dave'] }))).code).toBe(30013);
    expect((await rejectionOf(alice.tim.removeFromBlacklist({ userIDList: ['bob', 'x1', 'x2', 'x3'] }))).code).toBe(30001);
    expect(await blacklistOf(alice)).toEqual(['bob', 'carol']);
  });

  it('an instance that was offline during a change catches up on reconnect (BLACKLIST_UPDATED)', async () => {
    const { h } = await setup();
    await h.login('bob');
    const net = new NetworkSwitch();
    const first = await h.login('alice');
    const second = await h.login('alice', { WebSocket: net.WebSocket });
    second.clearEvents();
    net.cut();
    await waitUntil(() => second.netStates().includes('disconnected'), 'the second instance to notice');
    await first.tim.addToBlacklist({ userIDList: ['bob'] });
    net.restore();
    await second.waitForEvent(EVENT.BLACKLIST_UPDATED, 1, 10_000);
    expect(blacklistEvents(second)).toEqual([['bob']]);
    expect(await blacklistOf(second)).toEqual(['bob']);
  });
});

describe('enforcement', () => {
  it('a blocked sender gets 20007 (status fail, err.data.message); the blocker gets nothing; resend after removeFromBlacklist succeeds', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await bob.sendText('alice', 'hello before');
    await alice.waitForReceived(1);
    const unreadBefore = alice.tim.getTotalUnreadMessageCount();
    const convBefore = await alice.conversation('C2Cbob');
    expect(convBefore?.unreadCount).toBe(1);

    await alice.tim.addToBlacklist({ userIDList: ['bob'] });
    alice.clearEvents();

    const message = bob.text('alice', 'can you hear me?');
    const err = await rejectionOf(bob.tim.sendMessage(message));
    expect(err.code).toBe(20007);
    expect(err.data['message']).toBe(message);
    expect(message.status).toBe('fail');
    // Other kinds of message are refused the same way.
    const custom = bob.tim.createCustomMessage({ to: 'alice', conversationType: 'C2C', payload: { data: 'x' } });
    expect((await rejectionOf(bob.tim.sendMessage(custom))).code).toBe(20007);

    await sleep(400);
    expect(alice.received()).toHaveLength(0);
    expect(alice.eventsOf(EVENT.CONVERSATION_LIST_UPDATED)).toHaveLength(0);
    expect(alice.eventsOf(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED)).toHaveLength(0);
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(unreadBefore);
    expect((await alice.conversation('C2Cbob'))?.lastMessage.payload).toEqual({ text: 'hello before' });
    expect((await alice.history('C2Cbob')).messages.map((m) => m.payload['text'])).toEqual(['hello before']);
    // Nothing was stored on the sender's side either.
    expect((await bob.history('C2Calice')).messages.map((m) => m.payload['text'])).toEqual(['hello before']);
    const aliceFresh = await h.login('alice');
    expect((await aliceFresh.conversation('C2Cbob'))?.unreadCount).toBe(1);

    // The blocker can still write to the blocked user.
    await alice.sendText('bob', 'I can still write to you');
    await bob.waitForReceived(1);

    await alice.tim.removeFromBlacklist({ userIDList: ['bob'] });
    const res = await bob.tim.resendMessage(message);
    expect(res.data.message).toBe(message);
    expect(message).toMatchObject({ status: 'success', isResend: true });
    const [got] = await alice.waitForReceived(1);
    expect(got).toMatchObject({ ID: message.ID, from: 'bob', payload: { text: 'can you hear me?' } });
    await waitUntil(() => alice.tim.getTotalUnreadMessageCount() === unreadBefore + 1, 'alice unread +1');
  });

  it('three users: blocking is per pair and one-way', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol');
    await alice.tim.addToBlacklist({ userIDList: ['bob'] });

    expect((await rejectionOf(bob.tim.sendMessage(bob.text('alice', 'blocked')))).code).toBe(20007);
    await carol.sendText('alice', 'carol to alice');
    await bob.sendText('carol', 'bob to carol');
    await alice.sendText('bob', 'alice to bob');
    await alice.waitForReceived(1);
    await carol.waitForReceived(1);
    await bob.waitForReceived(1);
    expect(alice.received().map((m: Message) => m.from)).toEqual(['carol']);
    expect(carol.received().map((m: Message) => m.from)).toEqual(['bob']);
    expect(bob.received().map((m: Message) => m.from)).toEqual(['alice']);

    // Carol blocking bob does not affect alice's list.
    await carol.tim.addToBlacklist({ userIDList: ['bob'] });
    expect(await blacklistOf(alice)).toEqual(['bob']);
    expect(await blacklistOf(carol)).toEqual(['bob']);
    expect((await rejectionOf(bob.tim.sendMessage(bob.text('carol', 'now blocked too')))).code).toBe(20007);
  });

  it('two connections of the blocker: neither receives anything from the blocked user', async () => {
    const { h } = await setup();
    const first = await h.login('alice');
    const second = await h.login('alice');
    const bob = await h.login('bob');
    await first.tim.addToBlacklist({ userIDList: ['bob'] });
    await second.waitForEvent(EVENT.BLACKLIST_UPDATED, 2); // the initial one and the push
    const m = bob.text('alice', 'x');
    expect((await rejectionOf(bob.tim.sendMessage(m))).code).toBe(20007);
    await sleep(300);
    expect(first.received()).toHaveLength(0);
    expect(second.received()).toHaveLength(0);
    expect(second.tim.getTotalUnreadMessageCount()).toBe(0);
  });
});

/**
 * Multi-instance kick-out with the server's default config (maxWebInstances 1,
 * Tencent's default): a second login of the same user on another instance
 * kicks the first (spec tim-api.md §12, §2.3 not-ready reason 3003).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, TYPES } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, rejectionOf } from './helpers.js';

let srv: TestServer | undefined;
let h: Harness | undefined;

afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
});

describe('kick-out (maxWebInstances 1)', () => {
  it('the older instance gets KICKED_OUT {multipleAccount} then SDK_NOT_READY, and its calls reject 3003', async () => {
    srv = await startTestServer();
    expect(srv.server.config.maxWebInstances).toBe(1);
    h = new Harness(srv);
    const first = await h.login('alice');
    const bob = await h.login('bob');
    await first.sendText('bob', 'from the first instance');

    const second = await h.login('alice');
    await first.waitForEvent(EVENT.KICKED_OUT);
    await first.waitForEvent(EVENT.SDK_NOT_READY);
    expect(first.eventsOf(EVENT.KICKED_OUT).map((e) => e.data)).toEqual([{ type: TYPES.KICKED_OUT_MULT_ACCOUNT }]);
    expect(TYPES.KICKED_OUT_MULT_ACCOUNT).toBe('multipleAccount');
    const names = first.events.map((e) => e.name);
    expect(names.indexOf(EVENT.KICKED_OUT)).toBeLessThan(names.indexOf(EVENT.SDK_NOT_READY));
    expect(first.eventsOf(EVENT.SDK_NOT_READY)).toHaveLength(1);
    expect(first.tim.isReady()).toBe(false);
    expect(first.tim.getLoginUser()).toBe('');

    // Every gated call on the kicked instance rejects with 3003 and emits ERROR.
    const errorsBefore = first.eventsOf(EVENT.ERROR).length;
    for (const call of [
      () => first.tim.getConversationList(),
      () => first.tim.getMessageList({ conversationID: 'C2Cbob' }),
      () => first.tim.setMessageRead({ conversationID: 'C2Cbob' }),
      () => first.tim.getConversationProfile('C2Cbob'),
    ]) {
      const err = await rejectionOf(call());
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(3003);
    }
    // Even a synchronous creator answers with a rejected promise.
    const created = first.tim.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'x' } }) as unknown as Promise<unknown>;
    expect((await rejectionOf(created)).code).toBe(3003);
    expect(first.eventsOf(EVENT.ERROR).length).toBe(errorsBefore + 5);
    expect((first.eventsOf(EVENT.ERROR).at(-1)?.data as { code: number }).code).toBe(3003);

    // The kicked instance does not reconnect (which would kick the new one back).
    await sleep(600);
    expect(second.eventsOf(EVENT.KICKED_OUT)).toEqual([]);
    expect(second.tim.isReady()).toBe(true);
    expect(first.netStates().at(-1)).toBe('disconnected');

    // The new instance has the history and gets new messages; the old one gets nothing.
    expect((await second.conversation('C2Cbob'))?.lastMessage.messageForShow).toBe('from the first instance');
    const reply = await bob.sendText('alice', 'hello new instance');
    await waitUntil(() => second.received().some((m) => m.ID === reply.ID), 'the new instance to receive');
    expect(first.received()).toEqual([]);

    // Logging in again on the kicked instance works, and kicks the other one in turn.
    await first.login();
    expect(first.tim.isReady()).toBe(true);
    await second.waitForEvent(EVENT.KICKED_OUT);
    expect(second.eventsOf(EVENT.KICKED_OUT).map((e) => e.data)).toEqual([{ type: 'multipleAccount' }]);
    expect((await first.conversation('C2Cbob'))?.unreadCount).toBe(1);
  });

  it('a reconnect of the same instance does not count as another login', async () => {
    srv = await startTestServer();
    h = new Harness(srv);
    const alice = await h.login('alice');
    srv.dropConnections();
    await waitUntil(() => alice.netStates().at(-1) === 'connected' && alice.netStates().includes('disconnected'), 'reconnect');
    await sleep(300);
    expect(alice.eventsOf(EVENT.KICKED_OUT)).toEqual([]);
    expect(alice.tim.isReady()).toBe(true);
  });
});

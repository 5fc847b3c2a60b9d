/**
 * Conversations through the real SDK and server: the sorted list with unread
 * and messageForShow, getConversationProfile, deleteConversation in both
 * forms with and without history, multi-instance sync, reappearance, and the
 * §6.2 throttle of the list events (spec tim-api.md §4.5, §6.2, §8.2).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, TYPES, type Conversation } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, rejectionOf, type RecordedEvent } from './helpers.js';

let srv: TestServer | undefined;
let h: Harness | undefined;

async function setup(): Promise<Harness> {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
  h = new Harness(srv);
  return h;
}

afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
});

function ids(list: Conversation[]): string[] {
  return list.map((c) => c.conversationID);
}

describe('getConversationList', () => {
  it('is sorted by last message time (newest first) with unreadCount and messageForShow (Chinese labels for a non-intl SDKAppID)', async () => {
    const hh = await setup();
    expect(srv!.sdkAppID).toBeGreaterThanOrEqual(1_400_000_000);
    expect(srv!.sdkAppID).toBeLessThan(1_720_000_000);
    const alice = await hh.login('alice');
    const bob = await hh.login('bob');
    const carol = await hh.login('carol');
    const dave = await hh.login('dave');

    // Message times are seconds: a second apart, so the order is unambiguous.
    await bob.sendText('alice', 'hi from bob');
    await bob.sendText('alice', 'bob again');
    await sleep(1050);
    await carol.tim.sendMessage(carol.tim.createCustomMessage({ to: 'alice', conversationType: TYPES.CONV_C2C, payload: { data: 'x' } }));
    await sleep(1050);
    await dave.tim.sendMessage(dave.tim.createFaceMessage({ to: 'alice', conversationType: TYPES.CONV_C2C, payload: { index: 1, data: 'smile' } }));
    await alice.waitForReceived(4);

    const list = await alice.conversationList();
    expect(ids(list)).toEqual(['C2Cdave', 'C2Ccarol', 'C2Cbob']);
    expect(list.map((c) => [c.unreadCount, c.lastMessage.messageForShow, c.type, c.userProfile.userID])).toEqual([
      [1, '[动画表情]', 'C2C', 'dave'],
      [1, '[自定义消息]', 'C2C', 'carol'],
      [2, 'bob again', 'C2C', 'bob'],
    ]);
    const times = list.map((c) => c.lastMessage.lastTime);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(list[2]?.lastMessage).toMatchObject({ fromAccount: 'bob', lastSequence: 2, type: 'TIMTextElem', payload: { text: 'bob again' }, isRevoked: false });
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(4);

    // Replying to bob moves him to the top.
    await sleep(1050);
    await alice.sendText('bob', 'reply');
    expect(ids(await alice.conversationList())).toEqual(['C2Cbob', 'C2Cdave', 'C2Ccarol']);

    // A fresh login (from the server's rows) yields the same order and values.
    const alice2 = await hh.login('alice');
    const fresh = await alice2.conversationList();
    expect(ids(fresh)).toEqual(['C2Cbob', 'C2Cdave', 'C2Ccarol']);
    expect(fresh.map((c) => [c.unreadCount, c.lastMessage.messageForShow])).toEqual([
      [2, 'reply'],
      [1, '[动画表情]'],
      [1, '[自定义消息]'],
    ]);

    // Filters: by ID list and by type.
    expect(ids((await alice.tim.getConversationList(['C2Ccarol', 'C2Cnobody'])).data.conversationList)).toEqual(['C2Ccarol']);
    expect((await alice.tim.getConversationList([])).data.conversationList).toEqual([]);
    expect((await alice.tim.getConversationList({ type: TYPES.CONV_C2C })).data.conversationList.length).toBe(3);
    expect((await alice.tim.getConversationList()).data.isSyncCompleted).toBe(true);
  });
});

describe('getConversationList ordering within one second', () => {
  it('puts the conversation with the latest activity first even when last-message times tie', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    await hh.login('bob');
    await hh.login('carol');
    // Several messages to bob (high sequence), then one to carol (sequence 1), within the same second or two.
    for (let i = 0; i < 4; i++) await alice.sendText('bob', `b${i}`);
    await alice.sendText('carol', 'c');
    expect(ids(await alice.conversationList())).toEqual(['C2Ccarol', 'C2Cbob']);
    await alice.sendText('bob', 'b again');
    expect(ids(await alice.conversationList())).toEqual(['C2Cbob', 'C2Ccarol']);
  });
});

describe('getConversationProfile', () => {
  it('returns an existing conversation, builds an empty one for a known user (and lists it), and rejects 2501 for an unknown user', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const bob = await hh.login('bob');
    // dave logged in once, then left; he has no conversation with alice.
    const dave = await hh.login('dave');
    await dave.tim.destroy();

    await bob.sendText('alice', 'hello');
    await alice.waitForReceived(1);

    const existing = await alice.tim.getConversationProfile('C2Cbob');
    expect(existing.code).toBe(0);
    expect(existing.data.conversation).toMatchObject({ conversationID: 'C2Cbob', type: 'C2C', unreadCount: 1, userProfile: { userID: 'bob' } });
    expect(existing.data.conversation.lastMessage.messageForShow).toBe('hello');
    expect(existing.data.conversation).toBe((await alice.conversation('C2Cbob'))!);

    const before = alice.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).length;
    const empty = await alice.tim.getConversationProfile('C2Cdave');
    expect(empty.data.conversation).toMatchObject({
      conversationID: 'C2Cdave',
      type: 'C2C',
      unreadCount: 0,
      userProfile: { userID: 'dave' },
      lastMessage: { lastTime: 0, lastSequence: 0, fromAccount: '', messageForShow: '', payload: null },
    });
    expect(ids(await alice.conversationList())).toContain('C2Cdave');
    await waitUntil(() => alice.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).length > before, 'CONVERSATION_LIST_UPDATED for the new conversation');
    const lastList = alice.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).at(-1)!.snapshot as Conversation[];
    expect(ids(lastList)).toContain('C2Cdave');
    // Asking again returns the same (now local) conversation.
    expect((await alice.tim.getConversationProfile('C2Cdave')).data.conversation).toBe(empty.data.conversation);

    const err = await rejectionOf(alice.tim.getConversationProfile('C2Cnever-logged-in'));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(2501);
    expect(ids(await alice.conversationList())).not.toContain('C2Cnever-logged-in');

    // A message from dave now lands in the conversation created above.
    const dave2 = await hh.login('dave');
    await dave2.sendText('alice', 'finally');
    await waitUntil(async () => (await alice.conversation('C2Cdave'))?.unreadCount === 1, 'dave conversation unread 1');
    expect((await alice.conversation('C2Cdave'))?.lastMessage.messageForShow).toBe('finally');
  });
});

describe('deleteConversation', () => {
  it('string form clears history for this user only, syncs the other instance, and the conversation reappears with unread 1 on a new message', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const alice2 = await hh.login('alice');
    const bob = await hh.login('bob');

    await bob.sendText('alice', 'one');
    await alice.sendText('bob', 'two');
    await bob.sendText('alice', 'three');
    await alice.waitForReceived(2);
    await alice2.waitForReceived(3);
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(2);
    const unreadEventsBefore = alice.totalUnreadEvents().length;

    const res = await alice.tim.deleteConversation('C2Cbob');
    expect(res).toEqual({ code: 0, data: { conversationID: 'C2Cbob' } });
    expect(ids(await alice.conversationList())).not.toContain('C2Cbob');
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(0);
    await waitUntil(() => alice.totalUnreadEvents().length > unreadEventsBefore, 'TOTAL_UNREAD_MESSAGE_COUNT_UPDATED after delete');
    expect(alice.totalUnreadEvents().at(-1)).toBe(0);
    const listEvent = alice.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).at(-1)!;
    expect(ids(listEvent.snapshot as Conversation[])).not.toContain('C2Cbob');

    // History is gone for alice (default clearHistoryMessage: true) ...
    const page = await alice.tim.getMessageList({ conversationID: 'C2Cbob' });
    expect(page.data).toMatchObject({ messageList: [], isCompleted: true, nextReqMessageID: '' });
    // ... but bob still has all of it, and his list is untouched.
    expect((await bob.history('C2Calice')).messages.map((m) => (m.payload as { text: string }).text)).toEqual(['one', 'two', 'three']);
    expect(ids(await bob.conversationList())).toEqual(['C2Calice']);

    // alice's other instance removes it too.
    await waitUntil(async () => !ids(await alice2.conversationList()).includes('C2Cbob'), 'alice2 to drop the conversation');
    expect(alice2.tim.getTotalUnreadMessageCount()).toBe(0);
    // A fresh login does not list it.
    const alice3 = await hh.login('alice');
    expect(ids(await alice3.conversationList())).toEqual([]);

    // A new incoming message brings it back with unread 1 and only the new history.
    const four = await bob.sendText('alice', 'four');
    for (const user of [alice, alice2, alice3]) {
      await waitUntil(() => user.received().some((m) => m.ID === four.ID), `${user.userID} instance to receive "four"`);
      const conv = await user.conversation('C2Cbob');
      expect(conv?.unreadCount).toBe(1);
      expect(conv?.lastMessage.messageForShow).toBe('four');
      expect(user.tim.getTotalUnreadMessageCount()).toBe(1);
    }
    expect((await alice.history('C2Cbob')).messages.map((m) => m.ID)).toEqual([four.ID]);
    const alice4 = await hh.login('alice');
    expect((await alice4.conversation('C2Cbob'))?.unreadCount).toBe(1);
    expect((await alice4.history('C2Cbob')).messages.map((m) => m.ID)).toEqual([four.ID]);
  });

  it('object form returns {conversationIDList}; clearHistoryMessage false keeps history; unknown IDs reject 2500', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const bob = await hh.login('bob');
    const carol = await hh.login('carol');

    await bob.sendText('alice', 'from bob');
    await carol.sendText('alice', 'from carol');
    await alice.waitForReceived(2);

    const res = await alice.tim.deleteConversation({ conversationIDList: ['C2Cbob', 'C2Cnobody'], clearHistoryMessage: false });
    expect(res).toEqual({ code: 0, data: { conversationIDList: ['C2Cbob'] } });
    expect(ids(await alice.conversationList())).toEqual(['C2Ccarol']);
    // History kept.
    expect((await alice.history('C2Cbob')).messages.map((m) => (m.payload as { text: string }).text)).toEqual(['from bob']);
    // Deleting marks it read: a fresh login neither lists it nor counts it.
    const alice2 = await hh.login('alice');
    expect(ids(await alice2.conversationList())).toEqual(['C2Ccarol']);
    expect(alice2.tim.getTotalUnreadMessageCount()).toBe(1);

    // Unknown (and already deleted) conversations reject 2500, in both forms.
    for (const call of [
      () => alice.tim.deleteConversation('C2Cnobody'),
      () => alice.tim.deleteConversation('C2Cbob'),
      () => alice.tim.deleteConversation({ conversationIDList: ['C2Cnobody', 'C2Cbob'] }),
    ]) {
      const err = await rejectionOf(call());
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(2500);
    }

    // Parameter validation throws synchronously.
    expect(() => alice.tim.deleteConversation({ conversationIDList: [] })).toThrow('Params validate failed.');
    expect(() => alice.tim.deleteConversation('not-a-conversation')).toThrow('Params validate failed.');

    // A new message brings bob back, with the kept history plus the new message.
    const again = await bob.sendText('alice', 'bob again');
    await waitUntil(async () => (await alice.conversation('C2Cbob'))?.unreadCount === 1, 'bob conversation to reappear with unread 1');
    expect((await alice.history('C2Cbob')).messages.map((m) => (m.payload as { text: string }).text)).toEqual(['from bob', 'bob again']);
    expect(again.sequence).toBe(2);
  });
});

describe('list event throttling (spec §6.2, default eventThrottling)', () => {
  function times(events: RecordedEvent[], since: number): number[] {
    return events.filter((e) => e.at >= since).map((e) => e.at - since);
  }

  it('a burst of 10 incoming messages fires CONVERSATION_LIST_UPDATED once at once and once ~1 s later with the full current list', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const bob = await hh.login('bob', { eventThrottling: true });
    // Let the login emission's window pass.
    await sleep(1200);
    const start = Date.now();
    bob.clearEvents();

    const sends = [];
    for (let i = 1; i <= 10; i++) sends.push(alice.tim.sendMessage(alice.text('bob', `burst ${i}`)));
    await Promise.all(sends);
    await bob.waitForReceived(10);
    const lastTrigger = Date.now();
    await waitUntil(() => bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).length >= 2, 'the trailing emission', 3000);
    await sleep(1300); // nothing else may follow

    const listEvents = bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED);
    expect(listEvents.length).toBe(2);
    const [first, trailing] = times(listEvents, start);
    expect(first).toBeLessThan(500);
    expect(trailing! - first!).toBeGreaterThanOrEqual(950);
    expect(listEvents[1]!.at).toBeGreaterThanOrEqual(lastTrigger - 50 + 900);
    expect(listEvents[1]!.at - lastTrigger).toBeLessThan(1600);

    // Payloads: the whole list as it was at emission time.
    const firstList = listEvents[0]!.snapshot as Conversation[];
    const finalList = listEvents[1]!.snapshot as Conversation[];
    expect(ids(firstList)).toEqual(['C2Calice']);
    expect(firstList[0]!.unreadCount).toBeLessThan(10);
    expect(ids(finalList)).toEqual(['C2Calice']);
    expect(finalList[0]).toMatchObject({ unreadCount: 10, lastMessage: { messageForShow: 'burst 10' } });
    expect(listEvents[1]!.data).toEqual(await bob.conversationList());

    // Total unread: immediate + trailing, each a change, ending at 10.
    const unread = bob.totalUnreadEvents();
    expect(unread.length).toBe(2);
    expect(unread[0]).toBeLessThan(10);
    expect(unread[1]).toBe(10);

    // A change that leaves the total unread alone (bob sends) fires the list event only.
    bob.clearEvents();
    await bob.sendText('alice', 'reply');
    await bob.waitForEvent(EVENT.CONVERSATION_LIST_UPDATED);
    await sleep(1200);
    expect(bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).length).toBe(1);
    expect(bob.totalUnreadEvents()).toEqual([]);
    expect((bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED)[0]!.snapshot as Conversation[])[0]!.lastMessage.messageForShow).toBe('reply');

    // Reading fires both once, with 0 unread.
    bob.clearEvents();
    await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    await bob.waitForEvent(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED);
    await sleep(1200);
    expect(bob.totalUnreadEvents()).toEqual([0]);
    expect(bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).length).toBe(1);
  });

  it('with eventThrottling false every change fires at once', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const bob = await hh.login('bob', { eventThrottling: false });
    bob.clearEvents();
    for (let i = 1; i <= 3; i++) await alice.sendText('bob', `n ${i}`);
    await bob.waitForReceived(3);
    await waitUntil(() => bob.totalUnreadEvents().length >= 3, 'three unread events');
    expect(bob.totalUnreadEvents()).toEqual([1, 2, 3]);
    expect(bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).map((e) => (e.snapshot as Conversation[])[0]!.unreadCount)).toEqual([1, 2, 3]);
  });
});

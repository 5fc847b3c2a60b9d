/**
 * One-to-one messaging through the real SDK and a real server: send shapes
 * and echo rules with two and three users, element types, online-only
 * messages, offline delivery before SDK_READY, and history paging
 * (spec tim-api.md §4.3, §4.4, §6.3, §8.1, §12).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT, TYPES, type Conversation, type Message } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, MESSAGE_SHAPE_KEYS, nowSeconds, type TestUser } from './helpers.js';

let srv: TestServer;
let h: Harness;

beforeEach(async () => {
  // Unlimited web instances: a user may hold a second instance (multi-device echo).
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
  h = new Harness(srv);
});
afterEach(async () => {
  await h.destroyAll();
  await srv.close();
});

/**
 * A round trip through `from`'s inbox: `from` sends to `to`, and once `to`
 * got it every push the server queued for `to` earlier has arrived too
 * (one socket, in order). Lets tests assert that something did NOT arrive.
 */
async function barrier(from: TestUser, to: TestUser): Promise<void> {
  const before = to.received().length;
  await from.sendText(to.userID, `barrier ${Math.random()}`);
  await to.waitForReceived(before + 1);
}

describe('sendMessage between two users', () => {
  it('resolves {code:0, data:{message}} with status success, server sequence and time; the receiver gets MESSAGE_RECEIVED flow in', async () => {
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const message = alice.text('bob', 'hello bob');
    expect(message.status).toBe('unSend');
    const t0 = nowSeconds();
    const res = await alice.tim.sendMessage(message);
    expect(res.code).toBe(0);
    expect(res.data.message).toBe(message);
    expect(message).toMatchObject({
      status: 'success',
      flow: 'out',
      from: 'alice',
      to: 'bob',
      conversationID: 'C2Cbob',
      conversationType: TYPES.CONV_C2C,
      type: TYPES.MSG_TEXT,
      payload: { text: 'hello bob' },
      sequence: 1,
      isRead: true,
    });
    expect(message.time).toBeGreaterThanOrEqual(t0 - 1);
    expect(message.time).toBeLessThanOrEqual(nowSeconds() + 1);

    const second = await alice.sendText('bob', 'second');
    expect(second.sequence).toBe(2);

    const [got, got2] = await bob.waitForReceived(2);
    expect(bob.eventsOf(EVENT.MESSAGE_RECEIVED)[0]?.data).toBeInstanceOf(Array);
    for (const key of MESSAGE_SHAPE_KEYS) expect(got, `received message has ${key}`).toHaveProperty(key);
    expect(got).toMatchObject({
      ID: message.ID,
      flow: 'in',
      from: 'alice',
      to: 'bob',
      conversationID: 'C2Calice',
      conversationType: 'C2C',
      type: 'TIMTextElem',
      payload: { text: 'hello bob' },
      sequence: 1,
      time: message.time,
      clientTime: message.clientTime,
      random: message.random,
      status: 'success',
      priority: 'Normal',
      protocol: 'JSON',
      isRead: false,
      isPeerRead: false,
      isRevoked: false,
      cloudCustomData: '',
    });
    expect(got?.elements).toEqual([{ type: 'TIMTextElem', content: { text: 'hello bob' } }]);
    expect(got?.getElements()).toEqual(got?.elements);
    expect(got2).toMatchObject({ ID: second.ID, sequence: 2, payload: { text: 'second' } });

    // Conversations on both sides reflect the exchange.
    const bobConv = await bob.conversation('C2Calice');
    expect(bobConv?.unreadCount).toBe(2);
    expect(bobConv?.lastMessage).toMatchObject({ messageForShow: 'second', fromAccount: 'alice', lastSequence: 2 });
    const aliceConv = await alice.conversation('C2Cbob');
    expect(aliceConv?.unreadCount).toBe(0);
    expect(aliceConv?.lastMessage).toMatchObject({ messageForShow: 'second', fromAccount: 'alice', lastSequence: 2 });

    // The sender's own instance never gets MESSAGE_RECEIVED for its sends.
    await barrier(bob, alice);
    expect(alice.received().map((m) => m.from)).toEqual(['bob']);
    expect((await alice.conversation('C2Cbob'))?.unreadCount).toBe(1);
  });

  it("echoes to the sender's other instance with flow out, never to the sending instance (three users)", async () => {
    const alice = await h.login('alice');
    const alice2 = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol');

    const toBob = await alice.sendText('bob', 'for bob');
    const toCarol = await alice.sendText('carol', 'for carol');
    const fromBob = await bob.sendText('carol', 'bob to carol');

    await bob.waitForReceived(1);
    await carol.waitForReceived(2);
    await alice2.waitForReceived(2);

    expect(bob.received().map((m) => m.ID)).toEqual([toBob.ID]);
    expect(carol.received().map((m) => [m.ID, m.from, m.flow, m.conversationID])).toEqual([
      [toCarol.ID, 'alice', 'in', 'C2Calice'],
      [fromBob.ID, 'bob', 'in', 'C2Cbob'],
    ]);
    expect(alice2.received().map((m) => [m.ID, m.flow, m.from, m.to, m.conversationID, m.isRead])).toEqual([
      [toBob.ID, 'out', 'alice', 'bob', 'C2Cbob', true],
      [toCarol.ID, 'out', 'alice', 'carol', 'C2Ccarol', true],
    ]);
    // alice2's list shows both conversations, with no unread (own messages).
    const list2 = await alice2.conversationList();
    expect(list2.map((c) => [c.conversationID, c.unreadCount])).toEqual(
      expect.arrayContaining([
        ['C2Cbob', 0],
        ['C2Ccarol', 0],
      ]),
    );

    // Neither alice instance got anything else; bob got nothing of carol's.
    await barrier(carol, alice);
    await barrier(carol, bob);
    expect(alice.received().map((m) => m.from)).toEqual(['carol']);
    await waitUntil(() => alice2.received().length === 3, 'alice2 to get the barrier message');
    expect(alice2.received().map((m) => m.flow)).toEqual(['out', 'out', 'in']);
    expect(bob.received().map((m) => m.from)).toEqual(['alice', 'carol']);
  });

  it('carries custom messages with data/description/extension defaulting to ""', async () => {
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const partial = alice.tim.createCustomMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { data: 'order:42' } });
    expect(partial.payload).toEqual({ data: 'order:42', description: '', extension: '' });
    const full = alice.tim.createCustomMessage({
      to: 'bob',
      conversationType: TYPES.CONV_C2C,
      payload: { data: '{"k":1}', description: 'desc', extension: 'ext' },
    });
    const r1 = await alice.tim.sendMessage(partial);
    const r2 = await alice.tim.sendMessage(full);
    expect(r1.data.message).toMatchObject({ type: TYPES.MSG_CUSTOM, status: 'success' });
    expect(r2.data.message.status).toBe('success');

    const [m1, m2] = await bob.waitForReceived(2);
    expect(m1).toMatchObject({ type: 'TIMCustomElem', payload: { data: 'order:42', description: '', extension: '' }, flow: 'in' });
    expect(m2).toMatchObject({ type: 'TIMCustomElem', payload: { data: '{"k":1}', description: 'desc', extension: 'ext' } });

    // History carries the same payloads.
    const { messages } = await bob.history('C2Calice');
    expect(messages.map((m) => m.payload)).toEqual([
      { data: 'order:42', description: '', extension: '' },
      { data: '{"k":1}', description: 'desc', extension: 'ext' },
    ]);
  });

  it('carries face messages', async () => {
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const face = alice.tim.createFaceMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { index: 3, data: 'tt00@2x' } });
    const res = await alice.tim.sendMessage(face);
    expect(res.data.message).toMatchObject({ type: TYPES.MSG_FACE, status: 'success', payload: { index: 3, data: 'tt00@2x' } });
    const [got] = await bob.waitForReceived(1);
    expect(got).toMatchObject({ ID: face.ID, type: 'TIMFaceElem', payload: { index: 3, data: 'tt00@2x' }, flow: 'in' });
  });
});

describe('onlineUserOnly', () => {
  it('is delivered live to an online receiver and never stored (no history, no unread, lastMessage unchanged)', async () => {
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const stored = await alice.sendText('bob', 'stored');
    await bob.waitForReceived(1);
    const bobBefore = await bob.conversation('C2Calice');
    expect(bobBefore?.unreadCount).toBe(1);
    const aliceLastBefore = { ...(await alice.conversation('C2Cbob'))!.lastMessage };

    const typing = alice.tim.createCustomMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { data: 'typing' } });
    const res = await alice.tim.sendMessage(typing, { onlineUserOnly: true });
    expect(res.code).toBe(0);
    expect(res.data.message.status).toBe('success');

    const received = await bob.waitForReceived(2);
    expect(received[1]).toMatchObject({ ID: typing.ID, flow: 'in', type: 'TIMCustomElem', payload: { data: 'typing' } });

    // Not counted, not the last message, on either side.
    const bobConv = await bob.conversation('C2Calice');
    expect(bobConv?.unreadCount).toBe(1);
    expect(bobConv?.lastMessage.messageForShow).toBe('stored');
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(1);
    const aliceConv = await alice.conversation('C2Cbob');
    expect(aliceConv?.lastMessage).toEqual(aliceLastBefore);

    // Not in history, for either user, nor after a fresh login.
    expect((await bob.history('C2Calice')).messages.map((m) => m.ID)).toEqual([stored.ID]);
    expect((await alice.history('C2Cbob')).messages.map((m) => m.ID)).toEqual([stored.ID]);
    const bobAgain = await h.login('bob');
    const conv = await bobAgain.conversation('C2Calice');
    expect(conv?.unreadCount).toBe(1);
    expect(conv?.lastMessage.messageForShow).toBe('stored');
    expect((await bobAgain.history('C2Calice')).messages.map((m) => m.ID)).toEqual([stored.ID]);
  });

  it('never reaches an offline receiver', async () => {
    const alice = await h.login('alice');
    const carol = h.create('carol');
    const ping = alice.text('carol', 'are you there?');
    const res = await alice.tim.sendMessage(ping, { onlineUserOnly: true });
    expect(res.data.message.status).toBe('success');
    // alice's own list is untouched by an online-only send.
    expect(await alice.conversation('C2Ccarol')).toBeUndefined();

    await carol.login();
    await sleep(300);
    expect(carol.received()).toEqual([]);
    expect(await carol.conversationList()).toEqual([]);
    expect(carol.tim.getTotalUnreadMessageCount()).toBe(0);
    const page = await carol.tim.getMessageList({ conversationID: 'C2Calice' });
    expect(page.data).toEqual({ messageList: [], nextReqMessageID: '', isCompleted: true });
  });
});

describe('offline delivery', () => {
  async function checkOfflineLogin(bob: TestUser, sent: Message[]): Promise<void> {
    let atReady: { list: Conversation[]; total: number; unread: number; forShow: string } | undefined;
    bob.tim.on(EVENT.SDK_READY, () => {
      const total = bob.tim.getTotalUnreadMessageCount();
      void bob.tim.getConversationList().then((res) => {
        const c = res.data.conversationList.find((x) => x.conversationID === 'C2Calice');
        atReady = { list: res.data.conversationList, total, unread: c?.unreadCount ?? -1, forShow: c?.lastMessage.messageForShow ?? '' };
      });
    });
    const before = bob.received().length;
    await bob.login();
    await waitUntil(() => atReady !== undefined, 'the SDK_READY handler to read the list');
    expect(atReady).toMatchObject({ total: 5, unread: 5, forShow: 'offline 5' });
    const conv = atReady!.list.find((c) => c.conversationID === 'C2Calice');
    expect(conv?.lastMessage).toMatchObject({ fromAccount: 'alice', lastSequence: sent.at(-1)!.sequence, lastTime: sent.at(-1)!.time, type: 'TIMTextElem' });
    expect(conv?.userProfile.userID).toBe('alice');

    // Offline messages are not replayed as events.
    await sleep(300);
    expect(bob.received().length).toBe(before);

    const page = await bob.tim.getMessageList({ conversationID: 'C2Calice' });
    expect(page.data.isCompleted).toBe(true);
    expect(page.data.nextReqMessageID).toBe('');
    expect(page.data.messageList.map((m) => [m.ID, m.flow, m.isRead, (m.payload as { text: string }).text])).toEqual(
      sent.map((m, i) => [m.ID, 'in', false, `offline ${i + 1}`]),
    );
  }

  it('a first login sees unread 5 and the last text before SDK_READY, with no MESSAGE_RECEIVED for them', async () => {
    const alice = await h.login('alice');
    const sent: Message[] = [];
    for (let i = 1; i <= 5; i++) sent.push(await alice.sendText('bob', `offline ${i}`));
    await checkOfflineLogin(h.create('bob'), sent);
  });

  it('a message pushed while the login sync is being answered is not lost', async () => {
    const alice = await h.login('alice');
    // Hold bob's login-time conversation sync after the server has read his (empty) list, so a
    // message committed meanwhile is pushed to his new connection before the sync answer,
    // and is not in that answer. (Wraps the running server's own repository; no fake.)
    const repo = srv.server.storage.conversations;
    const original = repo.listUserConversations.bind(repo);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    repo.listUserConversations = async (owner: string) => {
      const rows = await original(owner);
      if (owner === 'bob' && !held) {
        held = true;
        await gate;
      }
      return rows;
    };
    const bob = h.create('bob');
    const login = bob.login();
    await waitUntil(() => held, "bob's login sync to reach the server");
    const racing = await alice.sendText('bob', 'racing the login');
    await sleep(100); // the push is on bob's socket now
    release();
    await login;
    repo.listUserConversations = original;

    await waitUntil(async () => (await bob.conversation('C2Calice'))?.unreadCount === 1, 'the racing message to show up in bob’s list', 3000);
    expect((await bob.conversation('C2Calice'))?.lastMessage.messageForShow).toBe('racing the login');
    await sleep(200);
    expect(bob.received().map((m) => m.ID)).toEqual([racing.ID]);
    expect((await bob.history('C2Calice')).messages.map((m) => m.ID)).toEqual([racing.ID]);
    // And the next message is delivered normally, once.
    const next = await alice.sendText('bob', 'next');
    await waitUntil(() => bob.received().length === 2, 'the next message');
    expect(bob.received().map((m) => m.ID)).toEqual([racing.ID, next.ID]);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(2);
  });

  it('the same instance logging in again after logout sees what arrived meanwhile', async () => {
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await bob.tim.logout();
    const sent: Message[] = [];
    for (let i = 1; i <= 5; i++) sent.push(await alice.sendText('bob', `offline ${i}`));
    await checkOfflineLogin(bob, sent);
  });
});

describe('getMessageList paging', () => {
  it('pages 110 messages: ≤15 a page, oldest first, cursor = oldest ID, isCompleted only at the end, each exactly once in send order', async () => {
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const N = 110;
    const sends: Array<Promise<{ data: { message: Message } }>> = [];
    for (let i = 0; i < N; i++) sends.push(alice.tim.sendMessage(alice.text('bob', `page msg ${i}`)));
    const sent = (await Promise.all(sends)).map((r) => r.data.message);
    expect(sent.map((m) => m.sequence)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    await bob.waitForReceived(N);

    for (const user of [alice, bob]) {
      const peer = user === alice ? 'bob' : 'alice';
      const { messages, pages } = await user.history('C2C' + peer);
      expect(pages.length).toBe(Math.ceil(N / 15));
      pages.forEach((page, i) => {
        const last = i === pages.length - 1;
        expect(page.messageList.length).toBe(last ? N - 15 * (pages.length - 1) : 15);
        const seqs = page.messageList.map((m) => m.sequence);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(page.isCompleted).toBe(last);
        expect(page.nextReqMessageID).toBe(last ? '' : page.messageList[0]?.ID);
        // Pages run newest → oldest: each page is older than the one before.
        const previous = pages[i - 1];
        if (previous) expect(page.messageList.at(-1)!.sequence).toBeLessThan(previous.messageList[0]!.sequence);
      });
      expect(messages.map((m) => m.ID)).toEqual(sent.map((m) => m.ID));
      expect(new Set(messages.map((m) => m.ID)).size).toBe(N);
      expect(messages.map((m) => (m.payload as { text: string }).text)).toEqual(sent.map((_, i) => `page msg ${i}`));
      expect(messages.every((m) => m.flow === (user === alice ? 'out' : 'in'))).toBe(true);
    }

    // count > 15 is clamped to 15; smaller counts are honoured.
    const big = await bob.tim.getMessageList({ conversationID: 'C2Calice', count: 50 });
    expect(big.data.messageList.map((m) => m.sequence)).toEqual(Array.from({ length: 15 }, (_, i) => N - 14 + i));
    const small = await bob.tim.getMessageList({ conversationID: 'C2Calice', count: 4 });
    expect(small.data.messageList.map((m) => m.sequence)).toEqual([N - 3, N - 2, N - 1, N]);
    const { pages: smallPages, messages: all4 } = await bob.history('C2Calice', 4);
    expect(smallPages.every((p) => p.messageList.length <= 4)).toBe(true);
    expect(all4.map((m) => m.ID)).toEqual(sent.map((m) => m.ID));

    // The messages the app holds from live delivery are the same instances history returns.
    const live = bob.received()[N - 1];
    expect((await bob.tim.getMessageList({ conversationID: 'C2Calice' })).data.messageList.at(-1)).toBe(live);

    // Reading history changes no unread count.
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(N);
  });

  it('an empty conversation pages as completed at once', async () => {
    const alice = await h.login('alice');
    const page = await alice.tim.getMessageList({ conversationID: 'C2Cnobody' });
    expect(page).toEqual({ code: 0, data: { messageList: [], nextReqMessageID: '', isCompleted: true } });
  });
});

/**
 * Read state and revoke through the real SDK and server: setMessageRead with
 * read sync and MESSAGE_READ_BY_PEER, revokeMessage inside and outside the
 * window, someone else's message, unread adjustment
 * (spec tim-api.md §4.3, §4.4, §6.3, §2.4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, ImError, TYPES, type Message } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, rejectionOf } from './helpers.js';

let srv: TestServer | undefined;
let h: Harness | undefined;

async function setup(config: Parameters<typeof startTestServer>[0] = {}): Promise<Harness> {
  srv = await startTestServer({ ...config, config: { maxWebInstances: 0, ...config.config } });
  h = new Harness(srv);
  return h;
}

afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
});

describe('setMessageRead', () => {
  it('zeroes unread, emits TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, syncs the reader’s other instance and tells the peer', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const alice2 = await hh.login('alice');
    const bob = await hh.login('bob');
    const bob2 = await hh.login('bob');

    const sent: Message[] = [];
    for (let i = 1; i <= 3; i++) sent.push(await alice.sendText('bob', `read me ${i}`));
    await bob.waitForReceived(3);
    await bob2.waitForReceived(3);
    await alice2.waitForReceived(3);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(3);
    expect((await bob2.conversation('C2Calice'))?.unreadCount).toBe(3);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(3);
    expect(bob.totalUnreadEvents().at(-1)).toBe(3);
    expect(sent.every((m) => !m.isPeerRead)).toBe(true);
    bob.clearEvents();

    const res = await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    expect(res).toEqual({ code: 0, data: {} });
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(0);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(0);
    await waitUntil(() => bob.totalUnreadEvents().includes(0), 'bob TOTAL_UNREAD_MESSAGE_COUNT_UPDATED 0');
    expect(bob.totalUnreadEvents()).toEqual([0]);
    // The received messages the app holds are marked read.
    expect(bob.received().every((m) => m.isRead)).toBe(true);

    // Read sync: bob's other instance drops to 0 too.
    await waitUntil(async () => (await bob2.conversation('C2Calice'))?.unreadCount === 0, 'bob2 unread to sync to 0');
    await waitUntil(() => bob2.totalUnreadEvents().at(-1) === 0, 'bob2 total unread event 0');
    expect(bob2.tim.getTotalUnreadMessageCount()).toBe(0);
    // ...and bob2 gets no read receipt of its own.
    expect(bob2.readByPeer()).toEqual([]);

    // The peer: MESSAGE_READ_BY_PEER with its own messages, isPeerRead true.
    await alice.waitForEvent(EVENT.MESSAGE_READ_BY_PEER);
    const read = alice.readByPeer();
    expect(read.map((m) => m.ID)).toEqual(sent.map((m) => m.ID));
    expect(read[0]).toBe(sent[0]); // the very instances the app sent
    expect(sent.every((m) => m.isPeerRead)).toBe(true);
    const aliceConv = await alice.conversation('C2Cbob');
    expect(aliceConv?.lastMessage.isPeerRead).toBe(true);
    expect(aliceConv?.peerReadTime).toBeGreaterThan(0);
    // alice's other instance holds the echoes: they become peer-read as well.
    await alice2.waitForEvent(EVENT.MESSAGE_READ_BY_PEER);
    expect(alice2.readByPeer().map((m) => m.ID)).toEqual(sent.map((m) => m.ID));
    expect((await alice2.conversation('C2Cbob'))?.lastMessage.isPeerRead).toBe(true);

    // History shows the peer-read state, and a fresh login sees unread 0.
    const { messages } = await alice.history('C2Cbob');
    expect(messages.every((m) => m.isPeerRead)).toBe(true);
    const bob3 = await hh.login('bob');
    expect((await bob3.conversation('C2Calice'))?.unreadCount).toBe(0);

    // A later message is not peer-read; reading with 0 unread resolves {} without a receipt.
    const later = await alice.sendText('bob', 'later');
    expect(later.isPeerRead).toBe(false);
    expect((await alice.conversation('C2Cbob'))?.lastMessage.isPeerRead).toBe(false);
    await waitUntil(() => bob.received().some((m) => m.ID === later.ID), 'bob to receive the later message');
    await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    await waitUntil(() => later.isPeerRead, 'the later message to become peer-read');
    expect(alice.readByPeer().map((m) => m.ID)).toEqual([...sent, later].map((m) => m.ID));
    const again = await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    expect(again).toEqual({ code: 0, data: {} });
  });
});

describe('revokeMessage', () => {
  it('within the window: resolves {message} revoked; receiver and sender’s other instance get MESSAGE_REVOKED; history shows it; unread drops by one', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const alice2 = await hh.login('alice');
    const bob = await hh.login('bob');

    const keep = await alice.sendText('bob', 'keep');
    const oops = await alice.sendText('bob', 'oops');
    await bob.waitForReceived(2);
    await alice2.waitForReceived(2);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(2);

    const res = await alice.tim.revokeMessage(oops);
    expect(res.code).toBe(0);
    expect(res.data.message).toBe(oops);
    expect(oops.isRevoked).toBe(true);
    expect(oops.revoker).toBe('alice');
    // The sender's own list shows the last message revoked.
    expect((await alice.conversation('C2Cbob'))?.lastMessage).toMatchObject({ isRevoked: true, lastSequence: oops.sequence });

    await bob.waitForEvent(EVENT.MESSAGE_REVOKED);
    const [revokedAtBob] = bob.revoked();
    expect(revokedAtBob).toMatchObject({ ID: oops.ID, isRevoked: true, revoker: 'alice', flow: 'in', conversationID: 'C2Calice' });
    expect(revokedAtBob).toBe(bob.received()[1]); // the instance the app already holds
    const bobConv = await bob.conversation('C2Calice');
    expect(bobConv?.unreadCount).toBe(1);
    expect(bobConv?.lastMessage.isRevoked).toBe(true);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(1);

    await alice2.waitForEvent(EVENT.MESSAGE_REVOKED);
    expect(alice2.revoked()[0]).toMatchObject({ ID: oops.ID, isRevoked: true, revoker: 'alice', flow: 'out' });
    // The sending instance gets no MESSAGE_REVOKED of its own.
    expect(alice.revoked()).toEqual([]);

    // History shows it revoked, for both users and on a fresh login.
    for (const [user, conv] of [[bob, 'C2Calice'], [alice, 'C2Cbob']] as const) {
      const { messages } = await user.history(conv);
      expect(messages.map((m) => [m.ID, m.isRevoked])).toEqual([
        [keep.ID, false],
        [oops.ID, true],
      ]);
    }
    const bob2 = await hh.login('bob');
    const conv2 = await bob2.conversation('C2Calice');
    expect(conv2?.unreadCount).toBe(1);
    expect(conv2?.lastMessage.isRevoked).toBe(true);
    const { messages: fresh } = await bob2.history('C2Calice');
    expect(fresh[1]).toMatchObject({ ID: oops.ID, isRevoked: true, revoker: 'alice' });

    // Revoking a message bob already read leaves unread alone.
    await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    const read = await alice.sendText('bob', 'read then revoked');
    await bob.waitForReceived(3);
    await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    await alice.tim.revokeMessage(read);
    await bob.waitForEvent(EVENT.MESSAGE_REVOKED, 2);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(0);

    // Already revoked: parameter validation throws synchronously.
    expect(() => alice.tim.revokeMessage(oops)).toThrow('Params validate failed.');
  });

  it('a receiver who was offline during the revoke logs in to unread without it and the message shown revoked', async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const sent: Message[] = [];
    for (let i = 1; i <= 3; i++) sent.push(await alice.sendText('bob', `m${i}`));
    await alice.tim.revokeMessage(sent[2]!);
    await alice.tim.revokeMessage(sent[0]!);

    const bob = await hh.login('bob');
    const conv = await bob.conversation('C2Calice');
    expect(conv?.unreadCount).toBe(1);
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(1);
    expect(conv?.lastMessage).toMatchObject({ isRevoked: true, lastSequence: 3 });
    const { messages } = await bob.history('C2Calice');
    expect(messages.map((m) => [m.ID, m.isRevoked, m.revoker])).toEqual([
      [sent[0]!.ID, true, 'alice'],
      [sent[1]!.ID, false, ''],
      [sent[2]!.ID, true, 'alice'],
    ]);
    await sleep(200);
    expect(bob.revoked()).toEqual([]);
    expect(bob.received()).toEqual([]);
  });

  it('after the window rejects 20016 with the message in err.data.message', async () => {
    const hh = await setup({ config: { revokeWindowSeconds: 1 } });
    const alice = await hh.login('alice');
    const bob = await hh.login('bob');
    const old = await alice.sendText('bob', 'too late to take back');
    await bob.waitForReceived(1);
    await sleep(2200);

    const err = await rejectionOf(alice.tim.revokeMessage(old));
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ImError);
    expect(err.code).toBe(20016);
    expect(typeof err.message).toBe('string');
    expect(err.data.message).toBe(old);
    expect(old.isRevoked).toBe(false);
    await sleep(100);
    expect(bob.revoked()).toEqual([]);
    expect((await bob.history('C2Calice')).messages[0]?.isRevoked).toBe(false);

    // A fresh message is still inside the window.
    const fresh = await alice.sendText('bob', 'fresh');
    const ok = await alice.tim.revokeMessage(fresh);
    expect(ok.data.message.isRevoked).toBe(true);
  });

  it("rejects 10007 when revoking someone else's message", async () => {
    const hh = await setup();
    const alice = await hh.login('alice');
    const bob = await hh.login('bob');
    const sent = await alice.sendText('bob', 'mine');
    const [got] = await bob.waitForReceived(1);

    const err = await rejectionOf(bob.tim.revokeMessage(got!));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(10007);
    expect(err.data.message).toBe(got);
    expect(got!.isRevoked).toBe(false);
    await sleep(100);
    expect(alice.revoked()).toEqual([]);
    expect(sent.isRevoked).toBe(false);
    expect((await alice.history('C2Cbob')).messages[0]?.isRevoked).toBe(false);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(1);

    // A message that was never sent cannot be revoked either.
    const unsent = alice.tim.createTextMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { text: 'draft' } });
    const notSent = await rejectionOf(alice.tim.revokeMessage(unsent));
    expect(notSent.code).toBe(2110);
    expect(notSent.data.message).toBe(unsent);
  });
});

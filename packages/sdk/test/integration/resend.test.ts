/**
 * Failed sends and idempotent resends through the real SDK and server
 * (spec tim-api.md §4.3 sendMessage/resendMessage, §2.4 error envelope).
 *
 * Some cases need the server to store a message but lose its ack. They wrap
 * the server's storage `transaction` (the running server's own object, not a
 * fake) so that right after the commit the test cuts the sockets or stops
 * the server — the ack is then never written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImError, type Message } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, rejectionOf, type TestUser } from './helpers.js';

let srv: TestServer | undefined;
let h: Harness | undefined;

async function setup(): Promise<{ srv: TestServer; h: Harness }> {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
  h = new Harness(srv);
  return { srv, h };
}

afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
});

/** Runs `action` once, right after the next 1:1 send commits (before the service answers). */
function afterNextCommit(server: TestServer, action: () => void): { fired: () => boolean } {
  // A 1:1 send is a storage procedure (storage.call), run on the storage thread when there is one.
  const storage = server.server.storage;
  const original = storage.call.bind(storage);
  let fired = false;
  storage.call = (async (procedure: Parameters<typeof original>[0], args: Parameters<typeof original>[1]) => {
    const result = await original(procedure, args);
    if (!fired) {
      fired = true;
      storage.call = original;
      action();
    }
    return result;
  }) as typeof storage.call;
  return { fired: () => fired };
}

async function historyIDs(user: TestUser, conversationID: string): Promise<string[]> {
  return (await user.history(conversationID)).messages.map((m) => m.ID);
}

describe('resendMessage', () => {
  it('a send that fails while the server is down gets status fail and err.data.message; resend after restart succeeds once with the same ID', async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice', { requestTimeoutMs: 600 });
    const bob = await h.login('bob');
    const first = await alice.sendText('bob', 'before the outage');
    await bob.waitForReceived(1);

    await srv.server.close(); // down; restart() below brings it back on the same port and data
    await waitUntil(() => alice.netStates().includes('disconnected'), 'alice to notice the outage');

    const message = alice.text('bob', 'during the outage');
    const id = message.ID;
    const err = await rejectionOf(alice.tim.sendMessage(message));
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ImError);
    expect(typeof err.code).toBe('number');
    expect([2801, 2805, 2800, 2100]).toContain(err.code);
    expect(err.data.message).toBe(message);
    expect(message.status).toBe('fail');

    await srv.restart();
    await waitUntil(() => alice.netStates().at(-1) === 'connected', 'alice to reconnect', 10_000);

    const res = await alice.tim.resendMessage(message);
    expect(res.code).toBe(0);
    expect(res.data.message).toBe(message);
    expect(message).toMatchObject({ ID: id, status: 'success', isResend: true, sequence: first.sequence + 1 });

    await waitUntil(() => bob.received().some((m) => m.ID === id), 'bob to receive the resent message', 10_000);
    await sleep(200);
    expect(bob.received().map((m) => m.ID)).toEqual([first.ID, id]);
    expect(await historyIDs(bob, 'C2Calice')).toEqual([first.ID, id]);
    expect(await historyIDs(alice, 'C2Cbob')).toEqual([first.ID, id]);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(2);
    expect(alice.received()).toEqual([]);
  });

  it('a message stored but never acked (server stopped right after the commit) fails, and its resend returns the original without a duplicate', async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice', { requestTimeoutMs: 800 });
    const bob = await h.login('bob');

    let stopping: Promise<void> | undefined;
    const hook = afterNextCommit(srv, () => {
      stopping = srv.server.close();
    });
    const message = alice.text('bob', 'stored, ack lost');
    const err = await rejectionOf(alice.tim.sendMessage(message));
    expect(hook.fired()).toBe(true);
    expect(err.data.message).toBe(message);
    expect(message.status).toBe('fail');
    await stopping;

    await srv.restart();
    await waitUntil(() => alice.netStates().at(-1) === 'connected' && bob.netStates().at(-1) === 'connected', 'both to reconnect', 10_000);

    // bob missed the live push while down: the reconnect gap fill delivers it, once.
    await waitUntil(() => bob.received().some((m) => m.ID === message.ID), 'bob to get the stored message after reconnect', 10_000);

    const res = await alice.tim.resendMessage(message);
    expect(res.data.message).toBe(message);
    expect(message).toMatchObject({ status: 'success', sequence: 1 });

    await sleep(300);
    expect(bob.received().map((m) => m.ID)).toEqual([message.ID]);
    expect(await historyIDs(bob, 'C2Calice')).toEqual([message.ID]);
    expect(await historyIDs(alice, 'C2Cbob')).toEqual([message.ID]);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(1);
    // The sending instance never gets its own message back as MESSAGE_RECEIVED.
    expect(alice.received()).toEqual([]);
    // alice's list shows it once as the last message.
    expect((await alice.conversation('C2Cbob'))?.lastMessage).toMatchObject({ lastSequence: 1, messageForShow: 'stored, ack lost' });
  });

  it('an ack lost to a dropped connection is recovered by the SDK re-sending the pending request after reconnect', async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const hook = afterNextCommit(srv, () => srv.dropConnections());
    const res = await alice.tim.sendMessage(alice.text('bob', 'ack lost once'));
    expect(hook.fired()).toBe(true);
    const message = res.data.message;
    expect(message).toMatchObject({ status: 'success', sequence: 1 });
    expect(alice.netStates()).toContain('disconnected');

    await waitUntil(() => bob.received().length >= 1, 'bob to get it', 10_000);
    const next = await alice.sendText('bob', 'after');
    expect(next.sequence).toBe(2);
    await waitUntil(() => bob.received().length >= 2, 'bob to get the next one', 10_000);
    await sleep(200);
    expect(bob.received().map((m) => m.ID)).toEqual([message.ID, next.ID]);
    expect(await historyIDs(bob, 'C2Calice')).toEqual([message.ID, next.ID]);
    expect(alice.received()).toEqual([]);
  });

  it('resending an already successful message returns the original sequence and stores nothing new', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const alice2 = await h.login('alice');
    const bob = await h.login('bob');

    const sent: Message[] = [];
    for (let i = 0; i < 3; i++) sent.push(await alice.sendText('bob', `once ${i}`));
    const target = sent[1]!;
    const { sequence, time, ID } = target;
    await bob.waitForReceived(3);

    const res = await alice.tim.resendMessage(target);
    expect(res.data.message).toBe(target);
    expect(target).toMatchObject({ ID, sequence, time, status: 'success' });

    const later = await alice.sendText('bob', 'later');
    expect(later.sequence).toBe(4);
    await bob.waitForReceived(4);
    await alice2.waitForReceived(4);
    await sleep(200);
    expect(bob.received().map((m) => m.ID)).toEqual([...sent, later].map((m) => m.ID));
    expect(alice2.received().map((m) => m.ID)).toEqual([...sent, later].map((m) => m.ID));
    expect(await historyIDs(bob, 'C2Calice')).toEqual([...sent, later].map((m) => m.ID));
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(4);
  });
});

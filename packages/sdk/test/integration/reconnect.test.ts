/**
 * Reconnect through the real SDK and server: NET_STATE_CHANGE sequences on a
 * dropped connection and a server restart, catching up on messages missed
 * while disconnected, and a stress run that cuts every connection several
 * times (and restarts the server once) while messages are in flight: no loss,
 * no duplicate, order kept (spec tim-api.md §6.1 NET_STATE_CHANGE; issue §3
 * "Reconnect").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, type Message } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, NetworkSwitch, type TestUser } from './helpers.js';

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

function isConnected(user: TestUser): boolean {
  return user.netStates().at(-1) === 'connected';
}

/** Checks that states alternate sensibly: every 'connected' follows a 'connecting', no state repeats back to back. */
function expectWellFormedStates(states: string[]): void {
  for (let i = 1; i < states.length; i++) {
    expect(states[i], `state ${i} of ${states.join(',')}`).not.toBe(states[i - 1]);
    if (states[i] === 'connected') expect(states[i - 1]).toBe('connecting');
  }
}

describe('NET_STATE_CHANGE', () => {
  it("reports 'connecting' → 'connected' at login and 'disconnected' → 'connecting' → 'connected' after a dropped connection", async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice');
    expect(alice.netStates()).toEqual(['connecting', 'connected']);
    expect(alice.eventsOf(EVENT.NET_STATE_CHANGE)[0]?.data).toEqual({ state: 'connecting' });

    alice.clearEvents();
    srv.dropConnections();
    await waitUntil(() => alice.netStates().length >= 3, 'three net state changes', 5000);
    await sleep(300);
    expect(alice.netStates()).toEqual(['disconnected', 'connecting', 'connected']);
    // A reconnect is not a new login: no SDK_READY / SDK_NOT_READY.
    expect(alice.eventsOf(EVENT.SDK_NOT_READY)).toEqual([]);
    expect(alice.eventsOf(EVENT.SDK_READY)).toEqual([]);
    expect(alice.tim.isReady()).toBe(true);

    // Twice more, to be sure it is repeatable.
    for (let i = 0; i < 2; i++) {
      alice.clearEvents();
      srv.dropConnections();
      await waitUntil(() => isConnected(alice) && alice.netStates().length >= 3, 'reconnect', 5000);
      expect(alice.netStates()).toEqual(['disconnected', 'connecting', 'connected']);
    }
    // Still works.
    await h.login('bob');
    const m = await alice.sendText('bob', 'still here');
    expect(m.status).toBe('success');
  });

  it('keeps retrying through a server restart and ends connected', async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice');
    alice.clearEvents();
    await srv.server.close();
    await waitUntil(() => alice.netStates().length >= 3, 'at least one failed attempt', 5000);
    await srv.restart();
    await waitUntil(() => isConnected(alice), 'alice to reconnect after the restart', 10_000);
    const states = alice.netStates();
    expect(states[0]).toBe('disconnected');
    expect(states.at(-1)).toBe('connected');
    expect(states.filter((s) => s === 'connected').length).toBe(1);
    expectWellFormedStates(states);
    expect(alice.eventsOf(EVENT.SDK_NOT_READY)).toEqual([]);
  });
});

describe('catching up after a reconnect', () => {
  it('messages sent while the receiver is disconnected arrive after reconnect through MESSAGE_RECEIVED, in order, exactly once', async () => {
    const { h } = await setup();
    const net = new NetworkSwitch();
    const alice = await h.login('alice');
    const bob = await h.login('bob', { WebSocket: net.WebSocket });
    const first = await alice.sendText('bob', 'before');
    await bob.waitForReceived(1);

    net.cut();
    await waitUntil(() => bob.netStates().includes('disconnected'), 'bob to notice the cut');
    const missed: Message[] = [];
    for (let i = 1; i <= 20; i++) missed.push(await alice.sendText('bob', `missed ${i}`));
    await sleep(300);
    expect(bob.received().map((m) => m.ID)).toEqual([first.ID]);

    net.restore();
    await waitUntil(() => bob.received().length >= 21, 'bob to catch up', 10_000);
    await sleep(300);
    expect(bob.received().map((m) => m.ID)).toEqual([first, ...missed].map((m) => m.ID));
    expect(bob.received().map((m) => m.sequence)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(bob.received().every((m) => m.flow === 'in' && m.status === 'success')).toBe(true);
    const conv = await bob.conversation('C2Calice');
    expect(conv?.unreadCount).toBe(21);
    expect(conv?.lastMessage.messageForShow).toBe('missed 20');
    expect(bob.tim.getTotalUnreadMessageCount()).toBe(21);

    // Live delivery carries on normally afterwards.
    const after = await alice.sendText('bob', 'after');
    await waitUntil(() => bob.received().length >= 22, 'the next live message');
    expect(bob.received().at(-1)?.ID).toBe(after.ID);
  });

  it("the sender's other instance catches up on sends it missed (flow out), and a read and a revoke made meanwhile are reflected", async () => {
    const { h } = await setup();
    const net = new NetworkSwitch();
    const alice = await h.login('alice');
    const alice2 = await h.login('alice', { WebSocket: net.WebSocket });
    const bob = await h.login('bob');

    const x = await alice.sendText('bob', 'x');
    await alice2.waitForReceived(1);
    net.cut();
    await waitUntil(() => alice2.netStates().includes('disconnected'), 'alice2 to notice the cut');
    await alice.tim.revokeMessage(x);
    const a = await alice.sendText('bob', 'a');
    const b = await bob.sendText('alice', 'b');
    const c = await alice.sendText('bob', 'c');
    await alice.waitForReceived(1);
    await alice.tim.setMessageRead({ conversationID: 'C2Cbob' });
    net.restore();

    await waitUntil(() => alice2.received().length >= 4, 'alice2 to catch up', 10_000);
    await sleep(300);
    expect(alice2.received().map((m) => [m.ID, m.flow])).toEqual([
      [x.ID, 'out'],
      [a.ID, 'out'],
      [b.ID, 'in'],
      [c.ID, 'out'],
    ]);
    // The read made on alice while alice2 was away leaves nothing unread there.
    await waitUntil(async () => (await alice2.conversation('C2Cbob'))?.unreadCount === 0, 'alice2 unread 0 after catching up');
    expect((await alice2.conversation('C2Cbob'))?.lastMessage.messageForShow).toBe('c');
    // The revoke it missed shows in history, on the instance the app already holds.
    const { messages } = await alice2.history('C2Cbob');
    expect(messages.map((m) => [m.ID, m.isRevoked])).toEqual([
      [x.ID, true],
      [a.ID, false],
      [b.ID, false],
      [c.ID, false],
    ]);
    expect(alice2.received()[0]?.isRevoked).toBe(true);
  });
});

describe('stress: drops and a restart while messages are in flight', () => {
  it('every send settles; bob gets every stored message exactly once in sequence order; history matches', { timeout: 120_000 }, async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const N = 200;
    const WINDOW = 4;
    const acked: Message[] = [];
    const failed: Array<{ message: Message; code: number }> = [];
    const sendOne = async (i: number): Promise<void> => {
      const message = alice.text('bob', `stress ${i}`);
      try {
        await alice.tim.sendMessage(message);
        acked.push(message);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        expect(typeof code).toBe('number');
        expect((err as { data: { message: Message } }).data.message).toBe(message);
        failed.push({ message, code: code as number });
      }
    };

    // Disruptions at random points of the run: 4 drops and one restart (in random order), each
    // while a batch of sends is in flight, once both clients have recovered from the previous one
    // (a drop while already disconnected would cut nothing).
    const plan = new Set<number>();
    while (plan.size < 5) plan.add(10 + Math.floor(Math.random() * (N - 40)));
    const due = [...plan].sort((a, b) => a - b);
    const kinds = ['drop', 'drop', 'drop', 'drop', 'restart'].sort(() => Math.random() - 0.5);
    const disruptions: Array<Promise<void>> = [];
    let drops = 0;
    let restarts = 0;
    const connects = (u: TestUser) => u.netStates().filter((s) => s === 'connected').length;
    // Each client must have reconnected since the previous disruption before the next one.
    let armedAt = { alice: 0, bob: 0 };
    const ready = () => isConnected(alice) && isConnected(bob) && connects(alice) > armedAt.alice && connects(bob) > armedAt.bob;

    for (let start = 0; start < N; start += WINDOW) {
      // A disruption due in this batch waits until the previous one has been recovered from.
      if (due.length > 0 && due[0]! < start + WINDOW) await waitUntil(ready, 'both clients to reconnect before the next disruption', 15_000);
      const batch: Array<Promise<void>> = [];
      for (let i = start; i < Math.min(N, start + WINDOW); i++) {
        batch.push(sendOne(i));
        if (due.length > 0 && i >= due[0]! && ready()) {
          due.shift();
          armedAt = { alice: connects(alice), bob: connects(bob) };
          const kind = kinds.shift();
          // Strike while this batch is in flight, after a random few ms.
          const delay = Math.floor(Math.random() * 5);
          if (kind === 'restart') {
            restarts++;
            disruptions.push(sleep(delay).then(() => srv.restart()));
          } else {
            drops++;
            disruptions.push(sleep(delay).then(() => srv.dropConnections()));
          }
        }
      }
      await Promise.all(batch);
    }
    await Promise.all(disruptions);
    expect(drops).toBe(4);
    expect(restarts).toBe(1);
    expect(acked.length + failed.length).toBe(N);
    // With the server back within moments, nothing should have failed; if anything did it carried a code.
    expect(failed).toEqual([]);

    const ackedSeqs = acked.map((m) => m.sequence).sort((a, b) => a - b);
    expect(new Set(ackedSeqs).size).toBe(acked.length);
    const lastSeq = ackedSeqs.at(-1)!;
    expect(lastSeq).toBe(N);

    await waitUntil(() => bob.received().length >= lastSeq, `bob to receive all ${lastSeq}`, 30_000);
    await sleep(500);
    const received = bob.received();
    expect(received.map((m) => m.sequence)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(new Set(received.map((m) => m.ID)).size).toBe(received.length);
    const receivedIDs = new Set(received.map((m) => m.ID));
    for (const m of acked) expect(receivedIDs.has(m.ID), `acked ${m.ID} (seq ${m.sequence}) reached bob`).toBe(true);
    const bySeq = new Map(acked.map((m) => [m.sequence, m.ID]));
    for (const m of received) expect(m.ID).toBe(bySeq.get(m.sequence));

    // The sending instance never saw its own messages as received.
    expect(alice.received()).toEqual([]);

    for (const [user, conv] of [[bob, 'C2Calice'], [alice, 'C2Cbob']] as const) {
      const { messages } = await user.history(conv);
      expect(messages.map((m) => m.sequence)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      expect(new Set(messages.map((m) => m.ID)).size).toBe(lastSeq);
      expect(messages.map((m) => m.ID)).toEqual(received.map((m) => m.ID));
    }
    const bobConv = await bob.conversation('C2Calice');
    expect(bobConv?.unreadCount).toBe(lastSeq);
    expect(bobConv?.lastMessage.lastSequence).toBe(lastSeq);
    expect((await alice.conversation('C2Cbob'))?.lastMessage.lastSequence).toBe(lastSeq);

    for (const user of [alice, bob]) {
      expect(isConnected(user)).toBe(true);
      expectWellFormedStates(user.netStates());
      expect(user.netStates().filter((s) => s === 'disconnected').length).toBeGreaterThanOrEqual(5);
    }
  });
});

/**
 * One-to-one messaging over the raw protocol: sequences, idempotent resends,
 * multi-instance echo, online-only messages, offline delivery, history paging,
 * gap pulls, read receipts, revoke and conversation deletion.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type ReadPush, type ServerFrame, type WireConversation, type WireMessage } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import {
  ClientPool,
  barrier,
  conversation,
  expectOk,
  listAll,
  listPage,
  pushes,
  send,
  syncConversations,
  textMessage,
  type ResFrame,
} from '../helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeEach(async () => {
  // Unlimited instances so tests can hold a second connection per user.
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(async () => {
  pool.closeAll();
  await srv.close();
});

function messagePushes(client: RawClient): WireMessage[] {
  return pushes<WireMessage>(client, 'push.message');
}

/** Sends many messages pipelined (all frames first, then all acks). */
async function sendMany(client: RawClient, to: string, n: number, label = 'msg'): Promise<WireMessage[]> {
  const requests: Array<Promise<ResFrame>> = [];
  for (let i = 0; i < n; i++) requests.push(client.request('msg.send', { message: textMessage(to, `${label} ${i}`) }));
  const results = await Promise.all(requests);
  return results.map((r) => expectOk<{ message: WireMessage }>(r).message);
}

describe('send and ack', () => {
  it('assigns per-conversation sequences 1, 2, 3 and pushes the same message to the receiver', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const carol = await pool.login(srv, 'carol');
    expectOk(await alice.request('profile.update', { profile: { nick: 'Alice', avatar: 'a.png' } }));

    const acks = [];
    for (let i = 1; i <= 3; i++) {
      // The server stamps the sender's profile nick/avatar; what the client claims is ignored.
      const input = textMessage('bob', `hello ${i}`, { cloudCustomData: `cd${i}`, priority: 'High', nick: 'Mallory', avatar: 'm.png' });
      const ack = await send(alice, input);
      expect(ack.duplicate).toBe(false);
      expect(ack.message).toMatchObject({
        ID: input.ID,
        conversationType: 'C2C',
        from: 'alice',
        to: 'bob',
        seq: i,
        clientTime: input.clientTime,
        random: input.random,
        type: 'TIMTextElem',
        payload: { text: `hello ${i}` },
        cloudCustomData: `cd${i}`,
        priority: 'High',
        nick: 'Alice',
        avatar: 'a.png',
        isRevoked: false,
        revoker: '',
        onlineOnly: false,
      });
      expect(Math.abs(ack.message.time - Date.now() / 1000)).toBeLessThan(5);
      acks.push(ack.message);
    }
    // A second conversation has its own sequence.
    const toCarol = await send(alice, textMessage('carol', 'hi carol'));
    expect(toCarol.message.seq).toBe(1);
    // bob → alice continues the alice↔bob sequence.
    const reply = await send(bob, textMessage('alice', 'hi alice'));
    expect(reply.message.seq).toBe(4);

    await barrier(bob);
    expect(messagePushes(bob)).toEqual(acks);
    await barrier(carol);
    expect(messagePushes(carol).map((m) => m.ID)).toEqual([toCarol.message.ID]);
    await barrier(alice);
    expect(messagePushes(alice)).toEqual([reply.message]);
  });

  it('a resend with the same ID returns duplicate:true with the same seq/time and pushes once', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const input = textMessage('bob', 'once only');
    const first = await send(alice, input);
    expect(first.duplicate).toBe(false);
    await new Promise((r) => setTimeout(r, 1100)); // a later second, so a fresh time would differ

    // Resent with the same ID (even with a different text), on a new connection.
    alice.ws.terminate();
    const alice2 = await pool.login(srv, 'alice');
    const second = await send(alice2, { ...input, payload: { text: 'changed' } });
    expect(second.duplicate).toBe(true);
    expect(second.message).toEqual(first.message);
    // Concurrent duplicates resolve to the same message too.
    const concurrent = await Promise.all([send(alice2, input), send(alice2, input)]);
    for (const c of concurrent) {
      expect(c.duplicate).toBe(true);
      expect(c.message.seq).toBe(first.message.seq);
    }

    await barrier(bob);
    expect(messagePushes(bob).filter((m) => m.ID === input.ID)).toHaveLength(1);
    const history = await listAll(bob, 'C2Calice');
    expect(history.map((m) => m.ID)).toEqual([input.ID]);

    // The same ID toward another receiver is refused rather than silently aliased.
    const other = await alice2.request('msg.send', { message: { ...input, to: 'carol' } });
    expect(other.code).toBe(ErrorCode.InvalidRequest);
    expect(await listAll(alice2, 'C2Ccarol')).toEqual([]);
  });

  it('two concurrent first sends of the same ID store one message', async () => {
    const alice = await pool.login(srv, 'alice');
    const input = textMessage('bob', 'racing');
    const [a, b] = await Promise.all([send(alice, input), send(alice, input)]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(a.message.seq).toBe(b.message.seq);
    expect((await listAll(alice, 'C2Cbob')).map((m) => m.ID)).toEqual([input.ID]);
  });

  it("pushes to the sender's other connection but not to the sending one", async () => {
    const alice1 = await pool.login(srv, 'alice', { instanceID: 'phone' });
    const alice2 = await pool.login(srv, 'alice', { instanceID: 'laptop' });
    const bob = await pool.login(srv, 'bob');
    const sent = await send(alice1, textMessage('bob', 'from the phone'));

    await barrier(alice2);
    expect(messagePushes(alice2)).toEqual([sent.message]);
    await barrier(bob);
    expect(messagePushes(bob)).toEqual([sent.message]);
    await barrier(alice1);
    expect(messagePushes(alice1)).toEqual([]);
  });

  it('messages to oneself are stored once and pushed to the other instances only', async () => {
    const me1 = await pool.login(srv, 'narcissus', { instanceID: 'a' });
    const me2 = await pool.login(srv, 'narcissus', { instanceID: 'b' });
    const sent = await send(me1, textMessage('narcissus', 'note to self'));
    expect(sent.message.seq).toBe(1);
    await barrier(me2);
    expect(messagePushes(me2)).toEqual([sent.message]);
    await barrier(me1);
    expect(messagePushes(me1)).toEqual([]);
    expect((await listAll(me1, 'C2Cnarcissus')).map((m) => m.ID)).toEqual([sent.message.ID]);
    expect((await conversation(me1, 'C2Cnarcissus'))?.unreadCount).toBe(0);
  });
});

describe('online-only messages', () => {
  it('are pushed live with seq 0 and never stored', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const input = textMessage('bob', 'typing…', { type: 'TIMCustomElem', payload: { data: 'typing' } });
    const ack = await send(alice, input, true);
    expect(ack.duplicate).toBe(false);
    expect(ack.message).toMatchObject({ ID: input.ID, seq: 0, onlineOnly: true, from: 'alice', to: 'bob' });

    const push = (await bob.next((f) => f.cmd === 'push.message')) as ServerFrame & { data: WireMessage };
    expect(push.data).toEqual(ack.message);

    expect(await listAll(bob, 'C2Calice')).toEqual([]);
    expect(await listAll(alice, 'C2Cbob')).toEqual([]);
    expect(await syncConversations(bob)).toEqual([]);
    expect(await syncConversations(alice)).toEqual([]);
    const pulled = expectOk<{ messages: WireMessage[] }>(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 0 }));
    expect(pulled.messages).toEqual([]);

    // A stored message afterwards starts at seq 1 and is the conversation's last message.
    const stored = await send(alice, textMessage('bob', 'real message'));
    expect(stored.message.seq).toBe(1);
    const conv = await conversation(bob, 'C2Calice');
    expect(conv?.lastMessage?.ID).toBe(stored.message.ID);
    expect(conv?.unreadCount).toBe(1);
  });

  it('are lost for an offline receiver', async () => {
    const alice = await pool.login(srv, 'alice');
    await send(alice, textMessage('dave', 'are you there?'), true);
    const dave = await pool.login(srv, 'dave');
    await barrier(dave);
    expect(messagePushes(dave)).toEqual([]);
    expect(await syncConversations(dave)).toEqual([]);
  });
});

describe('offline delivery and conversations', () => {
  it('an offline receiver sees unreadCount and lastMessage in conv.sync after logging in', async () => {
    const alice = await pool.login(srv, 'alice');
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push((await send(alice, textMessage('carol', `offline ${i}`))).message);

    const carol = await pool.login(srv, 'carol');
    const convs = await syncConversations(carol);
    expect(convs).toHaveLength(1);
    const conv = convs[0]!;
    expect(conv).toMatchObject({ conversationID: 'C2Calice', type: 'C2C', peer: 'alice', lastSeq: 3, readSeq: 0, unreadCount: 3, hidden: false, clearedSeq: 0 });
    expect(conv.lastMessage).toEqual(sent[2]);
    // Nothing was pushed for messages sent while offline; history has them.
    expect(messagePushes(carol)).toEqual([]);
    expect(await listAll(carol, 'C2Calice')).toEqual(sent);

    // The sender's view: nothing unread, peer has not read.
    const aliceConv = await conversation(alice, 'C2Ccarol');
    expect(aliceConv).toMatchObject({ unreadCount: 0, lastSeq: 3, peerReadSeq: 0 });

    // conv.get returns the same view, and says whether an unknown peer exists.
    const got = expectOk<{ conversation: WireConversation | null; userExists: boolean }>(await carol.request('conv.get', { conversationID: 'C2Calice' }));
    expect(got.conversation).toEqual(conv);
    expect(got.userExists).toBe(true);
    const none = expectOk<{ conversation: WireConversation | null; userExists: boolean }>(await carol.request('conv.get', { conversationID: 'C2Cnobody' }));
    expect(none).toEqual({ conversation: null, userExists: false });
  });
});

describe('history', () => {
  it('pages 105 messages with msg.list: ≤15 per page, oldest first, no gap or overlap, isCompleted at the end', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const fromAlice = await sendMany(alice, 'bob', 60, 'a');
    const fromBob = await sendMany(bob, 'alice', 45, 'b');
    const all = [...fromAlice, ...fromBob];
    expect(all.map((m) => m.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    const bySeq = new Map(all.map((m) => [m.seq, m]));
    // Pipelined sends are pushed to the receiver in sequence order, each exactly once.
    await barrier(bob);
    await barrier(alice);
    expect(messagePushes(bob).map((m) => m.seq)).toEqual(fromAlice.map((m) => m.seq).sort((x, y) => x - y));
    expect(messagePushes(alice).map((m) => m.seq)).toEqual(fromBob.map((m) => m.seq).sort((x, y) => x - y));

    for (const viewer of [alice, bob]) {
      const conversationID = viewer === alice ? 'C2Cbob' : 'C2Calice';
      const seen: number[] = [];
      let beforeSeq: number | undefined;
      let pages = 0;
      for (;;) {
        // Asking for more than the page size is clamped to 15.
        const page = await listPage(viewer, conversationID, beforeSeq, 100);
        pages++;
        expect(page.messages.length).toBeLessThanOrEqual(15);
        const seqs = page.messages.map((m) => m.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // oldest first
        for (const m of page.messages) expect(m).toEqual(bySeq.get(m.seq));
        seen.unshift(...seqs);
        if (page.isCompleted) break;
        expect(page.messages).toHaveLength(15);
        beforeSeq = seqs[0];
      }
      expect(pages).toBe(7);
      expect(seen).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    }

    // A smaller count gives smaller pages; beforeSeq is exclusive.
    const small = await listPage(alice, 'C2Cbob', 50, 4);
    expect(small.messages.map((m) => m.seq)).toEqual([46, 47, 48, 49]);
    expect(small.isCompleted).toBe(false);
    const first = await listPage(alice, 'C2Cbob', 2);
    expect(first.messages.map((m) => m.seq)).toEqual([1]);
    expect(first.isCompleted).toBe(true);
    // An empty conversation is complete right away.
    expect(await listPage(alice, 'C2Cstranger')).toEqual({ messages: [], isCompleted: true });
  });

  it('msg.pull afterSeq returns the gap, bounded by limit', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const sent = await sendMany(alice, 'bob', 12);
    const bySeq = [...sent].sort((a, b) => a.seq - b.seq);

    const gap = expectOk<{ messages: WireMessage[]; upToSeq: number; hasMore: boolean }>(
      await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 7 }),
    );
    expect(gap.messages).toEqual(bySeq.slice(7));
    expect(gap.upToSeq).toBe(12);
    expect(gap.hasMore).toBe(false);

    const limited = expectOk<{ messages: WireMessage[]; upToSeq: number; hasMore: boolean }>(
      await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 2, limit: 4 }),
    );
    expect(limited.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(limited).toMatchObject({ upToSeq: 6, hasMore: true });

    const upToDate = expectOk<{ messages: WireMessage[]; upToSeq: number; hasMore: boolean }>(
      await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 12 }),
    );
    expect(upToDate).toEqual({ messages: [], upToSeq: 12, hasMore: false });
  });
});

describe('read receipts', () => {
  it('msg.read zeroes unread and pushes push.read to the peer and to the reader’s other connection', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob1 = await pool.login(srv, 'bob', { instanceID: 'bob-1' });
    const bob2 = await pool.login(srv, 'bob', { instanceID: 'bob-2' });
    await sendMany(alice, 'bob', 5);
    expect((await conversation(bob1, 'C2Calice'))?.unreadCount).toBe(5);

    // Partial read first.
    const partial = expectOk<{ conversation: WireConversation }>(await bob1.request('msg.read', { conversationID: 'C2Calice', upToSeq: 2 }));
    expect(partial.conversation).toMatchObject({ readSeq: 2, unreadCount: 3 });

    const full = expectOk<{ conversation: WireConversation }>(await bob1.request('msg.read', { conversationID: 'C2Calice' }));
    expect(full.conversation).toMatchObject({ conversationID: 'C2Calice', readSeq: 5, unreadCount: 0, lastSeq: 5 });
    expect((await conversation(bob2, 'C2Calice'))?.unreadCount).toBe(0);

    await barrier(alice);
    await barrier(bob2);
    await barrier(bob1);
    const expected = [
      { reader: 'bob', peer: 'alice', readSeq: 2 },
      { reader: 'bob', peer: 'alice', readSeq: 5 },
    ];
    expect(pushes<ReadPush['data']>(alice, 'push.read').map(({ time: _t, ...rest }) => rest)).toEqual(expected);
    expect(pushes<ReadPush['data']>(bob2, 'push.read').map(({ time: _t, ...rest }) => rest)).toEqual(expected);
    expect(pushes(bob1, 'push.read')).toEqual([]);

    // The sender sees the read receipt in its conversation.
    const aliceConv = await conversation(alice, 'C2Cbob');
    expect(aliceConv).toMatchObject({ peerReadSeq: 5, unreadCount: 0 });
    expect(aliceConv!.peerReadTime).toBeGreaterThan(0);

    // Reading again changes nothing and pushes nothing.
    const again = expectOk<{ conversation: WireConversation }>(await bob1.request('msg.read', { conversationID: 'C2Calice' }));
    expect(again.conversation.unreadCount).toBe(0);
    await barrier(alice);
    expect(pushes(alice, 'push.read')).toHaveLength(2);
  });

  it('own messages never count as unread', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await sendMany(alice, 'bob', 3);
    await send(bob, textMessage('alice', 'reply'));
    expect((await conversation(alice, 'C2Cbob'))?.unreadCount).toBe(1);
    expect((await conversation(bob, 'C2Calice'))?.unreadCount).toBe(3);
  });
});

describe('revoke', () => {
  it('pushes push.revoke to both sides, marks history and drops unread by one', async () => {
    const alice1 = await pool.login(srv, 'alice', { instanceID: 'a1' });
    const alice2 = await pool.login(srv, 'alice', { instanceID: 'a2' });
    const bob = await pool.login(srv, 'bob');
    const keep = await send(alice1, textMessage('bob', 'keep me'));
    const oops = await send(alice1, textMessage('bob', 'oops'));
    expect((await conversation(bob, 'C2Calice'))?.unreadCount).toBe(2);

    const revoked = expectOk<{ message: WireMessage }>(await alice1.request('msg.revoke', { conversationID: 'C2Cbob', messageID: oops.message.ID }));
    expect(revoked.message).toEqual({ ...oops.message, isRevoked: true, revoker: 'alice' });

    for (const c of [bob, alice2]) {
      await barrier(c);
      expect(pushes(c, 'push.revoke'), c === bob ? 'bob' : 'alice2').toEqual([revoked.message]);
    }
    await barrier(alice1);
    expect(pushes(alice1, 'push.revoke')).toEqual([]);

    expect((await conversation(bob, 'C2Calice'))?.unreadCount).toBe(1);
    const history = await listAll(bob, 'C2Calice');
    expect(history.map((m) => [m.ID, m.isRevoked, m.revoker])).toEqual([
      [keep.message.ID, false, ''],
      [oops.message.ID, true, 'alice'],
    ]);

    // Revoking twice is harmless and does not push again.
    const twice = expectOk<{ message: WireMessage }>(await alice1.request('msg.revoke', { conversationID: 'C2Cbob', messageID: oops.message.ID }));
    expect(twice.message.isRevoked).toBe(true);
    await barrier(bob);
    expect(pushes(bob, 'push.revoke')).toHaveLength(1);
    expect((await conversation(bob, 'C2Calice'))?.unreadCount).toBe(1);
  });

  it('revokes the caller’s own message when both participants used the same client message ID', async () => {
    // Message IDs are unique per sender ((from, ID) is the idempotency key), not per conversation.
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const fromBob = await send(bob, textMessage('alice', 'bob first', { ID: 'shared-id' }));
    const fromAlice = await send(alice, textMessage('bob', 'alice second', { ID: 'shared-id' }));
    expect(fromAlice.duplicate).toBe(false);
    expect([fromBob.message.seq, fromAlice.message.seq]).toEqual([1, 2]);

    const revoked = expectOk<{ message: WireMessage }>(await alice.request('msg.revoke', { conversationID: 'C2Cbob', messageID: 'shared-id' }));
    expect(revoked.message).toMatchObject({ from: 'alice', seq: 2, isRevoked: true, revoker: 'alice' });
    const history = await listAll(bob, 'C2Calice');
    expect(history.map((m) => [m.from, m.isRevoked])).toEqual([
      ['bob', false],
      ['alice', true],
    ]);
  });

  it('revoking an already-read message leaves unread at zero', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const m = await send(alice, textMessage('bob', 'read then revoked'));
    await bob.request('msg.read', { conversationID: 'C2Calice' });
    expectOk(await alice.request('msg.revoke', { conversationID: 'C2Cbob', messageID: m.message.ID }));
    expect((await conversation(bob, 'C2Calice'))?.unreadCount).toBe(0);
  });
});

describe('conv.delete', () => {
  it('with clearHistoryMessage true hides the conversation and its history until a new message', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob1 = await pool.login(srv, 'bob', { instanceID: 'b1' });
    const bob2 = await pool.login(srv, 'bob', { instanceID: 'b2' });
    const old = await sendMany(alice, 'bob', 20);

    const res = expectOk<{ conversationIDList: string[] }>(
      await bob1.request('conv.delete', { conversationIDList: ['C2Calice', 'C2Cnever-talked'], clearHistoryMessage: true }),
    );
    expect(res.conversationIDList).toEqual(['C2Calice']);
    await barrier(bob2);
    expect(pushes(bob2, 'push.conversation-deleted')).toEqual([{ conversationIDList: ['C2Calice'], clearHistoryMessage: true }]);

    const hidden = await conversation(bob1, 'C2Calice');
    expect(hidden).toMatchObject({ hidden: true, clearedSeq: 20, unreadCount: 0, lastMessage: null });
    expect(await listPage(bob1, 'C2Calice')).toEqual({ messages: [], isCompleted: true });
    const pulled = expectOk<{ messages: WireMessage[] }>(await bob1.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 0 }));
    expect(pulled.messages).toEqual([]);
    // Alice's history is untouched.
    expect((await listAll(alice, 'C2Cbob')).map((m) => m.ID)).toEqual([...old].sort((a, b) => a.seq - b.seq).map((m) => m.ID));

    const fresh = await send(alice, textMessage('bob', 'are you back?'));
    const visible = await conversation(bob1, 'C2Calice');
    expect(visible).toMatchObject({ hidden: false, unreadCount: 1, lastSeq: 21 });
    expect(visible!.lastMessage).toEqual(fresh.message);
    expect(await listAll(bob1, 'C2Calice')).toEqual([fresh.message]);
    expect(await listPage(bob1, 'C2Calice', 21)).toEqual({ messages: [], isCompleted: true });
  });

  it('with clearHistoryMessage false hides the conversation but keeps its history', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const old = await sendMany(alice, 'bob', 3);
    expectOk(await bob.request('conv.delete', { conversationIDList: ['C2Calice'], clearHistoryMessage: false }));

    const hidden = await conversation(bob, 'C2Calice');
    expect(hidden).toMatchObject({ hidden: true, clearedSeq: 0, unreadCount: 0 });
    expect((await listAll(bob, 'C2Calice')).map((m) => m.seq)).toEqual([1, 2, 3]);

    await send(alice, textMessage('bob', 'new'));
    const visible = await conversation(bob, 'C2Calice');
    expect(visible).toMatchObject({ hidden: false, unreadCount: 1 });
    expect((await listAll(bob, 'C2Calice')).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(old).toHaveLength(3);
  });
});

/**
 * The blacklist over the raw protocol: blacklist.get/add/remove with their
 * limits and errors, push.blacklist to the user's other connections,
 * persistence, and enforcement on the send path (20007, nothing stored,
 * nothing delivered, resend after unblocking).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type WireMessage } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, barrier, conversation, errorCode, expectOk, listAll, pushes, send, textMessage, type ResFrame } from '../helpers.js';

const pool = new ClientPool();
let srv: TestServer;

const MAX_SIZE = 5;
const MAX_BATCH = 4;

beforeEach(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0, maxBlacklistSize: MAX_SIZE, maxBlacklistBatch: MAX_BATCH } });
});
afterEach(async () => {
  pool.closeAll();
  await srv.close();
});

async function list(client: RawClient): Promise<string[]> {
  return expectOk<{ userIDList: string[] }>(await client.request('blacklist.get')).userIDList;
}

function addRaw(client: RawClient, userIDList: string[]): Promise<ResFrame> {
  return client.request('blacklist.add', { userIDList });
}

async function add(client: RawClient, userIDList: string[]): Promise<string[]> {
  return expectOk<{ userIDList: string[] }>(await addRaw(client, userIDList)).userIDList;
}

async function remove(client: RawClient, userIDList: string[]): Promise<string[]> {
  return expectOk<{ userIDList: string[] }>(await client.request('blacklist.remove', { userIDList })).userIDList;
}

function blacklistPushes(client: RawClient): string[][] {
  return pushes<{ userIDList: string[] }>(client, 'push.blacklist').map((d) => d.userIDList);
}

/** Logs each user in once (so they are known) and closes the connections. */
async function known(...userIDs: string[]): Promise<void> {
  for (const id of userIDs) (await pool.login(srv, id)).ws.terminate();
}

describe('blacklist.get / add / remove', () => {
  it('starts empty, adds in order (deduplicated), answers the whole list each time, removes', async () => {
    const alice = await pool.login(srv, 'alice');
    await known('bob', 'carol', 'dave');
    expect(await list(alice)).toEqual([]);
    expect(await add(alice, ['dave'])).toEqual(['dave']);
    // The list keeps the order of the calls and, within a call, the request order; present IDs stay put.
    expect(await add(alice, ['carol', 'bob', 'carol', 'dave'])).toEqual(['dave', 'carol', 'bob']);
    expect(await list(alice)).toEqual(['dave', 'carol', 'bob']);
    expect(await add(alice, ['bob'])).toEqual(['dave', 'carol', 'bob']);

    expect(await remove(alice, ['carol', 'nobody', 'alice', 'carol'])).toEqual(['dave', 'bob']);
    expect(await remove(alice, ['nobody'])).toEqual(['dave', 'bob']);
    expect(await list(alice)).toEqual(['dave', 'bob']);
    expect(await add(alice, ['carol'])).toEqual(['dave', 'bob', 'carol']);
    expect(await remove(alice, ['dave', 'carol', 'bob'])).toEqual([]);
  });

  it('silently drops yourself from a longer list, and refuses a list of only yourself with 30001', async () => {
    const alice = await pool.login(srv, 'alice');
    await known('bob');
    for (const ids of [['alice'], ['alice', 'alice']]) {
      const res = await addRaw(alice, ids);
      expect(errorCode(res)).toBe(ErrorCode.RelationInvalidParameters);
      expect((res as { message: string }).message).toMatch(/yourself/);
    }
    expect(await list(alice)).toEqual([]);
    expect(await add(alice, ['alice', 'bob'])).toEqual(['bob']);
  });

  it('refuses unknown users with 30003 and changes nothing', async () => {
    const alice = await pool.login(srv, 'alice');
    await known('bob', 'carol');
    // ghost was sent a message but never logged in: still unknown.
    await send(alice, textMessage('ghost', 'hi'));
    const res = await addRaw(alice, ['bob', 'ghost', 'carol']);
    expect(errorCode(res)).toBe(ErrorCode.RelationAccountNotFound);
    expect((res as { message: string }).message).toContain('ghost');
    expect(await list(alice)).toEqual([]);
  });

  it('refuses more IDs per call than maxBlacklistBatch with 30001 (add and remove)', async () => {
    const alice = await pool.login(srv, 'alice');
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5'];
    await known(...ids);
    expect(await add(alice, ids.slice(0, MAX_BATCH))).toEqual(ids.slice(0, MAX_BATCH));
    expect(errorCode(await addRaw(alice, ids))).toBe(ErrorCode.RelationInvalidParameters);
    expect(errorCode(await alice.request('blacklist.remove', { userIDList: ids }))).toBe(ErrorCode.RelationInvalidParameters);
    expect(await list(alice)).toEqual(ids.slice(0, MAX_BATCH));
  });

  it('refuses to grow beyond maxBlacklistSize with 30013 and changes nothing', async () => {
    const alice = await pool.login(srv, 'alice');
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
    await known(...ids);
    await add(alice, ['u1', 'u2', 'u3']);
    const res = await addRaw(alice, ['u2', 'u4', 'u5', 'u6']);
    expect(errorCode(res)).toBe(ErrorCode.BlacklistFull);
    expect(await list(alice)).toEqual(['u1', 'u2', 'u3']);
    // Present IDs do not count twice: this reaches exactly the limit.
    expect(await add(alice, ['u1', 'u4', 'u5'])).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(errorCode(await addRaw(alice, ['u6']))).toBe(ErrorCode.BlacklistFull);
    expect(await remove(alice, ['u1'])).toEqual(['u2', 'u3', 'u4', 'u5']);
    expect(await add(alice, ['u6'])).toEqual(['u2', 'u3', 'u4', 'u5', 'u6']);
  });

  it('rejects malformed lists at the codec (95002)', async () => {
    const alice = await pool.login(srv, 'alice');
    for (const userIDList of [[], ['u'.repeat(33)], [7], 'bob']) {
      expect(errorCode(await alice.request('blacklist.add', { userIDList }))).toBe(ErrorCode.InvalidFrame);
      expect(errorCode(await alice.request('blacklist.remove', { userIDList }))).toBe(ErrorCode.InvalidFrame);
    }
  });

  it('pushes the whole list to the user’s other connections on a change, not to the caller or other users', async () => {
    const alice = await pool.login(srv, 'alice');
    const alice2 = await pool.login(srv, 'alice');
    const alice3 = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await known('carol');
    await add(alice, ['bob', 'carol']);
    await remove(alice2, ['bob']);
    // No-ops push nothing.
    await add(alice, ['carol']);
    await remove(alice, ['bob']);
    await Promise.all([alice, alice2, alice3, bob].map(barrier));
    expect(blacklistPushes(alice)).toEqual([['carol']]);
    expect(blacklistPushes(alice2)).toEqual([['bob', 'carol']]);
    expect(blacklistPushes(alice3)).toEqual([['bob', 'carol'], ['carol']]);
    expect(blacklistPushes(bob)).toEqual([]);
  });

  it('persists across a server restart', async () => {
    const alice = await pool.login(srv, 'alice');
    await known('bob', 'carol');
    await add(alice, ['carol', 'bob']);
    pool.closeAll();
    await srv.restart();
    const again = await pool.login(srv, 'alice');
    expect(await list(again)).toEqual(['carol', 'bob']);
    const bob = await pool.login(srv, 'bob');
    expect(errorCode(await bob.request('msg.send', { message: textMessage('alice', 'still blocked') }))).toBe(ErrorCode.SenderBlacklisted);
  });
});

describe('enforcement on send', () => {
  it('refuses a blocked sender with 20007: nothing stored or delivered, the blocker’s unread unchanged; a resend after unblocking works', async () => {
    const alice = await pool.login(srv, 'alice');
    const alice2 = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const carol = await pool.login(srv, 'carol');
    const before = await send(alice, textMessage('bob', 'before the block'));
    await add(bob, ['alice']);
    await bob.next((f) => f.cmd === 'push.message');
    await alice2.next((f) => f.cmd === 'push.message');

    const blocked = textMessage('bob', 'blocked');
    const res = await alice.request('msg.send', { message: blocked });
    expect(errorCode(res)).toBe(ErrorCode.SenderBlacklisted);
    expect(errorCode(await alice.request('msg.send', { message: textMessage('bob', 'live'), onlineUserOnly: true }))).toBe(ErrorCode.SenderBlacklisted);
    // The same refused ID again: still refused (it was never stored, so it is no duplicate).
    expect(errorCode(await alice.request('msg.send', { message: blocked }))).toBe(ErrorCode.SenderBlacklisted);

    await Promise.all([bob, alice2].map(barrier));
    expect(pushes<WireMessage>(bob, 'push.message').map((m) => m.ID)).toEqual([before.message.ID]);
    expect(pushes<WireMessage>(alice2, 'push.message').map((m) => m.ID)).toEqual([before.message.ID]);
    expect((await listAll(bob, 'C2Calice')).map((m) => m.ID)).toEqual([before.message.ID]);
    expect((await listAll(alice, 'C2Cbob')).map((m) => m.ID)).toEqual([before.message.ID]);
    expect(await conversation(bob, 'C2Calice')).toMatchObject({ lastSeq: 1, unreadCount: 1 });
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 1 }))).toEqual({ messages: [], upToSeq: 1, hasMore: false });

    // Only bob blocked alice: alice still reaches carol, and bob still reaches alice.
    await send(alice, textMessage('carol', 'hi carol'));
    await carol.next((f) => f.cmd === 'push.message');
    const reply = await send(bob, textMessage('alice', 'I can still write to you'));
    expect(reply.message.seq).toBe(2);

    await remove(bob, ['alice']);
    const resent = await send(alice, blocked);
    expect(resent.duplicate).toBe(false);
    expect(resent.message).toMatchObject({ ID: blocked.ID, seq: 3 });
    const pushed = await bob.next((f) => f.cmd === 'push.message' && (f.data as WireMessage).ID === blocked.ID);
    expect(pushed).toEqual({ cmd: 'push.message', data: resent.message });
    expect(await conversation(bob, 'C2Calice')).toMatchObject({ lastSeq: 3, unreadCount: 2 });
  });

  it('a resend of a message stored before the block is answered from storage', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const input = textMessage('bob', 'stored before');
    const first = await send(alice, input);
    await add(bob, ['alice']);
    const again = await send(alice, input);
    expect(again).toEqual({ message: first.message, duplicate: true });
  });
});

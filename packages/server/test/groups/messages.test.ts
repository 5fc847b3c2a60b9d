/**
 * Group messages: per-group sequences, fan-out (stored once, one frame to every
 * member, never echoed to the sending connection), idempotent sends, history and
 * gap pulls, read state and derived unread (after reconnect too), revoke rules,
 * remind types (Discard / AcceptNotNotify, group and C2C), conversation deletion.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type WireMessage } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, send as sendC2C, syncConversations, textMessage } from '../helpers.js';
import {
  clearFrames,
  createGroup,
  framesOf,
  getGroup,
  groupConversation,
  groupMessages,
  groupText,
  ok,
  refused,
  sendGroup,
  settle,
  uid,
} from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;
/** Seconds added to the server clock (revoke windows). */
let skewSeconds = 0;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 }, clock: { nowMs: () => Date.now() + skewSeconds * 1000 } });
});
afterEach(() => {
  pool.closeAll();
  skewSeconds = 0;
});
afterAll(async () => {
  await srv.close();
});

interface Crew {
  g: string;
  ids: { alice: string; bob: string; carol: string; dave: string };
  a1: RawClient;
  a2: RawClient;
  bob: RawClient;
  carol: RawClient;
  dave: RawClient;
}

/** A Public group: alice owner (two connections), bob admin, carol member; dave outside. */
async function crew(type: 'Public' | 'Private' | 'ChatRoom' | 'Community' = 'Public'): Promise<Crew> {
  const p = uid('msg');
  const ids = { alice: `${p}-alice`, bob: `${p}-bob`, carol: `${p}-carol`, dave: `${p}-dave` };
  const a1 = await pool.login(srv, ids.alice);
  const a2 = await pool.login(srv, ids.alice);
  const bob = await pool.login(srv, ids.bob);
  const carol = await pool.login(srv, ids.carol);
  const dave = await pool.login(srv, ids.dave);
  const memberList = [{ userID: ids.bob, role: type === 'Private' ? 'Member' : 'Admin' }, { userID: ids.carol }];
  const g = (await createGroup(a1, type, { memberList })).groupID;
  await settle(a1, a2, bob, carol, dave);
  clearFrames(a1, a2, bob, carol, dave);
  return { g, ids, a1, a2, bob, carol, dave };
}

function texts(messages: WireMessage[]): string[] {
  return messages.filter((m) => m.type === 'TIMTextElem').map((m) => (m.payload as { text: string }).text);
}

describe('send', () => {
  it('assigns per-group sequences and delivers one identical frame to every member connection but the sender’s', async () => {
    const c = await crew();
    await ok(c.carol, 'profile.update', { profile: { nick: 'Carol', avatar: 'carol.png' } });
    await ok(c.carol, 'group.set-name-card', { groupID: c.g, userID: c.ids.carol, nameCard: 'CC' });
    const start = (await getGroup(c.a1, c.g)).nextMessageSeq;
    const sent: WireMessage[] = [];
    for (let i = 0; i < 3; i++) sent.push(await sendGroup(c.carol, c.g, `hello ${i}`, { nick: 'ignored', priority: 'High', cloudCustomData: `cd${i}` }));
    expect(sent.map((m) => m.seq)).toEqual([start, start + 1, start + 2]);
    expect(sent[0]).toMatchObject({
      conversationType: 'GROUP',
      from: c.ids.carol,
      to: c.g,
      nick: 'Carol',
      avatar: 'carol.png',
      nameCard: 'CC',
      priority: 'High',
      cloudCustomData: 'cd0',
      isRevoked: false,
      onlineOnly: false,
    });
    expect((await getGroup(c.a1, c.g)).nextMessageSeq).toBe(start + 3);
    await settle(c.a1, c.a2, c.bob, c.carol, c.dave);
    for (const client of [c.a1, c.a2, c.bob]) expect(groupMessages(client, c.g).filter((m) => m.type === 'TIMTextElem')).toEqual(sent);
    expect(groupMessages(c.carol, c.g).filter((m) => m.type === 'TIMTextElem')).toEqual([]);
    expect(groupMessages(c.dave)).toEqual([]);
    // The sender's other connection gets it (flow "out").
    const carol2 = await pool.login(srv, c.ids.carol);
    const fourth = await sendGroup(c.carol, c.g, 'again');
    await settle(carol2);
    expect(groupMessages(carol2, c.g)).toEqual([fourth]);
  });

  it('refuses non-members (10007), unknown groups (10010), bad elements (20001), large bodies (80002) and tips (20001), storing nothing', async () => {
    const c = await crew();
    const before = (await getGroup(c.a1, c.g)).nextMessageSeq;
    await refused(c.dave, 'msg.send', { message: groupText(c.g, 'let me in') }, ErrorCode.NoPermission);
    await refused(c.dave, 'msg.send', { message: groupText(uid('missing'), 'x') }, ErrorCode.GroupNotFound);
    await refused(c.carol, 'msg.send', { message: groupText(c.g, '') }, ErrorCode.InvalidRequest);
    await refused(c.carol, 'msg.send', { message: groupText(c.g, 'x', { type: 'TIMGroupTipElem', payload: { operationType: 1 } }) }, ErrorCode.InvalidRequest);
    await refused(c.carol, 'msg.send', { message: groupText(c.g, 'x'.repeat(13_000)) }, ErrorCode.MessageBodyTooLarge);
    expect((await getGroup(c.a1, c.g)).nextMessageSeq).toBe(before);
    await settle(c.a1, c.bob);
    expect(groupMessages(c.a1)).toEqual([]);
  });

  it('is idempotent by (sender, ID): a resend returns the stored original and pushes nothing', async () => {
    const c = await crew();
    const input = groupText(c.g, 'once');
    const first = (await ok(c.carol, 'msg.send', { message: input })).message;
    const again = await ok(c.carol, 'msg.send', { message: { ...input, payload: { text: 'changed' } } });
    expect(again).toEqual({ message: first, duplicate: true });
    const concurrent = await Promise.all([ok(c.carol, 'msg.send', { message: input }), ok(c.carol, 'msg.send', { message: input })]);
    for (const r of concurrent) expect(r).toEqual({ message: first, duplicate: true });
    await settle(c.bob);
    expect(groupMessages(c.bob, c.g).filter((m) => m.ID === input.ID)).toHaveLength(1);
    const history = await ok(c.bob, 'msg.list', { conversationID: `GROUP${c.g}` });
    expect(history.messages.filter((m) => m.ID === input.ID)).toHaveLength(1);
    // The same ID toward a C2C conversation is refused.
    await refused(c.carol, 'msg.send', { message: textMessage(c.ids.bob, 'x', { ID: input.ID }) }, ErrorCode.InvalidRequest);
    // And a C2C message ID cannot be reused for the group.
    const c2c = await sendC2C(c.carol, textMessage(c.ids.bob, 'private'));
    await refused(c.carol, 'msg.send', { message: groupText(c.g, 'x', { ID: c2c.message.ID }) }, ErrorCode.InvalidRequest);
  });

  it('onlineUserOnly: seq 0, delivered to online members, never stored', async () => {
    const c = await crew();
    const res = await ok(c.carol, 'msg.send', { message: groupText(c.g, 'typing…'), onlineUserOnly: true });
    expect(res.message).toMatchObject({ seq: 0, onlineOnly: true });
    await settle(c.a1, c.bob);
    expect(groupMessages(c.bob, c.g)).toEqual([res.message]);
    expect(texts((await ok(c.bob, 'msg.list', { conversationID: `GROUP${c.g}` })).messages)).toEqual([]);
    expect((await groupConversation(c.bob, c.g))?.unreadCount).toBe(0);
  });
});

describe('history', () => {
  it('pages newest first with beforeSeq (15 per page), pulls gaps with afterSeq', async () => {
    const c = await crew();
    const sent: WireMessage[] = [];
    for (let i = 0; i < 20; i++) sent.push(await sendGroup(c.bob, c.g, `m${i}`));
    const conversationID = `GROUP${c.g}`;
    const page1 = await ok(c.carol, 'msg.list', { conversationID, count: 100 });
    expect(page1.messages).toHaveLength(15);
    expect(page1.isCompleted).toBe(false);
    expect(page1.messages.at(-1)).toEqual(sent.at(-1));
    const page2 = await ok(c.carol, 'msg.list', { conversationID, beforeSeq: page1.messages[0]!.seq });
    expect(page2.isCompleted).toBe(true);
    // Tips from creation are part of the timeline.
    expect(page2.messages[0]!.type).toBe('TIMGroupTipElem');
    expect(texts([...page2.messages, ...page1.messages])).toEqual(sent.map((m) => (m.payload as { text: string }).text));
    const pulled = await ok(c.carol, 'msg.pull', { conversationID, afterSeq: sent[9]!.seq, limit: 5 });
    expect(pulled.messages.map((m) => m.seq)).toEqual(sent.slice(10, 15).map((m) => m.seq));
    expect(pulled).toMatchObject({ hasMore: true, upToSeq: sent[14]!.seq });
    const rest = await ok(c.carol, 'msg.pull', { conversationID, afterSeq: sent[14]!.seq });
    expect(rest).toMatchObject({ hasMore: false, upToSeq: sent[19]!.seq });
    await refused(c.dave, 'msg.list', { conversationID }, ErrorCode.NoPermission);
    await refused(c.dave, 'msg.pull', { conversationID, afterSeq: 0 }, ErrorCode.NoPermission);
    await refused(c.dave, 'msg.list', { conversationID: `GROUP${uid('missing')}` }, ErrorCode.GroupNotFound);
  });
});

describe('read state and unread', () => {
  it('unread = others’ messages after the read point (not tips, not own, not revoked); survives reconnect', async () => {
    const c = await crew();
    await sendGroup(c.bob, c.g, 'b1');
    const b2 = await sendGroup(c.bob, c.g, 'b2');
    await sendGroup(c.carol, c.g, 'own');
    await ok(c.a1, 'group.update', { groupID: c.g, notification: 'tip, not unread' });
    const b3 = await sendGroup(c.bob, c.g, 'b3');
    await ok(c.bob, 'msg.revoke', { conversationID: `GROUP${c.g}`, messageID: b3.ID });
    await sendGroup(c.a1, c.g, 'a1');
    // Reconnect, then sync: carol has b1, b2, a1 unread.
    c.carol.ws.terminate();
    const carol = await pool.login(srv, c.ids.carol);
    const conv = await groupConversation(carol, c.g);
    expect(conv).toMatchObject({ type: 'GROUP', peer: c.g, unreadCount: 3, hidden: false, messageRemindType: '', groupProfile: { groupID: c.g, name: 'Public group', type: 'Public' } });
    expect(conv?.lastMessage?.payload).toEqual({ text: 'a1' });
    expect((await getGroup(carol, c.g)).unreadCount).toBe(3);
    // Partial read up to b2: only a1 remains.
    const partial = await ok(carol, 'msg.read', { conversationID: `GROUP${c.g}`, upToSeq: b2.seq });
    expect(partial.conversation).toMatchObject({ readSeq: b2.seq, unreadCount: 1 });
    expect((await getGroup(carol, c.g)).selfInfo?.readedSequence).toBe(b2.seq);
    // Reading everything; reading backwards changes nothing.
    expect((await ok(carol, 'msg.read', { conversationID: `GROUP${c.g}` })).conversation.unreadCount).toBe(0);
    expect((await ok(carol, 'msg.read', { conversationID: `GROUP${c.g}`, upToSeq: 1 })).conversation.unreadCount).toBe(0);
    await sendGroup(c.bob, c.g, 'b4');
    expect((await groupConversation(carol, c.g))?.unreadCount).toBe(1);
    // Revoking an unread message takes it out of the count.
    const b5 = await sendGroup(c.bob, c.g, 'b5');
    expect((await groupConversation(carol, c.g))?.unreadCount).toBe(2);
    await ok(c.bob, 'msg.revoke', { conversationID: `GROUP${c.g}`, messageID: b5.ID });
    expect((await groupConversation(carol, c.g))?.unreadCount).toBe(1);
    await refused(c.dave, 'msg.read', { conversationID: `GROUP${c.g}` }, ErrorCode.NoPermission);
  });

  it('a new member starts with nothing unread', async () => {
    const c = await crew('ChatRoom');
    await sendGroup(c.bob, c.g, 'before');
    await ok(c.dave, 'group.join', { groupID: c.g });
    expect((await groupConversation(c.dave, c.g))?.unreadCount).toBe(0);
    const work = await crew('Private');
    await sendGroup(work.bob, work.g, 'before');
    await ok(work.carol, 'group.add-members', { groupID: work.g, userIDList: [work.ids.dave] });
    expect((await groupConversation(work.dave, work.g))?.unreadCount).toBe(0);
    await sendGroup(work.bob, work.g, 'after');
    expect((await groupConversation(work.dave, work.g))?.unreadCount).toBe(1);
  });
});

describe('revoke', () => {
  it('the sender within the window; owner/admins any time; members not others’; tips never', async () => {
    const c = await crew();
    const conversationID = `GROUP${c.g}`;
    const mine = await sendGroup(c.carol, c.g, 'oops');
    const res = await ok(c.carol, 'msg.revoke', { conversationID, messageID: mine.ID });
    expect(res.message).toMatchObject({ ID: mine.ID, isRevoked: true, revoker: c.ids.carol, seq: mine.seq });
    await settle(c.a1, c.a2, c.bob, c.carol);
    for (const client of [c.a1, c.a2, c.bob]) expect(framesOf<WireMessage>(client, 'push.revoke')).toEqual([res.message]);
    expect(framesOf(c.carol, 'push.revoke')).toEqual([]);
    // Revoking again is a no-op that answers with the stored message.
    expect((await ok(c.carol, 'msg.revoke', { conversationID, messageID: mine.ID })).message).toEqual(res.message);

    const bobs = await sendGroup(c.bob, c.g, 'admin message');
    await refused(c.carol, 'msg.revoke', { conversationID, messageID: bobs.ID }, ErrorCode.NoPermission);
    const late = await sendGroup(c.carol, c.g, 'late');
    skewSeconds = 121;
    await refused(c.carol, 'msg.revoke', { conversationID, messageID: late.ID }, ErrorCode.GroupRevokeTimeLimitExceeded);
    expect((await ok(c.bob, 'msg.list', { conversationID })).messages.find((m) => m.ID === late.ID)?.isRevoked).toBe(false);
    // Admins and the owner revoke anyone's message at any time.
    expect((await ok(c.bob, 'msg.revoke', { conversationID, messageID: late.ID })).message).toMatchObject({ isRevoked: true, revoker: c.ids.bob });
    expect((await ok(c.a1, 'msg.revoke', { conversationID, messageID: bobs.ID })).message.revoker).toBe(c.ids.alice);

    const tip = (await ok(c.a1, 'msg.list', { conversationID })).messages.find((m) => m.type === 'TIMGroupTipElem')!;
    await refused(c.a1, 'msg.revoke', { conversationID, messageID: tip.ID }, ErrorCode.MessageTypeNotRevocable);
    await refused(c.a1, 'msg.revoke', { conversationID, messageID: 'no-such-id' }, ErrorCode.RevokeMessageNotFound);
    await refused(c.dave, 'msg.revoke', { conversationID, messageID: bobs.ID }, ErrorCode.NoPermission);
  });
});

describe('remind types (conv.set-remind)', () => {
  it('group Discard: the member gets no live messages (tips neither) but history and unread stay', async () => {
    const c = await crew();
    const res = await ok(c.carol, 'conv.set-remind', { conversationIDList: [`GROUP${c.g}`], messageRemindType: 'Discard' });
    expect(res).toEqual({ conversationIDList: [`GROUP${c.g}`], messageRemindType: 'Discard' });
    const m = await sendGroup(c.bob, c.g, 'unheard');
    await ok(c.a1, 'group.update', { groupID: c.g, name: 'quiet' });
    await settle(c.carol, c.a1);
    expect(groupMessages(c.carol, c.g)).toEqual([]);
    expect(groupMessages(c.a1, c.g).map((x) => x.ID)).toContain(m.ID);
    const conv = await groupConversation(c.carol, c.g);
    expect(conv).toMatchObject({ messageRemindType: 'Discard', unreadCount: 1 });
    expect((await getGroup(c.carol, c.g)).selfInfo?.messageRemindType).toBe('Discard');
    expect(texts((await ok(c.carol, 'msg.list', { conversationID: `GROUP${c.g}` })).messages)).toEqual(['unheard']);
  });

  it('AcceptNotNotify: delivered; the other instance gets push.remind-type', async () => {
    const c = await crew();
    await ok(c.a1, 'conv.set-remind', { conversationIDList: [`GROUP${c.g}`, `C2C${c.ids.bob}`], messageRemindType: 'AcceptNotNotify' });
    await settle(c.a2, c.a1);
    expect(framesOf(c.a2, 'push.remind-type')).toEqual([{ conversationIDList: [`GROUP${c.g}`, `C2C${c.ids.bob}`], messageRemindType: 'AcceptNotNotify' }]);
    expect(framesOf(c.a1, 'push.remind-type')).toEqual([]);
    const m = await sendGroup(c.bob, c.g, 'quietly');
    await settle(c.a1);
    expect(groupMessages(c.a1, c.g).map((x) => x.ID)).toContain(m.ID);
    const conversations = await syncConversations(c.a2);
    expect(conversations.find((x) => x.conversationID === `GROUP${c.g}`)).toMatchObject({ messageRemindType: 'AcceptNotNotify', unreadCount: 1 });
    // The C2C setting exists before any message (a hidden conversation row).
    expect(conversations.find((x) => x.conversationID === `C2C${c.ids.bob}`)).toMatchObject({ messageRemindType: 'AcceptNotNotify', hidden: true });
    expect((await ok(c.a2, 'conv.get', { conversationID: `C2C${c.ids.bob}` })).conversation?.messageRemindType).toBe('AcceptNotNotify');
  });

  it('C2C Discard: the message is stored and acknowledged but not pushed to the receiver', async () => {
    const c = await crew();
    await ok(c.carol, 'conv.set-remind', { conversationIDList: [`C2C${c.ids.bob}`], messageRemindType: 'Discard' });
    const sent = await sendC2C(c.bob, textMessage(c.ids.carol, 'shh'));
    await settle(c.carol);
    expect(framesOf<WireMessage>(c.carol, 'push.message').filter((m) => m.ID === sent.message.ID)).toEqual([]);
    const conv = (await syncConversations(c.carol)).find((x) => x.conversationID === `C2C${c.ids.bob}`);
    expect(conv).toMatchObject({ messageRemindType: 'Discard', unreadCount: 1, hidden: false });
    // Back to AcceptAndNotify: delivered again.
    await ok(c.carol, 'conv.set-remind', { conversationIDList: [`C2C${c.ids.bob}`], messageRemindType: 'AcceptAndNotify' });
    const next = await sendC2C(c.bob, textMessage(c.ids.carol, 'hey'));
    await c.carol.next((f) => f.cmd === 'push.message' && f.data.ID === next.message.ID);
  });

  it('refuses non-member groups (10007), unknown groups (10010) and @TIM#SYSTEM (10004), changing nothing', async () => {
    const c = await crew();
    await refused(c.dave, 'conv.set-remind', { conversationIDList: [`C2C${c.ids.bob}`, `GROUP${c.g}`], messageRemindType: 'Discard' }, ErrorCode.NoPermission);
    await refused(c.dave, 'conv.set-remind', { conversationIDList: [`GROUP${uid('missing')}`], messageRemindType: 'Discard' }, ErrorCode.GroupNotFound);
    await refused(c.dave, 'conv.set-remind', { conversationIDList: ['@TIM#SYSTEM'], messageRemindType: 'Discard' }, ErrorCode.InvalidParameters);
    expect((await syncConversations(c.dave)).find((x) => x.conversationID === `C2C${c.ids.bob}`)).toBeUndefined();
  });
});

describe('group conversations', () => {
  it('conv.delete hides the group conversation (marks it read) until the next message; clearHistoryMessage clears history', async () => {
    const c = await crew();
    await sendGroup(c.bob, c.g, 'one');
    const res = await ok(c.a1, 'conv.delete', { conversationIDList: [`GROUP${c.g}`], clearHistoryMessage: true });
    expect(res.conversationIDList).toEqual([`GROUP${c.g}`]);
    await settle(c.a2);
    expect(framesOf(c.a2, 'push.conversation-deleted')).toEqual([{ conversationIDList: [`GROUP${c.g}`], clearHistoryMessage: true }]);
    expect(await groupConversation(c.a2, c.g)).toMatchObject({ hidden: true, unreadCount: 0, lastMessage: null });
    expect((await ok(c.a1, 'msg.list', { conversationID: `GROUP${c.g}` })).messages).toEqual([]);
    await sendGroup(c.bob, c.g, 'two');
    expect(await groupConversation(c.a2, c.g)).toMatchObject({ hidden: false, unreadCount: 1, lastMessage: { payload: { text: 'two' } } });
    expect(texts((await ok(c.a1, 'msg.list', { conversationID: `GROUP${c.g}` })).messages)).toEqual(['two']);
    // Still a member; others' history is untouched.
    expect(texts((await ok(c.carol, 'msg.list', { conversationID: `GROUP${c.g}` })).messages)).toEqual(['one', 'two']);
    // A group the user is not in is not deleted.
    expect((await ok(c.dave, 'conv.delete', { conversationIDList: [`GROUP${c.g}`], clearHistoryMessage: false })).conversationIDList).toEqual([]);
  });

  it('conv.get answers for groups: the member’s conversation, null for non-members and unknown groups', async () => {
    const c = await crew();
    expect((await ok(c.carol, 'conv.get', { conversationID: `GROUP${c.g}` })).conversation).toMatchObject({ type: 'GROUP', peer: c.g });
    expect(await ok(c.dave, 'conv.get', { conversationID: `GROUP${c.g}` })).toEqual({ conversation: null, userExists: true });
    expect(await ok(c.dave, 'conv.get', { conversationID: `GROUP${uid('missing')}` })).toEqual({ conversation: null, userExists: false });
  });
});

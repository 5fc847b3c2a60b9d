/**
 * A 6,000-member group (Work, limit raised per deployment): built with
 * add-members in batches of 500, members mostly offline. A send is stored once
 * and reaches the online subset; offline members find it as unread later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { createGroup, getGroup, groupConversation, groupMessages, ok, refused, sendGroup, uid } from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0, groupMaxMembers: { Private: 6000 } } });
});
afterAll(async () => {
  pool.closeAll();
  await srv.close();
});

describe('a 6,000-member group', () => {
  it('builds in batches of 500, sends to everyone, and the online subset receives it', async () => {
    const p = uid('big');
    const ids = Array.from({ length: 5999 }, (_, i) => `${p}-${i}`);
    const owner = await pool.login(srv, `${p}-owner`);
    const online: RawClient[] = await Promise.all([0, 1234, 2500, 4999, 5998].map((i) => pool.login(srv, ids[i]!)));
    const g = (await createGroup(owner, 'Private', { name: 'Everyone' })).groupID;
    for (let i = 0; i < ids.length; i += 500) {
      const res = await ok(owner, 'group.add-members', { groupID: g, userIDList: ids.slice(i, i + 500) });
      expect(res.successUserIDList).toHaveLength(Math.min(500, ids.length - i));
    }
    const group = await getGroup(owner, g);
    expect(group.memberCount).toBe(6000);
    expect(group.maxMemberCount).toBe(6000);
    await refused(owner, 'group.add-members', { groupID: g, userIDList: [`${p}-one-too-many`] }, ErrorCode.GroupFull);

    const sent = await sendGroup(owner, g, 'hello, everyone');
    expect(sent.seq).toBe(group.nextMessageSeq);
    for (const client of online) await client.next((f) => f.cmd === 'push.message' && f.data.ID === sent.ID);
    for (const client of online) expect(groupMessages(client, g).filter((m) => m.ID === sent.ID)).toHaveLength(1);
    // A member who was offline logs in: the message is in their unread count and history.
    const late = await pool.login(srv, ids[3000]!);
    expect((await groupConversation(late, g))?.unreadCount).toBe(1);
    const history = await ok(late, 'msg.list', { conversationID: `GROUP${g}` });
    expect(history.messages.at(-1)?.ID).toBe(sent.ID);
    // The member list pages to the end.
    const last = await ok(late, 'group.members', { groupID: g, count: 100, offset: 5900 });
    expect(last.memberList).toHaveLength(100);
    expect(last.offset).toBe(0);
  });
});

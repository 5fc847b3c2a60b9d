/**
 * SqliteStorage: the profile and blacklist repositories, messages hidden from
 * their receiver, and the schema upgrade of an existing v1 database file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage, type StoredMessage } from '@parley/server';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-migrations.js';

interface RawDb {
  exec(sql: string): void;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  prepare(sql: string): { run(...p: unknown[]): unknown; get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (filename: string) => RawDb;

let dir: string;
let file: string;
const opened: SqliteStorage[] = [];

async function open(): Promise<SqliteStorage> {
  const storage = new SqliteStorage({ filename: file });
  opened.push(storage);
  await storage.migrate();
  return storage;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-pb-'));
  file = join(dir, 'parley.db');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const CONV = 'c2c:5:alice:bob';

function message(seq: number, senderOrd: number, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    ID: `id-${seq}`,
    conversationType: 'C2C',
    from: 'alice',
    to: 'bob',
    seq,
    time: 1_700_000_000 + seq,
    clientTime: 1_700_000_000,
    random: seq,
    type: 'TIMTextElem',
    payload: { text: `message ${seq}` },
    cloudCustomData: '',
    priority: 'Normal',
    nick: '',
    avatar: '',
    isRevoked: false,
    revoker: '',
    onlineOnly: false,
    convKey: CONV,
    senderOrd,
    revokeTime: 0,
    hiddenForReceiver: false,
    ...overrides,
  } as StoredMessage;
}

describe('users.existing', () => {
  it('returns the known subset of any list in one call', async () => {
    const storage = await open();
    await storage.transaction(async (tx) => {
      for (const id of ['alice', 'bob', 'o\'brien', 'a"b']) await tx.users.ensure(id, 1);
    });
    expect(await storage.users.existing([])).toEqual(new Set());
    expect(await storage.users.existing(['alice', 'nobody', 'bob', 'alice', "o'brien", 'a"b'])).toEqual(new Set(['alice', 'bob', "o'brien", 'a"b']));
    const many = Array.from({ length: 5000 }, (_, i) => `u${i}`);
    expect(await storage.users.existing([...many, 'bob'])).toEqual(new Set(['bob']));
  });
});

describe('profiles', () => {
  it('has no row until the first upsert; inserts with defaults; updates only the given columns', async () => {
    const storage = await open();
    expect(await storage.profiles.getMany(['alice'])).toEqual(new Map());

    await storage.transaction((tx) => tx.profiles.upsert('alice', { nick: 'Alice', birthday: 20000101 }, 111));
    expect((await storage.profiles.getMany(['alice'])).get('alice')).toEqual({
      userID: 'alice',
      nick: 'Alice',
      avatar: '',
      gender: '',
      selfSignature: '',
      allowType: 'AllowType_Type_AllowAny',
      birthday: 20000101,
      location: '',
      language: 0,
      messageSettings: 0,
      adminForbidType: 'AdminForbid_Type_None',
      level: 0,
      role: 0,
      lastUpdatedTime: 111,
      profileCustomField: [],
    });

    const custom = [
      { key: 'Tag_Profile_Custom_a', value: '汉字 ✓' },
      { key: 'Tag_Profile_Custom_b', value: '' },
    ];
    await storage.transaction((tx) =>
      tx.profiles.upsert('alice', { avatar: 'x.png', gender: 'Gender_Type_Female', messageSettings: 1, adminForbidType: 'AdminForbid_Type_SendOut', profileCustomField: custom }, 222),
    );
    const after = (await storage.profiles.getMany(['alice'])).get('alice');
    // nick and birthday were not named: they keep their values.
    expect(after).toMatchObject({ nick: 'Alice', birthday: 20000101, avatar: 'x.png', gender: 'Gender_Type_Female', messageSettings: 1, lastUpdatedTime: 222 });
    expect(after?.adminForbidType).toBe('AdminForbid_Type_SendOut');
    expect(after?.profileCustomField).toEqual(custom);
  });

  it('getMany returns only users with a row, for any list length, and survives reopen', async () => {
    const storage = await open();
    await storage.transaction(async (tx) => {
      await tx.profiles.upsert('alice', { nick: 'A' }, 1);
      await tx.profiles.upsert('bob', { nick: 'B', level: 7, role: 3, language: 2, location: 'here', selfSignature: 'sig', allowType: 'AllowType_Type_DenyAny' }, 2);
    });
    await storage.close();
    const reopened = await open();
    const got = await reopened.profiles.getMany(['bob', 'carol', 'alice', ...Array.from({ length: 2000 }, (_, i) => `x${i}`)]);
    expect([...got.keys()].sort()).toEqual(['alice', 'bob']);
    expect(got.get('bob')).toMatchObject({ nick: 'B', level: 7, role: 3, language: 2, location: 'here', selfSignature: 'sig', allowType: 'AllowType_Type_DenyAny', lastUpdatedTime: 2 });
  });
});

describe('blacklist', () => {
  it('lists in the order added (also within one call and one clock tick), keeps present entries in place, removes, contains', async () => {
    const storage = await open();
    await storage.transaction((tx) => tx.blacklist.add('alice', ['zed', 'bob'], 100));
    await storage.transaction((tx) => tx.blacklist.add('alice', ['carol', 'zed'], 200));
    // Same (or an earlier) clock value: still after everything present.
    await storage.transaction((tx) => tx.blacklist.add('alice', ['yan', 'amy'], 200));
    await storage.transaction((tx) => tx.blacklist.add('alice', ['eve'], 50));
    expect(await storage.blacklist.list('alice')).toEqual(['zed', 'bob', 'carol', 'yan', 'amy', 'eve']);
    await storage.transaction((tx) => tx.blacklist.remove('alice', ['yan', 'amy', 'eve']));
    expect(await storage.blacklist.list('bob')).toEqual([]);
    expect(await storage.blacklist.contains('alice', 'zed')).toBe(true);
    expect(await storage.blacklist.contains('zed', 'alice')).toBe(false);

    await storage.transaction((tx) => tx.blacklist.remove('alice', ['zed', 'nobody']));
    expect(await storage.blacklist.list('alice')).toEqual(['bob', 'carol']);
    expect(await storage.blacklist.contains('alice', 'zed')).toBe(false);
    await storage.transaction(async (tx) => {
      await tx.blacklist.add('alice', [], 300);
      await tx.blacklist.remove('alice', []);
    });
    await storage.close();
    expect(await (await open()).blacklist.list('alice')).toEqual(['bob', 'carol']);
  });
});

describe('messages hidden from their receiver', () => {
  it('are invisible to the receiver in listBefore/listAfter/last, visible to the sender, and not unread', async () => {
    const storage = await open();
    await storage.transaction(async (tx) => {
      await tx.conversations.advance(CONV, true, 1);
      await tx.messages.insert(message(1, 1));
      await tx.conversations.advance(CONV, true, 2);
      await tx.messages.insert(message(2, 2, { hiddenForReceiver: true }));
      await tx.conversations.advance(CONV, true, 3);
      await tx.messages.insert(message(3, 3));
      await tx.conversations.advance(CONV, true, 4);
      await tx.messages.insert(message(4, 4, { hiddenForReceiver: true }));
    });
    const seqs = (ms: StoredMessage[]) => ms.map((m) => m.seq);
    expect(seqs(await storage.messages.listAfter(CONV, 0, 10, 'bob'))).toEqual([1, 3]);
    expect(seqs(await storage.messages.listAfter(CONV, 0, 10, 'alice'))).toEqual([1, 2, 3, 4]);
    expect(seqs(await storage.messages.listAfter(CONV, 0, 10))).toEqual([1, 2, 3, 4]);
    expect(seqs(await storage.messages.listBefore(CONV, null, 0, 10, 'bob'))).toEqual([3, 1]);
    expect(seqs(await storage.messages.listBefore(CONV, null, 0, 10, 'alice'))).toEqual([4, 3, 2, 1]);
    expect((await storage.messages.last(CONV, 0, 'bob'))?.seq).toBe(3);
    expect((await storage.messages.last(CONV, 0, 'alice'))?.seq).toBe(4);
    expect((await storage.messages.findByClientID('alice', 'id-2'))?.hiddenForReceiver).toBe(true);
    expect((await storage.messages.findByClientID('alice', 'id-3'))?.hiddenForReceiver).toBe(false);

    // Not unread: hidden (2, 4) plus revoked (3) after ordinal 0; a revoked hidden message counts once.
    await storage.transaction((tx) => tx.messages.markRevoked(CONV, 3, 'alice', 5));
    expect(await storage.messages.countNotUnreadAfter(CONV, 'alice', 0)).toBe(3);
    await storage.transaction((tx) => tx.messages.markRevoked(CONV, 4, 'alice', 5));
    expect(await storage.messages.countNotUnreadAfter(CONV, 'alice', 0)).toBe(3);
    expect(await storage.messages.countNotUnreadAfter(CONV, 'alice', 3)).toBe(1);
    expect(await storage.messages.countNotUnreadAfter(CONV, 'bob', 0)).toBe(0);
  });

  it('counts them through the partial index (no scan of the conversation)', async () => {
    const storage = await open();
    await storage.close();
    const db = new Database(file);
    try {
      const plan = db
        .prepare('EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM messages WHERE conv_key = ? AND sender = ? AND sender_ord > ? AND (revoked = 1 OR hidden_for_receiver = 1)')
        .all(CONV, 'alice', 0) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING (COVERING )?INDEX messages_not_unread/);
    } finally {
      db.close();
    }
  });
});

describe('conversations.ownersWithPeer', () => {
  it('lists the owners of C2C rows whose peer is the user, hidden rows included', async () => {
    const storage = await open();
    await storage.transaction(async (tx) => {
      const row = (owner: string, peer: string) => ({ owner, conversationID: `C2C${peer}`, peer, convKey: `k-${owner}-${peer}`, createdAt: 1 });
      await tx.conversations.touchUserConversation(row('bob', 'alice'), true);
      await tx.conversations.touchUserConversation(row('carol', 'alice'), true);
      await tx.conversations.touchUserConversation(row('alice', 'bob'), true);
      await tx.conversations.hide('carol', 'C2Calice', null);
    });
    expect((await storage.conversations.ownersWithPeer('alice')).sort()).toEqual(['bob', 'carol']);
    expect(await storage.conversations.ownersWithPeer('bob')).toEqual(['alice']);
    expect(await storage.conversations.ownersWithPeer('nobody')).toEqual([]);
  });
});

describe('conversations: what a 1:1 send writes and reads in one statement', () => {
  const row = (owner: string, peer: string, createdAt = 1) => ({ owner, conversationID: `C2C${peer}`, peer, convKey: `k-${[owner, peer].sort().join('-')}`, createdAt });

  it('touchUserConversations creates missing rows, un-hides hidden ones when asked, and keeps the rest', async () => {
    const storage = await open();
    await storage.transaction(async (tx) => {
      await tx.conversations.touchUserConversations([row('alice', 'bob'), row('bob', 'alice')], true);
      await tx.conversations.hide('bob', 'C2Calice', null);
      await tx.conversations.touchUserConversations([row('carol', 'bob', 7), row('bob', 'alice', 9)], false);
    });
    expect(await storage.conversations.getUserConversation('bob', 'C2Calice')).toMatchObject({ hidden: true, createdAt: 1 });
    expect(await storage.conversations.getUserConversation('carol', 'C2Cbob')).toMatchObject({ hidden: false, createdAt: 7, peer: 'bob' });
    await storage.transaction((tx) => tx.conversations.touchUserConversations([row('alice', 'bob', 5), row('bob', 'alice', 5)], true));
    expect(await storage.conversations.getUserConversation('bob', 'C2Calice')).toMatchObject({ hidden: false, createdAt: 1 });
    expect(await storage.conversations.getUserConversation('alice', 'C2Cbob')).toMatchObject({ hidden: false, createdAt: 1 });
    await storage.transaction((tx) => tx.conversations.touchUserConversations([], true));
    expect((await storage.conversations.listUserConversations('alice')).length).toBe(1);
  });

  it('c2cReceiverState reads the receiver\'s blacklist entry for the sender and their remind type for the conversation', async () => {
    const storage = await open();
    expect(await storage.conversations.c2cReceiverState('bob', 'alice')).toEqual({ blocked: false, remindType: '' });
    await storage.transaction(async (tx) => {
      await tx.blacklist.add('bob', ['alice'], 1);
      await tx.groups.setC2CRemindType('bob', 'alice', 'k-alice-bob', 'Discard', 1);
      await tx.groups.setC2CRemindType('carol', 'alice', 'k-alice-carol', 'AcceptNotNotify', 1);
    });
    expect(await storage.conversations.c2cReceiverState('bob', 'alice')).toEqual({ blocked: true, remindType: 'Discard' });
    // Neither is symmetric.
    expect(await storage.conversations.c2cReceiverState('alice', 'bob')).toEqual({ blocked: false, remindType: '' });
    expect(await storage.conversations.c2cReceiverState('carol', 'alice')).toEqual({ blocked: false, remindType: 'AcceptNotNotify' });
    await storage.transaction((tx) => tx.blacklist.remove('bob', ['alice']));
    expect(await storage.conversations.c2cReceiverState('bob', 'alice')).toEqual({ blocked: false, remindType: 'Discard' });
  });
});

describe('upgrade of an existing v1 database', () => {
  it('keeps every v1 row and adds profiles, the blacklist and hidden_for_receiver', async () => {
    // A file exactly as a v1 server left it.
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    v1.exec(SQLITE_MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO users (user_id, created_at) VALUES (?, ?)').run('alice', 1);
    v1.prepare('INSERT INTO users (user_id, created_at) VALUES (?, ?)').run('bob', 1);
    v1.prepare('INSERT INTO conversation_state (conv_key, last_seq, last_time, ord_a, ord_b) VALUES (?, 2, 1700000002, 2, 0)').run(CONV);
    const insert = v1.prepare(
      `INSERT INTO messages (conv_key, seq, id, conv_type, sender, receiver, sender_ord, time, client_time, random, type, payload,
         cloud_custom_data, priority, nick, avatar, revoked, revoker, revoke_time) VALUES (?, ?, ?, 'C2C', 'alice', 'bob', ?, ?, 0, 0, 'TIMTextElem', ?, '', 'Normal', 'A', '', ?, ?, ?)`,
    );
    insert.run(CONV, 1, 'old-1', 1, 1_700_000_001, '{"text":"one"}', 0, '', 0);
    insert.run(CONV, 2, 'old-2', 2, 1_700_000_002, '{"text":"two"}', 1, 'alice', 1_700_000_003);
    v1.prepare("INSERT INTO user_conversations (owner, conversation_id, peer, conv_key, created_at) VALUES ('bob', 'C2Calice', 'alice', ?, 1)").run(CONV);
    v1.close();

    const storage = await open();
    const versionDb = new Database(file);
    expect(versionDb.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    const indexes = (versionDb.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>).map((r) => r.name);
    versionDb.close();
    expect(indexes).toContain('messages_not_unread');
    expect(indexes).not.toContain('messages_revoked');

    // v1 data, field for field, with the new column's default.
    const back = await storage.messages.listAfter(CONV, 0, 10, 'bob');
    expect(back.map((m) => [m.ID, m.nick, m.isRevoked, m.hiddenForReceiver])).toEqual([
      ['old-1', 'A', false, false],
      ['old-2', 'A', true, false],
    ]);
    expect(await storage.messages.countNotUnreadAfter(CONV, 'alice', 0)).toBe(1);
    expect(await storage.users.existing(['alice', 'bob', 'carol'])).toEqual(new Set(['alice', 'bob']));
    expect(await storage.conversations.ownersWithPeer('alice')).toEqual(['bob']);

    // The new tables work on the upgraded file.
    expect(await storage.profiles.getMany(['alice'])).toEqual(new Map());
    await storage.transaction(async (tx) => {
      await tx.profiles.upsert('alice', { nick: 'Alice' }, 5);
      await tx.blacklist.add('bob', ['alice'], 5);
      await tx.conversations.advance(CONV, true, 6);
      await tx.messages.insert(message(3, 3, { ID: 'new-3', hiddenForReceiver: true }));
    });
    expect((await storage.profiles.getMany(['alice'])).get('alice')?.nick).toBe('Alice');
    expect(await storage.blacklist.list('bob')).toEqual(['alice']);
    expect((await storage.messages.listAfter(CONV, 0, 10, 'bob')).map((m) => m.ID)).toEqual(['old-1', 'old-2']);
    expect(await storage.messages.countNotUnreadAfter(CONV, 'alice', 0)).toBe(2);

    // Migrating again is a no-op.
    await storage.close();
    const again = await open();
    expect((await again.profiles.getMany(['alice'])).get('alice')?.nick).toBe('Alice');
  });
});

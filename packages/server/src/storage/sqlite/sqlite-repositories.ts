/** Repository implementations over one better-sqlite3 connection. Synchronous underneath, async at the port. */
import { c2cConversationID, type WirePriority, type WireProfile, type WireProfileCustomField, type WireRemindType } from '@parley/protocol';
import type {
  BlacklistRepository,
  ConversationRepository,
  ConversationState,
  MessageRepository,
  ProfileChanges,
  ProfileRepository,
  StorageRepositories,
  StoredMessage,
  UserConversationRow,
  UserConversationTouch,
  UserRepository,
  WireMessageJson,
} from '../storage.js';
import { statementCache, type SqliteHandle } from './sqlite-handle.js';
import { createSqliteFileRepository } from './sqlite-file-repository.js';
import { toMessage, WIRE_JSON_SQL, type MessageRecord } from './sqlite-message-record.js';
import { createSqliteGroupRepository } from './sqlite-group-repository.js';
import { createSqliteGroupBanRepository } from './sqlite-group-ban-repository.js';


interface ProfileRecord {
  user_id: string;
  nick: string;
  avatar: string;
  gender: string;
  self_signature: string;
  allow_type: string;
  birthday: number;
  location: string;
  language: number;
  message_settings: number;
  admin_forbid_type: string;
  level: number;
  role: number;
  custom_fields: string;
  last_updated_ms: number;
}

/** Profile field → column. The keys are the only columns an upsert may name (SQL is built from them). */
const PROFILE_COLUMNS: { readonly [K in keyof ProfileChanges]-?: string } = {
  nick: 'nick',
  avatar: 'avatar',
  gender: 'gender',
  selfSignature: 'self_signature',
  allowType: 'allow_type',
  birthday: 'birthday',
  location: 'location',
  language: 'language',
  messageSettings: 'message_settings',
  adminForbidType: 'admin_forbid_type',
  level: 'level',
  role: 'role',
  profileCustomField: 'custom_fields',
};

function toProfile(r: ProfileRecord): WireProfile {
  return {
    userID: r.user_id,
    nick: r.nick,
    avatar: r.avatar,
    gender: r.gender,
    selfSignature: r.self_signature,
    allowType: r.allow_type,
    birthday: r.birthday,
    location: r.location,
    language: r.language,
    messageSettings: r.message_settings,
    adminForbidType: r.admin_forbid_type,
    level: r.level,
    role: r.role,
    lastUpdatedTime: r.last_updated_ms,
    profileCustomField: JSON.parse(r.custom_fields) as WireProfileCustomField[],
  };
}

interface UserConversationRecord {
  owner: string;
  conversation_id: string;
  peer: string;
  conv_key: string;
  read_seq: number;
  read_peer_ord: number;
  read_time: number;
  cleared_seq: number;
  hidden: number;
  created_at: number;
}

interface StateRecord {
  conv_key: string;
  last_seq: number;
  last_time: number;
  ord_a: number;
  ord_b: number;
}


function toUserConversation(r: UserConversationRecord): UserConversationRow {
  return {
    owner: r.owner,
    conversationID: r.conversation_id,
    peer: r.peer,
    convKey: r.conv_key,
    readSeq: r.read_seq,
    readPeerOrd: r.read_peer_ord,
    readTime: r.read_time,
    clearedSeq: r.cleared_seq,
    hidden: r.hidden === 1,
    createdAt: r.created_at,
  };
}

function toState(r: StateRecord): ConversationState {
  return { convKey: r.conv_key, lastSeq: r.last_seq, lastTime: r.last_time, ordA: r.ord_a, ordB: r.ord_b };
}

/** SQL fragment: the message is visible to `?` (not hidden from them as its receiver). Binds one parameter. */
const VISIBLE_TO = 'NOT (hidden_for_receiver = 1 AND receiver = ?)';

export function createSqliteRepositories(db: SqliteHandle): StorageRepositories {
  // Prepared statements, compiled once per connection.
  const s = { get: statementCache(db) };

  const users: UserRepository = {
    async ensure(userID, now) {
      s.get('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(userID, now);
    },
    async exists(userID) {
      return s.get('SELECT 1 FROM users WHERE user_id = ?').get(userID) !== undefined;
    },
    async existing(userIDs) {
      if (userIDs.length === 0) return new Set();
      // One statement for any list length: the IDs travel as one JSON array parameter.
      const rows = s.get('SELECT user_id FROM users WHERE user_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(userIDs)) as Array<{ user_id: string }>;
      return new Set(rows.map((r) => r.user_id));
    },
  };

  const messages: MessageRepository = {
    async findByClientID(from, id) {
      const r = s.get('SELECT * FROM messages WHERE sender = ? AND id = ?').get(from, id) as MessageRecord | undefined;
      return r ? toMessage(r) : null;
    },
    async insert(m) {
      s.get(
        `INSERT INTO messages (conv_key, seq, id, conv_type, sender, receiver, sender_ord, time, client_time, random, type, payload,
           cloud_custom_data, priority, nick, avatar, revoked, revoker, revoke_time, hidden_for_receiver)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        m.convKey,
        m.seq,
        m.ID,
        m.conversationType,
        m.from,
        m.to,
        m.senderOrd,
        m.time,
        m.clientTime,
        m.random,
        m.type,
        JSON.stringify(m.payload),
        m.cloudCustomData,
        m.priority,
        m.nick,
        m.avatar,
        m.isRevoked ? 1 : 0,
        m.revoker,
        m.revokeTime,
        m.hiddenForReceiver ? 1 : 0,
      );
    },
    // `viewer` '' matches no receiver (userIDs are never empty): everything is visible.
    async listBefore(convKey, beforeSeq, minSeqExclusive, limit, viewer = '') {
      const rows = s
        .get(`SELECT * FROM messages WHERE conv_key = ? AND seq < ? AND seq > ? AND ${VISIBLE_TO} ORDER BY seq DESC LIMIT ?`)
        .all(convKey, beforeSeq ?? Number.MAX_SAFE_INTEGER, minSeqExclusive, viewer, limit) as MessageRecord[];
      return rows.map(toMessage);
    },
    async listBeforeWire(convKey, beforeSeq, minSeqExclusive, limit, viewer = '') {
      return s
        .get(`SELECT seq, ${WIRE_JSON_SQL} AS json FROM messages WHERE conv_key = ? AND seq < ? AND seq > ? AND ${VISIBLE_TO} ORDER BY seq DESC LIMIT ?`)
        .all(convKey, beforeSeq ?? Number.MAX_SAFE_INTEGER, minSeqExclusive, viewer, limit) as WireMessageJson[];
    },
    async listAfter(convKey, afterSeq, limit, viewer = '') {
      const rows = s
        .get(`SELECT * FROM messages WHERE conv_key = ? AND seq > ? AND ${VISIBLE_TO} ORDER BY seq ASC LIMIT ?`)
        .all(convKey, afterSeq, viewer, limit) as MessageRecord[];
      return rows.map(toMessage);
    },
    async listAfterWire(convKey, afterSeq, limit, viewer = '') {
      return s
        .get(`SELECT seq, ${WIRE_JSON_SQL} AS json FROM messages WHERE conv_key = ? AND seq > ? AND ${VISIBLE_TO} ORDER BY seq ASC LIMIT ?`)
        .all(convKey, afterSeq, viewer, limit) as WireMessageJson[];
    },
    async last(convKey, minSeqExclusive, viewer = '') {
      const r = s.get(`SELECT * FROM messages WHERE conv_key = ? AND seq > ? AND ${VISIBLE_TO} ORDER BY seq DESC LIMIT 1`).get(convKey, minSeqExclusive, viewer) as
        | MessageRecord
        | undefined;
      return r ? toMessage(r) : null;
    },
    async markRevoked(convKey, seq, revoker, time) {
      s.get('UPDATE messages SET revoked = 1, revoker = ?, revoke_time = ? WHERE conv_key = ? AND seq = ?').run(revoker, time, convKey, seq);
    },
    async countNotUnreadAfter(convKey, sender, afterOrd) {
      // The last term repeats the partial index's WHERE verbatim, so SQLite can use messages_not_unread.
      const r = s
        .get('SELECT COUNT(*) AS n FROM messages WHERE conv_key = ? AND sender = ? AND sender_ord > ? AND (revoked = 1 OR hidden_for_receiver = 1)')
        .get(convKey, sender, afterOrd) as { n: number };
      return r.n;
    },
    async senderOrdAt(convKey, sender, seq) {
      // Walks the primary key backwards from `seq`; only partial reads (upToSeq < last) get here.
      const r = s.get('SELECT sender_ord AS o FROM messages WHERE conv_key = ? AND seq <= ? AND sender = ? ORDER BY seq DESC LIMIT 1').get(convKey, seq, sender) as
        | { o: number }
        | undefined;
      return r?.o ?? 0;
    },
  };

  /** One INSERT for all the rows (statements per row count, compiled once). */
  const touchSQL = new Map<number, string>();
  function touch(rows: readonly UserConversationTouch[], unhide: boolean): void {
    const key = 2 * rows.length + (unhide ? 1 : 0);
    let sql = touchSQL.get(key);
    if (sql === undefined) {
      sql =
        `INSERT INTO user_conversations (owner, conversation_id, peer, conv_key, created_at) VALUES ${Array.from(rows, () => '(?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (owner, conversation_id) ` + (unhide ? 'DO UPDATE SET hidden = 0 WHERE hidden = 1' : 'DO NOTHING');
      touchSQL.set(key, sql);
    }
    const params: Array<string | number> = [];
    for (const row of rows) params.push(row.owner, row.conversationID, row.peer, row.convKey, row.createdAt);
    s.get(sql).run(...params);
  }

  const conversations: ConversationRepository = {
    async advance(convKey, senderIsA, time) {
      const r = s
        .get(
          `INSERT INTO conversation_state (conv_key, last_seq, last_time, ord_a, ord_b) VALUES (?, 1, ?, ?, ?)
           ON CONFLICT (conv_key) DO UPDATE SET last_seq = last_seq + 1, last_time = excluded.last_time,
             ord_a = ord_a + excluded.ord_a, ord_b = ord_b + excluded.ord_b
           RETURNING last_seq, last_time, ord_a, ord_b`,
        )
        .get(convKey, time, senderIsA ? 1 : 0, senderIsA ? 0 : 1) as Omit<StateRecord, 'conv_key'>;
      // Every send runs this: the key it was given is not read back.
      return { convKey, lastSeq: r.last_seq, lastTime: r.last_time, ordA: r.ord_a, ordB: r.ord_b };
    },
    async getState(convKey) {
      const r = s.get('SELECT * FROM conversation_state WHERE conv_key = ?').get(convKey) as StateRecord | undefined;
      return r ? toState(r) : null;
    },
    async touchUserConversation(row, unhide) {
      touch([row], unhide);
    },
    async touchUserConversations(rows, unhide) {
      if (rows.length > 0) touch(rows, unhide);
    },
    async c2cReceiverState(receiver, sender) {
      const r = s
        .get(
          `SELECT EXISTS (SELECT 1 FROM blacklist WHERE owner = ? AND blocked = ?) AS blocked,
             (SELECT remind_type FROM user_conversations WHERE owner = ? AND conversation_id = ?) AS remind_type`,
        )
        .get(receiver, sender, receiver, c2cConversationID(sender)) as { blocked: number; remind_type: string | null };
      return { blocked: r.blocked === 1, remindType: (r.remind_type ?? '') as WireRemindType | '' };
    },
    async getUserConversation(owner, conversationID) {
      const r = s.get('SELECT * FROM user_conversations WHERE owner = ? AND conversation_id = ?').get(owner, conversationID) as
        | UserConversationRecord
        | undefined;
      return r ? toUserConversation(r) : null;
    },
    async listUserConversations(owner) {
      const rows = s.get('SELECT * FROM user_conversations WHERE owner = ?').all(owner) as UserConversationRecord[];
      return rows.map(toUserConversation);
    },
    async ownersWithPeer(peer) {
      const rows = s.get("SELECT owner FROM user_conversations WHERE peer = ? AND conversation_id = 'C2C' || peer").all(peer) as Array<{ owner: string }>;
      return rows.map((r) => r.owner);
    },
    async setRead(owner, conversationID, readSeq, readPeerOrd, readTime) {
      s.get(
        `UPDATE user_conversations SET read_seq = ?, read_peer_ord = ?, read_time = ?
         WHERE owner = ? AND conversation_id = ? AND read_seq <= ?`,
      ).run(readSeq, readPeerOrd, readTime, owner, conversationID, readSeq);
    },
    async hide(owner, conversationID, clearedSeq) {
      if (clearedSeq === null) {
        s.get('UPDATE user_conversations SET hidden = 1 WHERE owner = ? AND conversation_id = ?').run(owner, conversationID);
      } else {
        s.get('UPDATE user_conversations SET hidden = 1, cleared_seq = MAX(cleared_seq, ?) WHERE owner = ? AND conversation_id = ?').run(
          clearedSeq,
          owner,
          conversationID,
        );
      }
    },
  };

  const profiles: ProfileRepository = {
    async getMany(userIDs) {
      const found = new Map<string, WireProfile>();
      if (userIDs.length === 0) return found;
      const rows = s.get('SELECT * FROM profiles WHERE user_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(userIDs)) as ProfileRecord[];
      for (const r of rows) found.set(r.user_id, toProfile(r));
      return found;
    },
    async upsert(userID, changes, lastUpdatedTime) {
      const fields = (Object.keys(PROFILE_COLUMNS) as Array<keyof ProfileChanges>).filter((f) => changes[f] !== undefined);
      const columns = fields.map((f) => PROFILE_COLUMNS[f]);
      const values = fields.map((f) => (f === 'profileCustomField' ? JSON.stringify(changes[f]) : changes[f]));
      // Column names come from PROFILE_COLUMNS only; at most 2^13 distinct statements get cached.
      const sql = `INSERT INTO profiles (user_id, ${[...columns, 'last_updated_ms'].join(', ')})
         VALUES (?, ${[...columns, 'last_updated_ms'].map(() => '?').join(', ')})
         ON CONFLICT (user_id) DO UPDATE SET ${[...columns, 'last_updated_ms'].map((c) => `${c} = excluded.${c}`).join(', ')}`;
      s.get(sql).run(userID, ...values, lastUpdatedTime);
    },
  };

  const blacklist: BlacklistRepository = {
    async list(owner) {
      const rows = s.get('SELECT blocked FROM blacklist WHERE owner = ? ORDER BY created_at, blocked').all(owner) as Array<{ blocked: string }>;
      return rows.map((r) => r.blocked);
    },
    async add(owner, blocked, now) {
      if (blocked.length === 0) return;
      // created_at is the ordering key: entry i of this call gets base + i, and base is after every
      // existing entry of the owner, so the list keeps call order even within one clock tick.
      const newest = s.get('SELECT MAX(created_at) AS t FROM blacklist WHERE owner = ?').get(owner) as { t: number | null };
      const base = Math.max(now, (newest.t ?? -1) + 1);
      s.get('INSERT INTO blacklist (owner, blocked, created_at) SELECT ?, value, ? + key FROM json_each(?) WHERE true ON CONFLICT DO NOTHING').run(
        owner,
        base,
        JSON.stringify(blocked),
      );
    },
    async remove(owner, blocked) {
      if (blocked.length === 0) return;
      s.get('DELETE FROM blacklist WHERE owner = ? AND blocked IN (SELECT value FROM json_each(?))').run(owner, JSON.stringify(blocked));
    },
    async contains(owner, blocked) {
      return s.get('SELECT 1 FROM blacklist WHERE owner = ? AND blocked = ?').get(owner, blocked) !== undefined;
    },
  };

  const files = createSqliteFileRepository(db);

  const groups = { ...createSqliteGroupRepository(db), ...createSqliteGroupBanRepository(db) };

  return { users, messages, conversations, profiles, blacklist, files, groups };
}

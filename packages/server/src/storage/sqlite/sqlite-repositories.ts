/** Repository implementations over one better-sqlite3 connection. Synchronous underneath, async at the port. */
import type { WirePriority } from '@parley/protocol';
import type {
  ConversationRepository,
  ConversationState,
  MessageRepository,
  StorageRepositories,
  StoredMessage,
  UserConversationRow,
  UserRepository,
} from '../storage.js';
import type { SqliteHandle, SqliteStatement } from './sqlite-handle.js';

interface MessageRecord {
  conv_key: string;
  seq: number;
  id: string;
  conv_type: string;
  sender: string;
  receiver: string;
  sender_ord: number;
  time: number;
  client_time: number;
  random: number;
  type: string;
  payload: string;
  cloud_custom_data: string;
  priority: string;
  nick: string;
  avatar: string;
  revoked: number;
  revoker: string;
  revoke_time: number;
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

function toMessage(r: MessageRecord): StoredMessage {
  return {
    ID: r.id,
    conversationType: r.conv_type === 'GROUP' ? 'GROUP' : 'C2C',
    from: r.sender,
    to: r.receiver,
    seq: r.seq,
    time: r.time,
    clientTime: r.client_time,
    random: r.random,
    type: r.type,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    cloudCustomData: r.cloud_custom_data,
    priority: r.priority as WirePriority,
    nick: r.nick,
    avatar: r.avatar,
    isRevoked: r.revoked === 1,
    revoker: r.revoker,
    onlineOnly: false,
    convKey: r.conv_key,
    senderOrd: r.sender_ord,
    revokeTime: r.revoke_time,
  };
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

/** Prepared statements, compiled once per connection. */
class Statements {
  private readonly cache = new Map<string, SqliteStatement>();
  constructor(private readonly db: SqliteHandle) {}
  get(sql: string): SqliteStatement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

export function createSqliteRepositories(db: SqliteHandle): StorageRepositories {
  const s = new Statements(db);

  const users: UserRepository = {
    async ensure(userID, now) {
      s.get('INSERT INTO users (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(userID, now);
    },
    async exists(userID) {
      return s.get('SELECT 1 FROM users WHERE user_id = ?').get(userID) !== undefined;
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
           cloud_custom_data, priority, nick, avatar, revoked, revoker, revoke_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      );
    },
    async listBefore(convKey, beforeSeq, minSeqExclusive, limit) {
      const rows = s
        .get('SELECT * FROM messages WHERE conv_key = ? AND seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?')
        .all(convKey, beforeSeq ?? Number.MAX_SAFE_INTEGER, minSeqExclusive, limit) as MessageRecord[];
      return rows.map(toMessage);
    },
    async listAfter(convKey, afterSeq, limit) {
      const rows = s.get('SELECT * FROM messages WHERE conv_key = ? AND seq > ? ORDER BY seq ASC LIMIT ?').all(convKey, afterSeq, limit) as MessageRecord[];
      return rows.map(toMessage);
    },
    async last(convKey, minSeqExclusive) {
      const r = s.get('SELECT * FROM messages WHERE conv_key = ? AND seq > ? ORDER BY seq DESC LIMIT 1').get(convKey, minSeqExclusive) as
        | MessageRecord
        | undefined;
      return r ? toMessage(r) : null;
    },
    async markRevoked(convKey, seq, revoker, time) {
      s.get('UPDATE messages SET revoked = 1, revoker = ?, revoke_time = ? WHERE conv_key = ? AND seq = ?').run(revoker, time, convKey, seq);
    },
    async countRevokedAfter(convKey, sender, afterOrd) {
      const r = s.get('SELECT COUNT(*) AS n FROM messages WHERE conv_key = ? AND sender = ? AND sender_ord > ? AND revoked = 1').get(convKey, sender, afterOrd) as {
        n: number;
      };
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

  const conversations: ConversationRepository = {
    async advance(convKey, senderIsA, time) {
      const r = s
        .get(
          `INSERT INTO conversation_state (conv_key, last_seq, last_time, ord_a, ord_b) VALUES (?, 1, ?, ?, ?)
           ON CONFLICT (conv_key) DO UPDATE SET last_seq = last_seq + 1, last_time = excluded.last_time,
             ord_a = ord_a + excluded.ord_a, ord_b = ord_b + excluded.ord_b
           RETURNING *`,
        )
        .get(convKey, time, senderIsA ? 1 : 0, senderIsA ? 0 : 1) as StateRecord;
      return toState(r);
    },
    async getState(convKey) {
      const r = s.get('SELECT * FROM conversation_state WHERE conv_key = ?').get(convKey) as StateRecord | undefined;
      return r ? toState(r) : null;
    },
    async touchUserConversation(row, unhide) {
      if (unhide) {
        s.get(
          `INSERT INTO user_conversations (owner, conversation_id, peer, conv_key, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (owner, conversation_id) DO UPDATE SET hidden = 0 WHERE hidden = 1`,
        ).run(row.owner, row.conversationID, row.peer, row.convKey, row.createdAt);
      } else {
        s.get(
          `INSERT INTO user_conversations (owner, conversation_id, peer, conv_key, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (owner, conversation_id) DO NOTHING`,
        ).run(row.owner, row.conversationID, row.peer, row.convKey, row.createdAt);
      }
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

  return { users, messages, conversations };
}

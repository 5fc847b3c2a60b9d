/** SQLite implementation of the group port (group-repository.ts). Synchronous underneath, async at the port. */
import type { WireGroupRole, WireGroupType, WireJoinOption, WireKeyValue, WirePriority, WireRemindType } from '@parley/protocol';
import { groupKey, type GroupApplicationRow, type GroupMemberRow, type GroupRepository, type GroupRow } from '../group-repository.js';
import type { StoredMessage, WireMessageJson } from '../storage.js';
import { statementCache, type SqliteHandle } from './sqlite-handle.js';
import { toMessage, WIRE_JSON_SQL, type MessageRecord } from './sqlite-message-record.js';

interface GroupRecord {
  group_id: string;
  type: string;
  name: string;
  owner: string;
  introduction: string;
  notification: string;
  avatar: string;
  join_option: string;
  max_member_count: number;
  mute_all: number;
  is_support_topic: number;
  custom: string;
  created_at: number;
  last_info_time: number;
  info_seq: number;
  last_seq: number;
  last_time: number;
  tip_count: number;
  member_count: number;
  dismissed: number;
}

interface MemberRecord {
  group_id: string;
  user_id: string;
  role: string;
  name_card: string;
  join_time: number;
  mute_until: number;
  custom: string;
  read_seq: number;
  join_seq: number;
  remind_type: string;
  last_send_time: number;
  send_count: number;
  read_own_ord: number;
  read_tip_count: number;
  cleared_seq: number;
  hidden_seq: number;
}

interface ApplicationRecord {
  group_id: string;
  applicant: string;
  message: string;
  created_at: number;
  handled: number;
  handler: string;
  result: string;
}


function parseKeyValues(text: string): WireKeyValue[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? (parsed as WireKeyValue[]) : [];
  } catch {
    return [];
  }
}

function toGroup(r: GroupRecord): GroupRow {
  return {
    groupID: r.group_id,
    type: r.type as WireGroupType,
    name: r.name,
    owner: r.owner,
    introduction: r.introduction,
    notification: r.notification,
    avatar: r.avatar,
    joinOption: r.join_option as WireJoinOption,
    maxMemberCount: r.max_member_count,
    muteAll: r.mute_all === 1,
    isSupportTopic: r.is_support_topic === 1,
    custom: parseKeyValues(r.custom),
    createdAt: r.created_at,
    lastInfoTime: r.last_info_time,
    infoSeq: r.info_seq,
    lastSeq: r.last_seq,
    lastTime: r.last_time,
    tipCount: r.tip_count,
    memberCount: r.member_count,
    dismissed: r.dismissed === 1,
  };
}

function toMember(r: MemberRecord): GroupMemberRow {
  return {
    groupID: r.group_id,
    userID: r.user_id,
    role: r.role as WireGroupRole,
    nameCard: r.name_card,
    joinTime: r.join_time,
    muteUntil: r.mute_until,
    custom: parseKeyValues(r.custom),
    readSeq: r.read_seq,
    joinSeq: r.join_seq,
    remindType: r.remind_type as WireRemindType | '',
    lastSendTime: r.last_send_time,
    sendCount: r.send_count,
    readOwnOrd: r.read_own_ord,
    readTipCount: r.read_tip_count,
    clearedSeq: r.cleared_seq,
    hiddenSeq: r.hidden_seq,
  };
}

function toApplication(r: ApplicationRecord): GroupApplicationRow {
  return {
    groupID: r.group_id,
    applicant: r.applicant,
    message: r.message,
    createdAt: r.created_at,
    handled: r.handled === 1,
    handler: r.handler,
    result: r.result,
  };
}


const GROUP_COLUMNS: Record<string, string> = {
  name: 'name',
  owner: 'owner',
  introduction: 'introduction',
  notification: 'notification',
  avatar: 'avatar',
  joinOption: 'join_option',
  maxMemberCount: 'max_member_count',
  muteAll: 'mute_all',
  custom: 'custom',
  lastInfoTime: 'last_info_time',
  infoSeq: 'info_seq',
};

const MEMBER_COLUMNS: Record<string, string> = {
  role: 'role',
  nameCard: 'name_card',
  muteUntil: 'mute_until',
  custom: 'custom',
  remindType: 'remind_type',
  readSeq: 'read_seq',
  readOwnOrd: 'read_own_ord',
  readTipCount: 'read_tip_count',
  clearedSeq: 'cleared_seq',
  hiddenSeq: 'hidden_seq',
};

function toColumnValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return JSON.stringify(value);
  return value;
}

/** Builds `SET a = ?, b = ?` from the defined keys of `changes` (column names come from a fixed map, never from input). */
function setClause(changes: Record<string, unknown>, columns: Record<string, string>): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(changes)) {
    const column = columns[key];
    if (column === undefined || value === undefined) continue;
    parts.push(`${column} = ?`);
    values.push(toColumnValue(value));
  }
  return { sql: parts.join(', '), values };
}

export function createSqliteGroupRepository(db: SqliteHandle): GroupRepository {
  const q = statementCache(db);
  const c2cConversationKeyPrefix = 'C2C';

  return {
    async createGroup(g) {
      const r = q(
        `INSERT INTO groups (group_id, type, name, owner, introduction, notification, avatar, join_option, max_member_count, mute_all,
           is_support_topic, custom, created_at, last_info_time, info_seq, last_seq, last_time, tip_count, member_count, dismissed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0) ON CONFLICT DO NOTHING`,
      ).run(
        g.groupID,
        g.type,
        g.name,
        g.owner,
        g.introduction,
        g.notification,
        g.avatar,
        g.joinOption,
        g.maxMemberCount,
        g.muteAll ? 1 : 0,
        g.isSupportTopic ? 1 : 0,
        JSON.stringify(g.custom),
        g.createdAt,
        g.lastInfoTime,
        g.infoSeq,
        g.lastSeq,
        g.lastTime,
        g.tipCount,
      );
      return r.changes === 1;
    },
    async getGroup(groupID) {
      const r = q('SELECT * FROM groups WHERE group_id = ?').get(groupID) as GroupRecord | undefined;
      return r ? toGroup(r) : null;
    },
    async updateGroup(groupID, changes) {
      const { sql, values } = setClause(changes, GROUP_COLUMNS);
      if (sql === '') return;
      q(`UPDATE groups SET ${sql} WHERE group_id = ?`).run(...values, groupID);
    },
    async advance(groupID, time, isTip) {
      const r = q(
        `UPDATE groups SET last_seq = last_seq + 1, last_time = ?, tip_count = tip_count + ? WHERE group_id = ?
         RETURNING last_seq, tip_count`,
      ).get(time, isTip ? 1 : 0, groupID) as { last_seq: number; tip_count: number } | undefined;
      if (!r) throw new Error(`group ${groupID} does not exist`);
      return { lastSeq: r.last_seq, tipCount: r.tip_count };
    },
    async dismiss(groupID) {
      q('UPDATE groups SET dismissed = 1, member_count = 0, members_version = members_version + 1 WHERE group_id = ?').run(groupID);
      q('DELETE FROM group_members WHERE group_id = ?').run(groupID);
      q('DELETE FROM group_applications WHERE group_id = ?').run(groupID);
      q('DELETE FROM messages WHERE conv_key = ?').run(groupKey(groupID));
    },

    async addMember(m) {
      const r = q(
        `INSERT INTO group_members (group_id, user_id, role, name_card, join_time, mute_until, custom, read_seq, join_seq, remind_type,
           last_send_time, send_count, read_own_ord, read_tip_count, cleared_seq, hidden_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(
        m.groupID,
        m.userID,
        m.role,
        m.nameCard,
        m.joinTime,
        m.muteUntil,
        JSON.stringify(m.custom),
        m.readSeq,
        m.joinSeq,
        m.remindType,
        m.lastSendTime,
        m.sendCount,
        m.readOwnOrd,
        m.readTipCount,
        m.clearedSeq,
        m.hiddenSeq,
      );
      if (r.changes === 1) q('UPDATE groups SET member_count = member_count + 1, members_version = members_version + 1 WHERE group_id = ?').run(m.groupID);
      return r.changes === 1;
    },
    async removeMember(groupID, userID) {
      const r = q('DELETE FROM group_members WHERE group_id = ? AND user_id = ?').run(groupID, userID);
      if (r.changes === 1) q('UPDATE groups SET member_count = member_count - 1, members_version = members_version + 1 WHERE group_id = ?').run(groupID);
      return r.changes === 1;
    },
    async getMember(groupID, userID) {
      const r = q('SELECT * FROM group_members WHERE group_id = ? AND user_id = ?').get(groupID, userID) as MemberRecord | undefined;
      return r ? toMember(r) : null;
    },
    async getMembers(groupID, userIDs) {
      if (userIDs.length === 0) return [];
      const out: GroupMemberRow[] = [];
      // Chunks stay well under SQLite's bound-parameter limit.
      for (let i = 0; i < userIDs.length; i += 500) {
        const chunk = userIDs.slice(i, i + 500);
        const rows = db
          .prepare(`SELECT * FROM group_members WHERE group_id = ? AND user_id IN (${chunk.map(() => '?').join(', ')})`)
          .all(groupID, ...chunk) as MemberRecord[];
        for (const r of rows) out.push(toMember(r));
      }
      return out;
    },
    async listMembers(groupID, offset, limit, role) {
      const rows = (
        role === undefined
          ? q('SELECT * FROM group_members WHERE group_id = ? ORDER BY join_time, user_id LIMIT ? OFFSET ?').all(groupID, limit, offset)
          : q('SELECT * FROM group_members WHERE group_id = ? AND role = ? ORDER BY join_time, user_id LIMIT ? OFFSET ?').all(groupID, role, limit, offset)
      ) as MemberRecord[];
      return rows.map(toMember);
    },
    async allMembers(groupID) {
      return (q('SELECT * FROM group_members WHERE group_id = ?').all(groupID) as MemberRecord[]).map(toMember);
    },
    async deliverableMemberIDs(groupID) {
      const rows = q("SELECT user_id FROM group_members WHERE group_id = ? AND remind_type != 'Discard'").all(groupID) as Array<{ user_id: string }>;
      return rows.map((r) => r.user_id);
    },
    async membersVersion(groupID) {
      const r = q('SELECT members_version AS v FROM groups WHERE group_id = ?').get(groupID) as { v: number } | undefined;
      return r?.v ?? 0;
    },
    async managerIDs(groupID) {
      const rows = q("SELECT user_id FROM group_members WHERE group_id = ? AND role IN ('Owner', 'Admin')").all(groupID) as Array<{ user_id: string }>;
      return rows.map((r) => r.user_id);
    },
    async updateMember(groupID, userID, changes) {
      const { sql, values } = setClause(changes, MEMBER_COLUMNS);
      if (sql === '') return;
      q(`UPDATE group_members SET ${sql} WHERE group_id = ? AND user_id = ?`).run(...values, groupID, userID);
      if (changes.remindType !== undefined) q('UPDATE groups SET members_version = members_version + 1 WHERE group_id = ?').run(groupID);
    },
    async recordSend(groupID, userID, time) {
      const r = q(
        'UPDATE group_members SET send_count = send_count + 1, last_send_time = ? WHERE group_id = ? AND user_id = ? RETURNING send_count',
      ).get(time, groupID, userID) as { send_count: number } | undefined;
      return r?.send_count ?? 0;
    },
    async membershipsOf(userID) {
      const rows = q(
        `SELECT g.*, m.user_id AS m_user_id, m.role AS m_role, m.name_card AS m_name_card, m.join_time AS m_join_time,
           m.mute_until AS m_mute_until, m.custom AS m_custom, m.read_seq AS m_read_seq, m.join_seq AS m_join_seq,
           m.remind_type AS m_remind_type, m.last_send_time AS m_last_send_time, m.send_count AS m_send_count,
           m.read_own_ord AS m_read_own_ord, m.read_tip_count AS m_read_tip_count, m.cleared_seq AS m_cleared_seq, m.hidden_seq AS m_hidden_seq
         FROM group_members m JOIN groups g ON g.group_id = m.group_id
         WHERE m.user_id = ? AND g.dismissed = 0`,
      ).all(userID) as Array<GroupRecord & Record<string, unknown>>;
      return rows.map((r) => ({
        group: toGroup(r),
        member: toMember({
          group_id: r.group_id,
          user_id: r['m_user_id'] as string,
          role: r['m_role'] as string,
          name_card: r['m_name_card'] as string,
          join_time: r['m_join_time'] as number,
          mute_until: r['m_mute_until'] as number,
          custom: r['m_custom'] as string,
          read_seq: r['m_read_seq'] as number,
          join_seq: r['m_join_seq'] as number,
          remind_type: r['m_remind_type'] as string,
          last_send_time: r['m_last_send_time'] as number,
          send_count: r['m_send_count'] as number,
          read_own_ord: r['m_read_own_ord'] as number,
          read_tip_count: r['m_read_tip_count'] as number,
          cleared_seq: r['m_cleared_seq'] as number,
          hidden_seq: r['m_hidden_seq'] as number,
        }),
      }));
    },
    async countMemberships(userID) {
      const r = q(
        "SELECT COUNT(*) AS n FROM group_members m JOIN groups g ON g.group_id = m.group_id WHERE m.user_id = ? AND g.type != 'AVChatRoom' AND g.dismissed = 0",
      ).get(userID) as { n: number };
      return r.n;
    },

    async upsertApplication(a) {
      q(
        `INSERT INTO group_applications (group_id, applicant, message, created_at, handled, handler, result) VALUES (?, ?, ?, ?, 0, '', '')
         ON CONFLICT (group_id, applicant) DO UPDATE SET message = excluded.message, created_at = excluded.created_at, handled = 0, handler = '', result = ''`,
      ).run(a.groupID, a.applicant, a.message, a.createdAt);
    },
    async getApplication(groupID, applicant) {
      const r = q('SELECT * FROM group_applications WHERE group_id = ? AND applicant = ?').get(groupID, applicant) as ApplicationRecord | undefined;
      return r ? toApplication(r) : null;
    },
    async pendingApplicationsFor(userID) {
      const rows = q(
        `SELECT a.* FROM group_applications a
         JOIN group_members m ON m.group_id = a.group_id AND m.user_id = ? AND m.role IN ('Owner', 'Admin')
         WHERE a.handled = 0 ORDER BY a.created_at, a.group_id, a.applicant`,
      ).all(userID) as ApplicationRecord[];
      return rows.map(toApplication);
    },
    async markApplicationHandled(groupID, applicant, handler, result) {
      q('UPDATE group_applications SET handled = 1, handler = ?, result = ? WHERE group_id = ? AND applicant = ?').run(handler, result, groupID, applicant);
    },

    async insertMessage(m) {
      q(
        `INSERT INTO messages (conv_key, seq, id, conv_type, sender, receiver, sender_ord, time, client_time, random, type, payload,
           cloud_custom_data, priority, nick, avatar, revoked, revoker, revoke_time, name_card)
         VALUES (?, ?, ?, 'GROUP', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', 0, ?)`,
      ).run(
        m.convKey,
        m.seq,
        m.ID,
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
        m.nameCard ?? '',
      );
    },
    async findMessage(groupID, messageID) {
      const r = q("SELECT * FROM messages WHERE conv_key = ? AND id = ? AND conv_type = 'GROUP'").get(groupKey(groupID), messageID) as MessageRecord | undefined;
      return r ? toMessage(r) : null;
    },
    async findBySender(sender, messageID) {
      const r = q('SELECT * FROM messages WHERE sender = ? AND id = ?').get(sender, messageID) as MessageRecord | undefined;
      return r ? toMessage(r) : null;
    },
    async listBefore(groupID, beforeSeq, minSeqExclusive, limit) {
      const rows = q('SELECT * FROM messages WHERE conv_key = ? AND seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?').all(
        groupKey(groupID),
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        minSeqExclusive,
        limit,
      ) as MessageRecord[];
      return rows.map(toMessage);
    },
    async listBeforeWire(groupID, beforeSeq, minSeqExclusive, limit) {
      return q(`SELECT seq, ${WIRE_JSON_SQL} AS json FROM messages WHERE conv_key = ? AND seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?`).all(
        groupKey(groupID),
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        minSeqExclusive,
        limit,
      ) as WireMessageJson[];
    },
    async listAfter(groupID, afterSeq, limit) {
      const rows = q('SELECT * FROM messages WHERE conv_key = ? AND seq > ? ORDER BY seq ASC LIMIT ?').all(groupKey(groupID), afterSeq, limit) as MessageRecord[];
      return rows.map(toMessage);
    },
    async listAfterWire(groupID, afterSeq, limit) {
      return q(`SELECT seq, ${WIRE_JSON_SQL} AS json FROM messages WHERE conv_key = ? AND seq > ? ORDER BY seq ASC LIMIT ?`).all(
        groupKey(groupID),
        afterSeq,
        limit,
      ) as WireMessageJson[];
    },
    async lastMessage(groupID, minSeqExclusive) {
      const r = q('SELECT * FROM messages WHERE conv_key = ? AND seq > ? ORDER BY seq DESC LIMIT 1').get(groupKey(groupID), minSeqExclusive) as
        | MessageRecord
        | undefined;
      return r ? toMessage(r) : null;
    },
    async markRevoked(groupID, seq, revoker, time) {
      q('UPDATE messages SET revoked = 1, revoker = ?, revoke_time = ? WHERE conv_key = ? AND seq = ?').run(revoker, time, groupKey(groupID), seq);
    },
    async countRevokedOthersAfter(groupID, userID, afterSeq) {
      const r = q(
        "SELECT COUNT(*) AS n FROM messages WHERE conv_key = ? AND seq > ? AND revoked = 1 AND conv_type = 'GROUP' AND sender != ?",
      ).get(groupKey(groupID), afterSeq, userID) as { n: number };
      return r.n;
    },
    async countOwnAndTipsAfter(groupID, userID, afterSeq) {
      const r = q(
        "SELECT COALESCE(SUM(sender = ? AND type != 'TIMGroupTipElem'), 0) AS own, COALESCE(SUM(type = 'TIMGroupTipElem'), 0) AS tips FROM messages WHERE conv_key = ? AND seq > ?",
      ).get(userID, groupKey(groupID), afterSeq) as { own: number; tips: number };
      return { own: r.own, tips: r.tips };
    },

    async setC2CRemindType(owner, peer, convKey, remindType, now) {
      q(
        `INSERT INTO user_conversations (owner, conversation_id, peer, conv_key, created_at, hidden, remind_type) VALUES (?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (owner, conversation_id) DO UPDATE SET remind_type = excluded.remind_type`,
      ).run(owner, c2cConversationKeyPrefix + peer, peer, convKey, now, remindType);
    },
    async c2cRemindTypes(owner) {
      const rows = q("SELECT conversation_id, remind_type FROM user_conversations WHERE owner = ? AND remind_type != ''").all(owner) as Array<{
        conversation_id: string;
        remind_type: string;
      }>;
      return new Map(rows.map((r) => [r.conversation_id, r.remind_type as WireRemindType]));
    },
    async c2cRemindType(owner, conversationID) {
      const r = q('SELECT remind_type FROM user_conversations WHERE owner = ? AND conversation_id = ?').get(owner, conversationID) as
        | { remind_type: string }
        | undefined;
      return (r?.remind_type ?? '') as WireRemindType | '';
    },
  };
}

/**
 * AVChatRoom bans over SQLite (table `group_bans`, migration 5). Its own file so the
 * group repository stays untouched; `createSqliteRepositories` merges it into `groups`.
 */
import type { GroupBanRepository, GroupBanRow } from '../group-repository.js';
import { statementCache, type SqliteHandle } from './sqlite-handle.js';

interface BanRecord {
  group_id: string;
  user_id: string;
  until: number;
  description: string;
  operator: string;
  created_at: number;
}

function toBan(r: BanRecord): GroupBanRow {
  return { groupID: r.group_id, userID: r.user_id, until: r.until, description: r.description, operator: r.operator, createdAt: r.created_at };
}

export function createSqliteGroupBanRepository(db: SqliteHandle): GroupBanRepository {
  const q = statementCache(db);

  return {
    async putBans(bans) {
      const insert = q(
        `INSERT INTO group_bans (group_id, user_id, until, description, operator, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (group_id, user_id) DO UPDATE SET until = excluded.until, description = excluded.description,
           operator = excluded.operator, created_at = excluded.created_at`,
      );
      for (const b of bans) insert.run(b.groupID, b.userID, b.until, b.description, b.operator, b.createdAt);
    },
    async activeBan(groupID, userID, now) {
      const row = q('SELECT * FROM group_bans WHERE group_id = ? AND user_id = ? AND until > ?').get(groupID, userID, now) as BanRecord | undefined;
      return row ? toBan(row) : null;
    },
    async removeBans(groupID, userIDs, now) {
      if (userIDs.length === 0) return [];
      const ids = JSON.stringify([...new Set(userIDs)]);
      const active = q('SELECT user_id FROM group_bans WHERE group_id = ? AND until > ? AND user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id').all(
        groupID,
        now,
        ids,
      ) as Array<{ user_id: string }>;
      q('DELETE FROM group_bans WHERE group_id = ? AND user_id IN (SELECT value FROM json_each(?))').run(groupID, ids);
      return active.map((r) => r.user_id);
    },
    async clearBans(groupID) {
      q('DELETE FROM group_bans WHERE group_id = ?').run(groupID);
    },
  };
}

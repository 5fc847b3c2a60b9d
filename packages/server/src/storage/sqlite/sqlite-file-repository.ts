/** The `files` table (migration "files") behind the FileRepository port. */
import type { WireFileType } from '@parley/protocol';
import type { FileRepository, StoredDerivatives, StoredFile } from '../file-records.js';
import { statementCache, type SqliteHandle } from './sqlite-handle.js';

interface FileRecord {
  uuid: string;
  owner: string;
  file_type: number;
  file_name: string;
  size: number;
  content_type: string;
  state: string;
  created_at: number;
  expires_at: number;
  uploaded_at: number;
  width: number;
  height: number;
  image_format: number;
  format: string;
  duration: number;
  derivatives: string;
}

function toFile(r: FileRecord): StoredFile {
  return {
    uuid: r.uuid,
    owner: r.owner,
    fileType: r.file_type as WireFileType,
    fileName: r.file_name,
    size: r.size,
    contentType: r.content_type,
    state: r.state === 'ready' ? 'ready' : 'pending',
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    uploadedAt: r.uploaded_at,
    width: r.width,
    height: r.height,
    imageFormat: r.image_format,
    format: r.format,
    duration: r.duration,
    derivatives: JSON.parse(r.derivatives) as StoredDerivatives,
  };
}

export function createSqliteFileRepository(db: SqliteHandle): FileRepository {
  const stmt = statementCache(db);
  return {
    async insert(f) {
      stmt(
        `INSERT INTO files (uuid, owner, file_type, file_name, size, content_type, state, created_at, expires_at, uploaded_at,
           width, height, image_format, format, duration, derivatives)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        f.uuid,
        f.owner,
        f.fileType,
        f.fileName,
        f.size,
        f.contentType,
        f.state,
        f.createdAt,
        f.expiresAt,
        f.uploadedAt,
        f.width,
        f.height,
        f.imageFormat,
        f.format,
        f.duration,
        JSON.stringify(f.derivatives),
      );
    },
    async get(uuid) {
      const r = stmt('SELECT * FROM files WHERE uuid = ?').get(uuid) as FileRecord | undefined;
      return r ? toFile(r) : null;
    },
    async complete(uuid, u) {
      const { changes } = stmt(
        `UPDATE files SET state = 'ready', size = ?, content_type = ?, uploaded_at = ?, width = ?, height = ?, image_format = ?,
           format = ?, duration = ?, derivatives = ?
         WHERE uuid = ? AND state = 'pending'`,
      ).run(u.size, u.contentType, u.uploadedAt, u.width, u.height, u.imageFormat, u.format, u.duration, JSON.stringify(u.derivatives), uuid);
      return changes === 1;
    },
    async deleteExpiredPending(nowSeconds) {
      return stmt("DELETE FROM files WHERE state = 'pending' AND expires_at < ?").run(nowSeconds).changes;
    },
  };
}

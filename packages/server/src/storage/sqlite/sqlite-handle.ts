/**
 * The subset of better-sqlite3 we call (style guide practice 4): swapping the
 * driver (e.g. for `node:sqlite`) touches only `openSqlite`.
 */
import { createRequire } from 'node:module';

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(sql: string): unknown;
  close(): void;
}

/** `q(sql)`: the statement for `sql`, prepared on first use and kept (SQLite parses each query once per connection). */
export function statementCache(db: SqliteHandle): (sql: string) => SqliteStatement {
  const cache = new Map<string, SqliteStatement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

type SqliteCtor = new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteHandle;

/** Loads better-sqlite3 on demand (it is a native module; only the SQLite backend needs it). */
export function openSqlite(filename: string, options: { readonly?: boolean } = {}): SqliteHandle {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as SqliteCtor;
  return new Database(filename, options.readonly ? { readonly: true, fileMustExist: true } : {});
}

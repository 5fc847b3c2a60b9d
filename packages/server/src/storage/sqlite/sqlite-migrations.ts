/** Schema migrations for the SQLite backend, applied in order at start (PRAGMA user_version tracks progress). */
// Every index costs a page write per message: messages keep only the primary key
// (conv_key, seq) and the idempotency key (sender, id); revoked rows get a partial index.
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    user_id    TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE conversation_state (
    conv_key  TEXT PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    last_time INTEGER NOT NULL,
    ord_a     INTEGER NOT NULL,
    ord_b     INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE messages (
    conv_key         TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    id               TEXT    NOT NULL,
    conv_type        TEXT    NOT NULL,
    sender           TEXT    NOT NULL,
    receiver         TEXT    NOT NULL,
    sender_ord       INTEGER NOT NULL,
    time             INTEGER NOT NULL,
    client_time      INTEGER NOT NULL,
    random           INTEGER NOT NULL,
    type             TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    cloud_custom_data TEXT   NOT NULL,
    priority         TEXT    NOT NULL,
    nick             TEXT    NOT NULL,
    avatar           TEXT    NOT NULL,
    revoked          INTEGER NOT NULL DEFAULT 0,
    revoker          TEXT    NOT NULL DEFAULT '',
    revoke_time      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conv_key, seq)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX messages_client_id ON messages (sender, id);
  CREATE INDEX messages_revoked ON messages (conv_key, sender, sender_ord) WHERE revoked = 1;

  CREATE TABLE user_conversations (
    owner           TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    peer            TEXT    NOT NULL,
    conv_key        TEXT    NOT NULL,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    read_peer_ord   INTEGER NOT NULL DEFAULT 0,
    read_time       INTEGER NOT NULL DEFAULT 0,
    cleared_seq     INTEGER NOT NULL DEFAULT 0,
    hidden          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (owner, conversation_id)
  ) WITHOUT ROWID;
  `,
];

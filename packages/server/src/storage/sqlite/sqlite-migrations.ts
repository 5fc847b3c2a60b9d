/** Schema migrations for the SQLite backend, applied in order at start (PRAGMA user_version tracks progress). */
// Every index costs a page write per message: messages keep only the primary key
// (conv_key, seq) and the idempotency key (sender, id); revoked and hidden-for-receiver rows get a partial index.
// Never edit a shipped migration: append a new one (existing databases run only the ones past their user_version).
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
  // v2: profiles, the blacklist, and per-message "hidden for the receiver" (profile messageSettings = 1).
  `
  CREATE TABLE profiles (
    user_id           TEXT    PRIMARY KEY,
    nick              TEXT    NOT NULL DEFAULT '',
    avatar            TEXT    NOT NULL DEFAULT '',
    gender            TEXT    NOT NULL DEFAULT '',
    self_signature    TEXT    NOT NULL DEFAULT '',
    allow_type        TEXT    NOT NULL DEFAULT 'AllowType_Type_AllowAny',
    birthday          INTEGER NOT NULL DEFAULT 0,
    location          TEXT    NOT NULL DEFAULT '',
    language          INTEGER NOT NULL DEFAULT 0,
    message_settings  INTEGER NOT NULL DEFAULT 0,
    admin_forbid_type TEXT    NOT NULL DEFAULT 'AdminForbid_Type_None',
    level             INTEGER NOT NULL DEFAULT 0,
    role              INTEGER NOT NULL DEFAULT 0,
    custom_fields     TEXT    NOT NULL DEFAULT '[]',
    last_updated_ms   INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE blacklist (
    owner      TEXT    NOT NULL,
    blocked    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (owner, blocked)
  ) WITHOUT ROWID;

  ALTER TABLE messages ADD COLUMN hidden_for_receiver INTEGER NOT NULL DEFAULT 0;
  -- Messages that never count as unread: revoked ones, and ones hidden from their receiver.
  DROP INDEX messages_revoked;
  CREATE INDEX messages_not_unread ON messages (conv_key, sender, sender_ord) WHERE revoked = 1 OR hidden_for_receiver = 1;

  -- Profile pushes go to everyone who has a conversation with the user.
  CREATE INDEX user_conversations_peer ON user_conversations (peer);
  `,
  // Groups: groups, members, join applications; group messages live in `messages` under conv_key "group:<id>"
  // (read diffusion: stored once per group); do-not-disturb for C2C conversations.
  `
  CREATE TABLE groups (
    group_id         TEXT    PRIMARY KEY,
    type             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    owner            TEXT    NOT NULL DEFAULT '',
    introduction     TEXT    NOT NULL DEFAULT '',
    notification     TEXT    NOT NULL DEFAULT '',
    avatar           TEXT    NOT NULL DEFAULT '',
    join_option      TEXT    NOT NULL,
    max_member_count INTEGER NOT NULL,
    mute_all         INTEGER NOT NULL DEFAULT 0,
    is_support_topic INTEGER NOT NULL DEFAULT 0,
    custom           TEXT    NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    last_info_time   INTEGER NOT NULL,
    info_seq         INTEGER NOT NULL DEFAULT 0,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    last_time        INTEGER NOT NULL DEFAULT 0,
    tip_count        INTEGER NOT NULL DEFAULT 0,
    member_count     INTEGER NOT NULL DEFAULT 0,
    -- Bumped whenever the set of members that receive live messages changes (join, leave, remind type):
    -- fan-out caches the member list per version.
    members_version  INTEGER NOT NULL DEFAULT 0,
    dismissed        INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;

  CREATE TABLE group_members (
    group_id       TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    name_card      TEXT    NOT NULL DEFAULT '',
    join_time      INTEGER NOT NULL,
    mute_until     INTEGER NOT NULL DEFAULT 0,
    custom         TEXT    NOT NULL DEFAULT '[]',
    read_seq       INTEGER NOT NULL DEFAULT 0,
    join_seq       INTEGER NOT NULL DEFAULT 0,
    remind_type    TEXT    NOT NULL DEFAULT '',
    last_send_time INTEGER NOT NULL DEFAULT 0,
    send_count     INTEGER NOT NULL DEFAULT 0,
    read_own_ord   INTEGER NOT NULL DEFAULT 0,
    read_tip_count INTEGER NOT NULL DEFAULT 0,
    cleared_seq    INTEGER NOT NULL DEFAULT 0,
    hidden_seq     INTEGER NOT NULL DEFAULT -1,
    PRIMARY KEY (group_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX group_members_user ON group_members (user_id);

  CREATE TABLE group_applications (
    group_id   TEXT    NOT NULL,
    applicant  TEXT    NOT NULL,
    message    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    handled    INTEGER NOT NULL DEFAULT 0,
    handler    TEXT    NOT NULL DEFAULT '',
    result     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, applicant)
  ) WITHOUT ROWID;

  -- The sender's group name card at send time.
  ALTER TABLE messages ADD COLUMN name_card TEXT NOT NULL DEFAULT '';
  -- Group revoke looks messages up by ID within the group (owners/admins revoke others' messages).
  CREATE INDEX messages_group_id ON messages (conv_key, id) WHERE conv_type = 'GROUP';
  -- Revoked group messages leave unread counts; rows enter this index only when revoked.
  CREATE INDEX messages_group_revoked ON messages (conv_key, seq) WHERE revoked = 1 AND conv_type = 'GROUP';

  ALTER TABLE user_conversations ADD COLUMN remind_type TEXT NOT NULL DEFAULT '';
  `,
  // Uploaded files (files/file-service.ts): one row per upload slot, 'pending' until the upload completes.
  `
  CREATE TABLE files (
    uuid         TEXT    PRIMARY KEY,
    owner        TEXT    NOT NULL,
    file_type    INTEGER NOT NULL,
    file_name    TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    uploaded_at  INTEGER NOT NULL DEFAULT 0,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    image_format INTEGER NOT NULL DEFAULT 0,
    format       TEXT    NOT NULL DEFAULT '',
    duration     INTEGER NOT NULL DEFAULT 0,
    derivatives  TEXT    NOT NULL DEFAULT '{}'
  ) WITHOUT ROWID;
  CREATE INDEX files_pending ON files (expires_at) WHERE state = 'pending';
  `,
  // AVChatRoom bans (sqlite-group-ban-repository.ts): a ban holds while until > now (seconds); expired rows are ignored.
  `
  CREATE TABLE group_bans (
    group_id    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    until       INTEGER NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    operator    TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
  ) WITHOUT ROWID;
  `,
];

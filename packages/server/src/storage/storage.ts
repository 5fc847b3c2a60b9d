/**
 * The storage port. Services depend only on this interface; `sqlite/` is the
 * embedded default and a PostgreSQL backend implements the same contract.
 *
 * Writes happen inside `transaction(fn)`. A backend may group several
 * transactions into one database commit (group commit), but each `fn` is
 * atomic on its own and its promise settles only after its data is durable.
 * `call(procedure, args)` runs a transaction written as a module-level function
 * of plain data, which a backend may run on another thread (the 1:1 send).
 */
import type { WireMessage, WireProfile, WireRemindType } from '@parley/protocol';
import type { GroupBanRepository, GroupRepository } from './group-repository.js';
import type { FileRepository } from './file-records.js';

/**
 * A message rendered by the storage as JSON text: `JSON.parse(json)` deep-equals the service's
 * `toWire(message)` (`toGroupWire` for group messages). History pages are answered from these
 * without building an object per row or serialising it again.
 */
export interface WireMessageJson {
  seq: number;
  json: string;
}

/** A stored message: the wire shape plus the keys storage needs. */
export interface StoredMessage extends WireMessage {
  /** Canonical conversation key shared by both participants (see `c2cKey`). */
  convKey: string;
  /** 1-based count of the sender's messages in this conversation at this message (derives unread counts). */
  senderOrd: number;
  /** When it was revoked, seconds (0 if not). */
  revokeTime: number;
  /**
   * The receiver had profile `messageSettings` = 1 when it was sent: it exists for
   * the sender only (never shown to, pushed to or counted as unread for the receiver).
   */
  hiddenForReceiver: boolean;
}

/** Shared state of one conversation (both participants). */
export interface ConversationState {
  convKey: string;
  lastSeq: number;
  lastTime: number;
  /** Messages sent so far by the participant whose userID sorts first / second. */
  ordA: number;
  ordB: number;
}

/** One user's view of one conversation. */
export interface UserConversationRow {
  owner: string;
  conversationID: string;
  peer: string;
  convKey: string;
  /** Highest sequence this user has read. */
  readSeq: number;
  /** The peer's sender ordinal at `readSeq`: unread = peerOrd − readPeerOrd − revoked-unread. */
  readPeerOrd: number;
  readTime: number;
  /** Sequences ≤ this were cleared from this user's history. */
  clearedSeq: number;
  hidden: boolean;
  createdAt: number;
}

export interface AppendResult {
  message: StoredMessage;
  /** The message already existed (same sender and ID): this is the stored original. */
  duplicate: boolean;
}

/** Repositories available inside and outside transactions. */
export interface StorageRepositories {
  users: UserRepository;
  messages: MessageRepository;
  conversations: ConversationRepository;
  profiles: ProfileRepository;
  blacklist: BlacklistRepository;
  /** Groups, members, applications, group messages, remind types and AVChatRoom bans (group-repository.ts). */
  groups: GroupRepository & GroupBanRepository;
  /** Uploaded files' metadata (file-records.ts). */
  files: FileRepository;
}

export interface UserRepository {
  /** Records that a user exists (first login); idempotent. */
  ensure(userID: string, now: number): Promise<void>;
  exists(userID: string): Promise<boolean>;
  /** The subset of `userIDs` that exist (one query). */
  existing(userIDs: readonly string[]): Promise<Set<string>>;
}

export interface MessageRepository {
  findByClientID(from: string, id: string): Promise<StoredMessage | null>;
  insert(message: StoredMessage): Promise<void>;
  /**
   * Newest-first page: seq < beforeSeq (if given) and seq > minSeqExclusive.
   * `viewer` (optional): leave out messages hidden from that user as their receiver.
   */
  listBefore(convKey: string, beforeSeq: number | null, minSeqExclusive: number, limit: number, viewer?: string): Promise<StoredMessage[]>;
  /** `listBefore`, each message as its wire JSON (the history page path). */
  listBeforeWire(convKey: string, beforeSeq: number | null, minSeqExclusive: number, limit: number, viewer?: string): Promise<WireMessageJson[]>;
  /** Oldest-first: seq > afterSeq; `viewer` as in `listBefore`. */
  listAfter(convKey: string, afterSeq: number, limit: number, viewer?: string): Promise<StoredMessage[]>;
  /** `listAfter`, each message as its wire JSON (the gap-fill path). */
  listAfterWire(convKey: string, afterSeq: number, limit: number, viewer?: string): Promise<WireMessageJson[]>;
  /** Newest message with seq > minSeqExclusive, or null; `viewer` as in `listBefore`. */
  last(convKey: string, minSeqExclusive: number, viewer?: string): Promise<StoredMessage | null>;
  markRevoked(convKey: string, seq: number, revoker: string, time: number): Promise<void>;
  /**
   * Messages of `sender` with senderOrd > afterOrd that do not count as unread for
   * their receiver: revoked ones, and ones hidden from the receiver.
   */
  countNotUnreadAfter(convKey: string, sender: string, afterOrd: number): Promise<number>;
  /** The sender's highest ordinal among messages with seq ≤ seq (0 if none). */
  senderOrdAt(convKey: string, sender: string, seq: number): Promise<number>;
}

/** The columns `touchUserConversation` creates a row with. */
export type UserConversationTouch = Pick<UserConversationRow, 'owner' | 'conversationID' | 'peer' | 'convKey' | 'createdAt'>;

export interface ConversationRepository {
  /**
   * Reserves the next sequence for a conversation and bumps the sender's
   * ordinal; creates the state on first use. `senderIsA` says which ordinal.
   */
  advance(convKey: string, senderIsA: boolean, time: number): Promise<ConversationState>;
  getState(convKey: string): Promise<ConversationState | null>;
  /** Creates the user's row if missing; when `unhide`, a hidden row becomes visible again. */
  touchUserConversation(row: UserConversationTouch, unhide: boolean): Promise<void>;
  /** `touchUserConversation` for each row, in one write (a 1:1 send touches its sender's and its receiver's). */
  touchUserConversations(rows: readonly UserConversationTouch[], unhide: boolean): Promise<void>;
  /**
   * What a 1:1 send from `sender` needs to know about its receiver, in one read: whether the
   * receiver has the sender on their blacklist, and the receiver's remind type for their C2C
   * conversation with the sender ('' when none is set or there is no row).
   */
  c2cReceiverState(receiver: string, sender: string): Promise<{ blocked: boolean; remindType: WireRemindType | '' }>;
  getUserConversation(owner: string, conversationID: string): Promise<UserConversationRow | null>;
  /** Every row of the user, hidden ones included. */
  listUserConversations(owner: string): Promise<UserConversationRow[]>;
  /** Owners of C2C rows whose peer is `peer` (hidden rows included): the users who show `peer`'s profile. */
  ownersWithPeer(peer: string): Promise<string[]>;
  setRead(owner: string, conversationID: string, readSeq: number, readPeerOrd: number, readTime: number): Promise<void>;
  /** Hides the row; with `clearedSeq` also clears history up to it. */
  hide(owner: string, conversationID: string, clearedSeq: number | null): Promise<void>;
}

/** What a profile update writes: only the given columns change. `profileCustomField` is the complete new list. */
export type ProfileChanges = Partial<Omit<WireProfile, 'userID' | 'lastUpdatedTime'>>;

export interface ProfileRepository {
  /** Stored profiles of those of `userIDs` that have one (one query). Users without a row are absent. */
  getMany(userIDs: readonly string[]): Promise<Map<string, WireProfile>>;
  /** Creates the row (columns not in `changes` get their defaults) or updates only the given columns. */
  upsert(userID: string, changes: ProfileChanges, lastUpdatedTime: number): Promise<void>;
}

export interface BlacklistRepository {
  /** The userIDs `owner` blocked, in the order they were added (by `created_at`, then userID). */
  list(owner: string): Promise<string[]>;
  /**
   * Adds entries after all existing ones of `owner`, in the given order (`now`, ms, is a
   * lower bound for their `created_at`); entries already present keep their place.
   */
  add(owner: string, blocked: readonly string[], now: number): Promise<void>;
  /** Removes those of `blocked` that are present. */
  remove(owner: string, blocked: readonly string[]): Promise<void>;
  contains(owner: string, blocked: string): Promise<boolean>;
}

/**
 * A transaction written as a module-level function of plain data: its arguments and result are
 * structured-cloneable, and it reaches nothing but the repositories it is given. Named by the
 * module that exports it (under `name`), so a backend may run it on another thread: SQLite runs
 * them on its storage thread, off the event loop (sqlite/sqlite-thread.ts). Define with
 * `defineProcedure(import.meta.url, 'exportName', run)` and export the result under that name.
 */
export interface Procedure<A, R> {
  /** URL of the module that exports this procedure (its `import.meta.url`). */
  readonly module: string;
  /** The name it is exported under. */
  readonly name: string;
  readonly run: (tx: StorageRepositories, args: A) => Promise<R>;
  /** How its arguments and result cross a thread, if not as they are (a backend that runs it in process ignores it). */
  readonly codec?: ProcedureCodec<A, R>;
}

/**
 * Flat forms of a procedure's arguments and result for crossing threads. Structured clone writes
 * every property name of every object and rebuilds each object's shape on arrival; an array of
 * strings and numbers costs about half as much (docs/performance.md, session 11). `unpack` of
 * `pack` must give back an equal value: a property test holds each codec to it.
 */
export interface ProcedureCodec<A, R> {
  packArgs(args: A): unknown[];
  unpackArgs(packed: unknown[]): A;
  packResult(result: R): unknown[];
  unpackResult(packed: unknown[]): R;
}

export function defineProcedure<A, R>(
  module: string,
  name: string,
  run: (tx: StorageRepositories, args: A) => Promise<R>,
  codec?: ProcedureCodec<A, R>,
): Procedure<A, R> {
  return codec ? { module, name, run, codec } : { module, name, run };
}

export interface Storage extends StorageRepositories {
  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  /**
   * Runs `fn` atomically; resolves after the data is durable. `fn` may be run more than once
   * (a backend may roll back and retry it, as SQLite's group commit does when another job of its
   * batch fails after writing): only its last run counts, so its effects beyond the
   * repositories it is given (publishing, caches) belong after the promise settles.
   */
  transaction<T>(fn: (tx: StorageRepositories) => Promise<T>): Promise<T>;
  /**
   * Runs `procedure.run(tx, args)` as `transaction()` runs a function: atomic, settled once durable,
   * possibly run more than once. It may run on another thread, against another connection: what it
   * wrote is visible to reads and transactions once its promise has settled. An error it throws
   * arrives as a plain Error (name, message); refusals the caller must tell apart belong in its result.
   */
  call<A, R>(procedure: Procedure<A, R>, args: A): Promise<R>;
  close(): Promise<void>;
}

/**
 * Canonical key of the C2C conversation between two users (order-independent).
 * The length prefix keeps it unambiguous: userIDs may contain ':'.
 */
export function c2cKey(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `c2c:${x.length}:${x}:${y}`;
}

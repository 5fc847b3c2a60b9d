/** Builds a user's view of a conversation from storage rows. Unread is derived from sequences, never stored. */
import { EncodedData, type ListMessagesResult, type PullMessagesResult, type WireConversation, type WireMessage, type WireProfileSummary } from '@parley/protocol';
import type { ConversationState, StorageRepositories, StoredMessage, UserConversationRow, WireMessageJson } from '../storage/storage.js';

/** Strips storage-only fields: the exact object the wire carries. */
export function toWire(m: StoredMessage): WireMessage {
  const wire: WireMessage = {
    ID: m.ID,
    conversationType: m.conversationType,
    from: m.from,
    to: m.to,
    seq: m.seq,
    time: m.time,
    clientTime: m.clientTime,
    random: m.random,
    type: m.type,
    payload: m.payload,
    cloudCustomData: m.cloudCustomData,
    priority: m.priority,
    nick: m.nick,
    avatar: m.avatar,
    isRevoked: m.isRevoked,
    revoker: m.revoker,
    onlineOnly: m.onlineOnly,
  };
  // Assigned, not spread into the literal: a spread there costs microseconds a call.
  if (m.conversationType === 'GROUP') wire.nameCard = m.nameCard ?? '';
  return wire;
}

/**
 * A `msg.list` answer from a newest-first page of messages the storage rendered as wire JSON,
 * fetched with one more than `limit` to tell whether anything older is left.
 */
export function encodeMessagePage(newestFirst: readonly WireMessageJson[], limit: number): EncodedData<ListMessagesResult> {
  const page = newestFirst.slice(0, limit).reverse();
  return new EncodedData(`{"messages":[${page.map((m) => m.json).join(',')}],"isCompleted":${newestFirst.length <= limit}}`);
}

/**
 * A `msg.pull` answer from an oldest-first run of messages after `from` (one more than `max`
 * fetched to tell `hasMore`). Without more, `upToSeq` reaches the conversation's `lastSeq`: the
 * seqs of messages hidden from this user are covered too, so they are not taken for a gap.
 */
export function encodePullPage(oldestFirst: readonly WireMessageJson[], max: number, from: number, lastSeq: number): EncodedData<PullMessagesResult> {
  const hasMore = oldestFirst.length > max;
  const page = oldestFirst.slice(0, max);
  const lastReturned = page.at(-1)?.seq ?? from;
  const upToSeq = hasMore ? lastReturned : Math.max(lastReturned, lastSeq, from);
  return new EncodedData(`{"messages":[${page.map((m) => m.json).join(',')}],"upToSeq":${upToSeq},"hasMore":${hasMore}}`);
}

function summary(userID: string, profile: { nick: string; avatar: string }): WireProfileSummary {
  return { userID, nick: profile.nick, avatar: profile.avatar };
}

/** The peer's sender ordinal in the conversation state (which of ordA/ordB is theirs). */
export function peerOrd(state: ConversationState | null, owner: string, peer: string): number {
  if (!state) return 0;
  return peer < owner ? state.ordA : state.ordB;
}

/**
 * unread = (messages the peer has sent) − (the peer's ordinal at my read point)
 *          − (the peer's messages after my read point that were revoked or hidden from me).
 */
export async function unreadCount(repos: StorageRepositories, row: UserConversationRow, state: ConversationState | null): Promise<number> {
  if (!state || row.owner === row.peer) return 0;
  const sent = peerOrd(state, row.owner, row.peer);
  if (sent <= row.readPeerOrd) return 0;
  const notUnread = await repos.messages.countNotUnreadAfter(row.convKey, row.peer, row.readPeerOrd);
  return Math.max(0, sent - row.readPeerOrd - notUnread);
}

/**
 * One user's view of a conversation. `peerProfile` is the peer's current nick
 * and avatar (callers batch these reads; defaults for unknown users).
 */
export async function buildConversationView(
  repos: StorageRepositories,
  row: UserConversationRow,
  peerProfile: { nick: string; avatar: string },
): Promise<WireConversation> {
  const state = await repos.conversations.getState(row.convKey);
  // Messages hidden from this user (sent while their messageSettings was 1) are not their lastMessage.
  const last = await repos.messages.last(row.convKey, row.clearedSeq, row.owner);
  const peerRow = row.owner === row.peer ? row : await repos.conversations.getUserConversation(row.peer, 'C2C' + row.owner);
  return {
    conversationID: row.conversationID,
    type: 'C2C',
    peer: row.peer,
    lastSeq: state?.lastSeq ?? 0,
    readSeq: row.readSeq,
    peerReadSeq: peerRow?.readSeq ?? 0,
    peerReadTime: peerRow?.readTime ?? 0,
    unreadCount: await unreadCount(repos, row, state),
    lastMessage: last ? toWire(last) : null,
    clearedSeq: row.clearedSeq,
    hidden: row.hidden,
    // The last visible message's time (a hidden newer one does not bump the conversation).
    updatedAt: Math.max(last ? last.time : (state?.lastTime ?? 0), row.createdAt),
    peerProfile: summary(row.peer, peerProfile),
  };
}

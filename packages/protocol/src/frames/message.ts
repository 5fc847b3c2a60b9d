/** Message shapes on the wire. Field names follow TIM's Message object (spec §8.1) one-to-one. */

/** Conversation types a message can travel in. Only C2C is served in protocol v1. */
export type WireConversationType = 'C2C' | 'GROUP';

/** Message priority values (TIM `MSG_PRIORITY_*`). */
export type WirePriority = 'High' | 'Normal' | 'Low' | 'Lowest';

/**
 * What a client sends. `ID` is chosen by the client and is the idempotency key:
 * a resend with the same `(from, ID)` returns the stored original.
 */
export interface WireMessageInput {
  ID: string;
  conversationType: WireConversationType;
  /** Receiver userID (C2C) or groupID. */
  to: string;
  /** Element type, e.g. `TIMTextElem`; any `TIM*Elem` string is carried. */
  type: string;
  /** Element content; shape depends on `type` (spec §8.3). */
  payload: Record<string, unknown>;
  /** Client clock at creation, seconds. */
  clientTime: number;
  /** 0..4,294,967,295 accepted (TIM's SDK uses 0..99,999,999). */
  random: number;
  cloudCustomData?: string;
  priority?: WirePriority;
  /** Sender's nick and avatar at send time (Tencent messages carry them). */
  nick?: string;
  avatar?: string;
}

/** A stored (or live-only) message as the server sends it. Identical bytes go to every recipient. */
export interface WireMessage {
  ID: string;
  conversationType: WireConversationType;
  from: string;
  to: string;
  /** Per-conversation sequence assigned by the server; 0 for `onlineUserOnly` messages. */
  seq: number;
  /** Server time, seconds. */
  time: number;
  clientTime: number;
  random: number;
  type: string;
  payload: Record<string, unknown>;
  cloudCustomData: string;
  priority: WirePriority;
  nick: string;
  avatar: string;
  isRevoked: boolean;
  /** userID of the revoker, "" when not revoked. */
  revoker: string;
  /** True for `onlineUserOnly` messages (never stored). */
  onlineOnly: boolean;
  /** GROUP: the sender's name card at send time. */
  nameCard?: string;
}

import type { WireProfileSummary } from './profile.js';

/** A conversation row as the server knows it, from the requesting user's point of view. */
export interface WireConversation {
  conversationID: string;
  type: WireConversationType;
  /** Peer userID (C2C) or groupID. */
  peer: string;
  /** Highest sequence in the conversation (0 when empty). */
  lastSeq: number;
  /** Highest sequence this user has read. */
  readSeq: number;
  /** C2C: highest sequence the peer has read. */
  peerReadSeq: number;
  /** C2C: when the peer last read, seconds (0 if never). */
  peerReadTime: number;
  /** Unread count, derived on the server from sequences (never a side counter). */
  unreadCount: number;
  /** Latest message visible to this user, or null. */
  lastMessage: WireMessage | null;
  /** Sequences ≤ this are cleared from this user's history (deleteConversation). */
  clearedSeq: number;
  /** Deleted from the user's list; kept so the client knows its baseline. Reappears on the next message. */
  hidden: boolean;
  /** Last activity, seconds (last message time or creation). */
  updatedAt: number;
  /** C2C: the peer's current nick and avatar. */
  peerProfile: WireProfileSummary;
  /** GROUP: the group's summary. */
  groupProfile?: { groupID: string; name: string; avatar: string; type: string };
  /** Do-not-disturb setting ("" = default, treated as AcceptAndNotify). */
  messageRemindType?: string;
}

/**
 * The in-memory conversation list and per-conversation delivery state.
 * Server rows (`WireConversation`) are the truth; local updates between
 * syncs follow the same rules (unread counts only the peer's messages above
 * the read sequence).
 */
import type { WireConversation } from '@parley/protocol';
import { Message } from '../message/message.js';
import { SequenceTracker } from '../message/sequence-tracker.js';
import { Conversation, emptyLastMessage, lastMessageOf } from './conversation.js';

export interface ConversationEntry {
  conversation: Conversation;
  peer: string;
  lastSeq: number;
  readSeq: number;
  /**
   * Last sequence covered by the server's unread count applied last: incoming
   * messages at or below it are already in `unreadCount` when delivered later
   * (gap fill), so only those above it are counted here.
   */
  unreadBaseSeq: number;
  peerReadSeq: number;
  /**
   * C2C: `lastUpdatedTime` (ms, server clock) of the newest peer profile
   * applied from a profile push or fetch. Older profiles, and live messages
   * sent before it (they carry the nick/avatar of their send time), do not
   * overwrite the conversation's `userProfile`.
   */
  peerProfileTime: number;
  hidden: boolean;
  /** Order of the latest local lastMessage change (ties within one second of `lastTime`). */
  activity: number;
  tracker: SequenceTracker<Message>;
  /** Messages held in memory, by ID (history pages, live messages, own sends). */
  messages: Map<string, Message>;
}

export class ConversationManager {
  private readonly entries = new Map<string, ConversationEntry>();
  private activityCounter = 0;

  constructor(
    private readonly intl: boolean,
    private readonly me: () => string,
  ) {}

  reset(): void {
    this.entries.clear();
  }

  get(conversationID: string): ConversationEntry | undefined {
    return this.entries.get(conversationID);
  }

  all(): ConversationEntry[] {
    return [...this.entries.values()];
  }

  /** An entry for a conversation first seen now; its history starts after `baseline`. */
  create(conversationID: string, peer: string, baseline: number): ConversationEntry {
    const entry: ConversationEntry = {
      conversation: new Conversation(conversationID, peer),
      peer,
      lastSeq: baseline,
      readSeq: 0,
      unreadBaseSeq: baseline,
      peerReadSeq: 0,
      peerProfileTime: 0,
      hidden: false,
      activity: 0,
      tracker: new SequenceTracker<Message>(baseline),
      messages: new Map(),
    };
    this.entries.set(conversationID, entry);
    return entry;
  }

  /**
   * Applies a server row. With `baseline` (first sync after login), delivery
   * starts after the row's last sequence: offline messages are not replayed.
   */
  applyWire(wire: WireConversation, baseline: boolean): ConversationEntry {
    let entry = this.entries.get(wire.conversationID);
    if (!entry) entry = this.create(wire.conversationID, wire.peer, baseline ? wire.lastSeq : 0);
    else if (baseline) entry.tracker.skipTo(wire.lastSeq);
    entry.lastSeq = Math.max(entry.lastSeq, wire.lastSeq);
    entry.readSeq = Math.max(entry.readSeq, wire.readSeq);
    entry.peerReadSeq = Math.max(entry.peerReadSeq, wire.peerReadSeq);
    entry.hidden = wire.hidden;
    const c = entry.conversation;
    this.applyServerUnread(entry, wire.unreadCount, wire.lastSeq);
    c.peerReadTime = wire.peerReadTime;
    if (wire.lastMessage) {
      const m = entry.messages.get(wire.lastMessage.ID) ?? Message.fromWire(wire.lastMessage, this.me());
      if (wire.lastMessage.isRevoked) {
        m.isRevoked = true;
        m.revoker = wire.lastMessage.revoker;
      }
      c.lastMessage = lastMessageOf(m, m.flow === 'out' && m.sequence <= entry.peerReadSeq, this.intl);
    } else {
      c.lastMessage = emptyLastMessage();
    }
    // The server's view of the peer's current nick/avatar at sync time.
    if (wire.type === 'C2C' && wire.peerProfile) {
      c.userProfile.nick = wire.peerProfile.nick;
      c.userProfile.avatar = wire.peerProfile.avatar;
    }
    return entry;
  }

  /**
   * Records a message delivered or sent in this conversation (updates
   * lastMessage and unread). A `live` incoming message (pushed as it was sent,
   * not pulled later) also refreshes the peer's nick/avatar: the server stamps
   * the sender's current ones on every message.
   */
  recordMessage(entry: ConversationEntry, message: Message, live = false): void {
    entry.messages.set(message.ID, message);
    if (message._onlineOnlyFlag) return;
    entry.hidden = false;
    const newest = message.sequence >= entry.lastSeq;
    if (newest) {
      entry.lastSeq = message.sequence;
      entry.conversation.lastMessage = lastMessageOf(message, false, this.intl);
      entry.activity = ++this.activityCounter;
    }
    if (message.flow === 'in') {
      // `time` is whole seconds: a message from the second of the last applied profile change may predate it.
      if (live && newest && message.conversationType === 'C2C' && message.time * 1000 > entry.peerProfileTime) {
        entry.conversation.userProfile.nick = message.nick;
        entry.conversation.userProfile.avatar = message.avatar;
      }
      if (message.sequence > Math.max(entry.readSeq, entry.unreadBaseSeq) && !message.isRevoked) entry.conversation.unreadCount++;
    }
  }

  /**
   * Takes the server's unread count, which covers sequences up to
   * `serverLastSeq`, plus what was delivered here above that (pushes can
   * overtake the response that carries the count).
   */
  applyServerUnread(entry: ConversationEntry, serverUnread: number, serverLastSeq: number): void {
    entry.unreadBaseSeq = serverLastSeq;
    const floor = Math.max(serverLastSeq, entry.readSeq);
    let above = 0;
    for (const m of entry.messages.values()) {
      if (m.flow === 'in' && !m.isRevoked && m.sequence > floor && m.sequence <= entry.tracker.watermark) above++;
    }
    entry.conversation.unreadCount = serverUnread + above;
  }

  /**
   * The C2C peer `userID` has this nick/avatar as of `lastUpdatedTime` (ms).
   * Returns whether the conversation's `userProfile` changed.
   */
  applyPeerProfile(userID: string, nick: string, avatar: string, lastUpdatedTime: number): boolean {
    const entry = this.entries.get('C2C' + userID);
    if (!entry || lastUpdatedTime < entry.peerProfileTime) return false;
    entry.peerProfileTime = lastUpdatedTime;
    const profile = entry.conversation.userProfile;
    if (profile.nick === nick && profile.avatar === avatar) return false;
    profile.nick = nick;
    profile.avatar = avatar;
    return true;
  }

  /** The user read up to `readSeq` (here or on another instance). */
  markRead(entry: ConversationEntry, readSeq: number): void {
    entry.readSeq = Math.max(entry.readSeq, readSeq);
    if (entry.readSeq >= entry.lastSeq) entry.conversation.unreadCount = 0;
    for (const m of entry.messages.values()) if (m.flow === 'in' && m.sequence <= entry.readSeq) m.isRead = true;
  }

  /** The peer read up to `readSeq`: returns own messages that just became peer-read. */
  markPeerRead(entry: ConversationEntry, readSeq: number, time: number): Message[] {
    entry.peerReadSeq = Math.max(entry.peerReadSeq, readSeq);
    entry.conversation.peerReadTime = Math.max(entry.conversation.peerReadTime, time);
    const changed: Message[] = [];
    for (const m of entry.messages.values()) {
      if (m.flow === 'out' && !m.isPeerRead && m.status === 'success' && m.sequence > 0 && m.sequence <= readSeq) {
        m.isPeerRead = true;
        changed.push(m);
      }
    }
    if (entry.conversation.lastMessage.lastSequence <= readSeq && entry.conversation.lastMessage.fromAccount === this.me()) {
      entry.conversation.lastMessage.isPeerRead = true;
    }
    return changed.sort((a, b) => a.sequence - b.sequence);
  }

  /** A message was revoked: update memory, lastMessage and unread. */
  markRevoked(entry: ConversationEntry, message: Message, wasUnread: boolean): void {
    if (entry.conversation.lastMessage.lastSequence === message.sequence) {
      entry.conversation.lastMessage.isRevoked = true;
      entry.conversation.lastMessage.revoker = message.revoker;
    }
    if (wasUnread && entry.conversation.unreadCount > 0) entry.conversation.unreadCount--;
  }

  hide(conversationID: string): void {
    const entry = this.entries.get(conversationID);
    if (!entry) return;
    entry.hidden = true;
    entry.readSeq = entry.lastSeq;
    entry.conversation.unreadCount = 0;
    entry.messages.clear();
  }

  /** Visible conversations: pinned first, then newest activity first. */
  list(): Conversation[] {
    // lastTime is in seconds: within one second the conversation that changed last here comes first.
    return [...this.entries.values()]
      .filter((e) => !e.hidden)
      .sort(
        (a, b) =>
          Number(b.conversation.isPinned) - Number(a.conversation.isPinned) ||
          b.conversation.lastMessage.lastTime - a.conversation.lastMessage.lastTime ||
          b.activity - a.activity,
      )
      .map((e) => e.conversation);
  }

  /** Sum of unread over visible conversations that notify (spec §4.5 getTotalUnreadMessageCount). */
  totalUnread(): number {
    let total = 0;
    for (const e of this.entries.values()) {
      if (e.hidden) continue;
      const remind = e.conversation.messageRemindType;
      if (remind === '' || remind === 'AcceptAndNotify') total += e.conversation.unreadCount;
    }
    return total;
  }
}

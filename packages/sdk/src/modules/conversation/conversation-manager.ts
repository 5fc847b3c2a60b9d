/**
 * The in-memory conversation list and per-conversation delivery state.
 * Server rows (`WireConversation`) are the truth; local updates between
 * syncs follow the same rules (unread counts only the peer's messages above
 * the read sequence).
 */
import type { WireConversation } from '@parley/protocol';
import { Group } from '../group/group.js';
import { Message } from '../message/message.js';
import { SequenceTracker } from '../message/sequence-tracker.js';
import { Conversation, emptyLastMessage, lastMessageOf } from './conversation.js';

export const SYSTEM_CONVERSATION_ID = '@TIM#SYSTEM';

/** `TYPES.MSG_AT_ALL` (the triple-s typo is Tencent's). */
const AT_ALL = '__kImSDK_MesssageAtALL__';

/** Group types whose conversations never count unread (spec §9: Meeting, AVChatRoom). */
const NO_UNREAD_GROUP_TYPES = new Set(['ChatRoom', 'AVChatRoom']);

/** Whether a message counts towards the receiver's unread (tips never do, as on the server). */
function countable(m: Message): boolean {
  return m.flow === 'in' && !m.isRevoked && m.type !== 'TIMGroupTipElem';
}

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
    /** The joined-group list's Group for a groupID (group conversations show it as `groupProfile`). */
    private readonly groupOf: (groupID: string) => Group | undefined = () => undefined,
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
    const conversation = new Conversation(conversationID, peer);
    if (conversation.type === 'GROUP') {
      const group = this.groupOf(peer);
      if (group) this.linkGroup(conversation, group);
    }
    const entry: ConversationEntry = {
      conversation,
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
    if (wire.messageRemindType !== undefined) c.messageRemindType = wire.messageRemindType;
    if (wire.type === 'GROUP') {
      const group = this.groupOf(wire.peer);
      if (group) this.linkGroup(c, group);
      else if (wire.groupProfile) {
        // Partial until the group list (or getConversationProfile) supplies the full group.
        const partial = c.groupProfile ?? new Group(wire.peer);
        partial.name = wire.groupProfile.name;
        partial.avatar = wire.groupProfile.avatar;
        partial.type = wire.groupProfile.type as Group['type'];
        this.linkGroup(c, partial);
      }
      if (!this.countsUnread(entry)) c.unreadCount = 0;
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
    if (entry.conversation.type === 'GROUP') message.conversationSubType = entry.conversation.subType || undefined;
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
      const unseen = message.sequence > Math.max(entry.readSeq, entry.unreadBaseSeq);
      if (unseen && countable(message) && this.countsUnread(entry)) entry.conversation.unreadCount++;
      if (message.sequence > entry.readSeq && entry.conversation.type === 'GROUP') this.noteAt(entry, message);
    }
  }

  /** Meeting and AVChatRoom conversations never count unread (spec §8.2). */
  countsUnread(entry: ConversationEntry): boolean {
    return !(entry.conversation.type === 'GROUP' && NO_UNREAD_GROUP_TYPES.has(entry.conversation.subType));
  }

  /** A group message that @-mentions me or @all goes into `groupAtInfoList` (spec §8.2, TYPES.CONV_AT_*). */
  private noteAt(entry: ConversationEntry, message: Message): void {
    const list = message.atUserList;
    if (list.length === 0 || message.isRevoked) return;
    const atMe = list.includes(this.me());
    const atAll = list.includes(AT_ALL);
    if (!atMe && !atAll) return;
    const infos = entry.conversation.groupAtInfoList;
    if (infos.some((i) => i.messageSequence === message.sequence)) return;
    infos.push({
      from: message.from,
      groupID: entry.peer,
      topicID: '',
      messageSequence: message.sequence,
      atTypeArray: [atMe && atAll ? 3 : atMe ? 1 : 2],
    });
    infos.sort((a, b) => a.messageSequence - b.messageSequence);
  }

  /**
   * Shows `group` on its conversation (if there is one): `groupProfile` becomes
   * that instance and `subType` its type.
   */
  attachGroup(group: Group): void {
    const entry = this.entries.get('GROUP' + group.groupID);
    if (!entry) return;
    this.linkGroup(entry.conversation, group);
    if (group.selfInfo.messageRemindType) entry.conversation.messageRemindType = group.selfInfo.messageRemindType;
    if (!this.countsUnread(entry)) entry.conversation.unreadCount = 0;
  }

  private linkGroup(c: Conversation, group: Group): void {
    c.groupProfile = group;
    if (group.type !== '') c.subType = group.type;
  }

  /** Forgets a conversation completely (the group was left, dismissed, or I was removed). */
  remove(conversationID: string): boolean {
    return this.entries.delete(conversationID);
  }

  /**
   * A group system notice (live only, spec §8.4): kept in the `@TIM#SYSTEM`
   * conversation, which counts unread but never towards the total.
   */
  recordSystemNotice(message: Message): ConversationEntry {
    const entry = this.entries.get(SYSTEM_CONVERSATION_ID) ?? this.create(SYSTEM_CONVERSATION_ID, '', 0);
    entry.messages.set(message.ID, message);
    entry.hidden = false;
    entry.conversation.lastMessage = lastMessageOf(message, false, this.intl);
    entry.activity = ++this.activityCounter;
    if (!message.isRead) entry.conversation.unreadCount++;
    return entry;
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
      if (countable(m) && m.sequence > floor && m.sequence <= entry.tracker.watermark) above++;
    }
    entry.conversation.unreadCount = this.countsUnread(entry) ? serverUnread + above : 0;
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
    const c = entry.conversation;
    if (c.groupAtInfoList.length > 0) c.groupAtInfoList = c.groupAtInfoList.filter((i) => i.messageSequence > entry.readSeq);
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
      if (e.hidden || e.conversation.type === '@TIM#SYSTEM') continue;
      const remind = e.conversation.messageRemindType;
      if (remind === '' || remind === 'AcceptAndNotify') total += e.conversation.unreadCount;
    }
    return total;
  }
}

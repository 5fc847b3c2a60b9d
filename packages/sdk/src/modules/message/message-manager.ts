/**
 * Messages: sending (idempotent resend), history pages, revoke, read state,
 * and live delivery with gap detection and fill. Gets the connection and the
 * event sink injected; never imports them (style guide practice 6).
 */
import {
  ErrorCode,
  parseConversationID,
  type PushFrame,
  type RequestBodies,
  type RequestCmd,
  type ResponseData,
  type WireConversation,
  type WireMessage,
} from '@parley/protocol';
import { ImError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ConversationEntry, ConversationManager } from '../conversation/conversation-manager.js';
import { Message } from './message.js';

export interface MessageEvents {
  received(messages: Message[]): void;
  revoked(messages: Message[]): void;
  readByPeer(messages: Message[]): void;
  conversationsChanged(): void;
}

export interface MessageManagerDeps {
  me(): string;
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]>;
  conversations: ConversationManager;
  events: MessageEvents;
  log: Logger;
  /** The group's type when known locally (AVChatRoom history is never requested). */
  groupTypeOf?(groupID: string): string | undefined;
  /** The in-memory group system notices, oldest first (`getMessageList` of `@TIM#SYSTEM`). */
  systemNotices?(): Message[];
}

export interface MessageListPage {
  messageList: Message[];
  nextReqMessageID: string;
  isCompleted: boolean;
}

export class MessageManager {
  /** Conversations with a gap fill running (one at a time per conversation). */
  private readonly filling = new Map<string, Promise<void>>();
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /**
   * Stored-message sends of this instance without an ack yet (in flight, or
   * failed: the server may still have stored them). When one shows up through
   * a push or a gap fill — its ack was lost to a dropped socket — it is the
   * app's own instance that gets updated, never a MESSAGE_RECEIVED.
   */
  private readonly unacked = new Map<string, Message>();

  constructor(private readonly deps: MessageManagerDeps) {}

  reset(): void {
    for (const t of this.gapTimers.values()) clearTimeout(t);
    this.gapTimers.clear();
    this.filling.clear();
    this.unacked.clear();
  }

  /** Sends (or re-sends: same ID, so the server returns the original) and updates the message in place. */
  async send(message: Message, onlineUserOnly: boolean): Promise<Message> {
    message.status = 'unSend';
    message._onlineOnlyFlag = onlineUserOnly;
    if (!onlineUserOnly) this.unacked.set(message.ID, message);
    try {
      const { message: wire } = await this.deps.request('msg.send', {
        message: {
          ID: message.ID,
          conversationType: message.conversationType === 'GROUP' ? 'GROUP' : 'C2C',
          to: message.to,
          type: message.type,
          payload: message.payload,
          clientTime: message.clientTime,
          random: message.random,
          cloudCustomData: message.cloudCustomData,
          priority: message.priority as 'High' | 'Normal' | 'Low' | 'Lowest',
          nick: message.nick,
          avatar: message.avatar,
        },
        ...(onlineUserOnly ? { onlineUserOnly: true } : {}),
      });
      message.applyWire(wire, this.deps.me());
      message.status = 'success';
      this.unacked.delete(message.ID);
    } catch (err) {
      // Already seen stored (through a sync while the ack was lost): it was sent.
      if (message.status === 'success' && !this.unacked.has(message.ID)) return message;
      message.status = 'fail';
      throw ImError.from(err, ErrorCode.MessageSendFail).withData({ message });
    }
    // AVChatRoom messages are live only: sequence 0, no conversation entry.
    if (!onlineUserOnly && message.sequence > 0) {
      const entry = this.entryFor(message.conversationID, message.to, message.sequence);
      entry.conversation.lastMessage.isPeerRead = false;
      this.deps.conversations.recordMessage(entry, message);
      const released = entry.tracker.markSeen(message.sequence);
      this.deliver(entry, released, true);
      if (entry.tracker.hasGap) this.scheduleGapFill(message.conversationID);
      this.deps.events.conversationsChanged();
    }
    return message;
  }

  async revoke(message: Message): Promise<Message> {
    try {
      const { message: wire } = await this.deps.request('msg.revoke', { conversationID: message.conversationID, messageID: message.ID });
      message.isRevoked = true;
      message.revoker = wire.revoker;
      message.revokerInfo = { userID: wire.revoker, nick: '', avatar: '' };
    } catch (err) {
      throw ImError.from(err, ErrorCode.MessageRevokeFail).withData({ message });
    }
    const entry = this.deps.conversations.get(message.conversationID);
    if (entry) {
      this.deps.conversations.markRevoked(entry, message, false);
      this.deps.events.conversationsChanged();
    }
    return message;
  }

  /** One page of history, TIM-style (spec §4.4): ≤ 15, oldest first, `nextReqMessageID` = oldest of the page. */
  async list(conversationID: string, nextReqMessageID: string | undefined, count: number): Promise<MessageListPage> {
    const parsed = parseConversationID(conversationID);
    if (!parsed) throw new ImError(ErrorCode.InvalidParameters, `invalid conversationID ${conversationID}`);
    if (parsed.type === 'SYSTEM') return pageOf(this.deps.systemNotices?.() ?? [], nextReqMessageID, count);
    // AVChatRoom: no history (spec §4.4), answered without a request.
    if (parsed.type === 'GROUP' && this.deps.groupTypeOf?.(parsed.peer) === 'AVChatRoom') return { messageList: [], nextReqMessageID: '', isCompleted: true };
    const entry = this.deps.conversations.get(conversationID);
    let beforeSeq: number | undefined;
    if (nextReqMessageID) {
      const cursor = entry?.messages.get(nextReqMessageID);
      if (!cursor || cursor.sequence <= 0) throw new ImError(ErrorCode.InvalidParameters, `unknown nextReqMessageID ${nextReqMessageID}`);
      beforeSeq = cursor.sequence;
    }
    const res = await this.deps.request('msg.list', { conversationID, count, ...(beforeSeq !== undefined ? { beforeSeq } : {}) });
    const messageList = res.messages.map((w) => this.materialise(entry, w));
    const oldest = messageList[0];
    return { messageList, nextReqMessageID: res.isCompleted || !oldest ? '' : oldest.ID, isCompleted: res.isCompleted };
  }

  async setRead(entry: ConversationEntry): Promise<void> {
    if (entry.conversation.type === '@TIM#SYSTEM') {
      // Local only (spec §4.4).
      entry.conversation.unreadCount = 0;
      for (const m of entry.messages.values()) m.isRead = true;
      this.deps.events.conversationsChanged();
      return;
    }
    const { conversation } = await this.deps.request('msg.read', { conversationID: entry.conversation.conversationID });
    this.deps.conversations.markRead(entry, conversation.readSeq);
    this.deps.conversations.applyServerUnread(entry, conversation.unreadCount, conversation.lastSeq);
    this.deps.events.conversationsChanged();
  }

  handlePush(frame: PushFrame): void {
    switch (frame.cmd) {
      case 'push.message':
        this.onLiveMessage(frame.data);
        return;
      case 'push.revoke':
        this.onRevoked(frame.data);
        return;
      case 'push.read':
        this.onRead(frame.data);
        return;
      case 'push.conversation-deleted':
        for (const id of frame.data.conversationIDList) this.deps.conversations.hide(id);
        this.deps.events.conversationsChanged();
        return;
      default:
        return;
    }
  }

  /**
   * After a reconnect: apply the server's conversation rows and pull every
   * conversation whose last sequence is past what was delivered here.
   */
  async resync(rows: WireConversation[]): Promise<void> {
    const fills: Array<Promise<void>> = [];
    for (const row of rows) {
      const known = this.deps.conversations.get(row.conversationID);
      // Unknown here means it was created after the last sync: everything in it is new
      // (a group's: everything after the user's read point — joined while disconnected).
      const entry = known ?? this.deps.conversations.create(row.conversationID, row.peer, row.type === 'GROUP' ? Math.min(row.readSeq, row.lastSeq) : 0);
      // Takes the server's unread (up to row.lastSeq); the gap fill below counts only what lies above it.
      this.deps.conversations.applyWire(row, false);
      if (row.lastSeq > entry.tracker.watermark || entry.tracker.hasGap) fills.push(this.fillGap(row.conversationID));
    }
    await Promise.all(fills);
    this.deps.events.conversationsChanged();
  }

  private onLiveMessage(wire: WireMessage): void {
    const me = this.deps.me();
    const message = Message.fromWire(wire, me);
    // Live only: online-only sends, and AVChatRoom messages and tips (never stored: sequence 0).
    if (wire.onlineOnly || wire.seq === 0) {
      if (wire.conversationType === 'GROUP') message.conversationSubType = this.deps.groupTypeOf?.(wire.to);
      this.deps.events.received([message]);
      return;
    }
    const peer = wire.conversationType === 'GROUP' ? wire.to : message.flow === 'out' ? wire.to : wire.from;
    const entry = this.entryFor(message.conversationID, peer, wire.seq);
    const ready = entry.tracker.offer(wire.seq, message);
    this.deliver(entry, ready, true);
    if (entry.tracker.hasGap) this.scheduleGapFill(message.conversationID);
    if (ready.length > 0) this.deps.events.conversationsChanged();
  }

  private onRevoked(wire: WireMessage): void {
    const me = this.deps.me();
    const conversationID = Message.conversationIDOf(wire, me);
    const entry = this.deps.conversations.get(conversationID);
    if (!entry) return;
    const existing = entry.messages.get(wire.ID);
    const message = existing ?? Message.fromWire(wire, me);
    const wasUnread = !message.isRevoked && wire.from !== me && wire.seq > entry.readSeq && wire.seq <= entry.tracker.watermark;
    message.isRevoked = true;
    message.revoker = wire.revoker;
    message.revokerInfo = { userID: wire.revoker, nick: '', avatar: '' };
    this.deps.conversations.markRevoked(entry, message, wasUnread);
    this.deps.events.revoked([message]);
    this.deps.events.conversationsChanged();
  }

  private onRead(data: { reader: string; peer: string; readSeq: number; time: number }): void {
    const me = this.deps.me();
    if (data.reader === me) {
      // Another of my instances read it.
      const entry = this.deps.conversations.get('C2C' + data.peer);
      if (!entry) return;
      this.deps.conversations.markRead(entry, data.readSeq);
      this.deps.events.conversationsChanged();
      return;
    }
    const entry = this.deps.conversations.get('C2C' + data.reader);
    if (!entry) return;
    const changed = this.deps.conversations.markPeerRead(entry, data.readSeq, data.time);
    if (changed.length > 0) this.deps.events.readByPeer(changed);
    this.deps.events.conversationsChanged();
  }

  /** `live`: pushed as they were sent (not pulled by a gap fill). */
  private deliver(entry: ConversationEntry, messages: Message[], live = false): void {
    if (messages.length === 0) return;
    const received: Message[] = [];
    for (const m of messages) {
      const own = m.flow === 'out' ? this.unacked.get(m.ID) : undefined;
      if (own) {
        // One of this instance's own sends whose ack was lost: confirm the app's instance, emit nothing.
        this.unacked.delete(m.ID);
        own.sequence = m.sequence;
        own.time = m.time;
        own.isRevoked = m.isRevoked;
        own.revoker = m.revoker;
        own.status = 'success';
        this.deps.conversations.recordMessage(entry, own);
        continue;
      }
      this.deps.conversations.recordMessage(entry, m, live);
      received.push(m);
    }
    if (received.length > 0) this.deps.events.received(received);
  }

  private scheduleGapFill(conversationID: string): void {
    if (this.gapTimers.has(conversationID) || this.filling.has(conversationID)) return;
    // Give in-flight pushes a moment to close the gap before asking the server.
    this.gapTimers.set(
      conversationID,
      setTimeout(() => {
        this.gapTimers.delete(conversationID);
        const entry = this.deps.conversations.get(conversationID);
        if (entry?.tracker.hasGap) void this.fillGap(conversationID);
      }, 150),
    );
  }

  /** Pulls (watermark, last] from the server and delivers what was missing, in order. */
  private fillGap(conversationID: string): Promise<void> {
    const running = this.filling.get(conversationID);
    if (running) return running.then(() => this.fillGap(conversationID));
    const job = (async () => {
      const entry = this.deps.conversations.get(conversationID);
      if (!entry) return;
      for (let guard = 0; guard < 10_000; guard++) {
        const res = await this.deps.request('msg.pull', { conversationID, afterSeq: entry.tracker.watermark, limit: 100 });
        const me = this.deps.me();
        const items = res.messages.map((w) => ({ seq: w.seq, item: entry.messages.get(w.ID) ?? Message.fromWire(w, me) }));
        this.deliver(entry, entry.tracker.fill(items, res.upToSeq));
        if (!res.hasMore) break;
      }
      this.deps.events.conversationsChanged();
    })()
      .catch((err: unknown) => {
        this.deps.log.warn(`gap fill for ${conversationID} failed; will retry on the next push or reconnect`, err);
      })
      .finally(() => {
        this.filling.delete(conversationID);
      });
    this.filling.set(conversationID, job);
    return job;
  }

  /** The in-memory instance for a wire message (so later revokes/reads update what the app holds). */
  private materialise(entry: ConversationEntry | undefined, wire: WireMessage): Message {
    const me = this.deps.me();
    const existing = entry?.messages.get(wire.ID);
    const message = existing ?? Message.fromWire(wire, me);
    if (existing) {
      message.isRevoked = wire.isRevoked;
      message.revoker = wire.revoker;
    }
    if (entry) {
      entry.messages.set(message.ID, message);
      if (entry.conversation.type === 'GROUP') message.conversationSubType = entry.conversation.subType || undefined;
      if (message.flow === 'in') message.isRead = message.sequence <= entry.readSeq;
      else message.isPeerRead = message.sequence <= entry.peerReadSeq;
    }
    return message;
  }

  /**
   * A C2C conversation unknown here was created after the last sync, so its
   * history starts at 0. A group conversation unknown here is one just joined
   * (or joined on another instance): delivery starts at `seq`, the first
   * message seen; older history is for getMessageList, never MESSAGE_RECEIVED.
   */
  private entryFor(conversationID: string, peer: string, seq: number): ConversationEntry {
    const known = this.deps.conversations.get(conversationID);
    if (known) return known;
    const baseline = conversationID.startsWith('GROUP') ? Math.max(0, seq - 1) : 0;
    return this.deps.conversations.create(conversationID, peer, baseline);
  }
}

/** A TIM-style page (≤ count, oldest first, older than `nextReqMessageID`) of an in-memory list sorted oldest first. */
function pageOf(all: Message[], nextReqMessageID: string | undefined, count: number): MessageListPage {
  let end = all.length;
  if (nextReqMessageID) {
    const at = all.findIndex((m) => m.ID === nextReqMessageID);
    end = at < 0 ? 0 : at;
  }
  const start = Math.max(0, end - count);
  const messageList = all.slice(start, end);
  const isCompleted = start === 0;
  return { messageList, nextReqMessageID: isCompleted ? '' : (messageList[0]?.ID ?? ''), isCompleted };
}

/**
 * One-to-one messaging: send (idempotent, durable before ack), history,
 * gap-fill pulls, read state and revoke. Depends only on the storage and
 * broker ports (and the in-process profile cache).
 *
 * Profile rules on send: the sender's current nick/avatar are stamped on the
 * message; `adminForbidType` SendOut refuses the send (20012); a receiver who
 * blocked the sender refuses it (20007); a receiver with `messageSettings` 1
 * gets nothing (the message is stored hidden from them, for the sender only).
 */
import {
  ErrorCode,
  c2cConversationID,
  EncodedData,
  encodeFrame,
  encodePush,
  isValidUserID,
  parseConversationID,
  type ListMessagesResult,
  type PullMessagesResult,
  type WireConversation,
  type WireMessage,
  type WireMessageInput,
} from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import { c2cKey, type Storage, type StorageRepositories } from '../storage/storage.js';
import { sendC2C, sendFactsOf, sendRefusal, type C2CSendResult, type SendFacts } from './c2c-send.js';
import { type Clock, nowSeconds } from './clock.js';
import { buildConversationView, encodeMessagePage, encodePullPage, peerOrd, toWire } from './conversation-views.js';
import { ServiceError } from './service-error.js';
import { assertValidBody } from './element-rules.js';
import type { ProfileCache, ProfileFacts } from './profile-cache.js';

export interface MessagingLimits {
  /** Largest message body (type + payload + cloudCustomData as JSON), bytes. Tencent: 12 KB. */
  maxBodyBytes: number;
  /** C2C revoke window, seconds. Tencent default: 120. */
  revokeWindowSeconds: number;
  /** Largest `msg.list` page. TIM: 15. */
  pageSize: number;
}

/** A send's outcome: the message as wire JSON, and whether it was a resend of a stored one. */
export interface SentMessage {
  duplicate: boolean;
  json: EncodedData<WireMessage>;
}

/** The `msg.send` answer for a sent message, spliced from its JSON (no second serialisation). */
export function encodeSentMessage(sent: SentMessage): EncodedData<{ message: WireMessage; duplicate: boolean }> {
  return new EncodedData(`{"message":${sent.json.json},"duplicate":${sent.duplicate}}`);
}

/** Who is asking: the user and the connection the request came in on (excluded from echo). */
export interface Caller {
  userID: string;
  connectionID: string;
}

export class MessageService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly limits: MessagingLimits,
    private readonly profiles: ProfileCache,
    /** Do-not-disturb: a receiver whose remind type for the sender is Discard gets no live push (group-conversations.ts). */
    private readonly remind?: { discardsC2C(receiver: string, sender: string, repos?: Pick<StorageRepositories, 'groups'>): Promise<boolean> },
  ) {}

  async send(caller: Caller, input: WireMessageInput, options: { onlineUserOnly?: boolean } = {}): Promise<SentMessage> {
    if (input.conversationType !== 'C2C') throw new ServiceError(ErrorCode.InvalidRequest, 'group messaging is not available on this server version');
    if (!isValidUserID(input.to)) throw new ServiceError(ErrorCode.InvalidReceiver, `invalid receiver userID "${input.to}"`);
    assertValidBody(input, this.limits.maxBodyBytes);

    const time = nowSeconds(this.clock);
    const base = {
      ID: input.ID,
      conversationType: 'C2C' as const,
      from: caller.userID,
      to: input.to,
      time,
      clientTime: input.clientTime,
      random: input.random,
      type: input.type,
      payload: input.payload,
      cloudCustomData: input.cloudCustomData ?? '',
      priority: input.priority ?? 'Normal',
      isRevoked: false,
      revoker: '',
    };

    if (options.onlineUserOnly) {
      const { sender, hiddenForReceiver } = await this.profileFacts(caller.userID, input.to);
      const refusal = await sendRefusal(this.storage, caller.userID, input.to, sender);
      if (refusal) throw new ServiceError(refusal.code, refusal.message);
      const message: WireMessage = { ...base, nick: sender.nick, avatar: sender.avatar, seq: 0, onlineOnly: true };
      return this.sent(caller, hiddenForReceiver ? null : input.to, new EncodedData(JSON.stringify(message)));
    }

    const to = input.to;
    // Nothing is awaited before the call: sends of one connection queue (and get seqs) in arrival order.
    // The profile facts come from the cache when it has both users, else the procedure reads them.
    const facts = this.cachedFacts(caller.userID, to);
    const stored = this.storage.call(sendC2C, { base, convKey: c2cKey(caller.userID, to), facts });
    // What waits for the result keeps only what answering needs, not the request: 10,000 sends
    // in flight would otherwise hold their bodies through young-generation collections.
    return stored.then((result) => this.answerSend(caller, to, input.ID, facts === null, result));
  }

  /** The answer to a 1:1 send once its transaction settled; the message's JSON was made by the procedure. */
  private answerSend(caller: Caller, to: string, messageID: string, factsMissed: boolean, result: C2CSendResult): SentMessage {
    if (factsMissed) void this.profiles.getMany([caller.userID, to]).catch(() => undefined);
    if (result.kind === 'refused') throw new ServiceError(result.code, result.message);
    if (result.kind === 'duplicate') {
      // The same (sender, ID) must belong to the same conversation; anything else is a client bug.
      if (result.message.to !== to || result.message.conversationType !== 'C2C') {
        throw new ServiceError(ErrorCode.InvalidRequest, `message ID "${messageID}" was already used for another conversation`);
      }
      return { duplicate: true, json: new EncodedData(JSON.stringify(toWire(result.message))) };
    }
    return this.sent(caller, result.hiddenForReceiver ? null : to, new EncodedData(result.json), result.discarded);
  }

  /** Pushes a new message (serialised once, for the push and the sender's answer) and answers it. */
  private sent(caller: Caller, peer: string | null, json: EncodedData<WireMessage>, discardedByPeer?: boolean): SentMessage {
    this.fanOut(caller, peer, encodePush('push.message', json), discardedByPeer);
    return { duplicate: false, json };
  }

  /** A history page, already serialised (the storage renders each message's wire JSON). */
  async list(userID: string, conversationID: string, beforeSeq: number | undefined, count: number | undefined): Promise<EncodedData<ListMessagesResult>> {
    const peer = this.c2cPeer(conversationID);
    const convKey = c2cKey(userID, peer);
    const row = await this.storage.conversations.getUserConversation(userID, conversationID);
    const limit = Math.min(count ?? this.limits.pageSize, this.limits.pageSize);
    const newestFirst = await this.storage.messages.listBeforeWire(convKey, beforeSeq ?? null, row?.clearedSeq ?? 0, limit + 1, userID);
    return encodeMessagePage(newestFirst, limit);
  }

  /** Messages after `afterSeq` (gap fill), already serialised. */
  async pull(userID: string, conversationID: string, afterSeq: number, limit: number | undefined): Promise<EncodedData<PullMessagesResult>> {
    const peer = this.c2cPeer(conversationID);
    const convKey = c2cKey(userID, peer);
    const max = Math.min(limit ?? 100, 100);
    const state = await this.storage.conversations.getState(convKey);
    const row = await this.storage.conversations.getUserConversation(userID, conversationID);
    const from = Math.max(afterSeq, row?.clearedSeq ?? 0);
    // Messages hidden from this user are skipped, but upToSeq still covers their seqs (no false gap).
    const found = await this.storage.messages.listAfterWire(convKey, from, max + 1, userID);
    return encodePullPage(found, max, from, state?.lastSeq ?? 0);
  }

  /** Marks the conversation read up to `upToSeq` (default: everything) and notifies the peer and the user's other instances. */
  async read(caller: Caller, conversationID: string, upToSeq: number | undefined): Promise<WireConversation> {
    const peer = this.c2cPeer(conversationID);
    const convKey = c2cKey(caller.userID, peer);
    const time = nowSeconds(this.clock);
    const changed = await this.storage.transaction(async (tx) => {
      const row = await tx.conversations.getUserConversation(caller.userID, conversationID);
      const state = await tx.conversations.getState(convKey);
      if (!row || !state) return null;
      const target = Math.min(upToSeq ?? state.lastSeq, state.lastSeq);
      if (target <= row.readSeq) return null;
      const ord = target === state.lastSeq ? peerOrd(state, caller.userID, peer) : await tx.messages.senderOrdAt(convKey, peer, target);
      await tx.conversations.setRead(caller.userID, conversationID, target, Math.max(ord, row.readPeerOrd), time);
      return target;
    });
    if (changed !== null) {
      const frame = encodeFrame({ cmd: 'push.read', data: { reader: caller.userID, peer, readSeq: changed, time } });
      void this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
      if (peer !== caller.userID) void this.broker.publishToUser(peer, { kind: 'frame', frame });
    }
    const row = await this.storage.conversations.getUserConversation(caller.userID, conversationID);
    if (!row) {
      throw new ServiceError(ErrorCode.ConversationNotFound, `conversation ${conversationID} does not exist`);
    }
    return buildConversationView(this.storage, row, await this.profiles.get(row.peer));
  }

  async revoke(caller: Caller, conversationID: string, messageID: string): Promise<WireMessage> {
    const peer = this.c2cPeer(conversationID);
    const convKey = c2cKey(caller.userID, peer);
    const now = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      // IDs are unique per sender, not per conversation: look for the caller's own message first.
      const own = await tx.messages.findByClientID(caller.userID, messageID);
      const message = own && own.convKey === convKey ? own : null;
      if (!message) {
        const theirs = peer === caller.userID ? null : await tx.messages.findByClientID(peer, messageID);
        if (theirs && theirs.convKey === convKey && !theirs.hiddenForReceiver) throw new ServiceError(ErrorCode.NoPermission, 'only the sender may revoke a message');
        throw new ServiceError(ErrorCode.RevokeMessageNotFound, `message ${messageID} not found in ${conversationID}`);
      }
      if (message.isRevoked) return { message, changed: false };
      if (now - message.time > this.limits.revokeWindowSeconds) {
        throw new ServiceError(ErrorCode.RevokeTimeLimitExceeded, `the revoke window of ${this.limits.revokeWindowSeconds} s has passed`);
      }
      await tx.messages.markRevoked(convKey, message.seq, caller.userID, now);
      return { message: { ...message, isRevoked: true, revoker: caller.userID, revokeTime: now }, changed: true };
    });
    const wire = toWire(outcome.message);
    if (outcome.changed) this.fanOut(caller, outcome.message.hiddenForReceiver ? null : peer, encodeFrame({ cmd: 'push.revoke', data: wire }));
    return wire;
  }

  /** The sender's cached profile facts, and whether the receiver gets nothing (`messageSettings` 1). */
  private async profileFacts(from: string, to: string): Promise<SendFacts> {
    const facts = await this.profiles.getMany([from, to]);
    return sendFactsOf(from, to, facts.get(from) ?? (await this.profiles.get(from)), facts.get(to));
  }

  /** The send's profile facts if the cache holds both users (no await: keeps a connection's sends in order), else null. */
  private cachedFacts(from: string, to: string): SendFacts | null {
    const sender = this.profiles.peek(from);
    const receiver = from === to ? sender : this.profiles.peek(to);
    return sender && receiver ? sendFactsOf(from, to, sender, receiver) : null;
  }

  /**
   * Publishes one frame, serialised once (`text`), to the peer and to the caller's other
   * connections; `peer` null: to the caller's other connections only (hidden from the receiver).
   * `discardedByPeer` as the send's transaction found it (undefined: not read yet).
   */
  private fanOut(caller: Caller, peer: string | null, text: string, discardedByPeer?: boolean): void {
    void this.broker.publishToUser(caller.userID, { kind: 'frame', frame: text, excludeConnectionID: caller.connectionID });
    if (peer === null || peer === caller.userID || discardedByPeer === true) return;
    if (discardedByPeer === false) void this.broker.publishToUser(peer, { kind: 'frame', frame: text });
    else void this.deliverToPeer(caller.userID, peer, text);
  }

  /** Delivery when the peer's remind type was not read yet (online-only sends, revokes). */
  private async deliverToPeer(sender: string, peer: string, text: string): Promise<void> {
    if (this.remind && (await this.remind.discardsC2C(peer, sender))) return;
    await this.broker.publishToUser(peer, { kind: 'frame', frame: text });
  }

  private c2cPeer(conversationID: string): string {
    const parsed = parseConversationID(conversationID);
    if (!parsed) throw new ServiceError(ErrorCode.InvalidParameters, `invalid conversationID "${conversationID}"`);
    if (parsed.type !== 'C2C') throw new ServiceError(ErrorCode.InvalidRequest, 'only C2C conversations are available on this server version');
    return parsed.peer;
  }
}

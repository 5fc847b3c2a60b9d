/**
 * The write of a 1:1 send as a storage procedure (storage.ts `Procedure`): the idempotency
 * check, the profile and blacklist checks, the next sequence, the message row and both
 * conversation rows, in one transaction. Plain data in and out, and nothing but the repositories
 * it is given, so the SQLite backend runs it on its storage thread, off the event loop.
 *
 * Refusals come back as values (`kind: 'refused'`) for MessageService to throw: an error crossing
 * threads keeps only its name and message.
 */
import { c2cConversationID, ErrorCode, type WireMessage } from '@parley/protocol';
import { defineProcedure, type StorageRepositories, type StoredMessage } from '../storage/storage.js';
import { toWire } from './conversation-views.js';
import { factsOf, type ProfileFacts } from './profile-cache.js';
import { ADMIN_FORBID_SEND_OUT, defaultProfile, MESSAGE_SETTINGS_RECEIVE_NONE } from './profile-rules.js';

/** The message as the sender gave it, stamped with its time: what the procedure does not decide. */
export type C2CSendBase = Omit<WireMessage, 'nick' | 'avatar' | 'seq' | 'onlineOnly' | 'nameCard'>;

/** The profile facts a send needs. */
export interface SendFacts {
  sender: ProfileFacts;
  /** The receiver has `messageSettings` = 1 (and is not the sender): the message is for the sender only. */
  hiddenForReceiver: boolean;
}

export interface C2CSendArgs {
  base: C2CSendBase;
  convKey: string;
  /** The facts from the caller's profile cache; null: read them in the transaction. */
  facts: SendFacts | null;
}

/**
 * What the send decided. A new message comes back as the few fields the caller acts on and its
 * wire JSON, not as the message object: the result crosses threads, and cloning is per field.
 */
export type C2CSendResult =
  | {
      kind: 'stored';
      seq: number;
      senderOrd: number;
      /** The sender's profile at send time, whatever the client claims. */
      nick: string;
      avatar: string;
      hiddenForReceiver: boolean;
      /** The receiver's remind type for the sender is Discard: no live push. */
      discarded: boolean;
      /** The message's wire JSON (`toWire` of the stored message), made here, off the event loop: the push and the answer carry it. */
      json: string;
    }
  /** The message already existed (same sender and ID): the stored original. */
  | { kind: 'duplicate'; message: StoredMessage }
  | { kind: 'refused'; code: number; message: string };

/** The message row a `stored` result stands for. */
function storedMessage({ base, convKey }: C2CSendArgs, result: Extract<C2CSendResult, { kind: 'stored' }>): StoredMessage {
  // Field by field, not `...base`: a spread into a literal that adds fields measured ≈ 6 µs a call.
  return {
    ID: base.ID,
    conversationType: base.conversationType,
    from: base.from,
    to: base.to,
    time: base.time,
    clientTime: base.clientTime,
    random: base.random,
    type: base.type,
    payload: base.payload,
    cloudCustomData: base.cloudCustomData,
    priority: base.priority,
    isRevoked: base.isRevoked,
    revoker: base.revoker,
    nick: result.nick,
    avatar: result.avatar,
    seq: result.seq,
    onlineOnly: false,
    convKey,
    senderOrd: result.senderOrd,
    revokeTime: 0,
    hiddenForReceiver: result.hiddenForReceiver,
  };
}

/** Facts from profiles (defaults for users without one). */
export function sendFactsOf(from: string, to: string, sender: ProfileFacts, receiver: ProfileFacts | undefined): SendFacts {
  // Sending to yourself is never hidden: you are also the sender.
  return { sender, hiddenForReceiver: to !== from && receiver?.messageSettings === MESSAGE_SETTINGS_RECEIVE_NONE };
}

/** 20012 when the sender's profile forbids sending, 20007 when the receiver has the sender on their blacklist (`blocked`); else null. */
function refusalOf(from: string, to: string, sender: ProfileFacts, blocked: boolean): { code: number; message: string } | null {
  if (sender.adminForbidType === ADMIN_FORBID_SEND_OUT) {
    return { code: ErrorCode.SendForbidden, message: `${from} may not send messages (profile adminForbidType is ${ADMIN_FORBID_SEND_OUT})` };
  }
  if (blocked) return { code: ErrorCode.SenderBlacklisted, message: `${to} has blocked you; the message was not sent` };
  return null;
}

/** `refusalOf`, reading the blacklist only when the profile does not already refuse. */
export async function sendRefusal(repos: Pick<StorageRepositories, 'blacklist'>, from: string, to: string, sender: ProfileFacts): Promise<{ code: number; message: string } | null> {
  const mayRead = sender.adminForbidType !== ADMIN_FORBID_SEND_OUT && from !== to;
  return refusalOf(from, to, sender, mayRead && (await repos.blacklist.contains(to, from)));
}

async function readFacts(tx: StorageRepositories, from: string, to: string): Promise<SendFacts> {
  const profiles = await tx.profiles.getMany(from === to ? [from] : [from, to]);
  const fact = (userID: string): ProfileFacts => factsOf(profiles.get(userID) ?? defaultProfile(userID));
  return sendFactsOf(from, to, fact(from), from === to ? undefined : fact(to));
}

export const sendC2C = defineProcedure<C2CSendArgs, C2CSendResult>(import.meta.url, 'sendC2C', async (tx, args) => {
  const { base, convKey, facts } = args;
  const { from, to } = base;
  const existing = await tx.messages.findByClientID(from, base.ID);
  // A resend of a stored message answers with the original, whatever changed since.
  if (existing) return { kind: 'duplicate', message: existing };
  const { sender, hiddenForReceiver } = facts ?? (await readFacts(tx, from, to));
  // The receiver's blacklist entry and remind type in one read: one statement fewer per send.
  const receiver = from === to ? null : await tx.conversations.c2cReceiverState(to, from);
  const refusal = refusalOf(from, to, sender, receiver?.blocked ?? false);
  if (refusal) return { kind: 'refused', ...refusal };
  const state = await tx.conversations.advance(convKey, from <= to, base.time);
  const result = {
    kind: 'stored' as const,
    seq: state.lastSeq,
    senderOrd: from <= to ? state.ordA : state.ordB,
    nick: sender.nick,
    avatar: sender.avatar,
    hiddenForReceiver,
    discarded: false,
    json: '',
  };
  const stored = storedMessage(args, result);
  await tx.messages.insert(stored);
  result.json = JSON.stringify(toWire(stored));
  const own = { owner: from, conversationID: c2cConversationID(to), peer: to, convKey, createdAt: base.time };
  // The receiver's row is neither created nor un-hidden by a message hidden from them.
  if (receiver === null || hiddenForReceiver) {
    await tx.conversations.touchUserConversation(own, true);
  } else {
    await tx.conversations.touchUserConversations([own, { owner: to, conversationID: c2cConversationID(from), peer: from, convKey, createdAt: base.time }], true);
    result.discarded = receiver.remindType === 'Discard';
  }
  return result;
});

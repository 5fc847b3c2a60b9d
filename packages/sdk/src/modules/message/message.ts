/**
 * The Message object apps receive. Field names and defaults follow TIM's
 * Message one-to-one (spec §8.1), so no translation happens at the edge.
 */
import type { WireMessage } from '@parley/protocol';

export type MessageStatus = 'unSend' | 'success' | 'fail';
export type MessageFlow = 'in' | 'out';

export interface MessageElement {
  type: string;
  content: Record<string, unknown>;
}

export class Message {
  ID = '';
  type = 'TIMTextElem';
  payload: Record<string, unknown> = {};
  conversationID = '';
  conversationType: 'C2C' | 'GROUP' | '@TIM#SYSTEM' = 'C2C';
  conversationSubType: string | undefined = undefined;
  to = '';
  from = '';
  flow: MessageFlow = 'out';
  /** Seconds: client time at creation, server time once sent. */
  time = 0;
  /** Seconds, client clock at creation. */
  clientTime = 0;
  /** Per-conversation sequence assigned by the server (0 until sent). */
  sequence = 0;
  clientSequence = 0;
  random = 0;
  status: MessageStatus = 'unSend';
  priority = 'Normal';
  nick = '';
  avatar = '';
  nameCard = '';
  isRead = false;
  isPeerRead = false;
  isRevoked = false;
  revoker = '';
  revokerInfo: { userID: string; nick: string; avatar: string } = { userID: '', nick: '', avatar: '' };
  revokeReason = '';
  isDeleted = false;
  isModified = false;
  version = 0;
  isResend = false;
  isSystemMessage = false;
  isPlaceMessage = 0;
  protocol = 'JSON';
  atUserList: string[] = [];
  cloudCustomData = '';
  needReadReceipt = false;
  readReceiptInfo: { readCount?: number; unreadCount?: number; isPeerRead?: boolean; timestamp?: number } = {};
  isBroadcastMessage = false;
  isSupportExtension = false;
  senderTinyID = '';
  hasRiskContent = false;
  pinnerInfo: Record<string, unknown> | null = null;
  level = 0;
  /** Set for `onlineUserOnly` sends. */
  _onlineOnlyFlag = false;

  /** TIM's element view: one element per message. */
  get elements(): MessageElement[] {
    return [{ type: this.type, content: this.payload }];
  }

  getElements(): MessageElement[] {
    return this.elements;
  }

  /** The conversationID of a wire message as seen by `me`. */
  static conversationIDOf(wire: Pick<WireMessage, 'conversationType' | 'from' | 'to'>, me: string): string {
    if (wire.conversationType === 'GROUP') return 'GROUP' + wire.to;
    return 'C2C' + (wire.from === me ? wire.to : wire.from);
  }

  /** Builds a received/stored message from its wire form. */
  static fromWire(wire: WireMessage, me: string): Message {
    const m = new Message();
    m.applyWire(wire, me);
    m.status = 'success';
    return m;
  }

  /** Copies server-side fields onto this instance (after ack, revoke, or when seen in history). */
  applyWire(wire: WireMessage, me: string): void {
    this.ID = wire.ID;
    this.type = wire.type;
    this.payload = wire.payload;
    this.conversationType = wire.conversationType;
    this.conversationID = Message.conversationIDOf(wire, me);
    this.to = wire.to;
    this.from = wire.from;
    this.flow = wire.from === me ? 'out' : 'in';
    this.time = wire.time;
    this.clientTime = wire.clientTime;
    this.sequence = wire.seq;
    this.random = wire.random;
    this.priority = wire.priority;
    this.nick = wire.nick;
    this.avatar = wire.avatar;
    this.cloudCustomData = wire.cloudCustomData;
    this.isRevoked = wire.isRevoked;
    this.revoker = wire.revoker;
    this.revokerInfo = { userID: wire.revoker, nick: '', avatar: '' };
    this._onlineOnlyFlag = wire.onlineOnly;
    if (wire.nameCard !== undefined) this.nameCard = wire.nameCard;
    if (Array.isArray(wire.payload['atUserList'])) this.atUserList = wire.payload['atUserList'] as string[];
    if (this.flow === 'out') this.isRead = true;
  }
}

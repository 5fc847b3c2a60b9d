/** The Conversation object apps receive (spec §8.2), TIM field names one-to-one. */
import type { Message } from '../message/message.js';
import { messageForShow } from '../message/message-for-show.js';

export interface LastMessage {
  lastTime: number;
  lastSequence: number;
  fromAccount: string;
  messageForShow: string;
  payload: Record<string, unknown> | null;
  type: string;
  isRevoked: boolean;
  cloudCustomData: string;
  onlineOnlyFlag: boolean;
  nick: string;
  nameCard: string;
  version: number;
  isPeerRead: boolean;
  revoker: string;
}

export interface UserProfileSummary {
  userID: string;
  nick: string;
  avatar: string;
}

export function emptyLastMessage(): LastMessage {
  return {
    lastTime: 0,
    lastSequence: 0,
    fromAccount: '',
    messageForShow: '',
    payload: null,
    type: '',
    isRevoked: false,
    cloudCustomData: '',
    onlineOnlyFlag: false,
    nick: '',
    nameCard: '',
    version: 0,
    isPeerRead: false,
    revoker: '',
  };
}

export function lastMessageOf(message: Pick<Message, 'time' | 'sequence' | 'from' | 'type' | 'payload' | 'isRevoked' | 'cloudCustomData' | 'nick' | 'nameCard' | 'revoker'>, isPeerRead: boolean, intl: boolean): LastMessage {
  return {
    lastTime: message.time,
    lastSequence: message.sequence,
    fromAccount: message.from,
    messageForShow: messageForShow(message.type, message.payload, intl),
    payload: message.payload,
    type: message.type,
    isRevoked: message.isRevoked,
    cloudCustomData: message.cloudCustomData,
    onlineOnlyFlag: false,
    nick: message.nick,
    nameCard: message.nameCard,
    version: 0,
    isPeerRead,
    revoker: message.revoker,
  };
}

export class Conversation {
  conversationID: string;
  type: 'C2C' | 'GROUP' | 'TOPIC' | '@TIM#SYSTEM';
  subType = '';
  unreadCount = 0;
  lastMessage: LastMessage = emptyLastMessage();
  groupProfile: Record<string, unknown> | undefined = undefined;
  userProfile: UserProfileSummary;
  groupAtInfoList: unknown[] = [];
  remark = '';
  isPinned = false;
  messageRemindType = '';
  markList: number[] = [];
  customData = '';
  conversationGroupList: string[] = [];
  draftText = '';
  /** C2C: when the peer last read, seconds. */
  peerReadTime = 0;

  constructor(conversationID: string, peer: string) {
    this.conversationID = conversationID;
    this.type = 'C2C';
    this.userProfile = { userID: peer, nick: '', avatar: '' };
  }

  /** userID (C2C) or groupID. */
  get toAccount(): string {
    return this.userProfile.userID;
  }
}

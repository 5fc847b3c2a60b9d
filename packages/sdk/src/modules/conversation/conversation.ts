/** The Conversation object apps receive (spec §8.2), TIM field names one-to-one. */
import type { Group } from '../group/group.js';
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

/** One entry of `conversation.groupAtInfoList`: a message that @-mentioned me or @all. */
export interface GroupAtInfo {
  from: string;
  groupID: string;
  topicID: string;
  messageSequence: number;
  /** `TYPES.CONV_AT_ME` (1), `CONV_AT_ALL` (2) or `CONV_AT_ALL_AT_ME` (3). */
  atTypeArray: number[];
}

export class Conversation {
  conversationID: string;
  type: 'C2C' | 'GROUP' | 'TOPIC' | '@TIM#SYSTEM';
  subType = '';
  unreadCount = 0;
  lastMessage: LastMessage = emptyLastMessage();
  /** GROUP: the group (the joined-group list's instance when the group is in it). */
  groupProfile: Group | undefined = undefined;
  userProfile: UserProfileSummary;
  groupAtInfoList: GroupAtInfo[] = [];
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
    this.type = conversationID === '@TIM#SYSTEM' ? '@TIM#SYSTEM' : conversationID.startsWith('GROUP') ? 'GROUP' : 'C2C';
    this.userProfile = { userID: this.type === 'C2C' ? peer : '', nick: '', avatar: '' };
  }

  /** userID (C2C) or groupID. */
  get toAccount(): string {
    if (this.type === 'GROUP') return this.conversationID.slice('GROUP'.length);
    return this.userProfile.userID;
  }
}

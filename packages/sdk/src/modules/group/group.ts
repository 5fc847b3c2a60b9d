/**
 * The Group and GroupMember objects apps receive (spec §8.6, §8.7), TIM field
 * names one-to-one. A Group held in the joined-group list is one instance per
 * groupID, updated in place, so the app's references (and
 * `conversation.groupProfile`) stay current.
 */
import type { WireGroup, WireGroupMember, WireKeyValue, WireMessage } from '@parley/protocol';
import { messageForShow } from '../message/message-for-show.js';

export type GroupType = 'Private' | 'Public' | 'ChatRoom' | 'AVChatRoom' | 'Community';
export type GroupRole = 'Owner' | 'Admin' | 'Member' | 'Custom';
export type GroupJoinOption = 'FreeAccess' | 'NeedPermission' | 'DisableApply';

export interface GroupCustomField {
  key: string;
  value: string;
}

/** The current user's membership (`group.selfInfo`). */
export interface GroupSelfInfo {
  role: GroupRole | '';
  nameCard: string;
  /** Seconds. */
  joinTime: number;
  messageRemindType: string;
  userID: string;
  memberCustomField: GroupCustomField[];
  /** Highest group sequence read. */
  readedSequence: number;
  excludedUnreadSequenceList: number[];
  /** Seconds; muted while > now (Parley: also kept here, TIM keeps it on GroupMember). */
  muteUntil: number;
}

/** `group.lastMessage`. */
export interface GroupLastMessage {
  lastTime: number;
  lastSequence: number;
  fromAccount: string;
  messageForShow: string;
}

export class Group {
  groupID = '';
  name = '';
  avatar = '';
  type: GroupType | '' = '';
  introduction = '';
  notification = '';
  ownerID = '';
  /** Seconds (`""` until known). */
  createTime: number | '' = '';
  /** Seconds (`""` until known). */
  lastInfoTime: number | '' = '';
  infoSequence = 0;
  /** Next group message sequence (starts at 1). */
  nextMessageSeq = 0;
  memberCount = 0;
  maxMemberCount = 0;
  joinOption: GroupJoinOption | '' = '';
  /** v2 field, present at runtime in v3 too; Parley has no invite option (always ""). */
  inviteOption = '';
  muteAllMembers = false;
  isSupportTopic = false;
  groupCustomField: GroupCustomField[] = [];
  selfInfo: GroupSelfInfo = emptySelfInfo();
  lastMessage: GroupLastMessage = { lastTime: 0, lastSequence: 0, fromAccount: '', messageForShow: '' };

  constructor(groupID = '') {
    this.groupID = groupID;
  }

  /** Alias of `memberCount` (read-only, as in TIM). */
  get memberNum(): number {
    return this.memberCount;
  }

  /** Alias of `maxMemberCount` (read-only, as in TIM). */
  get maxMemberNum(): number {
    return this.maxMemberCount;
  }

  /** A group built from its wire form as `me` sees it. */
  static fromWire(wire: WireGroup, me: string, intl: boolean): Group {
    const g = new Group(wire.groupID);
    g.applyWire(wire, me, intl);
    return g;
  }

  /** Takes every field of a fresh server view (in place). */
  applyWire(wire: WireGroup, me: string, intl: boolean): void {
    this.groupID = wire.groupID;
    this.name = wire.name;
    this.avatar = wire.avatar;
    this.type = wire.type;
    this.introduction = wire.introduction;
    this.notification = wire.notification;
    this.ownerID = wire.ownerID;
    this.createTime = wire.createTime;
    this.lastInfoTime = wire.lastInfoTime;
    this.infoSequence = wire.infoSequence;
    this.nextMessageSeq = Math.max(this.nextMessageSeq, wire.nextMessageSeq);
    this.memberCount = wire.memberCount;
    this.maxMemberCount = wire.maxMemberCount;
    this.joinOption = wire.joinOption;
    this.muteAllMembers = wire.muteAllMembers;
    this.isSupportTopic = wire.isSupportTopic;
    this.groupCustomField = copyKeyValues(wire.groupCustomField);
    if (wire.selfInfo) {
      const s = wire.selfInfo;
      this.selfInfo = {
        role: s.role,
        nameCard: s.nameCard,
        joinTime: s.joinTime,
        messageRemindType: s.messageRemindType,
        userID: me,
        memberCustomField: copyKeyValues(s.memberCustomField),
        readedSequence: s.readedSequence,
        excludedUnreadSequenceList: [],
        muteUntil: s.muteUntil,
      };
    } else {
      this.selfInfo = emptySelfInfo();
    }
    if (wire.lastMessage) this.noteMessage(wire.lastMessage, intl);
  }

  /** A message of this group was seen: `nextMessageSeq` and `lastMessage` follow it. */
  noteMessage(m: Pick<WireMessage, 'seq' | 'time' | 'from' | 'type' | 'payload'>, intl: boolean): void {
    if (m.seq <= 0) return;
    this.nextMessageSeq = Math.max(this.nextMessageSeq, m.seq + 1);
    if (m.seq < this.lastMessage.lastSequence) return;
    this.lastMessage = { lastTime: m.time, lastSequence: m.seq, fromAccount: m.from, messageForShow: messageForShow(m.type, m.payload, intl) };
  }

  /** Applies a tip's `newGroupProfile` (op 6): only the fields it names. */
  applyProfileChange(change: Record<string, unknown>, me: string): void {
    for (const key of ['name', 'avatar', 'introduction', 'notification'] as const) {
      const value = change[key];
      if (typeof value === 'string') this[key] = value;
    }
    if (typeof change['joinOption'] === 'string') this.joinOption = change['joinOption'] as GroupJoinOption;
    if (typeof change['muteAllMembers'] === 'boolean') this.muteAllMembers = change['muteAllMembers'];
    const max = change['maxMemberCount'] ?? change['maxMemberNum'];
    if (typeof max === 'number') this.maxMemberCount = max;
    if (Array.isArray(change['groupCustomField'])) this.groupCustomField = mergeKeyValues(this.groupCustomField, change['groupCustomField'] as WireKeyValue[]);
    const owner = change['ownerID'];
    if (typeof owner === 'string' && owner !== this.ownerID) {
      const previous = this.ownerID;
      this.ownerID = owner;
      if (owner === me) this.selfInfo.role = 'Owner';
      else if (previous === me && this.selfInfo.role === 'Owner') this.selfInfo.role = 'Member';
    }
  }
}

export class GroupMember {
  userID = '';
  nick = '';
  avatar = '';
  role: GroupRole = 'Member';
  nameCard = '';
  /** Seconds. */
  joinTime = 0;
  /** Seconds (0 if the member never sent). */
  lastSendMsgTime = 0;
  /** Seconds; muted while > now. */
  muteUntil = 0;
  memberCustomField: GroupCustomField[] = [];
  /** v3. */
  isOnline = false;

  static fromWire(wire: WireGroupMember): GroupMember {
    const m = new GroupMember();
    m.userID = wire.userID;
    m.nick = wire.nick;
    m.avatar = wire.avatar;
    m.role = wire.role;
    m.nameCard = wire.nameCard;
    m.joinTime = wire.joinTime;
    m.lastSendMsgTime = wire.lastSendMsgTime;
    m.muteUntil = wire.muteUntil;
    m.memberCustomField = copyKeyValues(wire.memberCustomField);
    m.isOnline = wire.isOnline;
    return m;
  }
}

function emptySelfInfo(): GroupSelfInfo {
  return {
    role: '',
    nameCard: '',
    joinTime: 0,
    messageRemindType: '',
    userID: '',
    memberCustomField: [],
    readedSequence: 0,
    excludedUnreadSequenceList: [],
    muteUntil: 0,
  };
}

function copyKeyValues(list: readonly WireKeyValue[] | undefined): GroupCustomField[] {
  return (list ?? []).map(({ key, value }) => ({ key, value }));
}

/** Later entries replace earlier ones with the same key. */
function mergeKeyValues(current: readonly GroupCustomField[], updates: readonly WireKeyValue[]): GroupCustomField[] {
  const merged = copyKeyValues(current);
  for (const { key, value } of updates) {
    const existing = merged.find((kv) => kv.key === key);
    if (existing) existing.value = value;
    else merged.push({ key, value });
  }
  return merged;
}

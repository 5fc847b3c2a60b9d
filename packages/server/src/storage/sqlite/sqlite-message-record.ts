/** The `messages` row as SQLite returns it, and its mapping to a StoredMessage (C2C and group alike). */
import type { WirePriority } from '@parley/protocol';
import type { StoredMessage } from '../storage.js';

export interface MessageRecord {
  conv_key: string;
  seq: number;
  id: string;
  conv_type: string;
  sender: string;
  receiver: string;
  sender_ord: number;
  time: number;
  client_time: number;
  random: number;
  type: string;
  payload: string;
  cloud_custom_data: string;
  priority: string;
  nick: string;
  avatar: string;
  revoked: number;
  revoker: string;
  revoke_time: number;
  hidden_for_receiver: number;
  name_card?: string;
}

export function toMessage(r: MessageRecord): StoredMessage {
  const message: StoredMessage = {
    ID: r.id,
    conversationType: r.conv_type === 'GROUP' ? 'GROUP' : 'C2C',
    from: r.sender,
    to: r.receiver,
    seq: r.seq,
    time: r.time,
    clientTime: r.client_time,
    random: r.random,
    type: r.type,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    cloudCustomData: r.cloud_custom_data,
    priority: r.priority as WirePriority,
    nick: r.nick,
    avatar: r.avatar,
    isRevoked: r.revoked === 1,
    revoker: r.revoker,
    onlineOnly: false,
    convKey: r.conv_key,
    senderOrd: r.sender_ord,
    revokeTime: r.revoke_time,
    hiddenForReceiver: r.hidden_for_receiver === 1,
  };
  if (message.conversationType === 'GROUP') message.nameCard = r.name_card ?? '';
  return message;
}

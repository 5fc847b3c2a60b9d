/** The `messages` row as SQLite returns it, its mapping to a StoredMessage, and its rendering as wire JSON in SQL (C2C and group alike). */
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

/**
 * SQL that renders a `messages` row as its WireMessage JSON: the twin of the services'
 * `toWire(toMessage(row))` (with `nameCard` for group messages, as `toGroupWire`), same keys
 * in the same order. Text goes through `json_quote`; integers print as JSON integers; the payload
 * column is JSON text written by `JSON.stringify`, so it is spliced in as it is. A property test
 * (test/storage/wire-json.test.ts) holds the two renderings equal.
 */
export const WIRE_JSON_SQL = `'{"ID":' || json_quote(id)
  || ',"conversationType":' || CASE conv_type WHEN 'GROUP' THEN '"GROUP"' ELSE '"C2C"' END
  || ',"from":' || json_quote(sender) || ',"to":' || json_quote(receiver)
  || ',"seq":' || seq || ',"time":' || time || ',"clientTime":' || client_time || ',"random":' || random
  || ',"type":' || json_quote(type) || ',"payload":' || payload
  || ',"cloudCustomData":' || json_quote(cloud_custom_data) || ',"priority":' || json_quote(priority)
  || ',"nick":' || json_quote(nick) || ',"avatar":' || json_quote(avatar)
  || ',"isRevoked":' || CASE revoked WHEN 1 THEN 'true' ELSE 'false' END || ',"revoker":' || json_quote(revoker)
  || ',"onlineOnly":false'
  || CASE conv_type WHEN 'GROUP' THEN ',"nameCard":' || json_quote(coalesce(name_card, '')) ELSE '' END
  || '}'`;

/** Identifier rules shared by server and SDK (spec §3). */

/** Largest userID, bytes. */
export const MAX_USER_ID_BYTES = 32;
/** Largest groupID, bytes. */
export const MAX_GROUP_ID_BYTES = 48;
/** Largest client message ID, characters. */
export const MAX_MESSAGE_ID_LENGTH = 128;

export const C2C_PREFIX = 'C2C';
export const GROUP_PREFIX = 'GROUP';
export const SYSTEM_CONVERSATION_ID = '@TIM#SYSTEM';

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * A userID is 1–32 bytes of printable ASCII (Tencent native error 7003). The
 * tls-sig libraries document the stricter `[A-Za-z0-9_-]`; we accept the wider
 * set Tencent's server accepts.
 */
export function isValidUserID(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_USER_ID_BYTES && PRINTABLE_ASCII.test(value);
}

export function isValidGroupID(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_GROUP_ID_BYTES && PRINTABLE_ASCII.test(value);
}

export type ParsedConversationID =
  | { type: 'C2C'; peer: string }
  | { type: 'GROUP'; peer: string }
  | { type: 'SYSTEM'; peer: '' };

/** Splits a conversationID by its prefix (spec §3); `null` when it is not valid. */
export function parseConversationID(value: unknown): ParsedConversationID | null {
  if (typeof value !== 'string') return null;
  if (value === SYSTEM_CONVERSATION_ID) return { type: 'SYSTEM', peer: '' };
  if (value.startsWith(C2C_PREFIX)) {
    const peer = value.slice(C2C_PREFIX.length);
    return isValidUserID(peer) ? { type: 'C2C', peer } : null;
  }
  if (value.startsWith(GROUP_PREFIX)) {
    const peer = value.slice(GROUP_PREFIX.length);
    return isValidGroupID(peer) ? { type: 'GROUP', peer } : null;
  }
  return null;
}

export function c2cConversationID(peer: string): string {
  return C2C_PREFIX + peer;
}

/**
 * `updateMyProfile` options: TIM's SDK-side rules (spec §4.6), checked before
 * anything goes to the server. Unlike most APIs these failures are rejected
 * promises with a code, not the synchronous "Params validate failed." throw:
 * unknown key, empty options or an invalid value → 2721; nothing usable → 2722.
 */
import { ErrorCode, PROFILE_CUSTOM_KEY_PATTERN, PROFILE_MAX_VALUE_BYTES, PROFILE_STANDARD_KEYS, type WireProfileUpdate } from '@parley/protocol';
import { PROFILE_ALLOW_TYPES, PROFILE_FORBID_TYPES, PROFILE_GENDERS, type ProfileAllowType, type ProfileCustomField, type ProfileForbidType, type ProfileGender } from './profile.js';

/** A string that still offers the known literals to editors. */
type LooseString = string & Record<never, never>;

/** What apps pass to `updateMyProfile` (every field optional; at least one required). */
export interface ProfileUpdateOptions {
  /** ≤ 500 bytes (UTF-8). */
  nick?: string;
  avatar?: string;
  /** A `TYPES.GENDER_*` value. */
  gender?: ProfileGender | LooseString;
  /** ≤ 500 bytes (UTF-8). */
  selfSignature?: string;
  /** A `TYPES.ALLOW_TYPE_*` value. */
  allowType?: ProfileAllowType | LooseString;
  /** e.g. 20000101. */
  birthday?: number;
  /** ≤ 500 bytes (UTF-8). */
  location?: string;
  language?: number;
  /** 0 receive messages, 1 receive none. */
  messageSettings?: number;
  /** A `TYPES.FORBID_TYPE_*` value. */
  adminForbidType?: ProfileForbidType | LooseString;
  level?: number;
  role?: number;
  /** Keys `Tag_Profile_Custom_<name>` (name: 1–8 of `[A-Za-z0-9_]`), string values ≤ 500 bytes. */
  profileCustomField?: ProfileCustomField[];
}

export type ProfileUpdateCheck =
  | { ok: true; update: WireProfileUpdate }
  | { ok: false; code: typeof ErrorCode.UpdateProfileInvalidParam | typeof ErrorCode.UpdateProfileNoKey; reason: string };

type StandardKey = (typeof PROFILE_STANDARD_KEYS)[number];

const ALLOWED_KEYS: ReadonlySet<string> = new Set<string>([...PROFILE_STANDARD_KEYS, 'profileCustomField']);
const UINT32_MAX = 0xffff_ffff;
const encoder = new TextEncoder();

/** Per standard key: undefined when the value is fine, else why it is not. */
const STANDARD_RULES: Record<StandardKey, (value: unknown) => string | undefined> = {
  nick: limitedString,
  avatar: (v) => (typeof v === 'string' ? undefined : 'must be a string'),
  gender: oneOf(PROFILE_GENDERS),
  selfSignature: limitedString,
  allowType: oneOf(PROFILE_ALLOW_TYPES),
  birthday: uint32,
  location: limitedString,
  language: uint32,
  messageSettings: (v) => (v === 0 || v === 1 ? undefined : 'must be 0 or 1'),
  adminForbidType: oneOf(PROFILE_FORBID_TYPES),
  level: uint32,
  role: uint32,
};

export function utf8Bytes(value: string): number {
  return encoder.encode(value).length;
}

/** Checks `options` and builds the wire update, or says which code to reject with. */
export function checkProfileUpdate(options: unknown): ProfileUpdateCheck {
  const invalid = (reason: string): ProfileUpdateCheck => ({ ok: false, code: ErrorCode.UpdateProfileInvalidParam, reason });
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return invalid('options must be an object');
  const entries = Object.entries(options as Record<string, unknown>);
  if (entries.length === 0) return invalid('options is empty');
  const unknown = entries.map(([key]) => key).filter((key) => !ALLOWED_KEYS.has(key));
  if (unknown.length > 0) return invalid(`unknown profile key(s): ${unknown.join(', ')}`);

  const update: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (value === undefined) continue; // present but unset: nothing to write
    if (key === 'profileCustomField') {
      const custom = checkCustomFields(value);
      if (typeof custom === 'string') return invalid(`profileCustomField ${custom}`);
      if (custom.length > 0) update[key] = custom;
      continue;
    }
    const problem = STANDARD_RULES[key as StandardKey](value);
    if (problem) return invalid(`${key} ${problem}`);
    update[key] = value;
  }
  if (Object.keys(update).length === 0) return { ok: false, code: ErrorCode.UpdateProfileNoKey, reason: 'nothing to update' };
  return { ok: true, update: update as WireProfileUpdate };
}

/** The custom fields to send (a repeated key: the last value wins), or why they are invalid. */
function checkCustomFields(value: unknown): ProfileCustomField[] | string {
  if (!Array.isArray(value)) return 'must be an array of {key, value}';
  const byKey = new Map<string, string>();
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return `[${i}] must be an object {key, value}`;
    const { key, value: v } = item as Record<string, unknown>;
    if (typeof key !== 'string' || !key.includes('Tag_Profile_Custom') || !PROFILE_CUSTOM_KEY_PATTERN.test(key)) {
      return `[${i}].key must look like Tag_Profile_Custom_<1-8 of A-Z a-z 0-9 _>`;
    }
    const problem = limitedString(v);
    if (problem) return `[${i}].value ${problem}`;
    byKey.set(key, v as string);
  }
  return [...byKey].map(([key, v]) => ({ key, value: v }));
}

function limitedString(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (utf8Bytes(value) > PROFILE_MAX_VALUE_BYTES) return `must be at most ${PROFILE_MAX_VALUE_BYTES} bytes (UTF-8)`;
  return undefined;
}

function uint32(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) return 'must be an integer from 0 to 4294967295';
  return undefined;
}

function oneOf(values: readonly string[]): (value: unknown) => string | undefined {
  return (value) => (typeof value === 'string' && values.includes(value) ? undefined : `must be one of ${values.join(', ')}`);
}

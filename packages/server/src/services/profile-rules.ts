/**
 * Profile defaults and the validation of `profile.update` (spec §4.6, §8.5),
 * answering with Tencent's profile codes. Pure functions: no storage, no clock.
 */
import {
  ErrorCode,
  PROFILE_CUSTOM_KEY_PATTERN,
  PROFILE_MAX_VALUE_BYTES,
  PROFILE_STANDARD_KEYS,
  type WireProfile,
  type WireProfileCustomField,
} from '@parley/protocol';
import type { ProfileChanges } from '../storage/storage.js';
import { ServiceError } from './service-error.js';

export const GENDER_TYPES = ['Gender_Type_Unknown', 'Gender_Type_Female', 'Gender_Type_Male'] as const;
export const ALLOW_TYPES = ['AllowType_Type_AllowAny', 'AllowType_Type_NeedConfirm', 'AllowType_Type_DenyAny'] as const;
export const ADMIN_FORBID_TYPES = ['AdminForbid_Type_None', 'AdminForbid_Type_SendOut'] as const;
export const ADMIN_FORBID_SEND_OUT = 'AdminForbid_Type_SendOut';
/** `messageSettings` value meaning "receive no messages". */
export const MESSAGE_SETTINGS_RECEIVE_NONE = 1;

/** The profile of a known user who never set one. */
export function defaultProfile(userID: string): WireProfile {
  return {
    userID,
    nick: '',
    avatar: '',
    gender: '',
    selfSignature: '',
    allowType: 'AllowType_Type_AllowAny',
    birthday: 0,
    location: '',
    language: 0,
    messageSettings: 0,
    adminForbidType: 'AdminForbid_Type_None',
    level: 0,
    role: 0,
    lastUpdatedTime: 0,
    profileCustomField: [],
  };
}

type StandardKey = (typeof PROFILE_STANDARD_KEYS)[number];

/** Largest value of the numeric fields (Tencent stores them as uint32). */
const UINT32_MAX = 0xffff_ffff;

type FieldRule =
  | { kind: 'text' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'uint'; max: number };

const STANDARD_RULES: { readonly [K in StandardKey]: FieldRule } = {
  nick: { kind: 'text' },
  avatar: { kind: 'text' },
  gender: { kind: 'enum', values: GENDER_TYPES },
  selfSignature: { kind: 'text' },
  allowType: { kind: 'enum', values: ALLOW_TYPES },
  birthday: { kind: 'uint', max: UINT32_MAX },
  location: { kind: 'text' },
  language: { kind: 'uint', max: UINT32_MAX },
  messageSettings: { kind: 'uint', max: 1 },
  adminForbidType: { kind: 'enum', values: ADMIN_FORBID_TYPES },
  level: { kind: 'uint', max: UINT32_MAX },
  role: { kind: 'uint', max: UINT32_MAX },
};

function isStandardKey(key: string): key is StandardKey {
  return Object.prototype.hasOwnProperty.call(STANDARD_RULES, key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkTextLength(value: string, what: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > PROFILE_MAX_VALUE_BYTES) {
    throw new ServiceError(ErrorCode.ProfileValueTooLong, `${what} is ${bytes} bytes; the limit is ${PROFILE_MAX_VALUE_BYTES}`);
  }
}

function checkStandard(key: StandardKey, value: unknown): string | number {
  const rule = STANDARD_RULES[key];
  if (rule.kind === 'uint') {
    if (typeof value !== 'number') throw new ServiceError(ErrorCode.ProfileValueTypeMismatch, `${key} must be a number`);
    if (!Number.isSafeInteger(value) || value < 0 || value > rule.max) {
      throw new ServiceError(ErrorCode.ProfileInvalidStandardValue, `${key} must be a whole number from 0 to ${rule.max}`);
    }
    return value;
  }
  if (typeof value !== 'string') throw new ServiceError(ErrorCode.ProfileValueTypeMismatch, `${key} must be a string`);
  if (rule.kind === 'text') {
    checkTextLength(value, key);
  } else if (!rule.values.includes(value)) {
    throw new ServiceError(ErrorCode.ProfileInvalidStandardValue, `${key} must be one of ${rule.values.join(', ')}`);
  }
  return value;
}

function checkCustomFields(value: unknown, maxCustomFields: number): WireProfileCustomField[] {
  if (!Array.isArray(value)) throw new ServiceError(ErrorCode.ProfileValueTypeMismatch, 'profileCustomField must be an array of {key, value}');
  if (value.length > maxCustomFields) {
    throw new ServiceError(ErrorCode.ProfileInvalidParameters, `profileCustomField has ${value.length} entries; the limit is ${maxCustomFields}`);
  }
  const fields: WireProfileCustomField[] = [];
  value.forEach((item: unknown, i) => {
    const where = `profileCustomField[${i}]`;
    if (!isPlainObject(item)) throw new ServiceError(ErrorCode.ProfileInvalidParameters, `${where} must be an object {key, value}`);
    const extra = Object.keys(item).find((k) => k !== 'key' && k !== 'value');
    if (extra !== undefined) throw new ServiceError(ErrorCode.ProfileInvalidParameters, `${where}.${extra.slice(0, 64)} is not a known field`);
    const { key, value: fieldValue } = item;
    if (key === undefined || fieldValue === undefined) throw new ServiceError(ErrorCode.ProfileInvalidParameters, `${where} must have both key and value`);
    if (typeof key !== 'string') throw new ServiceError(ErrorCode.ProfileInvalidParameters, `${where}.key must be a string`);
    if (!PROFILE_CUSTOM_KEY_PATTERN.test(key)) {
      throw new ServiceError(ErrorCode.ProfileTagNotFound, `${where}.key "${key.slice(0, 64)}" is not Tag_Profile_Custom_ plus 1–8 letters, digits or underscores`);
    }
    if (typeof fieldValue !== 'string') throw new ServiceError(ErrorCode.ProfileValueTypeMismatch, `${where}.value must be a string`);
    checkTextLength(fieldValue, `${where}.value`);
    fields.push({ key, value: fieldValue });
  });
  return fields;
}

/** A validated `profile.update`: standard fields to set and custom fields to merge (null: none given). */
export interface ValidatedProfileUpdate {
  standard: Omit<ProfileChanges, 'profileCustomField'>;
  custom: WireProfileCustomField[] | null;
}

/**
 * Validates every key and value of an update; throws the first problem as a
 * ServiceError (40001, 40009, 40601, 40605, 40610). Nothing is written here.
 */
export function validateProfileUpdate(update: Record<string, unknown>, maxCustomFields: number): ValidatedProfileUpdate {
  const keys = Object.keys(update);
  if (keys.length === 0) throw new ServiceError(ErrorCode.ProfileInvalidParameters, 'the profile update is empty; give at least one field');
  const standard: Record<string, string | number> = {};
  let custom: WireProfileCustomField[] | null = null;
  for (const key of keys) {
    const value = update[key];
    if (key === 'profileCustomField') custom = checkCustomFields(value, maxCustomFields);
    else if (isStandardKey(key)) standard[key] = checkStandard(key, value);
    else {
      throw new ServiceError(
        ErrorCode.ProfileTagNotFound,
        `unknown profile field "${key.slice(0, 64)}"; use ${PROFILE_STANDARD_KEYS.join(', ')} or profileCustomField`,
      );
    }
  }
  if (Object.keys(standard).length === 0 && (custom === null || custom.length === 0)) {
    throw new ServiceError(ErrorCode.ProfileInvalidParameters, 'the profile update changes nothing; give at least one field');
  }
  return { standard: standard as ValidatedProfileUpdate['standard'], custom };
}

/**
 * Merges custom fields by key: an existing key keeps its place and takes the new
 * value (also ""), a new key is appended; within one update the last entry wins.
 */
export function mergeCustomFields(current: readonly WireProfileCustomField[], incoming: readonly WireProfileCustomField[]): WireProfileCustomField[] {
  const merged = current.map((f) => ({ ...f }));
  for (const field of incoming) {
    const existing = merged.find((f) => f.key === field.key);
    if (existing) existing.value = field.value;
    else merged.push({ ...field });
  }
  return merged;
}

/** Profile and blacklist shapes on the wire. Field names follow TIM's Profile (spec §8.5) one-to-one. */

export interface WireProfileCustomField {
  /** `Tag_Profile_Custom_<name>`, name ≤ 8 characters. */
  key: string;
  value: string;
}

export interface WireProfile {
  userID: string;
  /** ≤ 500 bytes. */
  nick: string;
  avatar: string;
  /** `Gender_Type_*`, or "" when never set. */
  gender: string;
  /** ≤ 500 bytes. */
  selfSignature: string;
  /** `AllowType_Type_*`; default `AllowType_Type_AllowAny`. */
  allowType: string;
  /** e.g. 20000101; 0 when unset. */
  birthday: number;
  location: string;
  language: number;
  /** 0 receive messages, 1 receive none (messages to this user are discarded for them). */
  messageSettings: number;
  /** `AdminForbid_Type_None` (default) or `AdminForbid_Type_SendOut` (the user may not send). */
  adminForbidType: string;
  level: number;
  role: number;
  /** Last change, milliseconds (0 when never set). */
  lastUpdatedTime: number;
  profileCustomField: WireProfileCustomField[];
}

/** What `updateMyProfile` may change. */
export type WireProfileUpdate = Partial<Omit<WireProfile, 'userID' | 'lastUpdatedTime'>>;

/** The fields of a profile a conversation shows for its peer. */
export interface WireProfileSummary {
  userID: string;
  nick: string;
  avatar: string;
}

/** Profile keys `updateMyProfile` accepts (spec §4.6). */
export const PROFILE_STANDARD_KEYS = [
  'nick',
  'avatar',
  'gender',
  'selfSignature',
  'allowType',
  'birthday',
  'location',
  'language',
  'messageSettings',
  'adminForbidType',
  'level',
  'role',
] as const;

/** Custom profile keys look like this (prefix plus 1–8 letters, digits or underscores). */
export const PROFILE_CUSTOM_KEY_PATTERN = /^Tag_Profile_Custom_[A-Za-z0-9_]{1,8}$/;

/** Byte limit of string profile values (Tencent: 500 bytes, error 40601). */
export const PROFILE_MAX_VALUE_BYTES = 500;

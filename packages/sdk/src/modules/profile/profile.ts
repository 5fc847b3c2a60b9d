/** The Profile object apps receive (spec §8.5), TIM field names one-to-one. */
import type { WireProfile } from '@parley/protocol';

export interface ProfileCustomField {
  /** `Tag_Profile_Custom_<name>`. */
  key: string;
  value: string;
}

/** `TYPES.GENDER_*` values. */
export const PROFILE_GENDERS = ['Gender_Type_Unknown', 'Gender_Type_Female', 'Gender_Type_Male'] as const;
/** `TYPES.ALLOW_TYPE_*` values. */
export const PROFILE_ALLOW_TYPES = ['AllowType_Type_AllowAny', 'AllowType_Type_NeedConfirm', 'AllowType_Type_DenyAny'] as const;
/** `TYPES.FORBID_TYPE_*` values. */
export const PROFILE_FORBID_TYPES = ['AdminForbid_Type_None', 'AdminForbid_Type_SendOut'] as const;

export type ProfileGender = (typeof PROFILE_GENDERS)[number];
export type ProfileAllowType = (typeof PROFILE_ALLOW_TYPES)[number];
export type ProfileForbidType = (typeof PROFILE_FORBID_TYPES)[number];

export class Profile {
  userID = '';
  nick = '';
  /** `Gender_Type_*`, or "" when never set. */
  gender = '';
  /** e.g. 20000101; 0 when unset. */
  birthday = 0;
  location = '';
  selfSignature = '';
  /** `AllowType_Type_*`. */
  allowType = 'AllowType_Type_AllowAny';
  language = 0;
  avatar = '';
  /** 0 receive messages, 1 receive none. */
  messageSettings = 0;
  /** `AdminForbid_Type_None` or `AdminForbid_Type_SendOut`. */
  adminForbidType = 'AdminForbid_Type_None';
  level = 0;
  role = 0;
  /** Last change, milliseconds (0 when never set). */
  lastUpdatedTime = 0;
  profileCustomField: ProfileCustomField[] = [];

  /** A profile with TIM's defaults for a user who never set one. */
  static empty(userID: string): Profile {
    const p = new Profile();
    p.userID = userID;
    return p;
  }

  static fromWire(wire: WireProfile): Profile {
    const p = new Profile();
    p.userID = wire.userID;
    p.nick = wire.nick;
    p.gender = wire.gender;
    p.birthday = wire.birthday;
    p.location = wire.location;
    p.selfSignature = wire.selfSignature;
    p.allowType = wire.allowType;
    p.language = wire.language;
    p.avatar = wire.avatar;
    p.messageSettings = wire.messageSettings;
    p.adminForbidType = wire.adminForbidType;
    p.level = wire.level;
    p.role = wire.role;
    p.lastUpdatedTime = wire.lastUpdatedTime;
    p.profileCustomField = (wire.profileCustomField ?? []).map(({ key, value }) => ({ key, value }));
    return p;
  }

  /** An independent copy (what apps get: later changes never mutate an object they hold). */
  clone(): Profile {
    const p = Object.assign(new Profile(), this);
    p.profileCustomField = this.profileCustomField.map(({ key, value }) => ({ key, value }));
    return p;
  }

  /** Same content, ignoring `lastUpdatedTime` and the order of custom fields. */
  sameAs(other: Profile): boolean {
    const scalar: Array<keyof Profile> = ['userID', 'nick', 'gender', 'birthday', 'location', 'selfSignature', 'allowType', 'language', 'avatar', 'messageSettings', 'adminForbidType', 'level', 'role'];
    if (scalar.some((k) => this[k] !== other[k])) return false;
    const custom = (p: Profile) =>
      p.profileCustomField
        .map(({ key, value }) => `${key}\u0000${value}`)
        .sort()
        .join('\u0001');
    return custom(this) === custom(other);
  }
}

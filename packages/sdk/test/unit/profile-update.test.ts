/**
 * updateMyProfile's SDK-side checks (spec §4.6): unknown keys, empty options
 * and invalid values → 2721; nothing usable → 2722; otherwise the exact wire
 * update. No server involved.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROFILE_STANDARD_KEYS } from '@parley/protocol';
import { checkProfileUpdate, utf8Bytes } from '../../src/modules/profile/profile-update.js';
import { PROFILE_ALLOW_TYPES, PROFILE_FORBID_TYPES, PROFILE_GENDERS, Profile } from '../../src/modules/profile/profile.js';
import { TYPES } from '../../src/compat/types.js';

function codeOf(options: unknown): number {
  const check = checkProfileUpdate(options);
  return check.ok ? 0 : check.code;
}

describe('checkProfileUpdate: valid input', () => {
  it('accepts every standard field and custom fields, and passes them through unchanged', () => {
    const options = {
      nick: 'Alice',
      avatar: 'https://example.com/a.png',
      gender: TYPES.GENDER_FEMALE,
      selfSignature: 'hello',
      allowType: TYPES.ALLOW_TYPE_NEED_CONFIRM,
      birthday: 20000101,
      location: 'Berlin',
      language: 2,
      messageSettings: 1,
      adminForbidType: TYPES.FORBID_TYPE_SEND_OUT,
      level: 7,
      role: 3,
      profileCustomField: [{ key: 'Tag_Profile_Custom_Hobby', value: 'chess' }],
    };
    expect(checkProfileUpdate(options)).toEqual({ ok: true, update: options });
  });

  it('accepts each enum value TIM.TYPES defines (and the module lists exactly those)', () => {
    expect([...PROFILE_GENDERS]).toEqual([TYPES.GENDER_UNKNOWN, TYPES.GENDER_FEMALE, TYPES.GENDER_MALE]);
    expect([...PROFILE_ALLOW_TYPES]).toEqual([TYPES.ALLOW_TYPE_ALLOW_ANY, TYPES.ALLOW_TYPE_NEED_CONFIRM, TYPES.ALLOW_TYPE_DENY_ANY]);
    expect([...PROFILE_FORBID_TYPES]).toEqual([TYPES.FORBID_TYPE_NONE, TYPES.FORBID_TYPE_SEND_OUT]);
    for (const gender of PROFILE_GENDERS) expect(codeOf({ gender })).toBe(0);
    for (const allowType of PROFILE_ALLOW_TYPES) expect(codeOf({ allowType })).toBe(0);
    for (const adminForbidType of PROFILE_FORBID_TYPES) expect(codeOf({ adminForbidType })).toBe(0);
    expect(codeOf({ messageSettings: 0 })).toBe(0);
    expect(codeOf({ messageSettings: 1 })).toBe(0);
  });

  it('accepts strings of exactly 500 UTF-8 bytes, counted in bytes not characters', () => {
    expect(codeOf({ nick: 'a'.repeat(500) })).toBe(0);
    expect(codeOf({ nick: '字'.repeat(166) })).toBe(0); // 498 bytes
    expect(utf8Bytes('字'.repeat(167))).toBe(501);
    expect(codeOf({ nick: '字'.repeat(167) })).toBe(2721);
    expect(codeOf({ selfSignature: '😀'.repeat(125) })).toBe(0); // 500 bytes
    expect(codeOf({ selfSignature: '😀'.repeat(126) })).toBe(2721);
  });

  it('accepts empty strings and zero (clearing a field)', () => {
    expect(checkProfileUpdate({ nick: '', level: 0, birthday: 0 })).toEqual({ ok: true, update: { nick: '', level: 0, birthday: 0 } });
  });

  it('collapses a repeated custom key (the last value wins)', () => {
    const check = checkProfileUpdate({
      profileCustomField: [
        { key: 'Tag_Profile_Custom_a', value: '1' },
        { key: 'Tag_Profile_Custom_b', value: '2' },
        { key: 'Tag_Profile_Custom_a', value: '3' },
      ],
    });
    expect(check).toEqual({
      ok: true,
      update: {
        profileCustomField: [
          { key: 'Tag_Profile_Custom_a', value: '3' },
          { key: 'Tag_Profile_Custom_b', value: '2' },
        ],
      },
    });
  });

  it('drops keys whose value is undefined', () => {
    expect(checkProfileUpdate({ nick: 'x', avatar: undefined })).toEqual({ ok: true, update: { nick: 'x' } });
  });
});

describe('checkProfileUpdate: 2721', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'nick'],
    ['an array', [{ nick: 'x' }]],
    ['{}', {}],
  ])('options %s', (_label, options) => {
    expect(codeOf(options)).toBe(2721);
  });

  it.each([['unknownKey'], ['userID'], ['lastUpdatedTime'], ['Nick'], ['Tag_Profile_IM_Nick'], ['Tag_Profile_Custom_x']])('unknown key %s, even next to valid ones', (key) => {
    expect(codeOf({ nick: 'ok', [key]: 'x' })).toBe(2721);
    expect(codeOf({ [key]: undefined })).toBe(2721);
  });

  const bad: Array<[string, unknown]> = [
    ['nick', 42],
    ['nick', null],
    ['nick', 'a'.repeat(501)],
    ['nick', ['a']],
    ['avatar', 1],
    ['avatar', {}],
    ['selfSignature', true],
    ['selfSignature', 'b'.repeat(501)],
    ['location', 5],
    ['location', 'c'.repeat(501)],
    ['gender', 'male'],
    ['gender', ''],
    ['gender', 1],
    ['allowType', 'AllowAny'],
    ['allowType', null],
    ['adminForbidType', 'SendOut'],
    ['adminForbidType', 0],
    ['messageSettings', 2],
    ['messageSettings', '1'],
    ['messageSettings', true],
    ['messageSettings', -1],
    ['birthday', '20000101'],
    ['birthday', 1.5],
    ['birthday', -1],
    ['birthday', Number.NaN],
    ['birthday', 2 ** 32],
    ['language', Infinity],
    ['language', '2'],
    ['level', null],
    ['level', 1.1],
    ['role', -3],
    ['role', {}],
    ['profileCustomField', 'Tag_Profile_Custom_a'],
    ['profileCustomField', { key: 'Tag_Profile_Custom_a', value: 'x' }],
    ['profileCustomField', [null]],
    ['profileCustomField', ['Tag_Profile_Custom_a']],
    ['profileCustomField', [{ key: 'Tag_Profile_Custom_a' }]],
    ['profileCustomField', [{ key: 'Tag_Profile_Custom_a', value: 1 }]],
    ['profileCustomField', [{ key: 'Tag_Profile_Custom_a', value: 'd'.repeat(501) }]],
    ['profileCustomField', [{ key: 'Hobby', value: 'x' }]],
    ['profileCustomField', [{ key: 'Tag_Profile_Custom_', value: 'x' }]],
    ['profileCustomField', [{ key: 'Tag_Profile_Custom_toolong12', value: 'x' }]],
    ['profileCustomField', [{ key: 'Tag_Profile_Custom_a-b', value: 'x' }]],
    ['profileCustomField', [{ key: 'Tag_Profile_IM_Nick', value: 'x' }]],
    ['profileCustomField', [{ key: 'x_Tag_Profile_Custom_a', value: 'x' }]],
    ['profileCustomField', [{ key: 42, value: 'x' }]],
  ];
  it.each(bad)('%s = %j', (key, value) => {
    expect(codeOf({ [key]: value })).toBe(2721);
    // One bad value spoils an otherwise valid update.
    expect(codeOf({ nick: 'fine', [key]: value })).toBe(2721);
  });

  it('rejects a string one byte over the limit for every limited field (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('nick', 'selfSignature', 'location'), fc.string({ minLength: 1, maxLength: 600, unit: 'grapheme' }), (key, text) => {
        expect(codeOf({ [key]: text })).toBe(utf8Bytes(text) > 500 ? 2721 : 0);
      }),
    );
  });
});

describe('checkProfileUpdate: 2722', () => {
  it.each([
    ['only undefined values', { nick: undefined }],
    ['an empty custom field list', { profileCustomField: [] }],
    ['both', { avatar: undefined, profileCustomField: [] }],
  ])('%s', (_label, options) => {
    expect(codeOf(options)).toBe(2722);
  });
});

describe('the standard keys', () => {
  it('are exactly the protocol list plus profileCustomField (anything else is 2721)', () => {
    for (const key of PROFILE_STANDARD_KEYS) expect(codeOf({ [key]: undefined })).toBe(2722);
    expect(codeOf({ profileCustomField: undefined })).toBe(2722);
  });
});

describe('Profile', () => {
  it('has TIM defaults for a fresh user', () => {
    expect({ ...Profile.empty('u1') }).toEqual({
      userID: 'u1',
      nick: '',
      gender: '',
      birthday: 0,
      location: '',
      selfSignature: '',
      allowType: 'AllowType_Type_AllowAny',
      language: 0,
      avatar: '',
      messageSettings: 0,
      adminForbidType: 'AdminForbid_Type_None',
      level: 0,
      role: 0,
      lastUpdatedTime: 0,
      profileCustomField: [],
    });
  });

  it('clone is deep and sameAs ignores lastUpdatedTime and custom field order', () => {
    const a = Profile.empty('u1');
    a.profileCustomField = [
      { key: 'Tag_Profile_Custom_a', value: '1' },
      { key: 'Tag_Profile_Custom_b', value: '2' },
    ];
    const b = a.clone();
    expect(b).not.toBe(a);
    expect(b.profileCustomField[0]).not.toBe(a.profileCustomField[0]);
    b.lastUpdatedTime = 99;
    b.profileCustomField.reverse();
    expect(a.sameAs(b)).toBe(true);
    b.profileCustomField[0]!.value = 'changed';
    expect(a.sameAs(b)).toBe(false);
    expect(a.profileCustomField[1]!.value).toBe('2');
    const c = a.clone();
    c.nick = 'n';
    expect(a.sameAs(c)).toBe(false);
  });
});

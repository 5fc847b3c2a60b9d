/** The profile and blacklist limits in the server config: defaults, env, flags, and fix-it errors. */
import { describe, expect, it } from 'vitest';
import { CONFIG_FLAGS, ConfigError, defaultConfig, loadConfig } from '@parley/server';

describe('profile and blacklist limits', () => {
  it('default to 1000 / 1000 / 20', () => {
    expect(defaultConfig()).toMatchObject({ maxBlacklistSize: 1000, maxBlacklistBatch: 1000, maxProfileCustomFields: 20 });
    expect(loadConfig({})).toMatchObject({ maxBlacklistSize: 1000, maxBlacklistBatch: 1000, maxProfileCustomFields: 20 });
  });

  it('read PARLEY_* variables, and flags win over them', () => {
    const env = { PARLEY_MAX_BLACKLIST_SIZE: '50', PARLEY_MAX_BLACKLIST_BATCH: '10', PARLEY_MAX_PROFILE_CUSTOM_FIELDS: '0' };
    expect(loadConfig(env)).toMatchObject({ maxBlacklistSize: 50, maxBlacklistBatch: 10, maxProfileCustomFields: 0 });
    const flags = new Map([
      ['--max-blacklist-size', '7'],
      ['--max-blacklist-batch', '3'],
      ['--max-profile-custom-fields', '5'],
    ]);
    for (const flag of flags.keys()) expect(CONFIG_FLAGS.has(flag)).toBe(true);
    expect(loadConfig(env, flags)).toMatchObject({ maxBlacklistSize: 7, maxBlacklistBatch: 3, maxProfileCustomFields: 5 });
  });

  it('reject out-of-range values with a message naming the setting', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ PARLEY_MAX_BLACKLIST_SIZE: '0' }, /PARLEY_MAX_BLACKLIST_SIZE/],
      [{ PARLEY_MAX_BLACKLIST_BATCH: '10001' }, /PARLEY_MAX_BLACKLIST_BATCH/],
      [{ PARLEY_MAX_PROFILE_CUSTOM_FIELDS: 'many' }, /PARLEY_MAX_PROFILE_CUSTOM_FIELDS/],
    ];
    for (const [env, mentions] of bad) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(mentions);
    }
  });
});

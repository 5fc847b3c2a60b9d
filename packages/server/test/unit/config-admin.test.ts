/** The app administrator setting (PARLEY_ADMIN_USER_IDS / --admin-user-ids): default, env, flag, and fix-it errors. */
import { describe, expect, it } from 'vitest';
import { CONFIG_FLAGS, ConfigError, defaultConfig, loadConfig } from '@parley/server';

describe('adminUserIDs', () => {
  it('defaults to ["administrator"], Tencent’s default app admin account', () => {
    expect(defaultConfig().adminUserIDs).toEqual(['administrator']);
    expect(loadConfig({}).adminUserIDs).toEqual(['administrator']);
  });

  it('reads a comma-separated list from the environment (blanks trimmed, duplicates dropped); the flag wins', () => {
    expect(loadConfig({ PARLEY_ADMIN_USER_IDS: ' ops , backend,ops ' }).adminUserIDs).toEqual(['ops', 'backend']);
    expect(CONFIG_FLAGS.has('--admin-user-ids')).toBe(true);
    expect(loadConfig({ PARLEY_ADMIN_USER_IDS: 'ops' }, new Map([['--admin-user-ids', 'root']])).adminUserIDs).toEqual(['root']);
  });

  it('refuses an empty list or an invalid userID, naming the setting', () => {
    const bad: Array<[Record<string, string>, Map<string, string>, RegExp]> = [
      [{}, new Map([['--admin-user-ids', ' , ']]), /--admin-user-ids.*at least one/],
      [{ PARLEY_ADMIN_USER_IDS: 'ops,' + 'x'.repeat(33) }, new Map(), /PARLEY_ADMIN_USER_IDS.*not a valid userID/],
      [{ PARLEY_ADMIN_USER_IDS: 'ops,b\u00e9b\u00e9' }, new Map(), /PARLEY_ADMIN_USER_IDS/],
    ];
    for (const [env, flags, mentions] of bad) {
      expect(() => loadConfig(env, flags)).toThrow(ConfigError);
      expect(() => loadConfig(env, flags)).toThrow(mentions);
    }
  });
});

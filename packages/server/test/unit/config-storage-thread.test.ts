/** `storageThread` (--storage-thread, PARLEY_STORAGE_THREAD): parsed, documented, and wired into the server's storage. */
import { describe, expect, it } from 'vitest';
import { CONFIG_FLAGS, ConfigError, loadConfig, SqliteStorage } from '@parley/server';
import { startTestServer } from '@parley/testing';

describe('storageThread setting', () => {
  it('is on by default and takes on or off from env and flag (the flag wins)', () => {
    expect(loadConfig({}).storageThread).toBe(true);
    expect(loadConfig({ PARLEY_STORAGE_THREAD: 'off' }).storageThread).toBe(false);
    expect(loadConfig({ PARLEY_STORAGE_THREAD: 'off' }, new Map([['--storage-thread', 'on']])).storageThread).toBe(true);
    expect(CONFIG_FLAGS.has('--storage-thread')).toBe(true);
  });

  it('refuses anything but on or off', () => {
    for (const raw of ['yes', '1', 'ON']) {
      expect(() => loadConfig({ PARLEY_STORAGE_THREAD: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ PARLEY_STORAGE_THREAD: raw })).toThrow(/PARLEY_STORAGE_THREAD must be on or off/);
    }
  });

  it('gives a server alone on its file a storage thread, and none when off', async () => {
    for (const [storageThread, threaded] of [[true, true], [false, false]] as const) {
      const srv = await startTestServer({ config: { storageThread } });
      try {
        const storage = srv.server.storage;
        expect(storage).toBeInstanceOf(SqliteStorage);
        expect((storage as SqliteStorage).threaded).toBe(threaded);
      } finally {
        await srv.close();
      }
    }
  });
});

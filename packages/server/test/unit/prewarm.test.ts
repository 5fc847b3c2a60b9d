/** Page-cache warming of the SQLite file at startup: how much it reads, that it never blocks, stops, and its setting. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_FLAGS, ConfigError, defaultConfig, loadConfig } from '@parley/server';
import { prewarmFile, startPrewarm, type PrewarmSummary } from '../../src/storage/sqlite/prewarm.js';

const MiB = 2 ** 20;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-prewarm-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fileOf(bytes: number): string {
  const path = join(dir, 'parley.db');
  writeFileSync(path, Buffer.alloc(bytes, 7));
  return path;
}

describe('prewarmFile', () => {
  it('reads the whole file when it fits the budget, and no more than the budget otherwise', async () => {
    const path = fileOf(5 * MiB + 123);
    expect(await prewarmFile(path, 64 * MiB, new AbortController().signal)).toBe(5 * MiB + 123);
    expect(await prewarmFile(path, 2 * MiB + 1, new AbortController().signal)).toBe(2 * MiB + 1);
    expect(await prewarmFile(path, 0, new AbortController().signal)).toBe(0);
  });

  it('reads on the thread pool: the event loop turns while it runs', async () => {
    const path = fileOf(32 * MiB);
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    const reading = prewarmFile(path, 32 * MiB, new AbortController().signal);
    const turnsAtStart = turns;
    expect(await reading).toBe(32 * MiB);
    clearInterval(counting);
    // 32 reads of 1 MiB, each awaited: timers ran between them.
    expect(turns).toBeGreaterThan(turnsAtStart);
  });

  it('stops early when aborted, and never starts when aborted before', async () => {
    const path = fileOf(32 * MiB);
    const abort = new AbortController();
    const reading = prewarmFile(path, 32 * MiB, abort.signal);
    abort.abort();
    expect(await reading).toBeLessThan(32 * MiB);
    expect(await prewarmFile(path, 32 * MiB, abort.signal)).toBe(0);
  });

  it('a missing file is nothing to warm, not an error', async () => {
    expect(await prewarmFile(join(dir, 'absent.db'), MiB, new AbortController().signal)).toBe(0);
  });
});

describe('startPrewarm', () => {
  it('reports what it read, and is off for :memory: and for 0 MiB', async () => {
    const path = fileOf(3 * MiB);
    const done = new Promise<PrewarmSummary>((resolve) => {
      expect(startPrewarm(path, 16, resolve)).not.toBeNull();
    });
    expect(await done).toMatchObject({ megabytes: 3, stopped: false });
    expect(startPrewarm(':memory:', 16, () => undefined)).toBeNull();
    expect(startPrewarm(path, 0, () => undefined)).toBeNull();
  });

  it('stop() ends it early and resolves once it is done', async () => {
    const path = fileOf(64 * MiB);
    let summary: PrewarmSummary | null = null;
    const running = startPrewarm(path, 64, (s) => (summary = s));
    await running!.stop();
    expect(summary).toMatchObject({ stopped: true });
    expect(summary!.megabytes).toBeLessThan(64);
  });
});

describe('the sqlitePrewarmMB setting', () => {
  it('defaults to a quarter of the RAM, reads PARLEY_SQLITE_PREWARM_MB and --sqlite-prewarm-mb, 0 turns it off', () => {
    expect(defaultConfig().sqlitePrewarmMB).toBe(Math.floor(totalmem() / 4 / MiB));
    expect(loadConfig({ PARLEY_SQLITE_PREWARM_MB: '0' }).sqlitePrewarmMB).toBe(0);
    expect(CONFIG_FLAGS.has('--sqlite-prewarm-mb')).toBe(true);
    expect(loadConfig({ PARLEY_SQLITE_PREWARM_MB: '0' }, new Map([['--sqlite-prewarm-mb', '512']])).sqlitePrewarmMB).toBe(512);
    for (const bad of ['-1', 'lots', '1.5']) {
      expect(() => loadConfig({ PARLEY_SQLITE_PREWARM_MB: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ PARLEY_SQLITE_PREWARM_MB: bad })).toThrow(/PARLEY_SQLITE_PREWARM_MB/);
    }
  });
});

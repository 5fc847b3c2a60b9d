/**
 * ProfileCache (services/profile-cache.ts) over a real SQLite storage: an approximate LRU whose
 * hits move an entry only when it is in the older half, and whose users still get their stored
 * profile, the defaults, or what a write or another node changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { ProfileCache } from '../../src/services/profile-cache.js';
import { defaultProfile } from '../../src/services/profile-rules.js';

let storage: SqliteStorage;
beforeEach(async () => {
  storage = new SqliteStorage({ filename: ':memory:' });
  await storage.migrate();
});
afterEach(() => storage.close());

const cached = (cache: ProfileCache, ids: string[]): string[] => ids.filter((id) => cache.peek(id) !== undefined);

describe('ProfileCache', () => {
  it('loads stored profiles and defaults, and peek never loads', async () => {
    await storage.transaction((tx) => tx.profiles.upsert('alice', { nick: 'Alice' }, 1));
    const cache = new ProfileCache(storage, 10);
    expect(cache.peek('alice')).toBeUndefined();
    const facts = await cache.getMany(['alice', 'bob']);
    expect(facts.get('alice')?.nick).toBe('Alice');
    expect(facts.get('bob')?.nick).toBe(defaultProfile('bob').nick);
    expect(cache.peek('alice')?.nick).toBe('Alice');
  });

  it('evicts the least recently used: a peek of an entry in the older half keeps it', async () => {
    const cache = new ProfileCache(storage, 4);
    await cache.getMany(['a', 'b', 'c', 'd']);
    expect(cache.peek('a')).toBeDefined(); // 3 insertions ago > 4 / 2: moves to the recent end
    await cache.getMany(['e']);
    expect(cached(cache, ['b'])).toEqual([]); // b was the oldest
    expect(cached(cache, ['a', 'c', 'd', 'e'])).toEqual(['a', 'c', 'd', 'e']);
  });

  it('an entry used at least once per half capacity of insertions is never evicted', async () => {
    const cache = new ProfileCache(storage, 8);
    await cache.getMany(['hot']);
    for (let i = 0; i < 200; i++) {
      await cache.getMany([`cold-${i}`]);
      if (i % 4 === 0) expect(cache.peek('hot')).toBeDefined();
    }
    expect(cache.peek('hot')).toBeDefined();
    // Never more than its capacity, and the oldest cold ones are gone.
    expect(cached(cache, Array.from({ length: 200 }, (_, i) => `cold-${i}`))).toHaveLength(7);
  });

  it('a hit in the recent half does not move its entry (no Map churn for a working set that fits)', async () => {
    const cache = new ProfileCache(storage, 8);
    const first = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await cache.getMany(first);
    expect(cache.peek('f')).toBeDefined(); // 2 insertions ago, under 8 / 2: stays in place
    await cache.getMany(['i', 'j', 'k', 'l', 'm', 'n']);
    // Evicted in insertion order a…f: f too, although it was peeked (a true LRU would keep it).
    expect(cached(cache, first)).toEqual(['g', 'h']);
  });

  it('set replaces an entry and forget drops it; a load that raced with a write is not cached', async () => {
    const cache = new ProfileCache(storage, 10);
    await cache.getMany(['carol']);
    cache.set({ ...defaultProfile('carol'), nick: 'Carol' });
    expect(cache.peek('carol')?.nick).toBe('Carol');
    cache.forget(['carol']);
    expect(cache.peek('carol')).toBeUndefined();
    const loading = cache.getMany(['dave']);
    cache.forget(['someone-else']);
    expect((await loading).get('dave')).toBeDefined();
    expect(cache.peek('dave')).toBeUndefined();
  });
});

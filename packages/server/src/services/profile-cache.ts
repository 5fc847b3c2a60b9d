/**
 * The few profile facts the send path and conversation views need, cached in
 * process so a message send costs no profile query.
 *
 * The cache is updated by ProfileService after each committed write on THIS
 * process; with several nodes, the writer's broker invalidation makes every
 * other node `forget` the entry (wired in create-server.ts).
 */
import type { WireProfile } from '@parley/protocol';
import type { Storage } from '../storage/storage.js';
import { defaultProfile } from './profile-rules.js';

export interface ProfileFacts {
  nick: string;
  avatar: string;
  messageSettings: number;
  adminForbidType: string;
}

export function factsOf(profile: WireProfile): ProfileFacts {
  return { nick: profile.nick, avatar: profile.avatar, messageSettings: profile.messageSettings, adminForbidType: profile.adminForbidType };
}

interface Entry {
  facts: ProfileFacts;
  /** `inserted` when the entry was last put at the recent end. */
  at: number;
}

export class ProfileCache {
  /**
   * Insertion order is recency order: a small LRU, approximately. A hit moves its entry to the
   * recent end only when it was put there `maxEntries / 2` or more insertions ago, so an entry
   * used once in every `maxEntries / 2` insertions is never evicted, and hits on a working set
   * that fits leave the Map alone (every 1:1 send peeks at two users; a delete and a set for
   * each was ≈ 1.6 % of the event loop at full load).
   */
  private readonly entries = new Map<string, Entry>();
  /** Entries put at the recent end so far. */
  private inserted = 0;
  /** Bumped by every write, so a load that raced with a write does not cache what it read. */
  private writes = 0;

  constructor(
    private readonly storage: Storage,
    private readonly maxEntries = 10_000,
  ) {}

  async get(userID: string): Promise<ProfileFacts> {
    const facts = (await this.getMany([userID])).get(userID);
    return facts ?? factsOf(defaultProfile(userID));
  }

  /** Facts for every given user (defaults for users without a profile); misses are loaded with one query. */
  async getMany(userIDs: Iterable<string>): Promise<Map<string, ProfileFacts>> {
    const out = new Map<string, ProfileFacts>();
    const missing: string[] = [];
    for (const userID of new Set(userIDs)) {
      const hit = this.peek(userID);
      if (hit) out.set(userID, hit);
      else missing.push(userID);
    }
    if (missing.length > 0) {
      const writesBefore = this.writes;
      const rows = await this.storage.profiles.getMany(missing);
      for (const userID of missing) {
        const facts = factsOf(rows.get(userID) ?? defaultProfile(userID));
        out.set(userID, facts);
        if (this.writes === writesBefore) this.remember(userID, facts);
      }
    }
    return out;
  }

  /** The cached facts of `userID` (a hit counts as a use), or undefined when not cached: never loads. */
  peek(userID: string): ProfileFacts | undefined {
    const hit = this.entries.get(userID);
    if (hit && this.inserted - hit.at >= this.maxEntries / 2) {
      this.entries.delete(userID);
      this.putRecent(userID, hit);
    }
    return hit?.facts;
  }

  private putRecent(userID: string, entry: Entry): void {
    entry.at = ++this.inserted;
    this.entries.set(userID, entry);
  }

  /** Drops entries another node changed: the next read loads them from storage. */
  forget(userIDs: readonly string[]): void {
    this.writes++;
    for (const userID of userIDs) this.entries.delete(userID);
  }

  /** Records a committed profile. */
  set(profile: WireProfile): void {
    this.writes++;
    this.entries.delete(profile.userID);
    this.remember(profile.userID, factsOf(profile));
  }

  private remember(userID: string, facts: ProfileFacts): void {
    // A load that raced with another may find the entry there: it goes to the recent end either way.
    this.entries.delete(userID);
    this.putRecent(userID, { facts, at: 0 });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

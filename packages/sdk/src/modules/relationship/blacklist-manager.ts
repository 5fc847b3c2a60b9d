/**
 * The blacklist: a local copy of the whole list, loaded at login (before
 * SDK_READY), changed by `addToBlacklist`/`removeFromBlacklist` here and by
 * `push.blacklist` from the user's other instances. Every answer and push
 * carries the whole list, so the copy is simply replaced. Gets the connection
 * and the event sink injected; never imports them.
 */
import { ErrorCode, type RequestBodies, type RequestCmd, type ResponseData } from '@parley/protocol';
import { ImError } from '../../errors.js';
import type { Logger } from '../../logger.js';

export interface BlacklistEvents {
  /** The list changed: `BLACKLIST_UPDATED` with the whole list. */
  blacklistUpdated(userIDList: string[]): void;
}

export interface BlacklistManagerDeps {
  me(): string;
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]>;
  events: BlacklistEvents;
  log: Logger;
}

/** How often `load` asks again when pushes keep arriving while it waits (each makes its answer possibly stale). */
const MAX_LOAD_ATTEMPTS = 3;

export class BlacklistManager {
  private list: string[] = [];
  private loaded = false;
  /** A `blacklist.get` is in flight. */
  private loading = false;
  /** A push arrived while loading: the answer may predate it. */
  private stale = false;
  /** Bumped by reset(): answers to requests made before it are dropped. */
  private epoch = 0;

  constructor(private readonly deps: BlacklistManagerDeps) {}

  reset(): void {
    this.list = [];
    this.loaded = false;
    this.loading = false;
    this.stale = false;
    this.epoch++;
  }

  /**
   * Fetches the whole list (at login, and after a reconnect). `announce`:
   * always emit BLACKLIST_UPDATED (the initial sync) rather than only on change.
   */
  async load(announce: boolean): Promise<void> {
    const epoch = this.epoch;
    this.loading = true;
    try {
      let userIDList: string[] = [];
      for (let attempt = 1; attempt <= MAX_LOAD_ATTEMPTS; attempt++) {
        this.stale = false;
        ({ userIDList } = await this.deps.request('blacklist.get', {}));
        if (epoch !== this.epoch) return;
        if (!this.stale) break;
      }
      this.loading = false;
      if (!this.replace(userIDList) && announce) this.deps.events.blacklistUpdated(this.get());
    } finally {
      if (epoch === this.epoch) this.loading = false;
    }
  }

  /** `getBlacklist`: the local copy. */
  get(): string[] {
    return [...this.list];
  }

  /** `addToBlacklist`: exactly yourself → 2742 (no request); yourself in a longer list is dropped. Resolves with the whole list. */
  async add(userIDList: string[]): Promise<string[]> {
    const ids = this.withoutSelf(userIDList);
    if (ids.length === 0) throw new ImError(ErrorCode.CannotAddSelfToBlacklist, 'you cannot add yourself to your blacklist');
    return this.change('blacklist.add', ids);
  }

  /** `removeFromBlacklist`: resolves with the remaining list. */
  async remove(userIDList: string[]): Promise<string[]> {
    const ids = this.withoutSelf(userIDList);
    if (ids.length === 0) return this.get(); // you are never on your own list
    return this.change('blacklist.remove', ids);
  }

  /** `push.blacklist`: the list after a change on another instance. */
  handlePush(userIDList: string[]): void {
    if (this.loading) {
      // The load in flight may have been answered before this change: it asks again.
      this.stale = true;
      return;
    }
    if (this.loaded) this.replace(userIDList);
  }

  private async change(cmd: 'blacklist.add' | 'blacklist.remove', userIDList: string[]): Promise<string[]> {
    const epoch = this.epoch;
    const res = await this.deps.request(cmd, { userIDList });
    if (epoch === this.epoch) this.replace(res.userIDList);
    return [...res.userIDList];
  }

  /** Takes `next` as the list; emits BLACKLIST_UPDATED and returns true when it differs. */
  private replace(next: string[]): boolean {
    const changed = !this.loaded || next.length !== this.list.length || next.some((id, i) => id !== this.list[i]);
    this.list = [...next];
    this.loaded = true;
    if (changed) this.deps.events.blacklistUpdated(this.get());
    return changed;
  }

  private withoutSelf(userIDList: string[]): string[] {
    const me = this.deps.me();
    return [...new Set(userIDList)].filter((id) => id !== me);
  }
}

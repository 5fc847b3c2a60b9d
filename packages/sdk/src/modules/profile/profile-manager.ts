/**
 * Profiles: the own profile (loaded at login, kept fresh by pushes from the
 * user's other instances), lookups of other users, `updateMyProfile`, and
 * the peers' nick/avatar shown on C2C conversations. Gets the connection and
 * the event sink injected; never imports them.
 */
import { isValidUserID, type RequestBodies, type RequestCmd, type ResponseData, type WireProfile } from '@parley/protocol';
import { ImError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ConversationManager } from '../conversation/conversation-manager.js';
import { Profile } from './profile.js';
import { checkProfileUpdate } from './profile-update.js';

/** Most userIDs one `getUserProfile` call looks up (more are dropped, as TIM does). */
export const MAX_PROFILE_LOOKUP = 100;

export interface ProfileEvents {
  /** The own profile changed: `PROFILE_UPDATED` with `[profile]`. */
  profileUpdated(profiles: Profile[]): void;
  conversationsChanged(): void;
}

export interface ProfileManagerDeps {
  me(): string;
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]>;
  conversations: ConversationManager;
  events: ProfileEvents;
  log: Logger;
}

export class ProfileManager {
  private own: Profile | null = null;
  /** Bumped by reset(): answers to requests made before it are dropped. */
  private epoch = 0;

  constructor(private readonly deps: ProfileManagerDeps) {}

  reset(): void {
    this.own = null;
    this.epoch++;
  }

  /** The own nick/avatar (stamped on messages this instance creates). */
  sender(): { nick: string; avatar: string } {
    return { nick: this.own?.nick ?? '', avatar: this.own?.avatar ?? '' };
  }

  /**
   * Fetches the own profile (at login, and after a reconnect). `announce`:
   * always emit PROFILE_UPDATED (the initial sync) rather than only on change.
   */
  async loadOwn(announce: boolean): Promise<void> {
    const epoch = this.epoch;
    const wire = await this.fetchOwn();
    if (epoch !== this.epoch) return;
    const changed = this.applyOwn(wire);
    if ((changed || announce) && this.own) this.deps.events.profileUpdated([this.own.clone()]);
  }

  /** `getMyProfile`: the cached own profile, fetched if missing. */
  async getMine(): Promise<Profile> {
    if (!this.own) {
      const epoch = this.epoch;
      const wire = await this.fetchOwn();
      if (epoch === this.epoch) this.absorb(wire);
      if (!this.own) return Profile.fromWire(wire);
    }
    return this.own.clone();
  }

  /**
   * `getUserProfile`: the first 100 IDs, looked up on the server every time
   * (so never stale); users who do not exist are left out. Answers in the
   * order asked.
   */
  async getUsers(userIDList: string[]): Promise<Profile[]> {
    if (userIDList.length === 0) {
      this.deps.log.warn('getUserProfile: userIDList is empty');
      return [];
    }
    if (userIDList.length > MAX_PROFILE_LOOKUP) this.deps.log.warn(`getUserProfile: only the first ${MAX_PROFILE_LOOKUP} userIDs are looked up`);
    // A malformed userID cannot belong to anyone: it is simply not found.
    const ids = [...new Set(userIDList.slice(0, MAX_PROFILE_LOOKUP))].filter((id) => isValidUserID(id));
    if (ids.length === 0) return [];
    const epoch = this.epoch;
    const { profiles } = await this.deps.request('profile.get', { userIDList: ids });
    const byID = new Map(profiles.map((p) => [p.userID, p]));
    if (epoch === this.epoch) for (const wire of profiles) this.absorb(wire);
    return ids.flatMap((id) => {
      const wire = byID.get(id);
      return wire ? [Profile.fromWire(wire)] : [];
    });
  }

  /**
   * `updateMyProfile`: TIM's checks first (rejecting 2721/2722 without a
   * request), then the server (whose codes pass through). Resolves with the
   * updated own profile; PROFILE_UPDATED when something changed.
   */
  async update(options: unknown): Promise<Profile> {
    const check = checkProfileUpdate(options);
    if (!check.ok) {
      this.deps.log.warn(`updateMyProfile: ${check.reason}`);
      throw new ImError(check.code, check.reason);
    }
    const epoch = this.epoch;
    const { profile } = await this.deps.request('profile.update', { profile: check.update });
    if (epoch === this.epoch) this.absorb(profile);
    return Profile.fromWire(profile);
  }

  /** `push.profile`: the user changed it on another instance, or a conversation peer changed theirs. */
  handlePush(wire: WireProfile): void {
    this.absorb(wire);
  }

  private async fetchOwn(): Promise<WireProfile> {
    const me = this.deps.me();
    const { profiles } = await this.deps.request('profile.get', { userIDList: [me] });
    // Every logged-in user has one; should the server not know it yet, it is the defaults.
    return profiles.find((p) => p.userID === me) ?? Profile.empty(me);
  }

  /** Takes a fresh profile into the caches: own profile (PROFILE_UPDATED on change) and the peer's conversation. */
  private absorb(wire: WireProfile): void {
    if (wire.userID === this.deps.me() && this.applyOwn(wire) && this.own) this.deps.events.profileUpdated([this.own.clone()]);
    if (this.deps.conversations.applyPeerProfile(wire.userID, wire.nick, wire.avatar, wire.lastUpdatedTime)) this.deps.events.conversationsChanged();
  }

  /** Replaces the own profile unless `wire` is older; returns whether the content changed. */
  private applyOwn(wire: WireProfile): boolean {
    if (this.own && wire.lastUpdatedTime < this.own.lastUpdatedTime) return false;
    const next = Profile.fromWire(wire);
    const changed = !this.own || !this.own.sameAs(next);
    this.own = next;
    return changed;
  }
}

/**
 * User profiles (spec §4.6, §8.5): reads for known users, validated updates,
 * and the `push.profile` fan-out to the user's other connections and to
 * everyone who has a conversation with them.
 */
import { ErrorCode, encodeFrame, type WireProfile } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Broker } from '../cluster/broker.js';
import type { ProfileChanges, Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import type { Caller } from './message-service.js';
import type { ProfileCache } from './profile-cache.js';
import { defaultProfile, mergeCustomFields, validateProfileUpdate } from './profile-rules.js';
import { ServiceError } from './service-error.js';

export interface ProfileLimits {
  /** Most custom profile fields a user may store. Default 20. */
  maxProfileCustomFields: number;
}

/** Users published to per event-loop turn by the fan-out (keeps one big fan-out from stalling the loop). */
const FAN_OUT_CHUNK = 500;

export class ProfileService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly cache: ProfileCache,
    private readonly limits: ProfileLimits,
    private readonly log: Logger,
  ) {}

  /**
   * Profiles of the known users among `userIDList` (known = has logged in), in
   * request order without duplicates. Unknown users are left out; a known user
   * who never set a profile gets the defaults.
   */
  async get(userIDList: readonly string[]): Promise<WireProfile[]> {
    const ids = [...new Set(userIDList)];
    const known = await this.storage.users.existing(ids);
    const wanted = ids.filter((id) => known.has(id));
    const stored = await this.storage.profiles.getMany(wanted);
    return wanted.map((id) => stored.get(id) ?? defaultProfile(id));
  }

  /** Validates everything first, then writes in one transaction: on any error nothing changes. */
  async update(caller: Caller, update: Record<string, unknown>): Promise<WireProfile> {
    const { standard, custom } = validateProfileUpdate(update, this.limits.maxProfileCustomFields);
    const now = this.clock.nowMs();
    const profile = await this.storage.transaction(async (tx) => {
      if (!(await tx.users.exists(caller.userID))) throw new ServiceError(ErrorCode.ProfileAccountNotFound, `account ${caller.userID} does not exist`);
      const current = (await tx.profiles.getMany([caller.userID])).get(caller.userID) ?? defaultProfile(caller.userID);
      const changes: ProfileChanges = { ...standard };
      if (custom !== null && custom.length > 0) {
        const merged = mergeCustomFields(current.profileCustomField, custom);
        if (merged.length > this.limits.maxProfileCustomFields) {
          throw new ServiceError(
            ErrorCode.ProfileInvalidParameters,
            `the profile would have ${merged.length} custom fields; the limit is ${this.limits.maxProfileCustomFields}`,
          );
        }
        changes.profileCustomField = merged;
      }
      await tx.profiles.upsert(caller.userID, changes, now);
      const written = (await tx.profiles.getMany([caller.userID])).get(caller.userID);
      if (!written) throw new Error(`profile of ${caller.userID} missing right after its upsert`);
      return written;
    });
    this.cache.set(profile);
    // Other nodes drop their cached copy (before the push, so a peer's next send there sees the change).
    await this.broker.publishInvalidation({ kind: 'profile', userIDs: [caller.userID] });
    // Fire and forget: the response does not wait for the fan-out.
    this.publish(caller, profile).catch((err: unknown) => this.log.error({ err, userID: caller.userID }, 'profile push failed'));
    return profile;
  }

  /** One `push.profile`, serialised once, to the user's other connections and to every conversation peer. */
  private async publish(caller: Caller, profile: WireProfile): Promise<void> {
    const frame = encodeFrame({ cmd: 'push.profile', data: profile });
    await this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
    const owners = (await this.storage.conversations.ownersWithPeer(caller.userID)).filter((owner) => owner !== caller.userID);
    for (let i = 0; i < owners.length; i += FAN_OUT_CHUNK) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      await Promise.all(owners.slice(i, i + FAN_OUT_CHUNK).map((owner) => this.broker.publishToUser(owner, { kind: 'frame', frame })));
    }
  }
}

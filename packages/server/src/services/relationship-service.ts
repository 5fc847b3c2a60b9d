/**
 * The blacklist (spec §4.6): read, add, remove. Enforcement on the send path
 * lives in MessageService (a blocked sender gets 20007).
 */
import { ErrorCode, encodeFrame } from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import type { Caller } from './message-service.js';
import { ServiceError } from './service-error.js';

export interface BlacklistLimits {
  /** Most entries one user's blacklist may hold. Default 1000. */
  maxBlacklistSize: number;
  /** Most userIDs one add/remove call may name. Default 1000. */
  maxBlacklistBatch: number;
}

export class RelationshipService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly limits: BlacklistLimits,
  ) {}

  /** The whole blacklist, oldest entry first. */
  async getBlacklist(owner: string): Promise<string[]> {
    return this.storage.blacklist.list(owner);
  }

  /**
   * Blocks users. The caller is silently dropped from the list (a list of only
   * the caller is 30001); every other ID must be a known user (else 30003) and
   * the result must fit `maxBlacklistSize` (else 30013). All or nothing.
   */
  async addToBlacklist(caller: Caller, userIDList: readonly string[]): Promise<string[]> {
    this.checkBatch(userIDList);
    const ids = [...new Set(userIDList)].filter((id) => id !== caller.userID);
    if (ids.length === 0) throw new ServiceError(ErrorCode.RelationInvalidParameters, 'you cannot add yourself to your blacklist');
    const now = this.clock.nowMs();
    const outcome = await this.storage.transaction(async (tx) => {
      const known = await tx.users.existing(ids);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new ServiceError(ErrorCode.RelationAccountNotFound, `unknown userID(s): ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}`);
      }
      const current = await tx.blacklist.list(caller.userID);
      const present = new Set(current);
      const added = ids.filter((id) => !present.has(id));
      if (current.length + added.length > this.limits.maxBlacklistSize) {
        throw new ServiceError(
          ErrorCode.BlacklistFull,
          `the blacklist would hold ${current.length + added.length} users; the limit is ${this.limits.maxBlacklistSize}`,
        );
      }
      if (added.length === 0) return { list: current, changed: false };
      await tx.blacklist.add(caller.userID, added, now);
      return { list: await tx.blacklist.list(caller.userID), changed: true };
    });
    if (outcome.changed) this.publish(caller, outcome.list);
    return outcome.list;
  }

  /** Unblocks users; IDs not on the list (or unknown) are ignored. */
  async removeFromBlacklist(caller: Caller, userIDList: readonly string[]): Promise<string[]> {
    this.checkBatch(userIDList);
    const ids = [...new Set(userIDList)];
    const outcome = await this.storage.transaction(async (tx) => {
      const current = await tx.blacklist.list(caller.userID);
      const wanted = new Set(ids);
      if (!current.some((id) => wanted.has(id))) return { list: current, changed: false };
      await tx.blacklist.remove(caller.userID, ids);
      return { list: await tx.blacklist.list(caller.userID), changed: true };
    });
    if (outcome.changed) this.publish(caller, outcome.list);
    return outcome.list;
  }

  private checkBatch(userIDList: readonly string[]): void {
    if (userIDList.length > this.limits.maxBlacklistBatch) {
      throw new ServiceError(
        ErrorCode.RelationInvalidParameters,
        `${userIDList.length} userIDs in one call; the limit is ${this.limits.maxBlacklistBatch} (split the list)`,
      );
    }
  }

  /** The caller's other connections learn the new list (the calling one has it from the response). */
  private publish(caller: Caller, userIDList: string[]): void {
    const frame = encodeFrame({ cmd: 'push.blacklist', data: { userIDList } });
    void this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
  }
}

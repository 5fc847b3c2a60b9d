/**
 * Account operations of the app administrator (admin REST API, `im_open_login_svc`).
 * Sessions live in the gateway; the service reaches them through the broker, so a
 * kick reaches the user's connections on every node.
 */
import { ErrorCode } from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import type { Storage } from '../storage/storage.js';
import { ServiceError } from './service-error.js';

export class AccountService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
  ) {}

  /**
   * Logs the user out everywhere (spec §12 and §15, "REST_API_Kick"): each connection gets
   * `push.kicked` `{type: "REST_API_Kick"}` and is closed with 4011 (KickedByAdmin, terminal),
   * so the SDK emits KICKED_OUT and does not reconnect. A user with no connection is not an
   * error. An account that was never used → 70107.
   */
  async forceLogout(userID: string): Promise<void> {
    if (!(await this.storage.users.exists(userID))) throw new ServiceError(ErrorCode.AccountNotFound, `account ${userID} does not exist`);
    await this.broker.publishToUser(userID, { kind: 'kicked', type: 'REST_API_Kick' });
  }
}

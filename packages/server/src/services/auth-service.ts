/** Login: verifies a UserSig for this app and records the user; authenticates admin REST API requests. */
import { ErrorCode, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, type LoginBody } from '@parley/protocol';
import type { AppIdentity } from '../auth/app-identity.js';
import { verifyUserSig } from '../auth/usersig.js';
import type { Storage } from '../storage/storage.js';
import { type Clock, nowSeconds } from './clock.js';
import { ServiceError } from './service-error.js';

/** Most user IDs the login memo holds before it starts over. */
const KNOWN_USERS_BOUND = 1_000_000;

export class AuthService {
  private readonly admins: ReadonlySet<string>;
  /** Users known to be stored (see ensureUser). */
  private readonly knownUsers = new Set<string>();

  constructor(
    private readonly storage: Storage,
    private readonly identity: AppIdentity,
    private readonly clock: Clock,
    /** App administrator userIDs (config `adminUserIDs`). */
    adminUserIDs: readonly string[] = [],
  ) {
    this.admins = new Set(adminUserIDs);
  }

  /**
   * An admin REST API request (`?sdkappid=…&identifier=…&usersig=…`, spec §11.2 item 7): the
   * SDKAppID must be this app's (70020), the UserSig valid for `identifier` (70001, 70002,
   * 70003, 70013, 70014, …, checked before anything is said about the identifier), and the
   * identifier an app administrator (70403).
   */
  authenticateAdmin(request: { sdkAppID: number; identifier: string; userSig: string }): void {
    if (request.sdkAppID !== this.identity.sdkAppID) {
      throw new ServiceError(ErrorCode.SdkAppIdNotFound, `SDKAppID ${request.sdkAppID} is not served here`);
    }
    const result = verifyUserSig({
      sdkAppID: this.identity.sdkAppID,
      secretKey: this.identity.secretKey,
      userID: request.identifier,
      userSig: request.userSig,
      nowSeconds: nowSeconds(this.clock),
    });
    if (!result.ok) throw new ServiceError(result.code, result.message);
    if (!this.admins.has(request.identifier)) {
      throw new ServiceError(ErrorCode.AppAdminRequired, `${request.identifier} is not an app administrator (config adminUserIDs)`);
    }
  }

  /** Resolves with the UserSig's expiry (seconds) or throws a ServiceError with the Tencent code. */
  async login(body: LoginBody): Promise<{ userID: string; expiresAt: number }> {
    if (body.protocolVersion < MIN_PROTOCOL_VERSION || body.protocolVersion > PROTOCOL_VERSION) {
      throw new ServiceError(
        ErrorCode.UnsupportedProtocolVersion,
        `protocol version ${body.protocolVersion} is not supported; this server speaks ${MIN_PROTOCOL_VERSION}–${PROTOCOL_VERSION}`,
      );
    }
    if (body.sdkAppID !== this.identity.sdkAppID) {
      throw new ServiceError(ErrorCode.UserSigSdkAppIdMismatch, `SDKAppID ${body.sdkAppID} is not served here`);
    }
    const now = nowSeconds(this.clock);
    const result = verifyUserSig({
      sdkAppID: this.identity.sdkAppID,
      secretKey: this.identity.secretKey,
      userID: body.userID,
      userSig: body.userSig,
      nowSeconds: now,
    });
    if (!result.ok) throw new ServiceError(result.code, result.message);
    await this.ensureUser(body.userID, now);
    return { userID: body.userID, expiresAt: result.expiresAt };
  }

  /**
   * Records the user once: a login of a user already stored costs a read (or nothing, when this
   * process has seen them), not a write transaction and its fsync. Users are never deleted, so a
   * remembered user stays valid; the memo is cleared when it grows past its bound.
   */
  private async ensureUser(userID: string, now: number): Promise<void> {
    if (this.knownUsers.has(userID)) return;
    if (!(await this.storage.users.exists(userID))) await this.storage.transaction((tx) => tx.users.ensure(userID, now));
    if (this.knownUsers.size >= KNOWN_USERS_BOUND) this.knownUsers.clear();
    this.knownUsers.add(userID);
  }
}

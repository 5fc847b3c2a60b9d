/** `im_open_login_svc`: account commands of Tencent's server API (docs/admin-api.md). */
import { ErrorCode } from '@parley/protocol';
import type { AccountService } from '../services/account-service.js';
import type { RestService } from './rest-command.js';

export function accountCommands(accounts: AccountService): RestService {
  return {
    invalidParameters: ErrorCode.AccountInvalidParameters,
    unknownCommand: ErrorCode.RestUnknownResource,
    commands: {
      /** Force logout of every session of `UserID` (spec §12/§15 REST_API_Kick). */
      async kick({ body }) {
        await accounts.forceLogout(body.userID('UserID'));
        return {};
      },
    },
  };
}

/**
 * `group_open_http_svc`: the group commands of Tencent's server API, with
 * Tencent's body field names (docs/admin-api.md). Each maps onto the same
 * GroupService operation the SDK uses, called as the app administrator, so tips,
 * notices and rules are the WebSocket path's.
 */
import { ErrorCode } from '@parley/protocol';
import type { GroupService } from '../services/group-service.js';
import { BAN_DESCRIPTION_MAX_BYTES, MAX_BAN_SECONDS } from '../services/group-moderation.js';
import type { RestCommand, RestService } from './rest-command.js';

/** Batch limits of Tencent's commands. */
const ADD_MAX = 300;
const DELETE_MAX = 100;
const MUTE_MAX = 500;
const BAN_MAX = 20;
const NOTICE_RECIPIENTS_MAX = 500;
/** `MuteTime` is a uint32 (seconds); 0 unmutes. */
const MAX_MUTE_SECONDS = 0xffffffff;

/** `add_group_member` results per account (Tencent): 0 failed, 1 added, 2 already a member. */
const ADD_RESULT = { failed: 0, added: 1, existed: 2 } as const;

export function groupCommands(groups: GroupService): RestService {
  const commands: Record<string, RestCommand> = {
    async send_group_system_notification({ caller, body }) {
      const groupID = body.groupID();
      const toMembers = body.optionalUserIDs('ToMembers_Account', NOTICE_RECIPIENTS_MAX);
      const content = body.string('Content');
      await groups.moderation.customNotice(caller, groupID, content, toMembers);
      return {};
    },

    async add_group_member({ caller, body }) {
      const groupID = body.groupID();
      const accounts = body.objects('MemberList', { max: ADD_MAX }).map((member) => member.userID('Member_Account'));
      const silent = body.flag('Silence');
      const userIDList = [...new Set(accounts)];
      const res = await groups.addMembers(caller, { groupID, userIDList }, { silent });
      const added = new Set(res.successUserIDList);
      const existed = new Set(res.existedUserIDList);
      return {
        MemberList: userIDList.map((account) => ({
          Member_Account: account,
          Result: added.has(account) ? ADD_RESULT.added : existed.has(account) ? ADD_RESULT.existed : ADD_RESULT.failed,
        })),
      };
    },

    async delete_group_member({ caller, body }) {
      const groupID = body.groupID();
      const userIDList = body.userIDs('MemberToDel_Account', { max: DELETE_MAX });
      const reason = body.optionalString('Reason');
      const silent = body.flag('Silence');
      // Accounts that are not members are skipped; the request still succeeds (Tencent's behaviour).
      await groups.deleteMembers(caller, { groupID, userIDList, ...(reason !== undefined ? { reason } : {}) }, { silent });
      return {};
    },

    async forbid_send_msg({ caller, body }) {
      const groupID = body.groupID();
      const userIDList = body.userIDs('Members_Account', { max: MUTE_MAX });
      const muteTime = body.integer('MuteTime', 0, MAX_MUTE_SECONDS);
      await groups.muteMembers(caller, groupID, userIDList, muteTime);
      return {};
    },

    async destroy_group({ caller, body }) {
      await groups.dismiss(caller, body.groupID());
      return {};
    },

    async ban_group_member({ caller, body }) {
      const groupID = body.groupID();
      const userIDList = body.userIDs('Members_Account', { max: BAN_MAX });
      const duration = body.integer('Duration', 1, MAX_BAN_SECONDS);
      const description = body.optionalString('Description') ?? '';
      if (Buffer.byteLength(description, 'utf8') > BAN_DESCRIPTION_MAX_BYTES) body.fail(`Description is over ${BAN_DESCRIPTION_MAX_BYTES} bytes`);
      await groups.moderation.ban(caller, groupID, userIDList, duration, description);
      return {};
    },

    async unban_group_member({ caller, body }) {
      const groupID = body.groupID();
      const userIDList = body.userIDs('Members_Account', { max: BAN_MAX });
      await groups.moderation.unban(caller, groupID, userIDList);
      return {};
    },
  };
  return { invalidParameters: ErrorCode.InvalidParameters, unknownCommand: ErrorCode.InvalidApiName, commands };
}

/**
 * Gateway glue for groups: the `group.*` and `conv.set-remind` handlers, the
 * routing of `msg.*` frames for GROUP conversations, and the pre-login rule for
 * anonymous AVChatRoom sockets (`group.join-anonymous`).
 */
import { ErrorCode, parseConversationID, type ClientFrameOf, type RequestCmd, type ResponseData } from '@parley/protocol';
import type { GroupConversations } from '../services/group-conversations.js';
import type { GroupMessageService } from '../services/group-message-service.js';
import type { GroupService } from '../services/group-service.js';
import type { Caller } from '../services/message-service.js';
import { ServiceError } from '../services/service-error.js';
import type { ClientConnection } from './client-connection.js';

type Handler<K extends RequestCmd> = (connection: ClientConnection, frame: ClientFrameOf<K>) => Promise<ResponseData[K]>;

export interface GroupGatewayServices {
  groups: GroupService;
  groupMessages: GroupMessageService;
  groupConversations: GroupConversations;
}

type GroupCmd = Extract<RequestCmd, `group.${string}`> | 'conv.set-remind';

/** True for a `GROUP…` conversationID (routes `msg.*` to the group message service). */
export function isGroupConversation(conversationID: string): boolean {
  return parseConversationID(conversationID)?.type === 'GROUP';
}

/**
 * Which commands a socket that has not logged in may send besides `login`/`ping`:
 * `group.join-anonymous` (then the socket is "anonymous"), and on an anonymous
 * socket also `group.quit`. Returns true when the frame may proceed.
 */
export function allowedBeforeLogin(connection: ClientConnection, cmd: RequestCmd): boolean {
  if (cmd === 'group.join-anonymous') return connection.state === 'awaiting-login' || connection.state === 'anonymous';
  return cmd === 'group.quit' && connection.state === 'anonymous';
}

function caller(c: ClientConnection): Caller {
  return { userID: c.userID, connectionID: c.id };
}

/** The handlers, resolving services lazily (the gateway builds its table before its constructor body runs). */
export function groupHandlers(services: () => GroupGatewayServices): { [K in GroupCmd]: Handler<K> } {
  const g = (): GroupService => services().groups;
  return {
    'group.create': async (c, f) => g().create(caller(c), f.body),
    'group.list': async (c) => ({ groups: await g().list(caller(c)) }),
    'group.get': async (c, f) => ({ group: await g().get(caller(c), f.body.groupID) }),
    'group.search': async (c, f) => ({ group: await g().search(caller(c), f.body.groupID) }),
    'group.update': async (c, f) => ({ group: await g().update(caller(c), f.body) }),
    'group.dismiss': async (c, f) => {
      await g().dismiss(caller(c), f.body.groupID);
      return { groupID: f.body.groupID };
    },
    'group.join': async (c, f) => g().join(caller(c), f.body),
    'group.join-anonymous': async (c, f) => {
      if (c.state === 'ready') throw new ServiceError(ErrorCode.AlreadyLoggedIn, 'this connection is logged in: use group.join');
      const result = await g().joinAnonymous(c.id, f.body.sdkAppID, f.body.groupID);
      if (c.state === 'awaiting-login') {
        // No login deadline for an anonymous socket: it lives on heartbeats like any other.
        c.clearTimers();
        c.state = 'anonymous';
      }
      return result;
    },
    'group.quit': async (c, f) => {
      if (c.state === 'anonymous') g().quitAnonymous(c.id, f.body.groupID);
      else await g().quit(caller(c), f.body.groupID);
      return { groupID: f.body.groupID };
    },
    'group.change-owner': async (c, f) => ({ group: await g().changeOwner(caller(c), f.body) }),
    'group.applications': async (c) => ({ applicationList: await g().applications(caller(c)) }),
    'group.handle-application': async (c, f) => ({ group: await g().handleApplication(caller(c), f.body) }),
    'conv.set-remind': async (c, f) => ({
      conversationIDList: await services().groupConversations.setRemind(caller(c), f.body.conversationIDList, f.body.messageRemindType),
      messageRemindType: f.body.messageRemindType,
    }),
    'group.members': async (c, f) => g().members(caller(c), f.body),
    'group.member-profiles': async (c, f) => ({ memberList: await g().memberProfiles(caller(c), f.body) }),
    'group.add-members': async (c, f) => g().addMembers(caller(c), f.body),
    'group.delete-members': async (c, f) => g().deleteMembers(caller(c), f.body),
    'group.mute-member': async (c, f) => g().muteMember(caller(c), f.body),
    'group.set-role': async (c, f) => g().setRole(caller(c), f.body),
    'group.set-name-card': async (c, f) => g().setNameCard(caller(c), f.body),
    'group.set-member-custom': async (c, f) => g().setMemberCustom(caller(c), f.body),
    'group.online-count': async (c, f) => ({ memberCount: await g().onlineCount(caller(c), f.body.groupID) }),
  };
}

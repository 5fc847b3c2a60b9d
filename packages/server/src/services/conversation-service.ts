/** The user's conversation list: sync, single lookups, deletion. */
import { ErrorCode, encodeFrame, parseConversationID, type WireConversation } from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import type { Storage } from '../storage/storage.js';
import { buildConversationView, peerOrd } from './conversation-views.js';
import type { Caller } from './message-service.js';
import { ServiceError } from './service-error.js';

export class ConversationService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
  ) {}

  /** Every conversation of the user, hidden ones included (clients need them as a sync baseline). */
  async sync(userID: string): Promise<WireConversation[]> {
    const rows = await this.storage.conversations.listUserConversations(userID);
    return Promise.all(rows.map((row) => buildConversationView(this.storage, row)));
  }

  async get(userID: string, conversationID: string): Promise<{ conversation: WireConversation | null; userExists: boolean }> {
    const parsed = parseConversationID(conversationID);
    if (!parsed || parsed.type !== 'C2C') throw new ServiceError(ErrorCode.InvalidParameters, `invalid C2C conversationID "${conversationID}"`);
    const row = await this.storage.conversations.getUserConversation(userID, conversationID);
    if (row) return { conversation: await buildConversationView(this.storage, row), userExists: true };
    return { conversation: null, userExists: await this.storage.users.exists(parsed.peer) };
  }

  /** Hides conversations (and marks them read); with `clearHistory`, the user's history of them is cleared too. */
  async delete(caller: Caller, conversationIDList: string[], clearHistory: boolean): Promise<string[]> {
    const deleted = await this.storage.transaction(async (tx) => {
      const done: string[] = [];
      for (const conversationID of new Set(conversationIDList)) {
        const row = await tx.conversations.getUserConversation(caller.userID, conversationID);
        if (!row) continue;
        const state = await tx.conversations.getState(row.convKey);
        const lastSeq = state?.lastSeq ?? 0;
        if (lastSeq > row.readSeq) {
          await tx.conversations.setRead(caller.userID, conversationID, lastSeq, peerOrd(state, caller.userID, row.peer), row.readTime);
        }
        await tx.conversations.hide(caller.userID, conversationID, clearHistory ? lastSeq : null);
        done.push(conversationID);
      }
      return done;
    });
    if (deleted.length > 0) {
      const frame = encodeFrame({ cmd: 'push.conversation-deleted', data: { conversationIDList: deleted, clearHistoryMessage: clearHistory } });
      void this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
    }
    return deleted;
  }
}

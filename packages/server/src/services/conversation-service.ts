/** The user's conversation list: sync, single lookups, deletion. */
import { ErrorCode, encodeFrame, parseConversationID, type WireConversation } from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import type { Storage } from '../storage/storage.js';
import { buildConversationView, peerOrd } from './conversation-views.js';
import type { GroupConversations } from './group-conversations.js';
import type { Caller } from './message-service.js';
import type { ProfileCache } from './profile-cache.js';
import { ServiceError } from './service-error.js';

export class ConversationService {
  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly profiles: ProfileCache,
    /** Group conversations and remind types (group-conversations.ts). */
    private readonly groups?: GroupConversations,
  ) {}

  /** Every conversation of the user, hidden ones included (clients need them as a sync baseline). */
  async sync(userID: string): Promise<WireConversation[]> {
    const rows = await this.storage.conversations.listUserConversations(userID);
    // All peers' nick/avatar in one batch (cache hits, then one query for the misses).
    const peers = await this.profiles.getMany(rows.map((row) => row.peer));
    const c2c = await Promise.all(rows.map((row) => buildConversationView(this.storage, row, peers.get(row.peer) ?? { nick: '', avatar: '' })));
    if (!this.groups) return c2c;
    return [...(await this.groups.decorateC2C(userID, c2c)), ...(await this.groups.list(userID))];
  }

  async get(userID: string, conversationID: string): Promise<{ conversation: WireConversation | null; userExists: boolean }> {
    const parsed = parseConversationID(conversationID);
    if (parsed?.type === 'GROUP' && this.groups) {
      const found = await this.groups.get(userID, parsed.peer);
      return { conversation: found.conversation, userExists: found.exists };
    }
    if (!parsed || parsed.type !== 'C2C') throw new ServiceError(ErrorCode.InvalidParameters, `invalid C2C conversationID "${conversationID}"`);
    const row = await this.storage.conversations.getUserConversation(userID, conversationID);
    if (row) {
      const conversation = await buildConversationView(this.storage, row, await this.profiles.get(row.peer));
      if (this.groups) await this.groups.decorateC2C(userID, [conversation]);
      return { conversation, userExists: true };
    }
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
    if (this.groups) deleted.push(...(await this.groups.delete(caller.userID, conversationIDList, clearHistory)));
    if (deleted.length > 0) {
      const frame = encodeFrame({ cmd: 'push.conversation-deleted', data: { conversationIDList: deleted, clearHistoryMessage: clearHistory } });
      void this.broker.publishToUser(caller.userID, { kind: 'frame', frame, excludeConnectionID: caller.connectionID });
    }
    return deleted;
  }
}

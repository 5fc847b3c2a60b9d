/** Helpers for the SDK group suites (real SDK, real server). */
import { TYPES, type Conversation, type Group, type Message } from '@parley/sdk';
import { startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, type TestUser } from './helpers.js';

export interface GroupWorld {
  srv: TestServer;
  h: Harness;
}

/** A server with unlimited web instances (two instances per user) and a harness. */
export async function startGroupWorld(config: Parameters<typeof startTestServer>[0] = {}): Promise<GroupWorld> {
  const srv = await startTestServer({ ...config, config: { maxWebInstances: 0, ...config.config } });
  return { srv, h: new Harness(srv) };
}

export async function stopGroupWorld(world: GroupWorld | undefined): Promise<void> {
  if (!world) return;
  await world.h.destroyAll();
  await world.srv.close();
}

export function groupMessages(user: TestUser, groupID: string): Message[] {
  return user.received().filter((m) => m.conversationID === 'GROUP' + groupID);
}

export function tipsOf(user: TestUser, groupID: string, operationType?: number): Message[] {
  return groupMessages(user, groupID).filter((m) => m.type === TYPES.MSG_GRP_TIP && (operationType === undefined || m.payload['operationType'] === operationType));
}

export function noticesOf(user: TestUser, groupID?: string, operationType?: number): Message[] {
  return user
    .received()
    .filter(
      (m) =>
        m.type === TYPES.MSG_GRP_SYS_NOTICE &&
        (groupID === undefined || (m.payload['groupProfile'] as { groupID: string }).groupID === groupID) &&
        (operationType === undefined || m.payload['operationType'] === operationType),
    );
}

export async function waitForTip(user: TestUser, groupID: string, operationType: number, count = 1): Promise<Message[]> {
  await waitUntil(() => tipsOf(user, groupID, operationType).length >= count, `${user.userID} to receive tip ${operationType} of ${groupID}`);
  return tipsOf(user, groupID, operationType);
}

export async function waitForNotice(user: TestUser, groupID: string, operationType: number, count = 1): Promise<Message[]> {
  await waitUntil(() => noticesOf(user, groupID, operationType).length >= count, `${user.userID} to receive system notice ${operationType} of ${groupID}`);
  return noticesOf(user, groupID, operationType);
}

export async function waitForGroupMessages(user: TestUser, groupID: string, count: number, timeoutMs = 5000): Promise<Message[]> {
  await waitUntil(() => groupMessages(user, groupID).length >= count, `${user.userID} to receive ${count} message(s) in ${groupID} (has ${groupMessages(user, groupID).length})`, timeoutMs);
  return groupMessages(user, groupID);
}

export async function sendGroupText(user: TestUser, groupID: string, text: string, options: Record<string, unknown> = {}): Promise<Message> {
  const message = user.tim.createTextMessage({ to: groupID, conversationType: TYPES.CONV_GROUP, payload: { text }, ...options });
  return (await user.tim.sendMessage(message)).data.message;
}

export async function groupIDs(user: TestUser): Promise<string[]> {
  return (await user.tim.getGroupList()).data.groupList.map((g) => g.groupID).sort();
}

/** The instance's cached list as of the last GROUP_LIST_UPDATED (no request). */
export function lastGroupListEvent(user: TestUser): Group[] | undefined {
  const events = user.eventsOf('onGroupListUpdated');
  return events.at(-1)?.data as Group[] | undefined;
}

export async function groupConversation(user: TestUser, groupID: string): Promise<Conversation | undefined> {
  return user.conversation('GROUP' + groupID);
}

export async function createGroup(user: TestUser, type: string, extra: Record<string, unknown> = {}): Promise<Group> {
  return (await user.tim.createGroup({ name: `${type} group`, type, ...extra })).data.group;
}

/** Waits until `user`'s local list (GROUP_LIST_UPDATED) has / lacks the group. */
export async function waitForListed(user: TestUser, groupID: string, listed = true): Promise<void> {
  await waitUntil(() => (lastGroupListEvent(user) ?? []).some((g) => g.groupID === groupID) === listed, `${user.userID}'s group list to ${listed ? 'include' : 'drop'} ${groupID}`);
}

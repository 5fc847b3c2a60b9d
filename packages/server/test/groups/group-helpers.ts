/** Helpers shared by the group suites (raw protocol clients against a real server). */
import { expect } from 'vitest';
import type {
  ResponseData,
  ServerFrame,
  SystemNoticePush,
  WireConversation,
  WireGroup,
  WireGroupTipPayload,
  WireGroupType,
  WireMessage,
  WireMessageInput,
} from '@parley/protocol';
import type { RawClient, TestServer } from '@parley/testing';
import { barrier, expectOk, newMessageID, type ClientPool, type ResFrame } from '../helpers.js';

let unique = 0;

/** A unique name prefix per test, so tests can share one server. */
export function uid(label: string): string {
  return `${label}${++unique}${Math.random().toString(36).slice(2, 6)}`;
}

/** A valid group text message input. */
export function groupText(groupID: string, text: string, overrides: Partial<WireMessageInput> = {}): WireMessageInput {
  return {
    ID: newMessageID('g'),
    conversationType: 'GROUP',
    to: groupID,
    type: 'TIMTextElem',
    payload: { text },
    clientTime: Math.floor(Date.now() / 1000),
    random: Math.floor(Math.random() * 0xffffffff),
    ...overrides,
  };
}

export async function ok<K extends keyof ResponseData>(client: RawClient, cmd: K, body: unknown = {}): Promise<ResponseData[K]> {
  return expectOk<ResponseData[K]>(await client.request(cmd, body));
}

/** Sends a request expecting refusal with `code`; returns the response. */
export async function refused(client: RawClient, cmd: string, body: unknown, code: number): Promise<ResFrame> {
  const res = await client.request(cmd, body);
  expect(res.code, `${cmd} ${JSON.stringify(body)} → ${JSON.stringify(res)}`).toBe(code);
  return res;
}

export async function createGroup(
  client: RawClient,
  type: WireGroupType,
  extra: Record<string, unknown> = {},
): Promise<WireGroup> {
  const data = await ok(client, 'group.create', { type, name: `${type} group`, ...extra });
  return data.group;
}

export async function sendGroup(client: RawClient, groupID: string, text: string, overrides: Partial<WireMessageInput> = {}): Promise<WireMessage> {
  return (await ok(client, 'msg.send', { message: groupText(groupID, text, overrides) })).message;
}

export async function getGroup(client: RawClient, groupID: string): Promise<WireGroup> {
  return (await ok(client, 'group.get', { groupID })).group;
}

/** Group push.message frames received so far (optionally for one group). */
export function groupMessages(client: RawClient, groupID?: string): WireMessage[] {
  return client.frames
    .filter((f): f is ServerFrame & { cmd: 'push.message'; data: WireMessage } => f.cmd === 'push.message')
    .map((f) => f.data)
    .filter((m) => m.conversationType === 'GROUP' && (groupID === undefined || m.to === groupID));
}

/** Tips received so far for a group. */
export function tips(client: RawClient, groupID: string): Array<WireMessage & { payload: WireGroupTipPayload }> {
  return groupMessages(client, groupID).filter((m) => m.type === 'TIMGroupTipElem') as Array<WireMessage & { payload: WireGroupTipPayload }>;
}

/** System notices received so far (optionally for one group). */
export function notices(client: RawClient, groupID?: string): Array<SystemNoticePush['data']> {
  return client.frames
    .filter((f): f is SystemNoticePush => f.cmd === 'push.system-notice')
    .map((f) => f.data)
    .filter((n) => groupID === undefined || n.groupID === groupID);
}

export function framesOf<T = unknown>(client: RawClient, cmd: string): T[] {
  return client.frames.filter((f) => f.cmd === cmd).map((f) => (f as unknown as { data: T }).data);
}

/** Round trips on every client, so every frame published before is received. */
export async function settle(...clients: RawClient[]): Promise<void> {
  await Promise.all(clients.map((c) => barrier(c)));
}

/** Forgets frames received so far (to assert on what comes next). */
export function clearFrames(...clients: RawClient[]): void {
  for (const c of clients) (c.frames as ServerFrame[]).length = 0;
}

export async function groupConversation(client: RawClient, groupID: string): Promise<WireConversation | undefined> {
  const { conversations } = await ok(client, 'conv.sync');
  return conversations.find((c) => c.conversationID === `GROUP${groupID}`);
}

export async function memberIDs(client: RawClient, groupID: string): Promise<string[]> {
  const out: string[] = [];
  let offset = 0;
  for (;;) {
    const page = await ok(client, 'group.members', { groupID, count: 100, offset });
    out.push(...page.memberList.map((m) => m.userID));
    if (page.offset === 0) return out.sort();
    offset = page.offset;
  }
}

/** The recipient tests' cast: alice on two connections, bob, carol and dave. */
export type CastName = 'a1' | 'a2' | 'bob' | 'carol' | 'dave';
export const CAST: readonly CastName[] = ['a1', 'a2', 'bob', 'carol', 'dave'];

export interface Cast {
  ids: { alice: string; bob: string; carol: string; dave: string };
  conns: Record<CastName, RawClient>;
  /** Runs `action` on clean frame buffers, then waits until everything published has arrived. */
  observe<T>(action: () => Promise<T>): Promise<T>;
  /** Which connections received a frame matching `predicate`. */
  who(predicate: (f: ServerFrame) => boolean): CastName[];
}

/** Logs the cast in (user IDs prefixed with `prefix`). */
export async function loginCast(pool: ClientPool, srv: Pick<TestServer, 'wsUrl' | 'sdkAppID' | 'userSig'>, prefix: string): Promise<Cast> {
  const ids = { alice: `${prefix}-alice`, bob: `${prefix}-bob`, carol: `${prefix}-carol`, dave: `${prefix}-dave` };
  const conns: Record<CastName, RawClient> = {
    a1: await pool.login(srv, ids.alice),
    a2: await pool.login(srv, ids.alice),
    bob: await pool.login(srv, ids.bob),
    carol: await pool.login(srv, ids.carol),
    dave: await pool.login(srv, ids.dave),
  };
  return {
    ids,
    conns,
    async observe(action) {
      clearFrames(...Object.values(conns));
      const result = await action();
      await settle(...Object.values(conns));
      return result;
    },
    who: (predicate) => CAST.filter((name) => conns[name].frames.some(predicate)),
  };
}

/** Matches a group tip of `operationType` in `groupID`. */
export const isTip =
  (groupID: string, operationType: number) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.message' && f.data.to === groupID && f.data.type === 'TIMGroupTipElem' && (f.data.payload as { operationType: number }).operationType === operationType;

/** Matches a system notice of `operationType` about `groupID`. */
export const isNotice =
  (groupID: string, operationType: number) =>
  (f: ServerFrame): boolean =>
    f.cmd === 'push.system-notice' && f.data.groupID === groupID && f.data.payload.operationType === operationType;

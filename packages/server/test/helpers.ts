/**
 * Shared helpers for the server suites. Everything here talks to a real
 * server over a real WebSocket (connectRaw from @parley/testing).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { connectRaw, type RawClient, type ServerProcess, type TestServer } from '@parley/testing';
import type { ServerFrame, WireMessage, WireMessageInput, WireConversation, ErrorResponseFrame } from '@parley/protocol';

export type ResFrame = ServerFrame & { cmd: 'res' };

/** Keeps every client a test opens so an afterEach can cut them all. */
export class ClientPool {
  private readonly clients = new Set<RawClient>();

  track<T extends RawClient>(client: T): T {
    this.clients.add(client);
    return client;
  }

  async connect(wsUrl: string): Promise<RawClient> {
    return this.track(await connectRaw(wsUrl));
  }

  /** Connects and logs in; throws if the login is refused. */
  async login(srv: Pick<TestServer, 'wsUrl' | 'sdkAppID' | 'userSig'>, userID: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
    const client = await this.connect(srv.wsUrl);
    const res = await client.login(userID, srv.userSig(userID), srv.sdkAppID, extra);
    if (res.code !== 0) throw new Error(`login of ${userID} failed: ${JSON.stringify(res)}`);
    return client;
  }

  closeAll(): void {
    for (const client of this.clients) client.ws.terminate();
    this.clients.clear();
  }
}

/**
 * For suites that start real server processes: the clients, processes and temporary directories a
 * test registers here are cut, SIGKILLed and removed after each test.
 */
export function processFixtures(): { pool: ClientPool; processes: ServerProcess[]; dirs: string[] } {
  const fixtures = { pool: new ClientPool(), processes: [] as ServerProcess[], dirs: [] as string[] };
  afterEach(async () => {
    fixtures.pool.closeAll();
    for (const p of fixtures.processes.splice(0)) await p.stop('SIGKILL');
    for (const d of fixtures.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return fixtures;
}

let counter = 0;

/** A unique client message ID. */
export function newMessageID(prefix = 'm'): string {
  return `${prefix}-${process.pid}-${++counter}-${randomUUID().slice(0, 8)}`;
}

/** A valid C2C text message input. */
export function textMessage(to: string, text: string, overrides: Partial<WireMessageInput> = {}): WireMessageInput {
  return {
    ID: newMessageID(),
    conversationType: 'C2C',
    to,
    type: 'TIMTextElem',
    payload: { text },
    clientTime: Math.floor(Date.now() / 1000),
    random: Math.floor(Math.random() * 0xffffffff),
    ...overrides,
  };
}

export function expectOk<T = unknown>(res: ResFrame): T {
  if (res.code !== 0) throw new Error(`expected code 0, got ${JSON.stringify(res)}`);
  return (res as unknown as { data: T }).data;
}

export function errorCode(res: ResFrame): number {
  return (res as ErrorResponseFrame).code;
}

export async function send(client: RawClient, message: WireMessageInput, onlineUserOnly?: boolean): Promise<{ message: WireMessage; duplicate: boolean }> {
  const body = onlineUserOnly === undefined ? { message } : { message, onlineUserOnly };
  return expectOk(await client.request('msg.send', body));
}

export async function listPage(
  client: RawClient,
  conversationID: string,
  beforeSeq?: number,
  count?: number,
): Promise<{ messages: WireMessage[]; isCompleted: boolean }> {
  const body: Record<string, unknown> = { conversationID };
  if (beforeSeq !== undefined) body['beforeSeq'] = beforeSeq;
  if (count !== undefined) body['count'] = count;
  return expectOk(await client.request('msg.list', body));
}

/** Pages through the whole visible history with msg.list; returns it oldest first. */
export async function listAll(client: RawClient, conversationID: string): Promise<WireMessage[]> {
  const pages: WireMessage[][] = [];
  let beforeSeq: number | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await listPage(client, conversationID, beforeSeq);
    pages.unshift(page.messages);
    if (page.isCompleted || page.messages.length === 0) break;
    beforeSeq = page.messages[0]!.seq;
  }
  return pages.flat();
}

export async function syncConversations(client: RawClient): Promise<WireConversation[]> {
  return expectOk<{ conversations: WireConversation[] }>(await client.request('conv.sync')).conversations;
}

export async function conversation(client: RawClient, conversationID: string): Promise<WireConversation | undefined> {
  return (await syncConversations(client)).find((c) => c.conversationID === conversationID);
}

/** Frames of a given push type received so far. */
export function pushes<T = unknown>(client: RawClient, cmd: string): T[] {
  return client.frames.filter((f) => f.cmd === cmd).map((f) => (f as unknown as { data: T }).data);
}

/**
 * A round trip that goes through the async dispatch path (conv.sync), so every
 * frame the server queued for this socket before it is already received.
 */
export async function barrier(client: RawClient): Promise<void> {
  await client.request('conv.sync');
}

/** Resolves with the close event, or rejects after `ms`. */
export function closedWithin(client: RawClient, ms: number): Promise<{ code: number; reason: string }> {
  return Promise.race([
    client.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms).unref()),
  ]);
}

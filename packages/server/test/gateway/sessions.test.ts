/**
 * Session lifecycle: multi-instance kicks, same-instance replacement,
 * heartbeats, the login deadline and UserSig expiry while connected.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, PROTOCOL_VERSION, isRetryableClose, type ServerFrame, type WireMessage } from '@parley/protocol';
import { sleep, startTestServer, type TestServer } from '@parley/testing';
import { ClientPool, barrier, closedWithin, pushes, send, textMessage } from '../helpers.js';

const pool = new ClientPool();
const servers: TestServer[] = [];

async function server(config: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const srv = await startTestServer(config);
  servers.push(srv);
  return srv;
}

afterEach(async () => {
  pool.closeAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('multi-instance rule', () => {
  it('kicks the older instance with push.kicked multipleAccount then 4003 (default maxWebInstances 1)', async () => {
    const srv = await server();
    const older = await pool.login(srv, 'alice', { instanceID: 'tab-1' });
    const newer = await pool.login(srv, 'alice', { instanceID: 'tab-2' });

    const closed = await closedWithin(older, 3000);
    expect(closed.code).toBe(CloseCode.Kicked);
    const kicked = older.frames.filter((f) => f.cmd === 'push.kicked');
    expect(kicked).toEqual([{ cmd: 'push.kicked', data: { type: 'multipleAccount' } }]);
    // The kick push is the last frame before the close.
    expect(older.frames.at(-1)).toEqual(kicked[0]);

    // The newer one works and receives messages.
    const bob = await pool.login(srv, 'bob');
    const sent = await send(bob, textMessage('alice', 'to the newest tab'));
    const push = (await newer.next((f) => f.cmd === 'push.message')) as ServerFrame & { data: WireMessage };
    expect(push.data.ID).toBe(sent.message.ID);
    expect(newer.frames.some((f) => f.cmd === 'push.kicked')).toBe(false);
    expect(newer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('keeps two instances with maxWebInstances 2, kicks the oldest on a third', async () => {
    const srv = await server({ config: { maxWebInstances: 2 } });
    const first = await pool.login(srv, 'alice', { instanceID: 'i-1' });
    const second = await pool.login(srv, 'alice', { instanceID: 'i-2' });
    const bob = await pool.login(srv, 'bob');

    const sent = await send(bob, textMessage('alice', 'both tabs'));
    for (const c of [first, second]) {
      const push = (await c.next((f) => f.cmd === 'push.message')) as ServerFrame & { data: WireMessage };
      expect(push.data.ID).toBe(sent.message.ID);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      expect(pushes(c, 'push.kicked')).toEqual([]);
    }

    const third = await pool.login(srv, 'alice', { instanceID: 'i-3' });
    const closed = await closedWithin(first, 3000);
    expect(closed.code).toBe(CloseCode.Kicked);
    expect(pushes(first, 'push.kicked')).toEqual([{ type: 'multipleAccount' }]);
    await barrier(second);
    await barrier(third);
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
    expect(pushes(second, 'push.kicked')).toEqual([]);
  });

  it('never kicks with maxWebInstances 0 (unlimited)', async () => {
    const srv = await server({ config: { maxWebInstances: 0 } });
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await pool.login(srv, 'alice', { instanceID: `u-${i}` }));
    for (const c of clients) {
      await barrier(c);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      expect(pushes(c, 'push.kicked')).toEqual([]);
    }
  });

  it("'other' platforms do not count toward the web instance limit", async () => {
    const srv = await server();
    const web = await pool.login(srv, 'alice', { instanceID: 'web-1' });
    const other = await pool.login(srv, 'alice', { instanceID: 'other-1', platform: 'other' });
    await barrier(web);
    await barrier(other);
    expect(web.ws.readyState).toBe(WebSocket.OPEN);
    expect(pushes(web, 'push.kicked')).toEqual([]);
  });

  it('a reconnect with the same instanceID replaces the stale socket without a kick push', async () => {
    const srv = await server();
    const stale = await pool.login(srv, 'alice', { instanceID: 'same-tab' });
    const fresh = await pool.login(srv, 'alice', { instanceID: 'same-tab', resume: true });

    const closed = await closedWithin(stale, 3000);
    expect(closed.code).not.toBe(CloseCode.Kicked);
    expect(closed.code).toBe(CloseCode.Replaced);
    // Terminal for the stale socket: it must not reconnect and steal the session back.
    expect(isRetryableClose(closed.code)).toBe(false);
    expect(stale.frames.some((f) => f.cmd === 'push.kicked')).toBe(false);

    const bob = await pool.login(srv, 'bob');
    const sent = await send(bob, textMessage('alice', 'to the reconnected tab'));
    const push = (await fresh.next((f) => f.cmd === 'push.message')) as ServerFrame & { data: WireMessage };
    expect(push.data.ID).toBe(sent.message.ID);
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('a different user logging in does not affect alice', async () => {
    const srv = await server();
    const alice = await pool.login(srv, 'alice');
    await pool.login(srv, 'alice2');
    await barrier(alice);
    expect(alice.ws.readyState).toBe(WebSocket.OPEN);
    expect(pushes(alice, 'push.kicked')).toEqual([]);
  });
});

/** A bare socket that does not answer pings (ws `autoPong: false`). Resolves once logged in. */
async function silentClient(srv: TestServer, userID: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; at: number }>; pings: () => number }> {
  const ws = new WebSocket(srv.wsUrl, { autoPong: false });
  let pingCount = 0;
  ws.on('ping', () => pingCount++);
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const res = new Promise<{ code: number }>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)) as { code: number })));
  ws.send(
    JSON.stringify({
      cmd: 'login',
      id: 1,
      body: { sdkAppID: srv.sdkAppID, userID, userSig: srv.userSig(userID), protocolVersion: PROTOCOL_VERSION, platform: 'web', instanceID: 'silent' },
    }),
  );
  expect((await res).code).toBe(0);
  return { ws, closed, pings: () => pingCount };
}

describe('heartbeat', () => {
  it('closes a client that stops answering pings with 4006 within ~1 s, keeps one that answers', async () => {
    const srv = await server({ config: { heartbeatIntervalMs: 200 } });
    const healthy = await pool.login(srv, 'healthy');
    const silent = await silentClient(srv, 'silent');
    const loggedInAt = Date.now();
    try {
      const closed = await Promise.race([silent.closed, sleep(3000).then(() => null)]);
      expect(closed).not.toBeNull();
      expect(closed!.code).toBe(CloseCode.HeartbeatTimeout);
      // Deadline is 2.5 × 200 ms from the socket's last sign of life (before login completed);
      // allow for scheduling on a busy machine.
      expect(closed!.at - loggedInAt).toBeGreaterThanOrEqual(250);
      expect(closed!.at - loggedInAt).toBeLessThan(1500);
      // The server did ping it before giving up.
      expect(silent.pings()).toBeGreaterThan(0);

      // The healthy client (auto-pong) outlives several deadlines without sending anything.
      await sleep(Math.max(0, loggedInAt + 1300 - Date.now()));
      expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
      const res = await healthy.request('ping');
      expect(res.code).toBe(0);
    } finally {
      silent.ws.terminate();
    }
  });

  it('a client sending application pings but no pongs still counts as alive', async () => {
    const srv = await server({ config: { heartbeatIntervalMs: 200 } });
    const talker = await silentClient(srv, 'talker');
    try {
      let id = 100;
      const timer = setInterval(() => talker.ws.send(JSON.stringify({ cmd: 'ping', id: ++id, body: {} })), 100);
      await sleep(1200);
      clearInterval(timer);
      expect(talker.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      talker.ws.terminate();
    }
  });
});

describe('login deadline', () => {
  it('closes a socket that never logs in with 4002', async () => {
    const srv = await server({ config: { loginTimeoutMs: 200 } });
    const lazy = await pool.connect(srv.wsUrl);
    const start = Date.now();
    // ping is allowed before login but does not extend the deadline.
    expect((await lazy.request('ping')).code).toBe(0);
    const closed = await closedWithin(lazy, 3000);
    expect(closed.code).toBe(CloseCode.LoginTimeout);
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
  });

  it('does not close a socket that logged in before the deadline', async () => {
    const srv = await server({ config: { loginTimeoutMs: 200 } });
    const prompt = await pool.login(srv, 'prompt');
    await sleep(500);
    expect(prompt.ws.readyState).toBe(WebSocket.OPEN);
    expect((await prompt.request('conv.sync')).code).toBe(0);
  });
});

describe('UserSig expiry while connected', () => {
  it('pushes kicked userSigExpired then closes 4008 when the sig runs out', async () => {
    const srv = await server();
    const client = await pool.connect(srv.wsUrl);
    const res = await client.login('shortlived', srv.userSig('shortlived', 2), srv.sdkAppID);
    expect(res.code).toBe(0);
    const expiresAt = (res as unknown as { data: { userSigExpiresAt: number } }).data.userSigExpiresAt;
    const closed = await closedWithin(client, 4000);
    expect(closed.code).toBe(CloseCode.UserSigExpired);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000 - 50);
    expect(pushes(client, 'push.kicked')).toEqual([{ type: 'userSigExpired' }]);
    expect(client.frames.at(-1)).toEqual({ cmd: 'push.kicked', data: { type: 'userSigExpired' } });
  });
});

describe('logout', () => {
  it('answers logout, then closes with 4000', async () => {
    const srv = await server();
    const client = await pool.login(srv, 'leaver');
    const res = await client.request('logout');
    expect(res.code).toBe(0);
    const closed = await closedWithin(client, 3000);
    expect(closed.code).toBe(CloseCode.LoggedOut);
  });
});

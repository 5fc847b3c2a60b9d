/**
 * Login over the wire, with UserSigs made by Tencent's own `tls-sig-api-v2`
 * package (and by our genUserSig where a past timestamp is needed).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import TLSSigAPIv2 from 'tls-sig-api-v2';
import { CAPABILITIES, CloseCode, ErrorCode, PROTOCOL_VERSION, type LoginResult } from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, closedWithin, expectOk, textMessage, send, type ResFrame } from '../helpers.js';

let srv: TestServer;
const pool = new ClientPool();

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});
afterEach(() => pool.closeAll());

function tencentSig(userID: string, expire = 86400, sdkAppID = srv.sdkAppID, key = srv.secretKey): string {
  return new TLSSigAPIv2.Api(sdkAppID, key).genSig(userID, expire);
}

function loginBody(userID: string, userSig: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sdkAppID: srv.sdkAppID,
    userID,
    userSig,
    protocolVersion: PROTOCOL_VERSION,
    platform: 'web',
    instanceID: `auth-${Math.random().toString(36).slice(2)}`,
    ...extra,
  };
}

/** Decodes a UserSig to its JSON document (the tls-sig-api-v2 wire format). */
function decodeSig(sig: string): Record<string, unknown> {
  const b64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  return JSON.parse(inflateSync(Buffer.from(b64, 'base64')).toString('utf8')) as Record<string, unknown>;
}

function encodeSig(doc: Record<string, unknown>): string {
  return deflateSync(Buffer.from(JSON.stringify(doc))).toString('base64').replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

/** Sends a login that must fail: checks the `res` code, then the close code, and that the res came first. */
async function expectLoginRejected(client: RawClient, body: Record<string, unknown>, code: number, closeCode: number = CloseCode.AuthFailed): Promise<void> {
  const res = await client.request('login', body);
  expect(res.code).toBe(code);
  expect(typeof (res as { message?: unknown }).message).toBe('string');
  const closed = await closedWithin(client, 3000);
  expect(closed.code).toBe(closeCode);
  const resIndex = client.frames.indexOf(res);
  expect(resIndex).toBeGreaterThanOrEqual(0);
  // Nothing but the response arrived on a rejected connection.
  expect(client.frames.filter((f) => f.cmd !== 'res')).toEqual([]);
}

describe('login', () => {
  it('accepts a UserSig made by tls-sig-api-v2 and answers with a LoginResult', async () => {
    const client = await pool.connect(srv.wsUrl);
    const before = Date.now();
    const res = await client.request('login', loginBody('alice', tencentSig('alice', 86400)));
    const data = expectOk<LoginResult>(res);
    expect(data.userID).toBe('alice');
    expect(data.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(data.serverTime).toBeGreaterThanOrEqual(before - 1000);
    expect(data.serverTime).toBeLessThanOrEqual(Date.now() + 1000);
    expect(data.heartbeatIntervalMs).toBe(30_000);
    expect(typeof data.connectionID).toBe('string');
    expect(data.connectionID.length).toBeGreaterThan(0);
    expect([...data.capabilities].sort()).toEqual(Object.values(CAPABILITIES).sort());
    expect(data.limits).toEqual({ maxBodyBytes: 12 * 1024, maxFrameBytes: 65536, pageSize: 15, revokeWindowSeconds: 120 });
    const nowS = Math.floor(Date.now() / 1000);
    expect(data.userSigExpiresAt).toBeGreaterThanOrEqual(nowS + 86400 - 5);
    expect(data.userSigExpiresAt).toBeLessThanOrEqual(nowS + 86400 + 1);
    expect(Object.keys(data).sort()).toEqual(
      ['userID', 'serverTime', 'heartbeatIntervalMs', 'connectionID', 'protocolVersion', 'capabilities', 'limits', 'userSigExpiresAt'].sort(),
    );

    // The session is usable: a message goes out and is acknowledged.
    const ack = await send(client, textMessage('bob', 'hello after login'));
    expect(ack.message.from).toBe('alice');
    expect(ack.message.seq).toBeGreaterThan(0);
    // And the connection is still open.
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('also accepts genUserSig output and gives each connection its own connectionID', async () => {
    const a = await pool.connect(srv.wsUrl);
    const b = await pool.connect(srv.wsUrl);
    const ra = expectOk<LoginResult>(await a.request('login', loginBody('dora', genUserSig({ sdkAppID: srv.sdkAppID, secretKey: srv.secretKey, userID: 'dora' }))));
    const rb = expectOk<LoginResult>(await b.request('login', loginBody('erin', tencentSig('erin'))));
    expect(ra.connectionID).not.toBe(rb.connectionID);
  });

  it('rejects a UserSig signed for another SDKAppID with 70014 and closes 4001', async () => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', tencentSig('alice', 86400, srv.sdkAppID + 1)), ErrorCode.UserSigSdkAppIdMismatch);
  });

  it('rejects a login whose body names another SDKAppID with 70014 and closes 4001', async () => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', tencentSig('alice'), { sdkAppID: srv.sdkAppID + 7 }), ErrorCode.UserSigSdkAppIdMismatch);
  });

  it("rejects another user's UserSig with 70013 and closes 4001", async () => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', tencentSig('bob')), ErrorCode.UserSigIdentifierMismatch);
  });

  it('rejects an expired UserSig with 70001 and closes 4001', async () => {
    const client = await pool.connect(srv.wsUrl);
    const nowS = Math.floor(Date.now() / 1000);
    const expired = genUserSig({ sdkAppID: srv.sdkAppID, secretKey: srv.secretKey, userID: 'alice', expireSeconds: 60, nowSeconds: nowS - 3600 });
    await expectLoginRejected(client, loginBody('alice', expired), ErrorCode.UserSigExpired);
  });

  it('rejects a tls-sig-api-v2 UserSig whose validity has run out with 70001', async () => {
    // Signed 2 hours ago for one hour (same document tls-sig-api-v2 makes, with its clock in the past).
    const doc = decodeSig(tencentSig('alice', 3600));
    const time = Number(doc['TLS.time']) - 7200;
    const pastSig = genUserSig({ sdkAppID: srv.sdkAppID, secretKey: srv.secretKey, userID: 'alice', expireSeconds: 3600, nowSeconds: time });
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', pastSig), ErrorCode.UserSigExpired);
  });

  it('rejects a tampered UserSig (expiry extended without re-signing) with 70003', async () => {
    const doc = decodeSig(tencentSig('alice', 60));
    doc['TLS.expire'] = 86400 * 365;
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', encodeSig(doc)), ErrorCode.UserSigCheckFailed);
  });

  it('rejects a UserSig signed with another secret key with 70003', async () => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', tencentSig('alice', 86400, srv.sdkAppID, 'not-the-secret-key')), ErrorCode.UserSigCheckFailed);
  });

  it('rejects a truncated UserSig with 70003', async () => {
    const sig = tencentSig('alice');
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', sig.slice(0, Math.floor(sig.length / 2))), ErrorCode.UserSigCheckFailed);
  });

  it('rejects garbage with 70003', async () => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', 'this is not a usersig !!!'), ErrorCode.UserSigCheckFailed);
  });

  it('rejects an empty UserSig with 70002', async () => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', ''), ErrorCode.UserSigEmpty);
  });

  it.each([PROTOCOL_VERSION + 1, 0, 999])('rejects protocolVersion %i with 95003 and closes 4004', async (protocolVersion) => {
    const client = await pool.connect(srv.wsUrl);
    await expectLoginRejected(client, loginBody('alice', tencentSig('alice'), { protocolVersion }), ErrorCode.UnsupportedProtocolVersion, CloseCode.UnsupportedVersion);
  });

  it('a rejected login does not disturb a logged-in session of the same user', async () => {
    const good = await pool.login(srv, 'frank');
    const bad = await pool.connect(srv.wsUrl);
    await expectLoginRejected(bad, loginBody('frank', tencentSig('frank', 86400, srv.sdkAppID, 'wrong-key')), ErrorCode.UserSigCheckFailed);
    const res: ResFrame = await good.request('ping');
    expect(res.code).toBe(0);
    expect(good.frames.some((f) => f.cmd === 'push.kicked')).toBe(false);
    expect(good.ws.readyState).toBe(good.ws.OPEN);
  });
});

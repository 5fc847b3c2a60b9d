/**
 * im_open_login_svc/kick: an app administrator logs a user out everywhere (spec
 * §12/§15 REST_API_Kick). Every connection of the user gets push.kicked
 * {type: "REST_API_Kick"} and is closed with 4011 (KickedByAdmin, terminal);
 * other users are untouched; the user may log in again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, isRetryableClose } from '@parley/protocol';
import { startTestServer, type TestServer } from '@parley/testing';
import { ClientPool, closedWithin, pushes } from '../helpers.js';
import { createGroup, ok } from '../groups/group-helpers.js';
import { expectOK, rest } from './admin-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

describe('im_open_login_svc/kick', () => {
  it('closes every connection of the user (push.kicked REST_API_Kick, then 4011), and no one else’s', async () => {
    const k1 = await pool.login(srv, 'kicked');
    const k2 = await pool.login(srv, 'kicked', { platform: 'other' });
    const bystander = await pool.login(srv, 'bystander');
    // The user's AVChatRoom membership goes with the connection.
    const room = (await createGroup(bystander, 'AVChatRoom')).groupID;
    await ok(k1, 'group.join', { groupID: room });
    expect((await ok(bystander, 'group.online-count', { groupID: room })).memberCount).toBe(1);

    expectOK(await rest(srv, 'im_open_login_svc/kick', { UserID: 'kicked' }));
    for (const client of [k1, k2]) {
      const closed = await closedWithin(client, 3000);
      expect(closed.code).toBe(CloseCode.KickedByAdmin);
      expect(pushes(client, 'push.kicked')).toEqual([{ type: 'REST_API_Kick' }]);
    }
    expect(CloseCode.KickedByAdmin).toBe(4011);
    expect(isRetryableClose(CloseCode.KickedByAdmin)).toBe(false);
    expect(pushes(bystander, 'push.kicked')).toEqual([]);
    expect((await ok(bystander, 'group.online-count', { groupID: room })).memberCount).toBe(0);

    // A kick of a user with no connection is fine; the kicked user may log in again.
    expectOK(await rest(srv, 'im_open_login_svc/kick', { UserID: 'kicked' }));
    const again = await pool.login(srv, 'kicked');
    expect((await ok(again, 'conv.sync')).conversations).toEqual([]);
  });
});

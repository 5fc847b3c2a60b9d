/**
 * The admin REST API's envelope (docs/admin-api.md): Tencent's URL form and
 * answers, authentication of the app administrator, and every malformed request
 * answered with Tencent's codes (HTTP 200, `ActionStatus: "FAIL"`), never a crash
 * and never a change.
 */
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { startTestServer, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { createGroup, ok, uid } from '../groups/group-helpers.js';
import { ADMIN, expectFail, expectOK, rest } from './admin-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

/** A Public group owned by a fresh user; returns its ID and the owner's client. */
async function publicGroup(): Promise<{ groupID: string; owner: Awaited<ReturnType<ClientPool['login']>>; ownerID: string }> {
  const ownerID = uid('owner');
  const owner = await pool.login(srv, ownerID);
  const { groupID } = await createGroup(owner, 'Public');
  return { groupID, owner, ownerID };
}

async function groupExists(groupID: string): Promise<boolean> {
  const viewer = await pool.login(srv, uid('viewer'));
  return (await viewer.request('group.get', { groupID })).code === 0;
}

describe('the envelope', () => {
  it('answers OK as Tencent does: HTTP 200, JSON, {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}', async () => {
    const { groupID } = await publicGroup();
    const answer = await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID });
    expect(answer.body).toEqual({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(await groupExists(groupID)).toBe(false);
  });

  it('reads the JSON body whatever the Content-Type (none, text/plain, form, octet-stream), and ignores unknown fields', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=utf-8']) {
      const { groupID } = await publicGroup();
      expectOK(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID, SomethingTencentAdds: 1 }, { headers: { 'content-type': type } }));
      expect(await groupExists(groupID)).toBe(false);
    }
    // No Content-Type header at all (fetch always adds one, so plain node:http).
    const { groupID } = await publicGroup();
    const query = `sdkappid=${srv.sdkAppID}&identifier=${ADMIN}&usersig=${srv.userSig(ADMIN)}&random=7&contenttype=json`;
    const payload = JSON.stringify({ GroupId: groupID });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${srv.httpUrl}/v4/group_open_http_svc/destroy_group?${query}`, { method: 'POST', headers: { 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(payload);
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
    expect(await groupExists(groupID)).toBe(false);
  });

  it('a Content-Type that is no media type at all → 60002 in the envelope', async () => {
    const { groupID } = await publicGroup();
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { headers: { 'content-type': '' } }), ErrorCode.RestInvalidUrl);
    expect(await groupExists(groupID)).toBe(true);
  });

  it('refuses a non-POST method (60002) and paths that are no command (60009), unknown group commands 10003', async () => {
    const { groupID } = await publicGroup();
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', null, { method: 'GET' }), ErrorCode.RestInvalidUrl);
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { method: 'PUT' }), ErrorCode.RestInvalidUrl);
    expectFail(await rest(srv, 'no_such_svc/destroy_group', { GroupId: groupID }), ErrorCode.RestUnknownResource);
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group/extra', { GroupId: groupID }), ErrorCode.RestUnknownResource);
    expectFail(await rest(srv, 'group_open_http_svc', { GroupId: groupID }), ErrorCode.RestUnknownResource);
    expectFail(await rest(srv, 'im_open_login_svc/destroy_group', { GroupId: groupID }), ErrorCode.RestUnknownResource);
    expectFail(await rest(srv, 'group_open_http_svc/no_such_command', { GroupId: groupID }), ErrorCode.InvalidApiName);
    // Names of Object.prototype are not commands.
    expectFail(await rest(srv, 'group_open_http_svc/constructor', { GroupId: groupID }), ErrorCode.InvalidApiName);
    expectFail(await rest(srv, 'constructor/toString', { GroupId: groupID }), ErrorCode.RestUnknownResource);
    expect(await groupExists(groupID)).toBe(true);
  });
});

describe('authentication', () => {
  it('sdkappid: missing or not a number → 60012; another app’s → 70020', async () => {
    const { groupID } = await publicGroup();
    const call = (sdkappid: string | undefined) => rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query: { sdkappid } });
    expectFail(await call(undefined), ErrorCode.RestSdkAppIdMissing);
    expectFail(await call('abc'), ErrorCode.RestSdkAppIdMissing);
    expectFail(await call(''), ErrorCode.RestSdkAppIdMissing);
    expectFail(await call(String(srv.sdkAppID + 1)), ErrorCode.SdkAppIdNotFound);
    expect(await groupExists(groupID)).toBe(true);
  });

  it('identifier: a valid UserSig of a user who is no app administrator → 70403, nothing changes', async () => {
    const { groupID, ownerID } = await publicGroup();
    // Even the group's owner is no app administrator.
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query: { identifier: ownerID } }), ErrorCode.AppAdminRequired);
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query: { identifier: 'alice' } }), ErrorCode.AppAdminRequired);
    expect(await groupExists(groupID)).toBe(true);
  });

  it('usersig: missing 70002, garbage 70003, another identifier’s 70013, another app’s key 70003, another SDKAppID 70014, expired 70001', async () => {
    const { groupID } = await publicGroup();
    const call = (usersig: string | undefined) => rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query: { usersig } });
    expectFail(await call(undefined), ErrorCode.UserSigEmpty);
    expectFail(await call('not-a-usersig'), ErrorCode.UserSigCheckFailed);
    expectFail(await call(srv.userSig('bob')), ErrorCode.UserSigIdentifierMismatch);
    expectFail(await call(genUserSig({ sdkAppID: srv.sdkAppID, secretKey: 'another-key', userID: ADMIN })), ErrorCode.UserSigCheckFailed);
    expectFail(await call(genUserSig({ sdkAppID: srv.sdkAppID + 1, secretKey: srv.secretKey, userID: ADMIN })), ErrorCode.UserSigSdkAppIdMismatch);
    const old = Math.floor(Date.now() / 1000) - 7200;
    expectFail(await call(genUserSig({ sdkAppID: srv.sdkAppID, secretKey: srv.secretKey, userID: ADMIN, expireSeconds: 60, nowSeconds: old })), ErrorCode.UserSigExpired);
    expect(await groupExists(groupID)).toBe(true);
  });

  it('the signature is checked before the identifier is judged: a forged sig for a non-admin is 70003, not 70403', async () => {
    const { groupID } = await publicGroup();
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query: { identifier: 'mallory', usersig: 'forged' } }), ErrorCode.UserSigCheckFailed);
  });

  it('identifier missing or malformed, random missing or not a uint32, contenttype not json, a repeated parameter → 60002', async () => {
    const { groupID } = await publicGroup();
    const call = (query: Record<string, string | undefined>) => rest(srv, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query });
    expectFail(await call({ identifier: undefined }), ErrorCode.RestInvalidUrl);
    expectFail(await call({ identifier: 'x'.repeat(33) }), ErrorCode.RestInvalidUrl);
    expectFail(await call({ random: undefined }), ErrorCode.RestInvalidUrl);
    expectFail(await call({ random: '-1' }), ErrorCode.RestInvalidUrl);
    expectFail(await call({ random: '4294967296' }), ErrorCode.RestInvalidUrl);
    expectFail(await call({ random: '1.5' }), ErrorCode.RestInvalidUrl);
    expectFail(await call({ contenttype: 'xml' }), ErrorCode.RestInvalidUrl);
    const usersig = srv.userSig(ADMIN);
    const url = `${srv.httpUrl}/v4/group_open_http_svc/destroy_group?sdkappid=${srv.sdkAppID}&identifier=${ADMIN}&usersig=${usersig}&random=1&random=2`;
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ GroupId: groupID }) });
    expect(await res.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: ErrorCode.RestInvalidUrl });
    // Without contenttype (optional) and with random 0 it works.
    expectOK(await call({ contenttype: undefined, random: '0' }));
  });
});

describe('the body', () => {
  it('empty, not JSON, or not an object → 60003; over 1 MiB → 93000', async () => {
    const { groupID } = await publicGroup();
    for (const rawBody of ['', '   ', '{"GroupId":', 'GroupId=x', '[1,2]', '"text"', 'null', '42']) {
      expectFail(await rest(srv, 'group_open_http_svc/destroy_group', null, { rawBody }), ErrorCode.RestJsonParseFailed);
    }
    const huge = JSON.stringify({ GroupId: groupID, Padding: 'x'.repeat(1024 * 1024) });
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', null, { rawBody: huge }), ErrorCode.RestBodyTooLarge);
    expect(await groupExists(groupID)).toBe(true);
  });

  it('an unknown group → 10010; a malformed or missing GroupId → 10004', async () => {
    expectFail(await rest(srv, 'group_open_http_svc/destroy_group', { GroupId: '@TGS#NOSUCHGROUP' }), ErrorCode.GroupNotFound);
    expectFail(await rest(srv, 'group_open_http_svc/send_group_system_notification', { GroupId: 'nope', Content: 'x' }), ErrorCode.GroupNotFound);
    for (const body of [{}, { GroupId: 5 }, { GroupId: '' }, { GroupId: null }, { GroupId: ['g'] }, { GroupId: 'x'.repeat(49) }, { GroupId: 'tab\there' }]) {
      expectFail(await rest(srv, 'group_open_http_svc/destroy_group', body), ErrorCode.InvalidParameters);
    }
  });

  it('every field of every group command is checked (10004) before anything changes', async () => {
    const { groupID, owner, ownerID } = await publicGroup();
    const member = uid('member');
    expectOK(await rest(srv, 'group_open_http_svc/add_group_member', { GroupId: groupID, MemberList: [{ Member_Account: member }] }));
    const bad: Array<[string, Record<string, unknown>]> = [
      ['send_group_system_notification', { GroupId: groupID }],
      ['send_group_system_notification', { GroupId: groupID, Content: '' }],
      ['send_group_system_notification', { GroupId: groupID, Content: 7 }],
      ['send_group_system_notification', { GroupId: groupID, Content: 'x'.repeat(12 * 1024 + 1) }],
      ['send_group_system_notification', { GroupId: groupID, Content: 'x', ToMembers_Account: member }],
      ['send_group_system_notification', { GroupId: groupID, Content: 'x', ToMembers_Account: [member, 5] }],
      ['send_group_system_notification', { GroupId: groupID, Content: 'x', ToMembers_Account: Array.from({ length: 501 }, (_, i) => `u${i}`) }],
      ['add_group_member', { GroupId: groupID }],
      ['add_group_member', { GroupId: groupID, MemberList: [] }],
      ['add_group_member', { GroupId: groupID, MemberList: ['bob'] }],
      ['add_group_member', { GroupId: groupID, MemberList: [{ Member_Account: 5 }] }],
      ['add_group_member', { GroupId: groupID, MemberList: [{ Account: 'bob' }] }],
      ['add_group_member', { GroupId: groupID, MemberList: [{ Member_Account: 'bob' }], Silence: 2 }],
      ['add_group_member', { GroupId: groupID, MemberList: [{ Member_Account: 'bob' }], Silence: '1' }],
      ['add_group_member', { GroupId: groupID, MemberList: Array.from({ length: 301 }, (_, i) => ({ Member_Account: `u${i}` })) }],
      ['delete_group_member', { GroupId: groupID }],
      ['delete_group_member', { GroupId: groupID, MemberToDel_Account: [] }],
      ['delete_group_member', { GroupId: groupID, MemberToDel_Account: member }],
      ['delete_group_member', { GroupId: groupID, MemberToDel_Account: [member], Reason: 3 }],
      ['delete_group_member', { GroupId: groupID, MemberToDel_Account: Array.from({ length: 101 }, (_, i) => `u${i}`) }],
      ['forbid_send_msg', { GroupId: groupID, Members_Account: [member] }],
      ['forbid_send_msg', { GroupId: groupID, Members_Account: [member], MuteTime: -1 }],
      ['forbid_send_msg', { GroupId: groupID, Members_Account: [member], MuteTime: '60' }],
      ['forbid_send_msg', { GroupId: groupID, Members_Account: [member], MuteTime: 1.5 }],
      ['forbid_send_msg', { GroupId: groupID, Members_Account: [member], MuteTime: 2 ** 32 }],
      ['forbid_send_msg', { GroupId: groupID, Members_Account: [], MuteTime: 60 }],
      ['forbid_send_msg', { GroupId: groupID, MuteTime: 60 }],
      ['ban_group_member', { GroupId: groupID, Members_Account: [member] }],
      ['ban_group_member', { GroupId: groupID, Members_Account: [member], Duration: 0 }],
      ['ban_group_member', { GroupId: groupID, Members_Account: [member], Duration: 60, Description: 'x'.repeat(1001) }],
      ['ban_group_member', { GroupId: groupID, Members_Account: Array.from({ length: 21 }, (_, i) => `u${i}`), Duration: 60 }],
      ['unban_group_member', { GroupId: groupID }],
      ['unban_group_member', { GroupId: groupID, Members_Account: Array.from({ length: 21 }, (_, i) => `u${i}`) }],
    ];
    for (const [command, body] of bad) {
      const answer = await rest(srv, `group_open_http_svc/${command}`, body);
      expect(answer.body.ErrorCode, `${command} ${JSON.stringify(body).slice(0, 120)} → ${JSON.stringify(answer.body)}`).toBe(ErrorCode.InvalidParameters);
      expect(answer.status).toBe(200);
    }
    // Nothing happened: the member is still there, unmuted, and no notice went out.
    const members = (await ok(owner, 'group.members', { groupID })).memberList;
    expect(members.map((m) => m.userID).sort()).toEqual([member, ownerID].sort());
    expect(members.every((m) => m.muteUntil === 0)).toBe(true);
    expect(owner.frames.filter((f) => f.cmd === 'push.system-notice')).toEqual([]);
  });

  it('im_open_login_svc/kick: UserID missing or malformed → 70402; an account never used → 70107', async () => {
    for (const body of [{}, { UserID: 5 }, { UserID: '' }, { UserID: 'x'.repeat(33) }, { UserID: ['bob'] }]) {
      expectFail(await rest(srv, 'im_open_login_svc/kick', body), ErrorCode.AccountInvalidParameters);
    }
    expectFail(await rest(srv, 'im_open_login_svc/kick', { UserID: uid('never-seen') }), ErrorCode.AccountNotFound);
  });
});

describe('custom app administrators (PARLEY_ADMIN_USER_IDS)', () => {
  it('only the configured IDs are administrators', async () => {
    await using custom = await startTestServer({ config: { adminUserIDs: ['ops', 'backend'] } });
    const owner = await pool.login(custom, 'owner');
    const { groupID } = await createGroup(owner, 'Public');
    expectFail(await rest(custom, 'group_open_http_svc/destroy_group', { GroupId: groupID }), ErrorCode.AppAdminRequired);
    expectOK(await rest(custom, 'group_open_http_svc/destroy_group', { GroupId: groupID }, { query: { identifier: 'backend' } }));
  });
});

/**
 * Hostile and broken input at the gateway: malformed frames, wrong shapes,
 * out-of-order commands, oversized frames and bodies, attempts to reach other
 * users' data. The server must answer precisely, store nothing, and keep
 * serving everybody else.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, type ServerFrame, type WireMessage } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer, type TestServerOptions } from '@parley/testing';
import {
  ClientPool,
  barrier,
  closedWithin,
  conversation,
  errorCode,
  expectOk,
  listAll,
  newMessageID,
  pushes,
  send,
  syncConversations,
  textMessage,
} from '../helpers.js';

let srv: TestServer;
const pool = new ClientPool();

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});
afterEach(() => pool.closeAll());

/** Sends raw text and resolves with the next `error` frame. */
async function sendForError(client: RawClient, raw: string | Buffer): Promise<ServerFrame & { cmd: 'error' }> {
  const before = client.frames.length;
  client.ws.send(raw);
  const frame = await client.next((f) => f.cmd === 'error' && client.frames.indexOf(f) >= before);
  return frame as ServerFrame & { cmd: 'error' };
}

let rawId = 10_000;
/** Sends `{cmd, id, body}` (body omitted when undefined) and resolves with the res for that id. */
async function sendForRes(client: RawClient, frame: Record<string, unknown>): Promise<ServerFrame & { cmd: 'res' }> {
  const id = ++rawId;
  client.send({ ...frame, id });
  return (await client.next((f) => f.cmd === 'res' && f.id === id)) as ServerFrame & { cmd: 'res' };
}

async function expectUsable(client: RawClient): Promise<void> {
  const res = await client.request('ping');
  expect(res.code).toBe(0);
  expect(client.ws.readyState).toBe(client.ws.OPEN);
}

describe('frame-level errors', () => {
  it('answers malformed JSON with {cmd:"error", code:90001} and stays usable', async () => {
    for (const loggedIn of [false, true]) {
      const client = loggedIn ? await pool.login(srv, 'alice') : await pool.connect(srv.wsUrl);
      for (const raw of ['{"cmd":"ping","id":1', 'not json', '', '{cmd:"ping"}', '{"cmd":"ping","id":1}}']) {
        const err = await sendForError(client, raw);
        expect(err.code).toBe(ErrorCode.JsonParseFailed);
        expect(typeof err.message).toBe('string');
      }
      await expectUsable(client);
    }
  });

  it('answers non-objects and frames without a valid id with an error frame 95002', async () => {
    const client = await pool.login(srv, 'alice');
    const cases = [
      '[1,2,3]',
      '"ping"',
      '42',
      'null',
      'true',
      JSON.stringify({ cmd: 'ping' }),
      JSON.stringify({ cmd: 'ping', id: 0 }),
      JSON.stringify({ cmd: 'ping', id: -3 }),
      JSON.stringify({ cmd: 'ping', id: 1.5 }),
      JSON.stringify({ cmd: 'ping', id: '7' }),
      JSON.stringify({ cmd: 'ping', id: null }),
      JSON.stringify({ cmd: 'ping', id: 2 ** 60 }),
    ];
    for (const raw of cases) {
      const err = await sendForError(client, raw);
      expect(err.code, raw).toBe(ErrorCode.InvalidFrame);
    }
    // No `res` was produced for any of them.
    expect(client.frames.filter((f) => f.cmd === 'res' && f.id !== 1)).toEqual([]);
    await expectUsable(client);
  });

  it('answers an unknown cmd with a res carrying 95001 and the request id', async () => {
    const client = await pool.login(srv, 'alice');
    for (const cmd of ['msg.explode', 'LOGIN', '__proto__', 'constructor', 'toString', '']) {
      const res = await sendForRes(client, { cmd, body: {} });
      expect(res.code, cmd).toBe(ErrorCode.UnknownCommand);
    }
    // A non-string cmd with a valid id is a shape error, answered on that id.
    const res = await sendForRes(client, { cmd: 5, body: {} });
    expect(res.code).toBe(ErrorCode.InvalidFrame);
    await expectUsable(client);
  });

  it('answers unknown top-level fields with 95002 on the request id', async () => {
    const client = await pool.login(srv, 'alice');
    const res = await sendForRes(client, { cmd: 'ping', body: {}, extra: 1 });
    expect(res.code).toBe(ErrorCode.InvalidFrame);
    await expectUsable(client);
  });

  it('answers a binary frame with an error frame and stays usable', async () => {
    const client = await pool.login(srv, 'alice');
    const err = await sendForError(client, Buffer.from(JSON.stringify({ cmd: 'ping', id: 99, body: {} })));
    expect(err.code).toBe(ErrorCode.InvalidFrame);
    // The binary frame was not executed.
    expect(client.frames.some((f) => f.cmd === 'res' && f.id === 99)).toBe(false);
    await expectUsable(client);
  });
});

describe('body validation', () => {
  const conv = 'C2Cbv-bob';
  const validMessage = () => ({
    ID: newMessageID('v'),
    conversationType: 'C2C',
    to: 'bv-bob',
    type: 'TIMTextElem',
    payload: { text: 'hi' },
    clientTime: 1,
    random: 2,
  });
  // A valid body per command, and for each field a value of the wrong type.
  const bodies: Record<string, { valid: () => Record<string, unknown>; wrong: Record<string, unknown> }> = {
    'msg.list': { valid: () => ({ conversationID: conv, beforeSeq: 5, count: 10 }), wrong: { conversationID: 7, beforeSeq: 'x', count: 1.5 } },
    'msg.pull': { valid: () => ({ conversationID: conv, afterSeq: 0, limit: 10 }), wrong: { conversationID: ['C2Cbob'], afterSeq: -1, limit: 101 } },
    'msg.read': { valid: () => ({ conversationID: conv, upToSeq: 3 }), wrong: { conversationID: 'bob', upToSeq: true } },
    'msg.revoke': { valid: () => ({ conversationID: conv, messageID: 'x' }), wrong: { conversationID: null, messageID: 5 } },
    'conv.get': { valid: () => ({ conversationID: conv }), wrong: { conversationID: {} } },
    'conv.delete': { valid: () => ({ conversationIDList: [conv], clearHistoryMessage: false }), wrong: { conversationIDList: conv, clearHistoryMessage: 'yes' } },
    'msg.send': { valid: () => ({ message: validMessage(), onlineUserOnly: false }), wrong: { message: 'hello', onlineUserOnly: 1 } },
  };
  const required: Record<string, string[]> = {
    'msg.list': ['conversationID'],
    'msg.pull': ['conversationID', 'afterSeq'],
    'msg.read': ['conversationID'],
    'msg.revoke': ['conversationID', 'messageID'],
    'conv.get': ['conversationID'],
    'conv.delete': ['conversationIDList', 'clearHistoryMessage'],
    'msg.send': ['message'],
  };

  /** Invalid bodies for one command (each must be answered with 95002). */
  function invalidBodies(cmd: string): Array<{ what: string; body: unknown }> {
    const spec = bodies[cmd]!;
    const out: Array<{ what: string; body: unknown }> = [];
    for (const [field, value] of Object.entries(spec.wrong)) out.push({ what: `${field} wrong type`, body: { ...spec.valid(), [field]: value } });
    for (const field of required[cmd]!) {
      const body = spec.valid();
      delete body[field];
      out.push({ what: `${field} missing`, body });
    }
    out.push({ what: 'unknown field', body: { ...spec.valid(), bogus: 1 } });
    out.push({ what: 'body is an array', body: [] });
    out.push({ what: 'body is a string', body: 'x' });
    return out;
  }

  const messageFieldCases: Array<{ what: string; patch: Record<string, unknown> | ((m: Record<string, unknown>) => void) }> = [
    { what: 'ID empty', patch: { ID: '' } },
    { what: 'ID with spaces', patch: { ID: 'a b' } },
    { what: 'ID too long', patch: { ID: 'x'.repeat(129) } },
    { what: 'conversationType bogus', patch: { conversationType: 'ROOM' } },
    { what: 'to not a string', patch: { to: 42 } },
    { what: 'to empty', patch: { to: '' } },
    { what: 'type not TIM*Elem', patch: { type: 'TextElem' } },
    { what: 'payload array', patch: { payload: ['hi'] } },
    { what: 'clientTime negative', patch: { clientTime: -1 } },
    { what: 'random too large', patch: { random: 2 ** 32 } },
    { what: 'random fractional', patch: { random: 0.5 } },
    { what: 'priority bogus', patch: { priority: 'Urgent' } },
    { what: 'cloudCustomData number', patch: { cloudCustomData: 5 } },
    { what: 'nick too long', patch: { nick: 'n'.repeat(501) } },
    { what: 'unknown message field', patch: { from: 'mallory' } },
    { what: 'seq injected', patch: { seq: 1 } },
    ...['ID', 'conversationType', 'to', 'type', 'payload', 'clientTime', 'random'].map((field) => ({
      what: `${field} missing`,
      patch: (m: Record<string, unknown>) => {
        delete m[field];
      },
    })),
  ];

  it('answers wrong types, unknown and missing fields in every command body with 95002 on the request id', async () => {
    const cases: Array<{ cmd: string; what: string; body: unknown }> = [];
    for (const cmd of Object.keys(bodies)) for (const c of invalidBodies(cmd)) cases.push({ cmd, ...c });
    for (const c of messageFieldCases) {
      const message = validMessage() as Record<string, unknown>;
      if (typeof c.patch === 'function') c.patch(message);
      else Object.assign(message, c.patch);
      cases.push({ cmd: 'msg.send', what: `message: ${c.what}`, body: { message } });
    }
    for (const cmd of ['logout', 'ping', 'conv.sync']) cases.push({ cmd, what: 'unexpected field', body: { x: 1 } });
    expect(cases.length).toBeGreaterThan(60);

    const bob = await pool.login(srv, 'bv-bob');
    let client = await pool.login(srv, 'bv-alice');
    let sinceReconnect = 0;
    for (const c of cases) {
      // Stay below the violation budget (20 per 10 s) by rotating connections.
      if (sinceReconnect === 15) {
        client.ws.terminate();
        client = await pool.login(srv, 'bv-alice');
        sinceReconnect = 0;
      }
      const res = await sendForRes(client, { cmd: c.cmd, body: c.body });
      sinceReconnect++;
      expect(res.code, `${c.cmd}: ${c.what}`).toBe(ErrorCode.InvalidFrame);
      expect((res as { message?: string }).message, `${c.cmd}: ${c.what}`).toMatch(/\S/);
    }
    await expectUsable(client);
    // None of the invalid sends reached bob or storage.
    await barrier(bob);
    expect(pushes(bob, 'push.message')).toEqual([]);
    expect(await listAll(bob, 'C2Cbv-alice')).toEqual([]);
  });

  it('accepts the valid bodies the invalid ones were derived from', async () => {
    const client = await pool.login(srv, 'valid-bodies');
    for (const cmd of Object.keys(bodies)) {
      const res = await sendForRes(client, { cmd, body: bodies[cmd]!.valid() });
      // Domain errors (e.g. 10030 for revoking a missing message) are fine; a shape error is not.
      expect([ErrorCode.InvalidFrame, ErrorCode.UnknownCommand], cmd).not.toContain(res.code);
    }
    // And a body may be omitted for commands without fields.
    const res = await sendForRes(client, { cmd: 'conv.sync' });
    expect(res.code).toBe(0);
  });
});

describe('login state', () => {
  it('answers every command before login with 95004 and keeps the connection open', async () => {
    const client = await pool.connect(srv.wsUrl);
    const commands: Array<[string, unknown]> = [
      ['logout', {}],
      ['msg.send', { message: textMessage('bob', 'sneaky') }],
      ['msg.list', { conversationID: 'C2Cbob' }],
      ['msg.pull', { conversationID: 'C2Cbob', afterSeq: 0 }],
      ['msg.read', { conversationID: 'C2Cbob' }],
      ['msg.revoke', { conversationID: 'C2Cbob', messageID: 'x' }],
      ['conv.sync', {}],
      ['conv.get', { conversationID: 'C2Cbob' }],
      ['conv.delete', { conversationIDList: ['C2Cbob'], clearHistoryMessage: true }],
    ];
    for (const [cmd, body] of commands) {
      const res = await client.request(cmd, body);
      expect(res.code, cmd).toBe(ErrorCode.NotLoggedIn);
    }
    // ping is allowed before login, and the connection can still log in.
    await expectUsable(client);
    const res = await client.login('late', srv.userSig('late'), srv.sdkAppID);
    expect(res.code).toBe(0);
    expect(expectOk<{ conversations: unknown[] }>(await client.request('conv.sync')).conversations).toEqual([]);
  });

  it('answers a second login on a logged-in connection with 95005 and keeps the session', async () => {
    const client = await pool.login(srv, 'alice', { platform: 'other' });
    const again = await client.login('mallory', srv.userSig('mallory'), srv.sdkAppID);
    expect(errorCode(again)).toBe(ErrorCode.AlreadyLoggedIn);
    // Still alice: a message goes out from alice.
    const ack = await send(client, textMessage('bob', 'still me'));
    expect(ack.message.from).toBe('alice');
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });
});

describe('size limits', () => {
  it('closes the socket with 1009 on a frame larger than maxFrameBytes, and serves others', async () => {
    const other = await pool.login(srv, 'bystander');
    const client = await pool.login(srv, 'alice', { platform: 'other' });
    const text = 'x'.repeat(65536);
    client.send({ cmd: 'msg.send', id: 500, body: { message: textMessage('bob', text) } });
    const closed = await closedWithin(client, 3000);
    expect(closed.code).toBe(1009);
    expect(client.frames.some((f) => f.cmd === 'res' && f.id === 500)).toBe(false);
    await expectUsable(other);
  });

  it('accepts a frame just under maxFrameBytes', async () => {
    const client = await pool.login(srv, 'alice', { platform: 'other' });
    // A shape error (unknown field) is fine; the point is that the frame is read, not cut.
    const frame = JSON.stringify({ cmd: 'ping', id: 77, body: {}, pad: '' });
    const padded = frame.replace('"pad":""', `"pad":"${'p'.repeat(65536 - frame.length)}"`);
    expect(Buffer.byteLength(padded)).toBe(65536);
    client.ws.send(padded);
    const res = await client.next((f) => f.cmd === 'res' && f.id === 77);
    expect((res as { code: number }).code).toBe(ErrorCode.InvalidFrame);
    await expectUsable(client);
  });

  it('rejects a message body over maxBodyBytes with 80002 and stores nothing; exactly the limit is accepted', async () => {
    const alice = await pool.login(srv, 'big-alice');
    const bob = await pool.login(srv, 'big-bob');
    const overhead = Buffer.byteLength(JSON.stringify(['TIMTextElem', { text: '' }, '']));
    const limit = 12 * 1024;

    const tooBig = await alice.request('msg.send', { message: textMessage('big-bob', 'y'.repeat(limit - overhead + 1)) });
    expect(tooBig.code).toBe(ErrorCode.MessageBodyTooLarge);
    // cloudCustomData counts toward the body too.
    const tooBigCustom = await alice.request('msg.send', {
      message: textMessage('big-bob', 'small', { cloudCustomData: 'c'.repeat(limit) }),
    });
    expect(tooBigCustom.code).toBe(ErrorCode.MessageBodyTooLarge);
    // Multi-byte characters are counted in bytes, not characters.
    const tooBigUtf8 = await alice.request('msg.send', { message: textMessage('big-bob', '汉'.repeat(Math.ceil(limit / 3) + 10)) });
    expect(tooBigUtf8.code).toBe(ErrorCode.MessageBodyTooLarge);

    await barrier(bob);
    expect(pushes(bob, 'push.message')).toEqual([]);
    expect(await listAll(bob, 'C2Cbig-alice')).toEqual([]);
    expect(await listAll(alice, 'C2Cbig-bob')).toEqual([]);
    expect(await syncConversations(bob)).toEqual([]);

    const atLimit = await send(alice, textMessage('big-bob', 'z'.repeat(limit - overhead)));
    expect(atLimit.message.seq).toBe(1);
    const history = await listAll(bob, 'C2Cbig-alice');
    expect(history.map((m) => m.ID)).toEqual([atLimit.message.ID]);
  });
});

describe('invalid messages', () => {
  it('rejects invalid receivers and stores nothing', async () => {
    const alice = await pool.login(srv, 'recv-alice');
    // 33 printable characters: passes the frame shape (≤ 48) but is not a userID.
    const longID = 'u'.repeat(33);
    const res = await alice.request('msg.send', { message: textMessage(longID, 'hi') });
    expect(res.code).toBe(ErrorCode.InvalidReceiver);
    // Control characters fail the frame shape.
    const res2 = await alice.request('msg.send', { message: textMessage('bo\u0001b', 'hi') });
    expect(res2.code).toBe(ErrorCode.InvalidFrame);
    expect(await syncConversations(alice)).toEqual([]);
  });

  it('rejects GROUP messages to an unknown group and stores nothing', async () => {
    const alice = await pool.login(srv, 'group-alice');
    const res = await alice.request('msg.send', { message: textMessage('some-group', 'hi', { conversationType: 'GROUP' }) });
    expect(res.code).toBe(ErrorCode.GroupNotFound);
    const list = await alice.request('msg.list', { conversationID: 'GROUPsome-group' });
    expect(list.code).not.toBe(0);
    expect(await syncConversations(alice)).toEqual([]);
    expect(await listAll(alice, 'C2Csome-group')).toEqual([]);
  });

  it('rejects invalid element payloads and server-only element types', async () => {
    const alice = await pool.login(srv, 'elem-alice');
    for (const message of [
      textMessage('elem-bob', '', {}),
      textMessage('elem-bob', 'x', { payload: { text: 5 } }),
      textMessage('elem-bob', 'x', { type: 'TIMFaceElem', payload: { index: 'one', data: '' } }),
      textMessage('elem-bob', 'x', { type: 'TIMGroupTipElem', payload: {} }),
    ]) {
      const res = await alice.request('msg.send', { message });
      expect(res.code, JSON.stringify(message.payload)).toBe(ErrorCode.InvalidRequest);
    }
    expect(await syncConversations(alice)).toEqual([]);
  });
});

describe('protocol violations', () => {
  it('closes with 4005 after more than 20 malformed frames in 10 s and keeps serving others', async () => {
    const other = await pool.login(srv, 'bystander');
    const client = await pool.login(srv, 'flooder');
    for (let i = 0; i < 20; i++) client.ws.send(`garbage ${i}`);
    // 20 violations are tolerated.
    await expectUsable(client);
    client.ws.send('one too many');
    const closed = await closedWithin(client, 3000);
    expect(closed.code).toBe(CloseCode.ProtocolViolation);
    expect(client.frames.filter((f) => f.cmd === 'error')).toHaveLength(21);
    await expectUsable(other);
    const ack = await send(other, textMessage('flooder', 'you are gone'));
    expect(ack.message.seq).toBe(1);
  });

  it('does not count 95004/95005 answers as violations', async () => {
    const client = await pool.connect(srv.wsUrl);
    for (let i = 0; i < 25; i++) {
      const res = await client.request('conv.sync');
      expect(res.code).toBe(ErrorCode.NotLoggedIn);
    }
    await expectUsable(client);
  });
});

describe('isolation between users', () => {
  it("never shows bob↔carol messages to alice, and alice cannot revoke bob's messages", async () => {
    const alice = await pool.login(srv, 'iso-alice');
    const bob = await pool.login(srv, 'iso-bob');
    const carol = await pool.login(srv, 'iso-carol');

    const secret = await send(bob, textMessage('iso-carol', 'bob to carol, private'));
    const toAlice = await send(bob, textMessage('iso-alice', 'bob to alice'));
    const aliceToCarol = await send(alice, textMessage('iso-carol', 'alice to carol'));
    await barrier(alice);
    await barrier(carol);

    // Alice only ever sees her own conversations.
    const seenByAlice: WireMessage[] = [...(await listAll(alice, 'C2Ciso-carol')), ...(await listAll(alice, 'C2Ciso-bob'))];
    expect(seenByAlice.map((m) => m.ID).sort()).toEqual([toAlice.message.ID, aliceToCarol.message.ID].sort());
    for (const m of seenByAlice) expect([m.from, m.to]).toContain('iso-alice');
    const pulled = expectOk<{ messages: WireMessage[] }>(await alice.request('msg.pull', { conversationID: 'C2Ciso-carol', afterSeq: 0 }));
    expect(pulled.messages.map((m) => m.ID)).toEqual([aliceToCarol.message.ID]);
    expect(pushes<WireMessage>(alice, 'push.message').map((m) => m.ID)).toEqual([toAlice.message.ID]);
    const sync = await syncConversations(alice);
    expect(sync.map((c) => c.conversationID).sort()).toEqual(['C2Ciso-bob', 'C2Ciso-carol']);
    expect(JSON.stringify(sync)).not.toContain(secret.message.ID);
    // Carol does see it.
    expect((await listAll(carol, 'C2Ciso-bob')).map((m) => m.ID)).toEqual([secret.message.ID]);

    // Revoking bob's message in alice↔bob: not hers → 10007.
    const revokeOther = await alice.request('msg.revoke', { conversationID: 'C2Ciso-bob', messageID: toAlice.message.ID });
    expect(revokeOther.code).toBe(ErrorCode.NoPermission);
    // Reaching into bob↔carol through her own conversation finds nothing → 10030.
    const revokeForeign = await alice.request('msg.revoke', { conversationID: 'C2Ciso-carol', messageID: secret.message.ID });
    expect(revokeForeign.code).toBe(ErrorCode.RevokeMessageNotFound);
    const revokeForeign2 = await alice.request('msg.revoke', { conversationID: 'C2Ciso-bob', messageID: secret.message.ID });
    expect(revokeForeign2.code).toBe(ErrorCode.RevokeMessageNotFound);
    // Nothing was revoked.
    expect((await listAll(carol, 'C2Ciso-bob')).every((m) => !m.isRevoked)).toBe(true);
    expect((await listAll(bob, 'C2Ciso-alice')).every((m) => !m.isRevoked)).toBe(true);
    await barrier(bob);
    expect(pushes(bob, 'push.revoke')).toEqual([]);
  });

  it('answers revoking a message that does not exist with 10030', async () => {
    const alice = await pool.login(srv, 'rv-alice');
    await send(alice, textMessage('rv-bob', 'hello'));
    const res = await alice.request('msg.revoke', { conversationID: 'C2Crv-bob', messageID: 'no-such-message' });
    expect(res.code).toBe(ErrorCode.RevokeMessageNotFound);
    const res2 = await alice.request('msg.revoke', { conversationID: 'C2Cnobody-here', messageID: 'no-such-message' });
    expect(res2.code).toBe(ErrorCode.RevokeMessageNotFound);
  });
});

describe('revoke window', () => {
  it('refuses to revoke after the window with 20016 (injected clock)', async () => {
    let offsetMs = 0;
    const options: TestServerOptions = { config: { revokeWindowSeconds: 1 }, clock: { nowMs: () => Date.now() + offsetMs } };
    const own = await startTestServer(options);
    try {
      const alice = await pool.login(own, 'alice');
      const bob = await pool.login(own, 'bob');
      const early = await send(alice, textMessage('bob', 'revoke me now'));
      const late = await send(alice, textMessage('bob', 'revoke me later'));
      const ok = await alice.request('msg.revoke', { conversationID: 'C2Cbob', messageID: early.message.ID });
      expect(expectOk<{ message: WireMessage }>(ok).message.isRevoked).toBe(true);

      offsetMs = 2500;
      const res = await alice.request('msg.revoke', { conversationID: 'C2Cbob', messageID: late.message.ID });
      expect(res.code).toBe(ErrorCode.RevokeTimeLimitExceeded);
      const history = await listAll(bob, 'C2Calice');
      expect(history.map((m) => [m.ID, m.isRevoked])).toEqual([
        [early.message.ID, true],
        [late.message.ID, false],
      ]);
      const conv = await conversation(bob, 'C2Calice');
      expect(conv?.unreadCount).toBe(1);
    } finally {
      pool.closeAll();
      await own.close();
    }
  });

  it('refuses to revoke after the window with 20016 (real time)', async () => {
    const own = await startTestServer({ config: { revokeWindowSeconds: 1 } });
    try {
      const alice = await pool.login(own, 'alice');
      const sent = await send(alice, textMessage('bob', 'too late soon'));
      await new Promise((r) => setTimeout(r, 2100));
      const res = await alice.request('msg.revoke', { conversationID: 'C2Cbob', messageID: sent.message.ID });
      expect(res.code).toBe(ErrorCode.RevokeTimeLimitExceeded);
    } finally {
      pool.closeAll();
      await own.close();
    }
  });
});

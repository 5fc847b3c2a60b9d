/**
 * Property test: random frames at the gateway, on a logged-in connection and
 * on one that is not logged in. Frames are sent one at a time, so every frame
 * can be paired with exactly one reply:
 *   - a JSON object with a valid id          → exactly one `res` with that id
 *   - anything else (bad JSON, non-object,
 *     bad id, binary)                        → exactly one `error` frame
 * and the connection closes only when the protocol says so (failed login,
 * logout). No frame may cause an internal error. Afterwards the server is
 * alive and a fresh client can log in and message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, REQUEST_COMMANDS, type ServerFrame, type WireMessage } from '@parley/protocol';
import { connectRaw, startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, barrier, listAll, send, textMessage } from '../helpers.js';

let srv: TestServer;
const pool = new ClientPool();

beforeAll(async () => {
  // Unlimited instances: fuzzed logins must not kick the fixture connections.
  // Connections are reused across runs, so the login deadline must not cut the not-logged-in one.
  srv = await startTestServer({ config: { maxWebInstances: 0, loginTimeoutMs: 120_000 } });
  // A known user (it has logged in) that never sends: blacklist.add can succeed on it.
  (await pool.login(srv, 'fuzz-peer')).ws.terminate();
});
afterAll(async () => {
  pool.closeAll();
  await srv.close();
});

// ---------- generators ----------

type FuzzFrame =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; data: Uint8Array }
  /** A frame object; `id: 'VALID'` is replaced by a fresh unique id when sent. */
  | { kind: 'object'; frame: Record<string, unknown> };

const anyJson = fc.jsonValue({ maxDepth: 3 });
const junk = fc.oneof(anyJson, fc.constantFrom(null, '', -1, 0, 1.5, 2 ** 53, [], {}, true, 'x'.repeat(200)));

/**
 * Mostly-valid bodies: a valid one as is, or with exactly one defect (a field
 * with a junk value, a missing field, an unknown field), or pure junk.
 */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc.tuple(valid, fc.nat(), junk).map(([body, k, value]) => {
        const keys = Object.keys(body);
        return keys.length === 0 ? { [`k${k}`]: value } : { ...body, [keys[k % keys.length]!]: value };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat()).map(([body, k]) => {
        const keys = Object.keys(body);
        const copy = { ...body };
        if (keys.length > 0) delete copy[keys[k % keys.length]!];
        return copy;
      }),
    },
    { weight: 1, arbitrary: fc.tuple(valid, fc.string({ maxLength: 8 }), junk).map(([body, key, value]) => ({ ...body, [`x-${key}`]: value })) },
    { weight: 1, arbitrary: junk },
  );
}

const goodConversationID = fc.constantFrom('C2Cfuzz-peer', 'C2Cfuzz-main', 'C2Cfuzz-login', 'C2Cnobody', 'GROUPg1', '@TIM#SYSTEM');
const goodSeq = fc.integer({ min: 0, max: 60 });
const printable = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);

const validMessage = fc.record(
  {
    ID: fc.oneof(printable, fc.constantFrom('dup-1', 'dup-2', 'dup-3')),
    conversationType: fc.constantFrom('C2C', 'C2C', 'C2C', 'GROUP'),
    to: fc.constantFrom('fuzz-peer', 'fuzz-main', 'fuzz-login', 'u'.repeat(33)),
    type: fc.constantFrom('TIMTextElem', 'TIMTextElem', 'TIMCustomElem', 'TIMFaceElem', 'TIMImageElem', 'TIMGroupTipElem'),
    payload: fc.oneof(
      fc.record({ text: fc.string({ maxLength: 30 }), atUserList: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }) }, { requiredKeys: ['text'] }),
      fc.record({ data: fc.string(), description: fc.string(), extension: fc.string() }, { requiredKeys: [] }),
      fc.record({ index: fc.integer(), data: fc.string() }),
      fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }),
    ),
    clientTime: fc.integer({ min: 0, max: 2 ** 31 }),
    random: fc.integer({ min: 0, max: 0xffffffff }),
    cloudCustomData: fc.string({ maxLength: 20 }),
    priority: fc.constantFrom('High', 'Normal', 'Low', 'Lowest'),
    nick: fc.string({ maxLength: 10 }),
    avatar: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: ['ID', 'conversationType', 'to', 'type', 'payload', 'clientTime', 'random'] },
);

/** Mostly known users (fuzz-peer logs in once before the run), sometimes unknown or malformed ones. */
const someUserID = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('fuzz-main', 'fuzz-peer', 'fuzz-login') },
  { weight: 2, arbitrary: fc.constantFrom('fuzz-other', 'nobody', 'u'.repeat(33)) },
);

/**
 * Valid profile updates (`mutated` breaks them: junk values, unknown keys).
 * adminForbidType is only ever None, so the fixture user never loses the
 * right to send (msg.send:0 must stay reachable).
 */
const profileUpdate = fc.record(
  {
    nick: fc.string({ maxLength: 20 }),
    avatar: fc.string({ maxLength: 20 }),
    gender: fc.constantFrom('Gender_Type_Male', 'Gender_Type_Female', 'Gender_Type_Unknown'),
    allowType: fc.constantFrom('AllowType_Type_AllowAny', 'AllowType_Type_NeedConfirm', 'AllowType_Type_DenyAny'),
    birthday: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    messageSettings: fc.constantFrom(0, 1),
    adminForbidType: fc.constant('AdminForbid_Type_None'),
    level: fc.integer({ min: 0, max: 100 }),
    profileCustomField: fc.array(fc.record({ key: fc.constantFrom('Tag_Profile_Custom_a', 'Tag_Profile_Custom_b2'), value: fc.string({ maxLength: 10 }) }), {
      maxLength: 3,
    }),
  },
  { requiredKeys: [] },
);

function bodyFor(cmd: string): fc.Arbitrary<unknown> {
  switch (cmd) {
    case 'login':
      return mutated(
        fc.record(
          {
            sdkAppID: fc.constantFrom(srv.sdkAppID, srv.sdkAppID, srv.sdkAppID + 1),
            userID: fc.constantFrom('fuzz-login', 'fuzz-login', 'fuzz-other'),
            userSig: fc.constantFrom(srv.userSig('fuzz-login'), srv.userSig('fuzz-other'), '', 'garbage', srv.userSig('fuzz-login').slice(0, 30)),
            protocolVersion: fc.constantFrom(PROTOCOL_VERSION, PROTOCOL_VERSION, PROTOCOL_VERSION + 1, 0),
            platform: fc.constantFrom('web', 'node', 'other'),
            // Never the fixture connections' instance IDs (those would be replaced).
            instanceID: fc.string({ minLength: 1, maxLength: 10 }).map((s) => `gen-${s}`),
            resume: fc.boolean(),
          },
          { requiredKeys: ['sdkAppID', 'userID', 'userSig', 'protocolVersion', 'platform', 'instanceID'] },
        ),
      );
    case 'msg.send':
      return mutated(
        fc.record({ message: fc.oneof({ weight: 2, arbitrary: validMessage }, { weight: 1, arbitrary: mutated(validMessage) }), onlineUserOnly: fc.boolean() }, { requiredKeys: ['message'] }) as fc.Arbitrary<Record<string, unknown>>,
      );
    case 'msg.list':
      return mutated(fc.record({ conversationID: goodConversationID, beforeSeq: fc.integer({ min: 1, max: 60 }), count: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: ['conversationID'] }));
    case 'msg.pull':
      return mutated(fc.record({ conversationID: goodConversationID, afterSeq: goodSeq, limit: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: ['conversationID', 'afterSeq'] }));
    case 'msg.read':
      return mutated(fc.record({ conversationID: goodConversationID, upToSeq: goodSeq }, { requiredKeys: ['conversationID'] }));
    case 'msg.revoke':
      return mutated(fc.record({ conversationID: goodConversationID, messageID: fc.constantFrom('dup-1', 'dup-2', 'dup-3', 'nope') }));
    case 'conv.get':
      return mutated(fc.record({ conversationID: goodConversationID }));
    case 'conv.delete':
      return mutated(fc.record({ conversationIDList: fc.array(goodConversationID, { minLength: 1, maxLength: 3 }), clearHistoryMessage: fc.boolean() }));
    case 'profile.get':
      return mutated(fc.record({ userIDList: fc.array(someUserID, { minLength: 1, maxLength: 4 }) }));
    case 'profile.update':
      return mutated(fc.record({ profile: mutated(profileUpdate) }) as fc.Arbitrary<Record<string, unknown>>);
    case 'blacklist.add':
    case 'blacklist.remove':
      return mutated(fc.record({ userIDList: fc.array(someUserID, { minLength: 1, maxLength: 4 }) }));
    default:
      return mutated(fc.constant({}));
  }
}

const validId = fc.constant('VALID' as const);
const invalidId = fc.constantFrom(0, -1, 1.5, '7', null, true, 2 ** 53, [], {}, undefined);
/**
 * Command weights. With ~40 commands drawn uniformly each would come up only a
 * few times per run, so the commands whose outcomes are asserted after the run
 * get a weight of their own (else those assertions would be flaky), and the
 * other one-to-one, profile and blacklist commands a smaller one.
 */
const ASSERTED_COMMANDS = ['login', 'ping', 'msg.list', 'conv.sync', 'profile.get', 'blacklist.get'] as const;
const C2C_COMMANDS = ['msg.pull', 'msg.read', 'msg.revoke', 'conv.get', 'conv.delete', 'profile.update', 'blacklist.add', 'blacklist.remove'] as const;
const cmdArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...REQUEST_COMMANDS) },
  { weight: 10, arbitrary: fc.constantFrom(...ASSERTED_COMMANDS) },
  { weight: 3, arbitrary: fc.constantFrom(...C2C_COMMANDS) },
  { weight: 6, arbitrary: fc.constant('msg.send') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), anyJson) },
);

const objectFrame: fc.Arbitrary<FuzzFrame> = fc
  .record({
    cmd: cmdArb,
    id: fc.oneof({ weight: 8, arbitrary: validId }, { weight: 1, arbitrary: invalidId }),
    extra: fc.oneof(
      { weight: 12, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { minKeys: 1, maxKeys: 2 }) },
    ),
    omitBody: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  })
  .chain(({ cmd, id, extra, omitBody }) =>
    bodyFor(typeof cmd === 'string' ? cmd : '').map((body): FuzzFrame => {
      const frame: Record<string, unknown> = { ...(extra ?? {}), cmd };
      if (id !== undefined) frame['id'] = id;
      if (!omitBody) frame['body'] = body;
      return { kind: 'object', frame };
    }),
  );

const frameArb: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 12, arbitrary: objectFrame },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text): FuzzFrame => ({ kind: 'text', text })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((text): FuzzFrame => ({ kind: 'text', text })) },
  { weight: 1, arbitrary: anyJson.map((v): FuzzFrame => ({ kind: 'text', text: JSON.stringify(v) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((data): FuzzFrame => ({ kind: 'binary', data })) },
);

const runArb = fc.array(fc.record({ loggedIn: fc.boolean(), frame: frameArb }), { minLength: 1, maxLength: 12 });

// ---------- the oracle ----------

type Expectation = { reply: 'res'; id: number; cmd: unknown } | { reply: 'error'; code: number };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the protocol says must come back for these bytes. */
function expectationFor(text: string | null): Expectation {
  if (text === null) return { reply: 'error', code: ErrorCode.InvalidFrame };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { reply: 'error', code: ErrorCode.JsonParseFailed };
  }
  if (!isPlainObject(parsed)) return { reply: 'error', code: ErrorCode.InvalidFrame };
  const id = parsed['id'];
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return { reply: 'res', id, cmd: parsed['cmd'] };
  return { reply: 'error', code: ErrorCode.InvalidFrame };
}

function isReply(f: ServerFrame): boolean {
  return f.cmd === 'res' || f.cmd === 'error';
}

interface Slot {
  client: RawClient;
  sent: number;
  closedBy: number | null;
  /** Frames the server counts against the violation budget (20 per 10 s). */
  violations: number;
}

/** Slots are rotated well before the server's violation budget would close them. */
const MAX_VIOLATIONS_PER_SLOT = 15;

let nextFrameId = 1_000_000;
let nextInstance = 0;
const allSlots: Slot[] = [];
/** How often each (cmd, reply code) came back: proves the generator reaches deep paths. */
const outcomes = new Map<string, number>();
function record(key: string): void {
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}

async function openSlot(loggedIn: boolean): Promise<Slot> {
  const client = loggedIn ? await pool.login(srv, 'fuzz-main', { instanceID: `fixture-${++nextInstance}` }) : await pool.connect(srv.wsUrl);
  const slot: Slot = { client, sent: loggedIn ? 1 : 0, closedBy: null, violations: 0 };
  void client.closed.then(({ code }) => (slot.closedBy = code));
  allSlots.push(slot);
  return slot;
}

/** Sends one frame and checks its single reply; returns the close code the protocol now demands, if any. */
async function exercise(slot: Slot, frame: FuzzFrame): Promise<number | null> {
  const { client } = slot;
  let text: string | null;
  if (frame.kind === 'binary') {
    text = null;
    client.ws.send(frame.data, { binary: true });
  } else {
    if (frame.kind === 'object') {
      const f = { ...frame.frame };
      if (f['id'] === 'VALID') f['id'] = ++nextFrameId;
      text = JSON.stringify(f);
    } else text = frame.text;
    // What the server decodes: the UTF-8 bytes of the text.
    text = Buffer.from(text, 'utf8').toString('utf8');
    client.ws.send(text);
  }
  slot.sent++;
  const expected = expectationFor(text);
  const start = client.frames.length;
  const reply = await Promise.race([
    client.next((f) => isReply(f) && client.frames.indexOf(f) >= start, 5000),
    client.closed.then(({ code }) => {
      throw new Error(`socket closed with ${code} instead of answering ${text ?? '<binary>'}`);
    }),
  ]);
  const where = `frame ${text ?? '<binary>'} → ${JSON.stringify(reply)}`;
  if (expected.reply === 'error') {
    expect(reply.cmd, where).toBe('error');
    expect((reply as { code: number }).code, where).toBe(expected.code);
    slot.violations++;
    record(`error:${expected.code}`);
    return null;
  }
  expect(reply.cmd, where).toBe('res');
  const res = reply as ServerFrame & { cmd: 'res'; code: number };
  expect(res.id, where).toBe(expected.id);
  expect(res.code, where).not.toBe(ErrorCode.InternalError);
  expect(res.code, where).not.toBe(ErrorCode.MessageInternalError);
  if (res.code === ErrorCode.InvalidFrame || res.code === ErrorCode.UnknownCommand) slot.violations++;
  record(`${typeof expected.cmd === 'string' && (REQUEST_COMMANDS as readonly string[]).includes(expected.cmd) ? expected.cmd : 'other'}:${res.code}`);
  if (expected.cmd === 'logout' && res.code === 0) return CloseCode.LoggedOut;
  const notDispatched: number[] = [0, ErrorCode.InvalidFrame, ErrorCode.UnknownCommand, ErrorCode.AlreadyLoggedIn, ErrorCode.RateLimited];
  if (expected.cmd === 'login' && !notDispatched.includes(res.code)) {
    return res.code === ErrorCode.UnsupportedProtocolVersion ? CloseCode.UnsupportedVersion : CloseCode.AuthFailed;
  }
  return null;
}

describe('gateway fuzz', () => {
  it('answers every random frame exactly once and stays healthy', async () => {
    let framesSent = 0;
    const slots: { in?: Slot; out?: Slot } = {};
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        for (const { loggedIn, frame } of run) {
          const key = loggedIn ? 'in' : 'out';
          let slot = slots[key];
          if (!slot || slot.closedBy !== null || slot.client.ws.readyState !== slot.client.ws.OPEN || slot.violations >= MAX_VIOLATIONS_PER_SLOT) {
            slot?.client.ws.terminate();
            slot = slots[key] = await openSlot(loggedIn);
          }
          const mustClose = await exercise(slot, frame);
          framesSent++;
          if (mustClose !== null) {
            const { code } = await slot.client.closed;
            expect(code).toBe(mustClose);
          } else {
            expect(slot.client.ws.readyState).toBe(slot.client.ws.OPEN);
          }
        }
      }),
      // ~40 commands share the runs. A fixed default seed keeps the coverage assertions below
      // deterministic; set FUZZ_SEED to explore other inputs (the failing seed is printed).
      { numRuns: 300, seed: Number(process.env['FUZZ_SEED'] ?? 20261127) },
    );
    for (const slot of Object.values(slots)) slot?.client.ws.terminate();
    expect(framesSent).toBeGreaterThan(200);
    // The random frames reached every layer: codec errors, login gate, auth, and the services.
    for (const key of ['error:90001', 'error:95002', 'msg.send:95002', 'msg.send:0', 'msg.send:95004', 'msg.list:0', 'conv.sync:0', 'login:95005', 'ping:0', 'profile.get:0', 'blacklist.get:0']) {
      expect(outcomes.get(key) ?? 0, `${key} in ${JSON.stringify([...outcomes].sort())}`).toBeGreaterThan(0);
    }
    expect([...outcomes.keys()].some((k) => /^[a-z.]+:[0-9]+$/.test(k) && /^(msg|conv)\./.test(k) && !/:(0|9500[1-5])$/.test(k))).toBe(true);

    // Late duplicates would show up now: every connection got exactly one reply per frame sent.
    await new Promise((r) => setTimeout(r, 100));
    for (const slot of allSlots) {
      expect(slot.client.frames.filter(isReply)).toHaveLength(slot.sent);
      for (const f of slot.client.frames) {
        expect(['res', 'error', 'push.message', 'push.read', 'push.revoke', 'push.conversation-deleted', 'push.profile', 'push.blacklist']).toContain(f.cmd);
      }
    }

    // The server is alive and serves new clients normally.
    const health = await fetch(`${srv.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const alice = await pool.login(srv, 'after-fuzz-alice');
    const bob = await pool.login(srv, 'after-fuzz-bob');
    const sent = await send(alice, textMessage('after-fuzz-bob', 'still standing'));
    expect(sent.message.seq).toBe(1);
    const push = (await bob.next((f) => f.cmd === 'push.message')) as ServerFrame & { data: WireMessage };
    expect(push.data).toEqual(sent.message);
    await barrier(bob);
    expect((await listAll(bob, 'C2Cafter-fuzz-alice')).map((m) => m.ID)).toEqual([sent.message.ID]);
    const raw = await connectRaw(srv.wsUrl);
    pool.track(raw);
    expect((await raw.request('ping')).code).toBe(0);
  });
});

/**
 * Unit tests for the v1 JSON codec (decodeClientFrame) and the identifier
 * rules it builds on. The expectations here are the wire contract described
 * in docs/protocol.md §3–§5 and §14; change both together.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, EncodedData, encodeFrame, encodePush, REQUEST_COMMANDS, type DecodeResult } from '../src/codec/json-codec.js';
import { ErrorCode } from '../src/error-codes.js';
import type { ClientFrame, RequestBodies, RequestCmd } from '../src/frames/client-frames.js';
import {
  c2cConversationID,
  isValidGroupID,
  isValidUserID,
  MAX_GROUP_ID_BYTES,
  MAX_MESSAGE_ID_LENGTH,
  MAX_USER_ID_BYTES,
  parseConversationID,
} from '../src/ids.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function decode(frame: unknown): DecodeResult {
  return decodeClientFrame(JSON.stringify(frame));
}

function expectOk(result: DecodeResult): ClientFrame {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.frame;
}

/** Asserts a rejection with `code`, and that `id` is present (a `res`) or absent (an `error` frame). */
function expectRejected(result: DecodeResult, code: number, id: number | undefined): Extract<DecodeResult, { ok: false }> {
  if (result.ok) throw new Error(`expected rejection ${code}, got ok: ${JSON.stringify(result.frame)}`);
  expect(result.code, result.message).toBe(code);
  expect(typeof result.message).toBe('string');
  expect(result.message.length).toBeGreaterThan(0);
  if (id === undefined) expect('id' in result && result.id !== undefined, 'rejection must carry no id').toBe(false);
  else expect(result.id).toBe(id);
  return result;
}

const ID = 42;

const validMessage = {
  ID: 'alice-1700000000-12345',
  conversationType: 'C2C',
  to: 'bob',
  type: 'TIMTextElem',
  payload: { text: 'hello' },
  clientTime: 1_700_000_000,
  random: 12345,
  cloudCustomData: '{"k":1}',
  priority: 'High',
  nick: 'Alice',
  avatar: 'https://example.com/a.png',
} satisfies RequestBodies['msg.send']['message'];

/**
 * One valid body per command, with every optional field set, so each field
 * can be removed or broken in turn. Typed against RequestBodies: a new
 * command fails to compile here until it gets a sample.
 */
const VALID_BODIES: { [K in RequestCmd]: RequestBodies[K] } = {
  login: {
    sdkAppID: 1_400_000_001,
    userID: 'alice',
    userSig: 'eJwtjMsKgzAQRf9l',
    protocolVersion: 1,
    platform: 'web',
    instanceID: 'k3j9x2',
    resume: false,
  },
  logout: {},
  ping: {},
  'msg.send': { message: validMessage, onlineUserOnly: false },
  'msg.list': { conversationID: 'C2Cbob', beforeSeq: 10, count: 15 },
  'msg.pull': { conversationID: 'C2Cbob', afterSeq: 0, limit: 100 },
  'msg.read': { conversationID: 'C2Cbob', upToSeq: 3 },
  'msg.revoke': { conversationID: 'C2Cbob', messageID: 'alice-1700000000-12345' },
  'conv.sync': {},
  'conv.get': { conversationID: 'C2Cbob' },
  'conv.delete': { conversationIDList: ['C2Cbob', 'C2Ccarol'], clearHistoryMessage: true },
  'profile.get': { userIDList: ['alice', 'bob'] },
  'profile.update': { profile: { nick: 'Alice', birthday: 20000101, profileCustomField: [{ key: 'Tag_Profile_Custom_hobby', value: 'chess' }] } },
  'blacklist.get': {},
  'blacklist.add': { userIDList: ['bob', 'carol'] },
  'blacklist.remove': { userIDList: ['bob'] },
  'file.slot': { fileType: 1, fileName: 'cat.png', fileSize: 1024, contentType: 'image/png' },
  'file.info': { uuid: 'a1B2-c3_d4' },
  'group.create': {
    type: 'Public',
    name: 'Chess club',
    groupID: 'chess',
    introduction: 'We play chess',
    notification: 'Friday 8pm',
    avatar: 'https://example.com/g.png',
    maxMemberNum: 200,
    joinOption: 'NeedPermission',
    memberList: [{ userID: 'bob', role: 'Admin', memberCustomField: [{ key: 'seat', value: '1' }] }],
    groupCustomField: [{ key: 'city', value: 'Shenzhen' }],
    isSupportTopic: false,
  },
  'group.list': {},
  'group.get': { groupID: 'chess' },
  'group.search': { groupID: 'chess' },
  'group.update': {
    groupID: 'chess',
    name: 'Chess club 2',
    avatar: 'https://example.com/g2.png',
    introduction: 'intro',
    notification: 'note',
    maxMemberNum: 100,
    joinOption: 'FreeAccess',
    muteAllMembers: true,
    groupCustomField: [{ key: 'city', value: 'Beijing' }],
  },
  'group.dismiss': { groupID: 'chess' },
  'group.join': { groupID: 'chess', applyMessage: 'let me in' },
  'group.join-anonymous': { sdkAppID: 1_400_000_001, groupID: 'live' },
  'group.quit': { groupID: 'chess' },
  'group.change-owner': { groupID: 'chess', newOwnerID: 'bob' },
  'group.applications': {},
  'group.handle-application': { groupID: 'chess', applicant: 'carol', handleAction: 'Agree', handleMessage: 'welcome' },
  'conv.set-remind': { conversationIDList: ['GROUPchess', 'C2Cbob'], messageRemindType: 'AcceptNotNotify' },
  'group.members': { groupID: 'chess', count: 15, offset: 0, role: 'Member' },
  'group.member-profiles': { groupID: 'chess', userIDList: ['bob', 'carol'] },
  'group.add-members': { groupID: 'chess', userIDList: ['dave'], reason: 'friend' },
  'group.delete-members': { groupID: 'chess', userIDList: ['dave'], reason: 'spam' },
  'group.mute-member': { groupID: 'chess', userID: 'dave', muteTime: 600 },
  'group.set-role': { groupID: 'chess', userID: 'bob', role: 'Admin' },
  'group.set-name-card': { groupID: 'chess', userID: 'bob', nameCard: 'Bobby' },
  'group.set-member-custom': { groupID: 'chess', userID: 'bob', memberCustomField: [{ key: 'seat', value: '2' }] },
  'group.online-count': { groupID: 'chess' },
};

/** Required keys per command (the rest of VALID_BODIES' keys are optional). */
const REQUIRED: { [K in RequestCmd]: ReadonlyArray<keyof RequestBodies[K]> } = {
  login: ['sdkAppID', 'userID', 'userSig', 'protocolVersion', 'platform', 'instanceID'],
  logout: [],
  ping: [],
  'msg.send': ['message'],
  'msg.list': ['conversationID'],
  'msg.pull': ['conversationID', 'afterSeq'],
  'msg.read': ['conversationID'],
  'msg.revoke': ['conversationID', 'messageID'],
  'conv.sync': [],
  'conv.get': ['conversationID'],
  'conv.delete': ['conversationIDList', 'clearHistoryMessage'],
  'profile.get': ['userIDList'],
  'profile.update': ['profile'],
  'blacklist.get': [],
  'blacklist.add': ['userIDList'],
  'blacklist.remove': ['userIDList'],
  'file.slot': ['fileType', 'fileName', 'fileSize'],
  'file.info': ['uuid'],
  'group.create': ['type', 'name'],
  'group.list': [],
  'group.get': ['groupID'],
  'group.search': ['groupID'],
  'group.update': ['groupID'],
  'group.dismiss': ['groupID'],
  'group.join': ['groupID'],
  'group.join-anonymous': ['sdkAppID', 'groupID'],
  'group.quit': ['groupID'],
  'group.change-owner': ['groupID', 'newOwnerID'],
  'group.applications': [],
  'group.handle-application': ['groupID', 'applicant', 'handleAction'],
  'conv.set-remind': ['conversationIDList', 'messageRemindType'],
  'group.members': ['groupID'],
  'group.member-profiles': ['groupID', 'userIDList'],
  'group.add-members': ['groupID', 'userIDList'],
  'group.delete-members': ['groupID', 'userIDList'],
  'group.mute-member': ['groupID', 'userID', 'muteTime'],
  'group.set-role': ['groupID', 'userID', 'role'],
  'group.set-name-card': ['groupID', 'userID', 'nameCard'],
  'group.set-member-custom': ['groupID', 'userID', 'memberCustomField'],
  'group.online-count': ['groupID'],
};

const REQUIRED_MESSAGE_FIELDS = ['ID', 'conversationType', 'to', 'type', 'payload', 'clientTime', 'random'] as const;

/** A value of a different JSON type than `value` (so the field must be rejected). */
function wrongTyped(value: unknown): Json {
  if (typeof value === 'string') return 123;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (Array.isArray(value)) return { 0: 'C2Cbob' };
  return 'not-an-object';
}

function bodyOf(cmd: RequestCmd): JsonObject {
  return structuredClone(VALID_BODIES[cmd]) as JsonObject;
}

function without(obj: JsonObject, key: string): JsonObject {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

function sendFrame(message: JsonObject, extra: JsonObject = {}): unknown {
  return { cmd: 'msg.send', id: ID, body: { message, ...extra } };
}

function withMessage(patch: JsonObject): JsonObject {
  return { ...(structuredClone(validMessage) as JsonObject), ...patch };
}

// ---------------------------------------------------------------------------
// Per-command body validation
// ---------------------------------------------------------------------------

describe('decodeClientFrame: command table', () => {
  it('knows exactly the documented v1 commands', () => {
    expect([...REQUEST_COMMANDS].sort()).toEqual(
      [
        'conv.delete',
        'conv.get',
        'conv.sync',
        'login',
        'logout',
        'msg.list',
        'msg.pull',
        'msg.read',
        'msg.revoke',
        'msg.send',
        'ping',
        'profile.get',
        'profile.update',
        'blacklist.get',
        'blacklist.add',
        'blacklist.remove',
        'file.slot',
        'file.info',
        'group.create',
        'group.list',
        'group.get',
        'group.search',
        'group.update',
        'group.dismiss',
        'group.join',
        'group.join-anonymous',
        'group.quit',
        'group.change-owner',
        'group.applications',
        'group.handle-application',
        'conv.set-remind',
        'group.members',
        'group.member-profiles',
        'group.add-members',
        'group.delete-members',
        'group.mute-member',
        'group.set-role',
        'group.set-name-card',
        'group.set-member-custom',
        'group.online-count',
      ].sort(),
    );
    expect(Object.keys(VALID_BODIES).sort()).toEqual([...REQUEST_COMMANDS].sort());
  });
});

describe.each(REQUEST_COMMANDS.map((cmd) => [cmd] as const))('decodeClientFrame: %s', (cmd) => {
  const body = bodyOf(cmd);
  const required = REQUIRED[cmd] as readonly string[];
  const optional = Object.keys(body).filter((key) => !required.includes(key));

  it('accepts a valid body with every optional field, unchanged', () => {
    const frame = expectOk(decode({ cmd, id: ID, body }));
    expect(frame).toEqual({ cmd, id: ID, body });
  });

  it('accepts the body with only its required fields', () => {
    const minimal = optional.reduce(without, body);
    expect(expectOk(decode({ cmd, id: ID, body: minimal }))).toEqual({ cmd, id: ID, body: minimal });
  });

  it.each(required.map((key) => [key]))('rejects a missing "%s" with 95002 and the id', (key) => {
    const result = expectRejected(decode({ cmd, id: ID, body: without(body, key) }), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain(`body.${key} is required`);
  });

  it.each(Object.keys(body).map((key) => [key]))('rejects a wrong-typed "%s" with 95002 and the id', (key) => {
    const broken = { ...body, [key]: wrongTyped(body[key]) };
    const result = expectRejected(decode({ cmd, id: ID, body: broken }), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain(`body.${key}`);
  });

  it.each(Object.keys(body).map((key) => [key]))('rejects null for "%s" (null is not "absent")', (key) => {
    expectRejected(decode({ cmd, id: ID, body: { ...body, [key]: null } }), ErrorCode.InvalidFrame, ID);
  });

  it('rejects an unknown body field with 95002 and the id', () => {
    const result = expectRejected(decode({ cmd, id: ID, body: { ...body, bogus: 1 } }), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain('body.bogus is not a known field');
  });

  it('rejects a body that is not a plain object', () => {
    for (const bad of [null, [], 'body', 7, true]) {
      expectRejected(decode({ cmd, id: ID, body: bad }), ErrorCode.InvalidFrame, ID);
    }
  });

  it('rejects an extra top-level field with 95002 and the id', () => {
    const result = expectRejected(decode({ cmd, id: ID, body, extra: true }), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain('frame.extra is not a known field');
  });

  if (required.length === 0) {
    it('treats an omitted body as {}', () => {
      expect(expectOk(decode({ cmd, id: ID }))).toEqual({ cmd, id: ID, body: {} });
    });
  } else {
    it('rejects an omitted body (its required fields are missing)', () => {
      expectRejected(decode({ cmd, id: ID }), ErrorCode.InvalidFrame, ID);
    });
  }
});

describe('decodeClientFrame: msg.send message fields', () => {
  it.each(REQUIRED_MESSAGE_FIELDS.map((key) => [key]))('rejects a missing message.%s', (key) => {
    const message = without(structuredClone(validMessage) as JsonObject, key);
    const result = expectRejected(decode(sendFrame(message)), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain(`body.message.${key} is required`);
  });

  it.each(Object.keys(validMessage).map((key) => [key]))('rejects a wrong-typed message.%s', (key) => {
    const current = (validMessage as Record<string, unknown>)[key];
    const result = expectRejected(decode(sendFrame(withMessage({ [key]: wrongTyped(current) }))), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain(`body.message.${key}`);
  });

  it('rejects an unknown message field', () => {
    const result = expectRejected(decode(sendFrame(withMessage({ sequence: 1 }))), ErrorCode.InvalidFrame, ID);
    expect(result.message).toContain('body.message.sequence is not a known field');
  });

  it('rejects server-assigned fields sent by the client', () => {
    for (const key of ['from', 'seq', 'time', 'isRevoked', 'onlineOnly']) {
      expectRejected(decode(sendFrame(withMessage({ [key]: key === 'from' ? 'mallory' : 1 }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('bounds message.ID: 1–128 characters of 0x21–0x7e', () => {
    expectOk(decode(sendFrame(withMessage({ ID: 'x' }))));
    expectOk(decode(sendFrame(withMessage({ ID: 'x'.repeat(MAX_MESSAGE_ID_LENGTH) }))));
    expectOk(decode(sendFrame(withMessage({ ID: '!~#-_' }))));
    for (const bad of ['', 'x'.repeat(MAX_MESSAGE_ID_LENGTH + 1), 'has space', 'tab\t', 'ünïcode', '消息']) {
      expectRejected(decode(sendFrame(withMessage({ ID: bad }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('accepts C2C and GROUP conversation types only', () => {
    expectOk(decode(sendFrame(withMessage({ conversationType: 'GROUP', to: '@TGS#1' }))));
    for (const bad of ['c2c', 'SYSTEM', '@TIM#SYSTEM', '']) {
      expectRejected(decode(sendFrame(withMessage({ conversationType: bad }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('bounds message.to: 1–48 printable ASCII characters', () => {
    expectOk(decode(sendFrame(withMessage({ to: 'x'.repeat(48) }))));
    for (const bad of ['', 'x'.repeat(49), 'bøb', 'new\nline']) {
      expectRejected(decode(sendFrame(withMessage({ to: bad }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('requires message.type to look like TIM*Elem', () => {
    for (const ok of ['TIMTextElem', 'TIMCustomElem', 'TIMImageElem', 'TIMSomethingNewElem']) {
      expectOk(decode(sendFrame(withMessage({ type: ok }))));
    }
    for (const bad of ['', 'TextElem', 'TIMElem', 'TIMText', 'TIMText1Elem', 'timtextelem', `TIM${'A'.repeat(58)}Elem`]) {
      expectRejected(decode(sendFrame(withMessage({ type: bad }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('requires message.payload to be a plain object', () => {
    expectOk(decode(sendFrame(withMessage({ payload: {} }))));
    for (const bad of [[], null, 'text', 1]) {
      expectRejected(decode(sendFrame(withMessage({ payload: bad }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('bounds message.random to 0 … 2^32−1 and clientTime to ≥ 0 integers', () => {
    expectOk(decode(sendFrame(withMessage({ random: 0 }))));
    expectOk(decode(sendFrame(withMessage({ random: 0xffffffff }))));
    expectOk(decode(sendFrame(withMessage({ clientTime: 0 }))));
    for (const random of [-1, 0x1_0000_0000, 1.5]) {
      expectRejected(decode(sendFrame(withMessage({ random }))), ErrorCode.InvalidFrame, ID);
    }
    for (const clientTime of [-1, 1.5, 1e300]) {
      expectRejected(decode(sendFrame(withMessage({ clientTime }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('accepts only the four TIM priorities', () => {
    for (const priority of ['High', 'Normal', 'Low', 'Lowest']) expectOk(decode(sendFrame(withMessage({ priority }))));
    for (const priority of ['high', 'Urgent', '']) {
      expectRejected(decode(sendFrame(withMessage({ priority }))), ErrorCode.InvalidFrame, ID);
    }
  });

  it('bounds nick (500) and avatar (2048)', () => {
    expectOk(decode(sendFrame(withMessage({ nick: 'n'.repeat(500), avatar: 'a'.repeat(2048) }))));
    expectRejected(decode(sendFrame(withMessage({ nick: 'n'.repeat(501) }))), ErrorCode.InvalidFrame, ID);
    expectRejected(decode(sendFrame(withMessage({ avatar: 'a'.repeat(2049) }))), ErrorCode.InvalidFrame, ID);
  });
});

describe('decodeClientFrame: numeric and list bounds', () => {
  it('login: sdkAppID ≥ 1, protocolVersion ≥ 0 (the version range is the server’s call)', () => {
    const login = bodyOf('login');
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, sdkAppID: 0 } }), ErrorCode.InvalidFrame, 1);
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, sdkAppID: 1.5 } }), ErrorCode.InvalidFrame, 1);
    expectOk(decode({ cmd: 'login', id: 1, body: { ...login, protocolVersion: 0 } }));
    expectOk(decode({ cmd: 'login', id: 1, body: { ...login, protocolVersion: 99 } }));
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, protocolVersion: -1 } }), ErrorCode.InvalidFrame, 1);
  });

  it('login: userID must be a valid userID (33 characters, non-ASCII and empty are rejected)', () => {
    const login = bodyOf('login');
    expectOk(decode({ cmd: 'login', id: 1, body: { ...login, userID: 'u'.repeat(32) } }));
    for (const userID of ['', 'u'.repeat(33), 'ümlaut', '用户', 'tab\t']) {
      const result = expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, userID } }), ErrorCode.InvalidFrame, 1);
      expect(result.message).toContain('body.userID');
    }
  });

  it('login: userSig up to 8192 characters (empty passes the codec; the server answers 70002)', () => {
    const login = bodyOf('login');
    expectOk(decode({ cmd: 'login', id: 1, body: { ...login, userSig: '' } }));
    expectOk(decode({ cmd: 'login', id: 1, body: { ...login, userSig: 's'.repeat(8192) } }));
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, userSig: 's'.repeat(8193) } }), ErrorCode.InvalidFrame, 1);
  });

  it('login: platform is web, node or other; instanceID is 1–64 characters', () => {
    const login = bodyOf('login');
    for (const platform of ['web', 'node', 'other']) expectOk(decode({ cmd: 'login', id: 1, body: { ...login, platform } }));
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, platform: 'ios' } }), ErrorCode.InvalidFrame, 1);
    expectOk(decode({ cmd: 'login', id: 1, body: { ...login, instanceID: 'i'.repeat(64) } }));
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, instanceID: '' } }), ErrorCode.InvalidFrame, 1);
    expectRejected(decode({ cmd: 'login', id: 1, body: { ...login, instanceID: 'i'.repeat(65) } }), ErrorCode.InvalidFrame, 1);
  });

  it('msg.list: beforeSeq ≥ 1, count 1–100 (the server clamps to its page size)', () => {
    const ok = (body: JsonObject) => expectOk(decode({ cmd: 'msg.list', id: 1, body: { conversationID: 'C2Cbob', ...body } }));
    const bad = (body: JsonObject) => expectRejected(decode({ cmd: 'msg.list', id: 1, body: { conversationID: 'C2Cbob', ...body } }), ErrorCode.InvalidFrame, 1);
    ok({ beforeSeq: 1, count: 1 });
    ok({ count: 100 });
    bad({ beforeSeq: 0 });
    bad({ count: 0 });
    bad({ count: 101 });
    bad({ count: 2.5 });
  });

  it('msg.pull: afterSeq ≥ 0, limit 1–100', () => {
    const frame = (body: JsonObject) => ({ cmd: 'msg.pull', id: 1, body: { conversationID: 'C2Cbob', ...body } });
    expectOk(decode(frame({ afterSeq: 0, limit: 1 })));
    expectOk(decode(frame({ afterSeq: Number.MAX_SAFE_INTEGER, limit: 100 })));
    expectRejected(decode(frame({ afterSeq: -1 })), ErrorCode.InvalidFrame, 1);
    expectRejected(decode(frame({ afterSeq: 0, limit: 0 })), ErrorCode.InvalidFrame, 1);
    expectRejected(decode(frame({ afterSeq: 0, limit: 101 })), ErrorCode.InvalidFrame, 1);
  });

  it('msg.read: upToSeq may be 0 but not negative or fractional', () => {
    expectOk(decode({ cmd: 'msg.read', id: 1, body: { conversationID: 'C2Cbob', upToSeq: 0 } }));
    expectRejected(decode({ cmd: 'msg.read', id: 1, body: { conversationID: 'C2Cbob', upToSeq: -1 } }), ErrorCode.InvalidFrame, 1);
    expectRejected(decode({ cmd: 'msg.read', id: 1, body: { conversationID: 'C2Cbob', upToSeq: 0.5 } }), ErrorCode.InvalidFrame, 1);
  });

  it('msg.revoke: messageID is 1–128 characters', () => {
    const frame = (messageID: string) => ({ cmd: 'msg.revoke', id: 1, body: { conversationID: 'C2Cbob', messageID } });
    expectOk(decode(frame('m'.repeat(MAX_MESSAGE_ID_LENGTH))));
    expectRejected(decode(frame('')), ErrorCode.InvalidFrame, 1);
    expectRejected(decode(frame('m'.repeat(MAX_MESSAGE_ID_LENGTH + 1))), ErrorCode.InvalidFrame, 1);
  });

  it('conv.delete: 1–100 valid conversationIDs', () => {
    const frame = (conversationIDList: Json[]) => ({ cmd: 'conv.delete', id: 1, body: { conversationIDList, clearHistoryMessage: false } });
    expectOk(decode(frame(Array.from({ length: 100 }, (_, i) => `C2Cu${i}`))));
    expectOk(decode(frame(['GROUP@TGS#1', '@TIM#SYSTEM'])));
    expectRejected(decode(frame([])), ErrorCode.InvalidFrame, 1);
    expectRejected(decode(frame(Array.from({ length: 101 }, (_, i) => `C2Cu${i}`))), ErrorCode.InvalidFrame, 1);
    const result = expectRejected(decode(frame(['C2Cbob', 'C2C'])), ErrorCode.InvalidFrame, 1);
    expect(result.message).toContain('body.conversationIDList[1]');
    expectRejected(decode(frame(['C2Cbob', 7])), ErrorCode.InvalidFrame, 1);
  });

  it('profile.get: 1–100 valid userIDs', () => {
    const frame = (userIDList: Json[]) => ({ cmd: 'profile.get', id: 1, body: { userIDList } });
    expectOk(decode(frame(Array.from({ length: 100 }, (_, i) => `u${i}`))));
    expectOk(decode(frame(['alice', 'alice'])));
    expectRejected(decode(frame([])), ErrorCode.InvalidFrame, 1);
    expectRejected(decode(frame(Array.from({ length: 101 }, (_, i) => `u${i}`))), ErrorCode.InvalidFrame, 1);
    for (const bad of ['', 'u'.repeat(33), 'ümlaut', 7, null]) {
      const result = expectRejected(decode(frame(['alice', bad])), ErrorCode.InvalidFrame, 1);
      expect(result.message).toContain('body.userIDList[1]');
    }
  });

  it('profile.update: the codec only requires an object; field rules are the server’s (40xxx)', () => {
    const frame = (profile: Json) => ({ cmd: 'profile.update', id: 1, body: { profile } });
    // Unknown keys, wrong types and empty objects pass the codec: the profile service answers them with Tencent codes.
    const passing: JsonObject[] = [{}, { bogus: 1 }, { nick: 7 }, { profileCustomField: 'x' }, { gender: 'nope' }];
    for (const profile of passing) expectOk(decode(frame(profile)));
    for (const bad of [[], null, 'nick', 1, true]) expectRejected(decode(frame(bad)), ErrorCode.InvalidFrame, 1);
  });

  it('blacklist.add / blacklist.remove: 1–10000 valid userIDs (the per-call limit is server config)', () => {
    for (const cmd of ['blacklist.add', 'blacklist.remove'] as const) {
      const frame = (userIDList: Json[]) => ({ cmd, id: 1, body: { userIDList } });
      expectOk(decode(frame(['bob'])));
      expectOk(decode(frame(Array.from({ length: 10_000 }, (_, i) => `u${i}`))));
      expectRejected(decode(frame([])), ErrorCode.InvalidFrame, 1);
      expectRejected(decode(frame(Array.from({ length: 10_001 }, (_, i) => `u${i}`))), ErrorCode.InvalidFrame, 1);
      const result = expectRejected(decode(frame(['bob', 'u'.repeat(33)])), ErrorCode.InvalidFrame, 1);
      expect(result.message).toContain('body.userIDList[1]');
    }
  });

  it('every conversationID field rejects malformed IDs', () => {
    for (const cmd of ['msg.list', 'msg.read', 'conv.get'] as const) {
      for (const conversationID of ['C2C', 'GROUP', 'bob', 'c2cbob', `C2C${'u'.repeat(33)}`, '@TIM#SYSTEM ', '']) {
        const result = expectRejected(decode({ cmd, id: 5, body: { conversationID } }), ErrorCode.InvalidFrame, 5);
        expect(result.message).toContain('body.conversationID');
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------

describe('decodeClientFrame: envelope', () => {
  it('answers invalid JSON with 90001 and no id', () => {
    for (const raw of ['', 'not json', '{', '{"cmd":"ping","id":1', "{'cmd':'ping'}", '{"cmd":"ping","id":1,}', 'undefined', 'NaN']) {
      expectRejected(decodeClientFrame(raw), ErrorCode.JsonParseFailed, undefined);
    }
  });

  it('answers JSON that is not an object with 95002 and no id', () => {
    for (const value of [null, 1, 'ping', true, [], [{ cmd: 'ping', id: 1 }]]) {
      expectRejected(decode(value), ErrorCode.InvalidFrame, undefined);
    }
  });

  it('answers a missing, non-positive or non-integer id with 95002 and no id', () => {
    for (const id of [0, -1, -0.5, 1.5, Number.MAX_SAFE_INTEGER + 1, 1e21, '1', null, true, [1], { n: 1 }]) {
      expectRejected(decode({ cmd: 'ping', id, body: {} }), ErrorCode.InvalidFrame, undefined);
    }
    expectRejected(decode({ cmd: 'ping', body: {} }), ErrorCode.InvalidFrame, undefined);
  });

  it('accepts ids from 1 to Number.MAX_SAFE_INTEGER', () => {
    expect(expectOk(decode({ cmd: 'ping', id: 1 })).id).toBe(1);
    expect(expectOk(decode({ cmd: 'ping', id: Number.MAX_SAFE_INTEGER })).id).toBe(Number.MAX_SAFE_INTEGER);
    // 1.0 is the integer 1 in JSON.
    expect(expectOk(decodeClientFrame('{"cmd":"ping","id":1.0}')).id).toBe(1);
  });

  it('checks the id before the command, so an unknown command with a bad id has no id', () => {
    expectRejected(decode({ cmd: 'nope', id: 0 }), ErrorCode.InvalidFrame, undefined);
  });

  it('answers an unknown cmd with 95001 and the id', () => {
    for (const cmd of ['nope', 'res', 'error', 'push.message', 'PING', 'msg.send ', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expectRejected(decode({ cmd, id: 9, body: {} }), ErrorCode.UnknownCommand, 9);
    }
  });

  it('truncates a long unknown cmd in the message', () => {
    const result = expectRejected(decode({ cmd: 'x'.repeat(10_000), id: 9 }), ErrorCode.UnknownCommand, 9);
    expect(result.message.length).toBeLessThan(200);
  });

  it('answers a missing or non-string cmd with 95002 and the id', () => {
    for (const cmd of [undefined, 1, null, ['ping'], { name: 'ping' }]) {
      expectRejected(decode({ cmd, id: 3, body: {} }), ErrorCode.InvalidFrame, 3);
    }
  });

  it('rejects __proto__ smuggled into a body as an unknown field', () => {
    expectRejected(decodeClientFrame('{"cmd":"ping","id":1,"body":{"__proto__":{"x":1}}}'), ErrorCode.InvalidFrame, 1);
    expectRejected(decodeClientFrame('{"cmd":"ping","id":1,"__proto__":{}}'), ErrorCode.InvalidFrame, 1);
  });

  it('round-trips through encodeFrame', () => {
    for (const cmd of REQUEST_COMMANDS) {
      const frame = { cmd, id: ID, body: VALID_BODIES[cmd] } as ClientFrame;
      expect(expectOk(decodeClientFrame(encodeFrame(frame)))).toEqual(frame);
    }
  });
});

// ---------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------

describe('isValidUserID', () => {
  it('accepts 1–32 printable ASCII characters', () => {
    for (const id of ['a', 'u'.repeat(MAX_USER_ID_BYTES), 'alice_01-x', 'a b', '~!@#$%^&*()', 'C2C', 'GROUP1', '@TIM#SYSTEM']) {
      expect(isValidUserID(id), JSON.stringify(id)).toBe(true);
    }
  });

  it('rejects empty, 33-character, non-ASCII, control and non-string values', () => {
    for (const id of ['', 'u'.repeat(MAX_USER_ID_BYTES + 1), 'ü', 'é'.repeat(16), '用户', '😀', 'a\nb', '\t', '\x7f', '\x00']) {
      expect(isValidUserID(id), JSON.stringify(id)).toBe(false);
    }
    for (const value of [undefined, null, 1, true, ['alice'], { userID: 'alice' }]) {
      expect(isValidUserID(value)).toBe(false);
    }
  });
});

describe('isValidGroupID', () => {
  it('accepts 1–48 printable ASCII characters and rejects the rest', () => {
    expect(isValidGroupID('@TGS#2ABCDEF')).toBe(true);
    expect(isValidGroupID('g'.repeat(MAX_GROUP_ID_BYTES))).toBe(true);
    expect(isValidGroupID('g'.repeat(MAX_GROUP_ID_BYTES + 1))).toBe(false);
    expect(isValidGroupID('')).toBe(false);
    expect(isValidGroupID('grüppe')).toBe(false);
    expect(isValidGroupID(7)).toBe(false);
  });
});

describe('parseConversationID', () => {
  it('parses C2C, GROUP and the system conversation', () => {
    expect(parseConversationID('C2Calice')).toEqual({ type: 'C2C', peer: 'alice' });
    expect(parseConversationID('GROUP@TGS#1')).toEqual({ type: 'GROUP', peer: '@TGS#1' });
    expect(parseConversationID('@TIM#SYSTEM')).toEqual({ type: 'SYSTEM', peer: '' });
  });

  it('rejects a bare prefix', () => {
    expect(parseConversationID('C2C')).toBeNull();
    expect(parseConversationID('GROUP')).toBeNull();
  });

  it('applies the userID rules to C2C peers (32 ok, 33 not, ASCII only)', () => {
    expect(parseConversationID(`C2C${'u'.repeat(32)}`)).toEqual({ type: 'C2C', peer: 'u'.repeat(32) });
    expect(parseConversationID(`C2C${'u'.repeat(33)}`)).toBeNull();
    expect(parseConversationID('C2Cüser')).toBeNull();
    expect(parseConversationID('C2C用户')).toBeNull();
    expect(parseConversationID('C2Ca\nb')).toBeNull();
  });

  it('applies the groupID rules to GROUP peers (48 ok, 49 not)', () => {
    expect(parseConversationID(`GROUP${'g'.repeat(48)}`)).toEqual({ type: 'GROUP', peer: 'g'.repeat(48) });
    expect(parseConversationID(`GROUP${'g'.repeat(49)}`)).toBeNull();
    expect(parseConversationID('GROUPgrüppe')).toBeNull();
  });

  it('matches prefixes and the system ID exactly and case-sensitively', () => {
    for (const id of ['c2calice', 'c2cALICE', 'group1', 'Group1', '@tim#system', '@TIM#SYSTEM ', ' @TIM#SYSTEM', '@TIM#SYSTEMx', '@TIM#SYSTE', 'alice', '', ' C2Calice']) {
      expect(parseConversationID(id), JSON.stringify(id)).toBeNull();
    }
  });

  it('takes only the first prefix: the rest is the peer, whatever it looks like', () => {
    expect(parseConversationID('C2CGROUPx')).toEqual({ type: 'C2C', peer: 'GROUPx' });
    expect(parseConversationID('C2CC2C')).toEqual({ type: 'C2C', peer: 'C2C' });
    expect(parseConversationID('GROUPC2Cx')).toEqual({ type: 'GROUP', peer: 'C2Cx' });
    expect(parseConversationID('C2C@TIM#SYSTEM')).toEqual({ type: 'C2C', peer: '@TIM#SYSTEM' });
  });

  it('rejects non-strings', () => {
    for (const value of [undefined, null, 0, true, ['C2Calice'], { conversationID: 'C2Calice' }]) {
      expect(parseConversationID(value)).toBeNull();
    }
  });

  it('inverts c2cConversationID for every valid userID', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }), (userID) => {
        const parsed = parseConversationID(c2cConversationID(userID));
        if (isValidUserID(userID)) expect(parsed).toEqual({ type: 'C2C', peer: userID });
        else expect(parsed).toBeNull();
      }),
    );
  });
});

// ---------------------------------------------------------------------------
// Properties: the decoder is total
// ---------------------------------------------------------------------------

const KNOWN_CODES: ReadonlySet<number> = new Set([ErrorCode.JsonParseFailed, ErrorCode.UnknownCommand, ErrorCode.InvalidFrame]);

/** Checks the DecodeResult contract: never throws, ok frames are well-formed, rejections carry a known code. */
function assertWellFormed(raw: string): void {
  let result: DecodeResult;
  try {
    result = decodeClientFrame(raw);
  } catch (err) {
    throw new Error(`decodeClientFrame threw on ${JSON.stringify(raw).slice(0, 200)}: ${String(err)}`, { cause: err });
  }
  if (result.ok) {
    expect(REQUEST_COMMANDS).toContain(result.frame.cmd);
    expect(Number.isSafeInteger(result.frame.id) && result.frame.id > 0).toBe(true);
    expect(typeof result.frame.body === 'object' && result.frame.body !== null).toBe(true);
  } else {
    expect(KNOWN_CODES.has(result.code)).toBe(true);
    expect(typeof result.message).toBe('string');
    if (result.id !== undefined) expect(Number.isSafeInteger(result.id) && result.id > 0).toBe(true);
    if (result.code === ErrorCode.JsonParseFailed) expect(result.id).toBeUndefined();
  }
}

/** Frames shaped like requests (a known cmd, mostly-valid id, arbitrary body), to reach the body rules. */
const requestLike = fc.record(
  {
    cmd: fc.oneof(fc.constantFrom(...REQUEST_COMMANDS), fc.string()),
    id: fc.oneof(fc.integer({ min: -2, max: 1_000_000 }), fc.double(), fc.jsonValue()),
    body: fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('conversationID', 'afterSeq', 'message', 'userID', 'conversationIDList', 'userIDList', 'profile', 'limit', 'count', '__proto__', 'x'),
        fc.jsonValue(),
      ),
      fc.constantFrom(...REQUEST_COMMANDS).map((cmd) => VALID_BODIES[cmd] as Json),
    ),
  },
  { requiredKeys: [] },
);

describe('decodeClientFrame: properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), assertWellFormed), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), assertWellFormed), { numRuns: 500 });
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(fc.property(fc.json(), assertWellFormed), { numRuns: 500 });
  });

  it('never throws on request-shaped JSON', () => {
    fc.assert(
      fc.property(requestLike, (frame) => assertWellFormed(JSON.stringify(frame))),
      { numRuns: 1000 },
    );
  });

  it('never throws on deeply nested JSON', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assertWellFormed(deep);
    assertWellFormed(`{"cmd":"msg.send","id":1,"body":{"message":{"payload":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}}}`);
  });

  it('accepts every valid msg.send built from arbitrary valid fields, unchanged', () => {
    const message = fc.record(
      {
        ID: fc.string({ unit: fc.constantFrom(...'abcXYZ019-_#@!~'), minLength: 1, maxLength: MAX_MESSAGE_ID_LENGTH }),
        conversationType: fc.constantFrom('C2C' as const, 'GROUP' as const),
        to: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 48 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
        type: fc.constantFrom('TIMTextElem', 'TIMCustomElem', 'TIMFaceElem', 'TIMImageElem'),
        payload: fc.dictionary(fc.string(), fc.jsonValue()),
        clientTime: fc.nat(),
        random: fc.integer({ min: 0, max: 0xffffffff }),
        cloudCustomData: fc.string(),
        priority: fc.constantFrom('High' as const, 'Normal' as const, 'Low' as const, 'Lowest' as const),
        nick: fc.string({ maxLength: 500 }),
        avatar: fc.string({ maxLength: 2048 }),
      },
      { requiredKeys: ['ID', 'conversationType', 'to', 'type', 'payload', 'clientTime', 'random'] },
    );
    fc.assert(
      fc.property(message, fc.option(fc.boolean(), { nil: undefined }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (msg, onlineUserOnly, id) => {
        const body = onlineUserOnly === undefined ? { message: msg } : { message: msg, onlineUserOnly };
        // JSON drops -0 and undefined; compare against what actually went over the wire.
        const wire = JSON.parse(JSON.stringify({ cmd: 'msg.send', id, body })) as unknown;
        expect(expectOk(decodeClientFrame(JSON.stringify(wire)))).toEqual(wire);
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodePush', () => {
  it('gives the text encodeFrame gives for the same push', () => {
    fc.assert(
      fc.property(fc.constantFrom('push.message' as const, 'push.revoke' as const), fc.dictionary(fc.string(), fc.jsonValue()), (cmd, data) => {
        const json = new EncodedData(JSON.stringify(data));
        expect(encodePush(cmd, json as never)).toBe(encodeFrame({ cmd, data } as never));
      }),
      { numRuns: 200 },
    );
  });
});

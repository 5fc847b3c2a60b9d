/**
 * Profiles over the raw protocol: profile.get / profile.update with every
 * validation code, persistence, push.profile fan-out, nick/avatar stamped on
 * messages and conversations, and the send-path rules of adminForbidType and
 * messageSettings (messages hidden from a receiver who takes none).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type ServerFrame, type WireConversation, type WireMessage, type WireProfile } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import {
  ClientPool,
  barrier,
  conversation,
  errorCode,
  expectOk,
  listAll,
  pushes,
  send,
  syncConversations,
  textMessage,
  type ResFrame,
} from '../helpers.js';

const pool = new ClientPool();
let srv: TestServer;

const MAX_CUSTOM = 4;

beforeEach(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0, maxProfileCustomFields: MAX_CUSTOM } });
});
afterEach(async () => {
  pool.closeAll();
  await srv.close();
});

function defaults(userID: string): WireProfile {
  return {
    userID,
    nick: '',
    avatar: '',
    gender: '',
    selfSignature: '',
    allowType: 'AllowType_Type_AllowAny',
    birthday: 0,
    location: '',
    language: 0,
    messageSettings: 0,
    adminForbidType: 'AdminForbid_Type_None',
    level: 0,
    role: 0,
    lastUpdatedTime: 0,
    profileCustomField: [],
  };
}

async function getProfiles(client: RawClient, userIDList: string[]): Promise<WireProfile[]> {
  return expectOk<{ profiles: WireProfile[] }>(await client.request('profile.get', { userIDList })).profiles;
}

async function myProfile(client: RawClient, userID: string): Promise<WireProfile> {
  const [profile] = await getProfiles(client, [userID]);
  if (!profile) throw new Error(`no profile for ${userID}`);
  return profile;
}

function updateRaw(client: RawClient, profile: unknown): Promise<ResFrame> {
  return client.request('profile.update', { profile });
}

async function update(client: RawClient, profile: Record<string, unknown>): Promise<WireProfile> {
  return expectOk<{ profile: WireProfile }>(await updateRaw(client, profile)).profile;
}

function profilePushes(client: RawClient): WireProfile[] {
  return pushes<WireProfile>(client, 'push.profile');
}

function messagePushes(client: RawClient): WireMessage[] {
  return pushes<WireMessage>(client, 'push.message');
}

describe('profile.get', () => {
  it('gives a known user without a profile the defaults, omits unknown users, keeps request order without duplicates', async () => {
    const alice = await pool.login(srv, 'alice');
    await pool.login(srv, 'bob');
    await pool.login(srv, 'carol');
    // Sent a message, but never logged in: still unknown.
    await send(alice, textMessage('ghost', 'hello?'));

    const profiles = await getProfiles(alice, ['carol', 'ghost', 'alice', 'nobody', 'carol', 'bob', 'alice']);
    expect(profiles).toEqual([defaults('carol'), defaults('alice'), defaults('bob')]);
    expect(await getProfiles(alice, ['ghost', 'nobody'])).toEqual([]);
  });

  it('returns up to 100 profiles in one call', async () => {
    const alice = await pool.login(srv, 'alice');
    const ids = Array.from({ length: 99 }, (_, i) => `nobody-${i}`);
    expect(await getProfiles(alice, [...ids, 'alice'])).toEqual([defaults('alice')]);
    expect(errorCode(await alice.request('profile.get', { userIDList: [...ids, 'alice', 'bob'] }))).toBe(ErrorCode.InvalidFrame);
  });
});

describe('profile.update', () => {
  it('sets every standard field and custom fields, answers the whole profile, and profile.get agrees', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const before = Date.now();
    const all = {
      nick: 'Alice 🌸',
      avatar: 'https://example.com/alice.png',
      gender: 'Gender_Type_Female',
      selfSignature: 'hello',
      allowType: 'AllowType_Type_NeedConfirm',
      birthday: 20000101,
      location: 'Shenzhen',
      language: 2,
      messageSettings: 0,
      adminForbidType: 'AdminForbid_Type_None',
      level: 3,
      role: 4294967295,
      profileCustomField: [
        { key: 'Tag_Profile_Custom_hobby', value: 'chess' },
        { key: 'Tag_Profile_Custom_x_1', value: '' },
      ],
    };
    const profile = await update(alice, all);
    expect(profile).toEqual({ userID: 'alice', ...all, lastUpdatedTime: profile.lastUpdatedTime });
    expect(profile.lastUpdatedTime).toBeGreaterThanOrEqual(before);
    expect(profile.lastUpdatedTime).toBeLessThanOrEqual(Date.now());
    expect(await myProfile(bob, 'alice')).toEqual(profile);

    // Every value of each enumerated field is accepted.
    for (const gender of ['Gender_Type_Unknown', 'Gender_Type_Male']) expect((await update(alice, { gender })).gender).toBe(gender);
    for (const allowType of ['AllowType_Type_AllowAny', 'AllowType_Type_DenyAny']) expect((await update(alice, { allowType })).allowType).toBe(allowType);
  });

  it('changes only the given fields and merges custom fields by key ("" is stored)', async () => {
    const alice = await pool.login(srv, 'alice');
    await update(alice, { nick: 'A', level: 5, profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: '1' }, { key: 'Tag_Profile_Custom_b', value: '2' }] });
    const p = await update(alice, {
      avatar: 'x.png',
      profileCustomField: [
        { key: 'Tag_Profile_Custom_b', value: '' },
        { key: 'Tag_Profile_Custom_c', value: 'first' },
        { key: 'Tag_Profile_Custom_c', value: 'last wins' },
      ],
    });
    expect(p).toMatchObject({ nick: 'A', level: 5, avatar: 'x.png' });
    expect(p.profileCustomField).toEqual([
      { key: 'Tag_Profile_Custom_a', value: '1' },
      { key: 'Tag_Profile_Custom_b', value: '' },
      { key: 'Tag_Profile_Custom_c', value: 'last wins' },
    ]);
    // Strings up to 500 UTF-8 bytes are fine.
    const long = await update(alice, { nick: 'n'.repeat(500), selfSignature: '汉'.repeat(166), location: 'l'.repeat(500), avatar: 'a'.repeat(500) });
    expect(long.nick).toHaveLength(500);
  });

  const BAD: Array<{ what: string; profile: unknown; code: number }> = [
    { what: 'an empty update', profile: {}, code: ErrorCode.ProfileInvalidParameters },
    { what: 'only an empty custom list', profile: { profileCustomField: [] }, code: ErrorCode.ProfileInvalidParameters },
    { what: 'an unknown key', profile: { nick: 'ok', bogus: 1 }, code: ErrorCode.ProfileTagNotFound },
    { what: 'userID', profile: { userID: 'mallory' }, code: ErrorCode.ProfileTagNotFound },
    { what: 'lastUpdatedTime', profile: { lastUpdatedTime: 1 }, code: ErrorCode.ProfileTagNotFound },
    { what: 'a wire tag name', profile: { Tag_Profile_IM_Nick: 'x' }, code: ErrorCode.ProfileTagNotFound },
    { what: 'a custom key at top level', profile: { Tag_Profile_Custom_a: 'x' }, code: ErrorCode.ProfileTagNotFound },
    { what: 'a numeric nick', profile: { nick: 7 }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a null nick', profile: { nick: null }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a string birthday', profile: { birthday: '20000101' }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a boolean messageSettings', profile: { messageSettings: true }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a numeric gender', profile: { gender: 1 }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a nick of 501 bytes', profile: { nick: 'n'.repeat(501) }, code: ErrorCode.ProfileValueTooLong },
    { what: 'a selfSignature of 501 UTF-8 bytes', profile: { selfSignature: '汉'.repeat(167) }, code: ErrorCode.ProfileValueTooLong },
    { what: 'a long location', profile: { location: 'l'.repeat(501) }, code: ErrorCode.ProfileValueTooLong },
    { what: 'a long avatar', profile: { avatar: 'a'.repeat(501) }, code: ErrorCode.ProfileValueTooLong },
    { what: 'an unknown gender', profile: { gender: 'male' }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'an empty gender', profile: { gender: '' }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'an unknown allowType', profile: { allowType: 'AllowType_Type_Maybe' }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'an unknown adminForbidType', profile: { adminForbidType: 'AdminForbid_Type_All' }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'messageSettings 2', profile: { messageSettings: 2 }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'a negative level', profile: { level: -1 }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'a fractional birthday', profile: { birthday: 1.5 }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'a language beyond uint32', profile: { language: 2 ** 32 }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'a huge role', profile: { role: 1e300 }, code: ErrorCode.ProfileInvalidStandardValue },
    { what: 'custom fields as a string', profile: { profileCustomField: 'x' }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'custom fields as an object', profile: { profileCustomField: { key: 'Tag_Profile_Custom_a', value: 'x' } }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a custom entry that is not an object', profile: { profileCustomField: ['Tag_Profile_Custom_a'] }, code: ErrorCode.ProfileInvalidParameters },
    { what: 'a custom entry without value', profile: { profileCustomField: [{ key: 'Tag_Profile_Custom_a' }] }, code: ErrorCode.ProfileInvalidParameters },
    { what: 'a custom entry with an extra field', profile: { profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 'x', type: 1 }] }, code: ErrorCode.ProfileInvalidParameters },
    { what: 'a numeric custom key', profile: { profileCustomField: [{ key: 7, value: 'x' }] }, code: ErrorCode.ProfileInvalidParameters },
    { what: 'a custom key without the prefix', profile: { profileCustomField: [{ key: 'hobby', value: 'x' }] }, code: ErrorCode.ProfileTagNotFound },
    { what: 'a custom name of 9 characters', profile: { profileCustomField: [{ key: 'Tag_Profile_Custom_abcdefghi', value: 'x' }] }, code: ErrorCode.ProfileTagNotFound },
    { what: 'a custom name with a dash', profile: { profileCustomField: [{ key: 'Tag_Profile_Custom_a-b', value: 'x' }] }, code: ErrorCode.ProfileTagNotFound },
    { what: 'a numeric custom value', profile: { profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 1 }] }, code: ErrorCode.ProfileValueTypeMismatch },
    { what: 'a custom value of 501 bytes', profile: { profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 'v'.repeat(501) }] }, code: ErrorCode.ProfileValueTooLong },
    {
      what: 'more custom entries than the limit in one call',
      profile: { profileCustomField: Array.from({ length: MAX_CUSTOM + 1 }, (_, i) => ({ key: `Tag_Profile_Custom_k${i}`, value: 'v' })) },
      code: ErrorCode.ProfileInvalidParameters,
    },
    { what: 'a valid field next to an invalid one', profile: { nick: 'changed', avatar: 'changed.png', gender: 'nope' }, code: ErrorCode.ProfileInvalidStandardValue },
  ];

  it.each(BAD.map((c) => [c.what, c] as const))('refuses %s with its code and changes nothing', async (_what, { profile, code }) => {
    const alice = await pool.login(srv, 'alice');
    const other = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await send(bob, textMessage('alice', 'so bob has a conversation with alice'));
    const before = await update(alice, { nick: 'Alice', profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 'keep' }] });
    await barrier(other);
    await barrier(bob);
    const pushesBefore = [profilePushes(other).length, profilePushes(bob).length];

    const res = await updateRaw(alice, profile);
    expect(errorCode(res), JSON.stringify(res)).toBe(code);
    expect((res as { message?: string }).message).toBeTruthy();
    expect(await myProfile(alice, 'alice')).toEqual(before);
    await barrier(other);
    await barrier(bob);
    expect([profilePushes(other).length, profilePushes(bob).length]).toEqual(pushesBefore);
  });

  it('refuses an update that would store more custom fields than maxProfileCustomFields (40001), atomically', async () => {
    const alice = await pool.login(srv, 'alice');
    const field = (i: number, value = 'v') => ({ key: `Tag_Profile_Custom_k${i}`, value });
    const full = await update(alice, { profileCustomField: [field(1), field(2), field(3)] });
    const res = await updateRaw(alice, { nick: 'not applied', profileCustomField: [field(4), field(5)] });
    expect(errorCode(res)).toBe(ErrorCode.ProfileInvalidParameters);
    expect(await myProfile(alice, 'alice')).toEqual(full);
    // Overwriting existing keys does not grow the list; one more still fits.
    const p = await update(alice, { profileCustomField: [field(1, 'x'), field(2, 'y'), field(4)] });
    expect(p.profileCustomField).toEqual([field(1, 'x'), field(2, 'y'), field(3), field(4)]);
  });

  it('rejects a profile that is not an object at the codec (95002)', async () => {
    const alice = await pool.login(srv, 'alice');
    for (const profile of [null, [], 'nick', 7]) expect(errorCode(await updateRaw(alice, profile))).toBe(ErrorCode.InvalidFrame);
  });

  it('persists across a server restart', async () => {
    const alice = await pool.login(srv, 'alice');
    await pool.login(srv, 'bob');
    const profile = await update(alice, { nick: 'Alice', messageSettings: 1, profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 'x' }] });
    pool.closeAll();
    await srv.restart();
    const bob = await pool.login(srv, 'bob');
    expect(await getProfiles(bob, ['alice', 'bob'])).toEqual([profile, defaults('bob')]);
    // The restarted server applies the stored messageSettings on the send path.
    const sent = await send(bob, textMessage('alice', 'hidden'));
    const alice2 = await pool.login(srv, 'alice');
    expect(await listAll(alice2, 'C2Cbob')).toEqual([]);
    expect(sent.message.seq).toBe(1);
  });
});

describe('push.profile', () => {
  it('reaches the user’s other connections and everyone with a conversation with them, not the caller or strangers', async () => {
    const alice = await pool.login(srv, 'alice');
    const alice2 = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const bob2 = await pool.login(srv, 'bob');
    const carol = await pool.login(srv, 'carol');
    const dave = await pool.login(srv, 'dave');
    await send(bob, textMessage('alice', 'hi alice')); // bob ↔ alice
    await send(alice, textMessage('dave', 'hi dave')); // alice ↔ dave
    // dave deletes the conversation: still a row, still interested in alice's profile.
    expectOk(await dave.request('conv.delete', { conversationIDList: ['C2Calice'], clearHistoryMessage: false }));

    const profile = await update(alice, { nick: 'Alice', avatar: 'a.png' });
    for (const client of [alice2, bob, bob2, dave]) {
      const frame = (await client.next((f) => f.cmd === 'push.profile')) as ServerFrame & { data: WireProfile };
      expect(frame.data).toEqual(profile);
    }
    await Promise.all([alice, carol].map(barrier));
    expect(profilePushes(alice)).toEqual([]);
    expect(profilePushes(carol)).toEqual([]);
  });

  it('is not sent for a user’s own self-conversation twice', async () => {
    const alice = await pool.login(srv, 'alice');
    const alice2 = await pool.login(srv, 'alice');
    await send(alice, textMessage('alice', 'note to self'));
    await update(alice, { nick: 'Alice' });
    await alice2.next((f) => f.cmd === 'push.profile');
    await barrier(alice2);
    await barrier(alice);
    expect(profilePushes(alice2)).toHaveLength(1);
    expect(profilePushes(alice)).toHaveLength(0);
  });
});

describe('nick and avatar on messages and conversations', () => {
  it('stamps the sender’s current profile on new messages (ignoring the client’s), and conv.sync shows peerProfile', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const first = await send(alice, textMessage('bob', 'before', { nick: 'Fake', avatar: 'fake.png' }));
    expect(first.message).toMatchObject({ nick: '', avatar: '' });

    await update(alice, { nick: 'Alice', avatar: 'a.png' });
    const second = await send(alice, textMessage('bob', 'after', { nick: 'Fake', avatar: 'fake.png' }));
    expect(second.message).toMatchObject({ nick: 'Alice', avatar: 'a.png' });
    const pushed = messagePushes(bob);
    await bob.next((f) => f.cmd === 'push.message' && (f.data as WireMessage).ID === second.message.ID);
    expect(messagePushes(bob).find((m) => m.ID === second.message.ID)).toEqual(second.message);
    expect(pushed.length).toBeGreaterThanOrEqual(1);
    // History keeps what each message carried at send time.
    expect((await listAll(bob, 'C2Calice')).map((m) => [m.nick, m.avatar])).toEqual([
      ['', ''],
      ['Alice', 'a.png'],
    ]);

    const bobView = await conversation(bob, 'C2Calice');
    expect(bobView?.peerProfile).toEqual({ userID: 'alice', nick: 'Alice', avatar: 'a.png' });
    expect(bobView?.lastMessage).toEqual(second.message);
    const aliceView = await conversation(alice, 'C2Cbob');
    expect(aliceView?.peerProfile).toEqual({ userID: 'bob', nick: '', avatar: '' });

    // A later change shows up at once, in sync, get and read views.
    await update(alice, { nick: 'Alice 2' });
    expect((await conversation(bob, 'C2Calice'))?.peerProfile.nick).toBe('Alice 2');
    const got = expectOk<{ conversation: WireConversation | null }>(await bob.request('conv.get', { conversationID: 'C2Calice' }));
    expect(got.conversation?.peerProfile).toEqual({ userID: 'alice', nick: 'Alice 2', avatar: 'a.png' });
    const read = expectOk<{ conversation: WireConversation }>(await bob.request('msg.read', { conversationID: 'C2Calice' }));
    expect(read.conversation.peerProfile).toEqual({ userID: 'alice', nick: 'Alice 2', avatar: 'a.png' });
    // onlineUserOnly messages carry it too.
    const live = await send(alice, textMessage('bob', 'live'), true);
    expect(live.message).toMatchObject({ nick: 'Alice 2', avatar: 'a.png', seq: 0 });
  });

  it('gives every peer in conv.sync its own profile (unknown peers get empty strings)', async () => {
    const alice = await pool.login(srv, 'alice');
    const peers = ['p1', 'p2', 'p3'];
    for (const peer of peers) {
      const client = await pool.login(srv, peer);
      await update(client, { nick: `nick-${peer}`, avatar: `${peer}.png` });
      await send(client, textMessage('alice', `from ${peer}`));
    }
    await send(alice, textMessage('ghost', 'nobody home'));
    const convs = await syncConversations(alice);
    const byPeer = Object.fromEntries(convs.map((c) => [c.peer, c.peerProfile]));
    expect(byPeer).toEqual({
      p1: { userID: 'p1', nick: 'nick-p1', avatar: 'p1.png' },
      p2: { userID: 'p2', nick: 'nick-p2', avatar: 'p2.png' },
      p3: { userID: 'p3', nick: 'nick-p3', avatar: 'p3.png' },
      ghost: { userID: 'ghost', nick: '', avatar: '' },
    });
  });

  it('sending to a user who never logged in works; they stay unknown', async () => {
    const alice = await pool.login(srv, 'alice');
    const sent = await send(alice, textMessage('ghost', 'hi'));
    expect(sent.message.seq).toBe(1);
    expect(await getProfiles(alice, ['ghost'])).toEqual([]);
    const got = expectOk<{ conversation: WireConversation | null; userExists: boolean }>(await alice.request('conv.get', { conversationID: 'C2Cnever' }));
    expect(got).toEqual({ conversation: null, userExists: false });
    // Once ghost logs in, the message is there and they are known.
    const ghost = await pool.login(srv, 'ghost');
    expect((await listAll(ghost, 'C2Calice')).map((m) => m.ID)).toEqual([sent.message.ID]);
    expect(await getProfiles(alice, ['ghost'])).toEqual([defaults('ghost')]);
  });
});

describe('adminForbidType', () => {
  it('AdminForbid_Type_SendOut refuses sends with 20012 and stores nothing; None allows them again', async () => {
    const alice = await pool.login(srv, 'alice');
    const alice2 = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await send(alice, textMessage('bob', 'allowed'));
    await update(alice, { adminForbidType: 'AdminForbid_Type_SendOut' });

    const refused = textMessage('bob', 'refused');
    expect(errorCode(await alice.request('msg.send', { message: refused }))).toBe(ErrorCode.SendForbidden);
    expect(errorCode(await alice.request('msg.send', { message: textMessage('bob', 'live'), onlineUserOnly: true }))).toBe(ErrorCode.SendForbidden);
    expect(errorCode(await alice.request('msg.send', { message: textMessage('alice', 'self') }))).toBe(ErrorCode.SendForbidden);
    await Promise.all([bob, alice2].map(barrier));
    expect(messagePushes(bob).map((m) => m.payload['text'])).toEqual(['allowed']);
    expect(messagePushes(alice2).map((m) => m.payload['text'])).toEqual(['allowed']);
    expect((await listAll(bob, 'C2Calice')).map((m) => m.payload['text'])).toEqual(['allowed']);
    expect((await conversation(bob, 'C2Calice'))?.unreadCount).toBe(1);
    // Receiving still works.
    await send(bob, textMessage('alice', 'to a muted user'));

    await update(alice, { adminForbidType: 'AdminForbid_Type_None' });
    // The refused ID was never stored: the same message now goes through as new.
    const retry = await send(alice, refused);
    expect(retry.duplicate).toBe(false);
    expect(retry.message.seq).toBe(3);
  });
});

describe('messageSettings = 1 (receive no messages)', () => {
  it('stores the message for the sender only: no push, no row, not in list/pull/unread/lastMessage for the receiver', async () => {
    const alice = await pool.login(srv, 'alice');
    const alice2 = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await update(bob, { messageSettings: 1 });

    const hidden = await send(alice, textMessage('bob', 'you will not see this'));
    expect(hidden.message.seq).toBe(1);
    await alice2.next((f) => f.cmd === 'push.message');
    expect(messagePushes(alice2)).toEqual([hidden.message]);
    await barrier(bob);
    expect(messagePushes(bob)).toEqual([]);
    // No conversation row for bob, and nothing to list or pull.
    expect(await syncConversations(bob)).toEqual([]);
    expect(await listAll(bob, 'C2Calice')).toEqual([]);
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 0 }))).toEqual({ messages: [], upToSeq: 1, hasMore: false });
    // The sender sees it everywhere as usual.
    expect(await listAll(alice, 'C2Cbob')).toEqual([hidden.message]);
    expect(await conversation(alice, 'C2Cbob')).toMatchObject({ lastSeq: 1, lastMessage: hidden.message, unreadCount: 0 });
    // Even the sender's resend is answered from storage without a push to bob.
    expect((await send(alice, textMessage('bob', 'x', { ID: hidden.message.ID }))).duplicate).toBe(true);
    // onlineUserOnly: accepted, not delivered to bob.
    const live = await send(alice, textMessage('bob', 'live'), true);
    expect(live.message.onlineOnly).toBe(true);
    await barrier(bob);
    expect(messagePushes(bob)).toEqual([]);
  });

  it('within an existing conversation: pulls skip hidden seqs but cover them; unread and lastMessage ignore them', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    const m1 = await send(alice, textMessage('bob', 'visible 1'));
    await update(bob, { messageSettings: 1 });
    const m2 = await send(alice, textMessage('bob', 'hidden 2'));
    const m3 = await send(alice, textMessage('bob', 'hidden 3'));
    await update(bob, { messageSettings: 0 });
    const m4 = await send(alice, textMessage('bob', 'visible 4'));
    await update(bob, { messageSettings: 1 });
    const m5 = await send(alice, textMessage('bob', 'hidden 5'));
    await barrier(bob);
    expect(messagePushes(bob).map((m) => m.seq)).toEqual([1, 4]);

    const view = await conversation(bob, 'C2Calice');
    expect(view).toMatchObject({ lastSeq: 5, unreadCount: 2, lastMessage: m4.message });
    expect(view?.updatedAt).toBe(m4.message.time);
    expect(await listAll(bob, 'C2Calice')).toEqual([m1.message, m4.message]);
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 0 }))).toEqual({
      messages: [m1.message, m4.message],
      upToSeq: 5,
      hasMore: false,
    });
    // Paging: hasMore only when another visible message follows; the last page covers the hidden tail.
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 0, limit: 1 }))).toEqual({ messages: [m1.message], upToSeq: 1, hasMore: true });
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 1, limit: 1 }))).toEqual({ messages: [m4.message], upToSeq: 5, hasMore: false });
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 1, limit: 2 }))).toEqual({ messages: [m4.message], upToSeq: 5, hasMore: false });
    expect(expectOk(await bob.request('msg.pull', { conversationID: 'C2Calice', afterSeq: 4 }))).toEqual({ messages: [], upToSeq: 5, hasMore: false });
    expect((await listAll(alice, 'C2Cbob')).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);

    // Reading to the end clears the two visible ones.
    const read = expectOk<{ conversation: WireConversation }>(await bob.request('msg.read', { conversationID: 'C2Calice' }));
    expect(read.conversation).toMatchObject({ readSeq: 5, unreadCount: 0 });

    // Revoking a hidden message tells nobody but the sender's other connections.
    const alice2 = await pool.login(srv, 'alice');
    expectOk(await alice.request('msg.revoke', { conversationID: 'C2Cbob', messageID: m5.message.ID }));
    await alice2.next((f) => f.cmd === 'push.revoke');
    await barrier(bob);
    expect(pushes(bob, 'push.revoke')).toEqual([]);
    // The receiver cannot find a hidden message to revoke (10030, not 10007).
    expect(errorCode(await bob.request('msg.revoke', { conversationID: 'C2Calice', messageID: m2.message.ID }))).toBe(ErrorCode.RevokeMessageNotFound);
    expect(m3.message.seq).toBe(3);
  });

  it('does not un-hide a deleted conversation, and a self-conversation stays visible', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await send(alice, textMessage('bob', 'one'));
    expectOk(await bob.request('conv.delete', { conversationIDList: ['C2Calice'], clearHistoryMessage: false }));
    await update(bob, { messageSettings: 1 });
    await send(alice, textMessage('bob', 'hidden'));
    expect(await conversation(bob, 'C2Calice')).toMatchObject({ hidden: true, unreadCount: 0, lastSeq: 2 });

    const self = await send(bob, textMessage('bob', 'note to self'));
    expect(await listAll(bob, 'C2Cbob')).toEqual([self.message]);
    expect(await conversation(bob, 'C2Cbob')).toMatchObject({ hidden: false, lastMessage: self.message });
  });

  it('does not stop the receiver from sending', async () => {
    const alice = await pool.login(srv, 'alice');
    const bob = await pool.login(srv, 'bob');
    await update(bob, { messageSettings: 1 });
    const sent = await send(bob, textMessage('alice', 'I still talk'));
    await alice.next((f) => f.cmd === 'push.message');
    expect(messagePushes(alice)).toEqual([sent.message]);
    expect((await conversation(alice, 'C2Cbob'))?.unreadCount).toBe(1);
  });
});

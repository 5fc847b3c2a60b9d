/**
 * Profiles through the real SDK and server (spec tim-api.md §4.1 initial
 * sync, §4.6 getMyProfile/getUserProfile/updateMyProfile, §6.1
 * PROFILE_UPDATED, §8.5 Profile): defaults, every field persisted (also
 * across a server restart), the SDK-side 2721/2722 checks, server codes
 * passing through, the push to the user's other instance, conversation
 * peers' nick/avatar, and what messageSettings / adminForbidType do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT, Profile, TYPES, type ProfileUpdateOptions } from '@parley/sdk';
import { sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, NetworkSwitch, rejectionOf, type TestUser } from './helpers.js';

let srv: TestServer | undefined;
let h: Harness | undefined;

async function setup(): Promise<{ srv: TestServer; h: Harness }> {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
  h = new Harness(srv);
  return { srv, h };
}

afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
});

const DEFAULTS = {
  nick: '',
  gender: '',
  birthday: 0,
  location: '',
  selfSignature: '',
  allowType: TYPES.ALLOW_TYPE_ALLOW_ANY,
  language: 0,
  avatar: '',
  messageSettings: 0,
  adminForbidType: TYPES.FORBID_TYPE_NONE,
  level: 0,
  role: 0,
  lastUpdatedTime: 0,
  profileCustomField: [],
};

/** Every standard field, each different from its default. */
const FULL: Required<Omit<ProfileUpdateOptions, 'profileCustomField'>> = {
  nick: 'Alice 爱丽丝',
  avatar: 'https://cdn.example.com/alice.png',
  gender: TYPES.GENDER_FEMALE,
  selfSignature: 'Hello, I am Alice ✨',
  allowType: TYPES.ALLOW_TYPE_NEED_CONFIRM,
  birthday: 20000101,
  location: 'Berlin',
  language: 2,
  messageSettings: 0, // 1 would hide messages; covered on its own below
  adminForbidType: TYPES.FORBID_TYPE_NONE,
  level: 7,
  role: 3,
};

/** What `viewer` sees of `userID` through getUserProfile. */
async function profileOf(viewer: TestUser, userID: string): Promise<Profile | undefined> {
  const res = await viewer.tim.getUserProfile({ userIDList: [userID] });
  expect(res.code).toBe(0);
  return res.data[0];
}

function withoutTime(profile: object | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...profile };
  delete copy['lastUpdatedTime'];
  return copy;
}

function profileEvents(user: TestUser): Profile[][] {
  return user.eventsOf(EVENT.PROFILE_UPDATED).map((e) => e.data as Profile[]);
}

describe('profiles: defaults and the initial sync', () => {
  it('a fresh user has the defaults; PROFILE_UPDATED [own profile] arrives before SDK_READY', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');

    const mine = await alice.tim.getMyProfile();
    expect(mine.code).toBe(0);
    expect(mine.data).toBeInstanceOf(Profile);
    expect({ ...mine.data }).toEqual({ userID: 'alice', ...DEFAULTS });

    expect({ ...(await profileOf(bob, 'alice')) }).toEqual({ userID: 'alice', ...DEFAULTS });
    expect({ ...(await profileOf(alice, 'bob')) }).toEqual({ userID: 'bob', ...DEFAULTS });

    const names = alice.events.map((e) => e.name);
    const profileAt = names.indexOf(EVENT.PROFILE_UPDATED);
    expect(profileAt).toBeGreaterThanOrEqual(0);
    expect(profileAt).toBeLessThan(names.indexOf(EVENT.SDK_READY));
    expect(alice.eventsOf(EVENT.PROFILE_UPDATED)).toHaveLength(1);
    const [initial] = profileEvents(alice);
    expect(initial).toHaveLength(1);
    expect(initial![0]).toBeInstanceOf(Profile);
    expect(initial![0]).toMatchObject({ userID: 'alice', nick: '' });
  });

  it('getMyProfile before SDK_READY is the not-ready rejection (2024), as for every gated API', async () => {
    const { h } = await setup();
    const alice = h.create('alice');
    expect((await rejectionOf(alice.tim.getMyProfile())).code).toBe(2024);
    expect((await rejectionOf(alice.tim.getBlacklist())).code).toBe(2024);
  });
});

describe('updateMyProfile', () => {
  it('sets every standard field and custom fields; resolves with the updated Profile; another user and a restarted server see them', async () => {
    const { srv, h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const before = Date.now();

    const custom = [
      { key: 'Tag_Profile_Custom_Hobby', value: 'chess' },
      { key: 'Tag_Profile_Custom_City2', value: '東京' },
    ];
    const res = await alice.tim.updateMyProfile({ ...FULL, profileCustomField: custom });
    expect(res.code).toBe(0);
    expect(res.data).toBeInstanceOf(Profile);
    expect(res.data).toMatchObject({ userID: 'alice', ...FULL, profileCustomField: custom });
    expect(res.data.lastUpdatedTime).toBeGreaterThanOrEqual(before - 5000);

    const expected = { userID: 'alice', ...FULL, profileCustomField: custom };
    expect(await profileOf(bob, 'alice')).toMatchObject(expected);
    expect((await alice.tim.getMyProfile()).data).toMatchObject(expected);

    // Custom fields merge by key: one changed, one added, the other kept.
    const merged = await alice.tim.updateMyProfile({
      profileCustomField: [
        { key: 'Tag_Profile_Custom_Hobby', value: 'go' },
        { key: 'Tag_Profile_Custom_Pet', value: '' },
      ],
    });
    const mergedFields = [
      { key: 'Tag_Profile_Custom_Hobby', value: 'go' },
      { key: 'Tag_Profile_Custom_City2', value: '東京' },
      { key: 'Tag_Profile_Custom_Pet', value: '' },
    ];
    expect(merged.data).toMatchObject({ ...FULL, profileCustomField: mergedFields });

    await srv.restart();
    const carol = await h.login('carol');
    expect(await profileOf(carol, 'alice')).toMatchObject({ ...expected, profileCustomField: mergedFields });
    // Alice's instance reconnects by itself and still has (and serves) the same profile.
    await waitUntil(() => alice.netStates().at(-1) === 'connected', 'alice to reconnect', 10_000);
    expect((await alice.tim.getMyProfile()).data).toMatchObject({ ...FULL, profileCustomField: mergedFields });
    const again = h.create('alice');
    await again.login();
    expect((await again.tim.getMyProfile()).data).toMatchObject({ ...FULL, profileCustomField: mergedFields });
  });

  it('updates one field at a time, leaving the others as they were; PROFILE_UPDATED once per change and not for a no-op', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    alice.clearEvents();

    const changes: ProfileUpdateOptions[] = [
      { nick: 'A' },
      { avatar: 'a.png' },
      { gender: TYPES.GENDER_MALE },
      { selfSignature: 'sig' },
      { allowType: TYPES.ALLOW_TYPE_DENY_ANY },
      { birthday: 19991231 },
      { location: 'Paris' },
      { language: 1 },
      { adminForbidType: TYPES.FORBID_TYPE_NONE }, // the default: a no-op
      { level: 4294967295 },
      { role: 0 }, // the default: a no-op
      { messageSettings: 1 },
      { messageSettings: 0 },
      { profileCustomField: [{ key: 'Tag_Profile_Custom_k', value: 'v' }] },
    ];
    let expected = withoutTime({ userID: 'alice', ...DEFAULTS });
    let changed = 0;
    for (const change of changes) {
      const next = { ...expected, ...change };
      if (JSON.stringify(next) !== JSON.stringify(expected)) changed++;
      expected = next;
      const res = await alice.tim.updateMyProfile(change);
      expect(withoutTime(res.data), JSON.stringify(change)).toEqual(expected);
      expect(withoutTime(await profileOf(bob, 'alice')), JSON.stringify(change)).toEqual(expected);
    }
    // Each event carries the profile as it was after that change.
    const events = profileEvents(alice);
    expect(events.every((list) => list.length === 1 && list[0]?.userID === 'alice')).toBe(true);
    expect(events).toHaveLength(changed);
    expect(changed).toBe(changes.length - 2);
    expect(events.map((l) => l[0]!.nick)).toContain('A');
  });

  it('each invalid input rejects 2721 / 2722 (a rejected promise, not a throw) and changes nothing on the server', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await alice.tim.updateMyProfile({ nick: 'Original', profileCustomField: [{ key: 'Tag_Profile_Custom_keep', value: 'kept' }] });
    const baseline = await profileOf(bob, 'alice');
    alice.clearEvents();

    const cases: Array<[string, unknown, number]> = [
      ['empty options', {}, 2721],
      ['unknown key', { nick: 'x', hobby: 'chess' }, 2721],
      ['server-only field', { userID: 'mallory' }, 2721],
      ['lastUpdatedTime', { lastUpdatedTime: 1 }, 2721],
      ['nick 501 bytes', { nick: 'n'.repeat(501) }, 2721],
      ['nick 501 bytes (multi-byte)', { nick: '字'.repeat(167) }, 2721],
      ['selfSignature too long', { selfSignature: 's'.repeat(501) }, 2721],
      ['location too long', { location: 'l'.repeat(501) }, 2721],
      ['a megabyte nick', { nick: 'x'.repeat(1_000_000) }, 2721],
      ['nick not a string', { nick: 42 }, 2721],
      ['avatar not a string', { avatar: { url: 'x' } }, 2721],
      ['gender not a GENDER_*', { gender: 'male' }, 2721],
      ['allowType not an ALLOW_TYPE_*', { allowType: 'AllowAny' }, 2721],
      ['adminForbidType not a FORBID_TYPE_*', { adminForbidType: 'SendOut' }, 2721],
      ['messageSettings 2', { messageSettings: 2 }, 2721],
      ['messageSettings "1"', { messageSettings: '1' }, 2721],
      ['birthday a string', { birthday: '20000101' }, 2721],
      ['language negative', { language: -1 }, 2721],
      ['level fractional', { level: 1.5 }, 2721],
      ['role beyond uint32', { role: 2 ** 32 }, 2721],
      ['custom fields not an array', { profileCustomField: { key: 'Tag_Profile_Custom_a', value: 'x' } }, 2721],
      ['custom key without the prefix', { profileCustomField: [{ key: 'Hobby', value: 'x' }] }, 2721],
      ['custom key name over 8 characters', { profileCustomField: [{ key: 'Tag_Profile_Custom_ninechars', value: 'x' }] }, 2721],
      ['custom value not a string', { profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 7 }] }, 2721],
      ['custom value too long', { profileCustomField: [{ key: 'Tag_Profile_Custom_a', value: 'v'.repeat(501) }] }, 2721],
      ['one bad among good', { nick: 'Changed', gender: 'nope' }, 2721],
      ['only undefined values', { nick: undefined }, 2722],
      ['empty custom field list', { profileCustomField: [] }, 2722],
    ];
    for (const [label, options, code] of cases) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = alice.tim.updateMyProfile(options as ProfileUpdateOptions);
      }, label).not.toThrow();
      const err = await rejectionOf(promise!);
      expect(err.code, label).toBe(code);
      expect(err, label).toBeInstanceOf(Error);
    }
    expect(await profileOf(bob, 'alice')).toEqual(baseline);
    expect((await alice.tim.getMyProfile()).data).toEqual(baseline);
    expect(alice.eventsOf(EVENT.PROFILE_UPDATED)).toHaveLength(0);
  });

  it('server errors pass through with their codes (an avatar over 500 bytes is 40601) and change nothing', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const baseline = await profileOf(bob, 'alice');
    const err = await rejectionOf(alice.tim.updateMyProfile({ avatar: `https://example.com/${'a'.repeat(600)}.png` }));
    expect(err.code).toBe(40601);
    expect(await profileOf(bob, 'alice')).toEqual(baseline);
  });

  it('the user\'s second instance gets PROFILE_UPDATED [profile] and serves the new profile; the first gets exactly one event', async () => {
    const { h } = await setup();
    const first = await h.login('alice');
    const second = await h.login('alice');
    first.clearEvents();
    second.clearEvents();

    await first.tim.updateMyProfile({ nick: 'Alice', avatar: 'a.png', profileCustomField: [{ key: 'Tag_Profile_Custom_x', value: '1' }] });
    const [event] = await second.waitForEvent(EVENT.PROFILE_UPDATED);
    expect(event!.data).toHaveLength(1);
    expect((event!.data as Profile[])[0]).toBeInstanceOf(Profile);
    expect(event!.snapshot).toEqual([expect.objectContaining({ userID: 'alice', nick: 'Alice', avatar: 'a.png', profileCustomField: [{ key: 'Tag_Profile_Custom_x', value: '1' }] })]);
    expect((await second.tim.getMyProfile()).data).toMatchObject({ nick: 'Alice', avatar: 'a.png' });
    await sleep(200);
    expect(first.eventsOf(EVENT.PROFILE_UPDATED)).toHaveLength(1);
    expect(second.eventsOf(EVENT.PROFILE_UPDATED)).toHaveLength(1);

    // And the other way round.
    await second.tim.updateMyProfile({ selfSignature: 'from the second' });
    await first.waitForEvent(EVENT.PROFILE_UPDATED, 2);
    expect((await first.tim.getMyProfile()).data).toMatchObject({ nick: 'Alice', selfSignature: 'from the second' });
  });

  it('an instance that was offline during a change catches up on reconnect (PROFILE_UPDATED)', async () => {
    const { h } = await setup();
    const net = new NetworkSwitch();
    const first = await h.login('alice');
    const second = await h.login('alice', { WebSocket: net.WebSocket });
    second.clearEvents();
    net.cut();
    await waitUntil(() => second.netStates().includes('disconnected'), 'the second instance to notice');
    await first.tim.updateMyProfile({ nick: 'Changed while away' });
    net.restore();
    const [event] = await second.waitForEvent(EVENT.PROFILE_UPDATED, 1, 10_000);
    expect(event!.snapshot).toEqual([expect.objectContaining({ nick: 'Changed while away' })]);
    expect((await second.tim.getMyProfile()).data.nick).toBe('Changed while away');
  });
});

describe('getMyProfile / getUserProfile', () => {
  it('getUserProfile: several users in the order asked; unknown and malformed IDs left out; [] resolves []; only the first 100 of 101 IDs', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    await h.login('bob');
    await h.login('carol');

    const res = await alice.tim.getUserProfile({ userIDList: ['carol', 'nobody', 'bob', 'alice', 'bob', ''] });
    expect(res.code).toBe(0);
    expect(res.data.map((p) => p.userID)).toEqual(['carol', 'bob', 'alice']);
    expect(res.data.every((p) => p instanceof Profile)).toBe(true);

    expect((await alice.tim.getUserProfile({ userIDList: [] })).data).toEqual([]);
    expect((await alice.tim.getUserProfile({ userIDList: ['ghost1', 'ghost2'] })).data).toEqual([]);

    // 101 IDs: bob first, carol 101st — carol is past the limit and not looked up.
    const many = ['bob', ...Array.from({ length: 99 }, (_, i) => `ghost${i}`), 'carol'];
    expect(many).toHaveLength(101);
    expect((await alice.tim.getUserProfile({ userIDList: many })).data.map((p) => p.userID)).toEqual(['bob']);
  });

  it('getUserProfile throws "Params validate failed." synchronously when userIDList is not an array of strings', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    for (const bad of [undefined, null, 'bob', { userIDList: 'bob' }, { userIDList: [1] }, { userIDList: undefined }]) {
      expect(() => alice.tim.getUserProfile(bad as unknown as { userIDList: string[] })).toThrow('Params validate failed.');
    }
  });

  it('getUserProfile reflects a change right away (no stale cache), including the caller\'s own', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    expect((await profileOf(alice, 'bob'))?.nick).toBe('');
    await bob.tim.updateMyProfile({ nick: 'Bobby' });
    expect((await profileOf(alice, 'bob'))?.nick).toBe('Bobby');
    await bob.tim.updateMyProfile({ nick: 'Robert' });
    expect((await profileOf(alice, 'bob'))?.nick).toBe('Robert');
    expect((await profileOf(bob, 'bob'))?.nick).toBe('Robert');
  });

  it('returns copies: mutating a resolved profile changes nothing inside the SDK', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    await alice.tim.updateMyProfile({ nick: 'Alice' });
    const mine = (await alice.tim.getMyProfile()).data;
    mine.nick = 'tampered';
    mine.profileCustomField.push({ key: 'Tag_Profile_Custom_x', value: 'y' });
    expect((await alice.tim.getMyProfile()).data).toMatchObject({ nick: 'Alice', profileCustomField: [] });
  });
});

describe('conversation peers see nick/avatar', () => {
  it('on the next message, in getConversationList right away (push) and after re-login (sync); no PROFILE_UPDATED for a peer', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    const carol = await h.login('carol'); // no conversation with alice

    await alice.sendText('bob', 'before');
    await bob.waitForReceived(1);
    expect(bob.received()[0]).toMatchObject({ nick: '', avatar: '' });
    expect((await bob.conversation('C2Calice'))?.userProfile).toEqual({ userID: 'alice', nick: '', avatar: '' });
    bob.clearEvents();
    carol.clearEvents();

    await alice.tim.updateMyProfile({ nick: 'Alice', avatar: 'https://cdn.example.com/alice.png' });
    // The push refreshes bob's conversation without a message.
    await waitUntil(async () => (await bob.conversation('C2Calice'))?.userProfile.nick === 'Alice', 'bob to see the new nick');
    expect((await bob.conversation('C2Calice'))?.userProfile).toEqual({ userID: 'alice', nick: 'Alice', avatar: 'https://cdn.example.com/alice.png' });
    await bob.waitForEvent(EVENT.CONVERSATION_LIST_UPDATED);
    const listEvent = bob.eventsOf(EVENT.CONVERSATION_LIST_UPDATED).at(-1)!;
    expect((listEvent.snapshot as Array<{ conversationID: string; userProfile: unknown }>).find((c) => c.conversationID === 'C2Calice')?.userProfile).toEqual({
      userID: 'alice',
      nick: 'Alice',
      avatar: 'https://cdn.example.com/alice.png',
    });

    // Messages carry the sender's nick/avatar at send time — also on the sender's own copy.
    const created = alice.text('bob', 'after');
    expect(created).toMatchObject({ nick: 'Alice', avatar: 'https://cdn.example.com/alice.png' });
    const sent = (await alice.tim.sendMessage(created)).data.message;
    expect(sent).toMatchObject({ nick: 'Alice', avatar: 'https://cdn.example.com/alice.png' });
    const [received] = await bob.waitForReceived(1);
    expect(received).toMatchObject({ nick: 'Alice', avatar: 'https://cdn.example.com/alice.png' });
    expect((await bob.conversation('C2Calice'))?.lastMessage.nick).toBe('Alice');
    // History keeps each message's nick from its send time.
    const history = (await bob.history('C2Calice')).messages;
    expect(history.map((m) => [m.payload['text'], m.nick])).toEqual([
      ['before', ''],
      ['after', 'Alice'],
    ]);

    // A fresh instance gets it from the conversation sync.
    const bob2 = await h.login('bob');
    expect((await bob2.conversation('C2Calice'))?.userProfile).toEqual({ userID: 'alice', nick: 'Alice', avatar: 'https://cdn.example.com/alice.png' });
    // The sender's side shows bob's profile too.
    await bob.tim.updateMyProfile({ nick: 'Bob' });
    await waitUntil(async () => (await alice.conversation('C2Cbob'))?.userProfile.nick === 'Bob', 'alice to see bob\'s nick');

    // Peers' changes are not PROFILE_UPDATED (Tencent sends those for friends only; there are none yet).
    expect(bob.eventsOf(EVENT.PROFILE_UPDATED).flatMap((e) => e.data as Profile[]).map((p) => p.userID)).not.toContain('alice');
    expect(alice.eventsOf(EVENT.PROFILE_UPDATED).flatMap((e) => e.data as Profile[]).every((p) => p.userID === 'alice')).toBe(true);
    // A user without a conversation hears nothing, but can look it up.
    await sleep(200);
    expect(carol.eventsOf(EVENT.PROFILE_UPDATED)).toHaveLength(0);
    expect(carol.eventsOf(EVENT.CONVERSATION_LIST_UPDATED)).toHaveLength(0);
    expect((await profileOf(carol, 'alice'))?.nick).toBe('Alice');
  });

  it('getConversationProfile of a conversation without messages shows the peer\'s nick/avatar', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await bob.tim.updateMyProfile({ nick: 'Bob', avatar: 'b.png' });
    const res = await alice.tim.getConversationProfile('C2Cbob');
    expect(res.data.conversation.userProfile).toEqual({ userID: 'bob', nick: 'Bob', avatar: 'b.png' });
  });

  it('a first message from a new peer brings their nick/avatar into the new conversation', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await alice.tim.updateMyProfile({ nick: 'Alice', avatar: 'a.png' });
    await alice.sendText('bob', 'hello');
    await bob.waitForReceived(1);
    expect((await bob.conversation('C2Calice'))?.userProfile).toEqual({ userID: 'alice', nick: 'Alice', avatar: 'a.png' });
  });
});

describe('messageSettings and adminForbidType', () => {
  it('messageSettings 1: the receiver gets no MESSAGE_RECEIVED and no unread while the sender\'s send succeeds; back to 0, delivery resumes', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await bob.sendText('alice', 'start'); // the conversation exists on both sides
    await alice.waitForReceived(1);
    await alice.tim.setMessageRead({ conversationID: 'C2Cbob' });
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(0);

    await alice.tim.updateMyProfile({ messageSettings: 1 });
    alice.clearEvents();
    const hidden = await bob.sendText('alice', 'you will not see this');
    expect(hidden.status).toBe('success');
    await sleep(400);
    expect(alice.received()).toHaveLength(0);
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(0);
    expect((await alice.conversation('C2Cbob'))?.unreadCount).toBe(0);
    expect((await alice.history('C2Cbob')).messages.map((m) => m.payload['text'])).toEqual(['start']);
    // The sender keeps it.
    expect((await bob.history('C2Calice')).messages.map((m) => m.payload['text'])).toEqual(['start', 'you will not see this']);

    await alice.tim.updateMyProfile({ messageSettings: 0 });
    await bob.sendText('alice', 'visible again');
    const received = await alice.waitForReceived(1);
    expect(received.map((m) => m.payload['text'])).toEqual(['visible again']);
    await sleep(300); // any gap fill over the hidden sequence has run
    expect(alice.received()).toHaveLength(1);
    expect((await alice.conversation('C2Cbob'))?.unreadCount).toBe(1);
    expect(alice.tim.getTotalUnreadMessageCount()).toBe(1);
    expect((await alice.history('C2Cbob')).messages.map((m) => m.payload['text'])).toEqual(['start', 'visible again']);

    // A fresh instance agrees (server-derived unread).
    const alice2 = await h.login('alice');
    expect((await alice2.conversation('C2Cbob'))?.unreadCount).toBe(1);
  });

  it('adminForbidType SendOut: sendMessage rejects 20012 with the message (status fail); None again → sends', async () => {
    const { h } = await setup();
    const alice = await h.login('alice');
    const bob = await h.login('bob');
    await alice.tim.updateMyProfile({ adminForbidType: TYPES.FORBID_TYPE_SEND_OUT });

    const message = alice.text('bob', 'forbidden');
    const err = await rejectionOf(alice.tim.sendMessage(message));
    expect(err.code).toBe(20012);
    expect(err.data['message']).toBe(message);
    expect(message.status).toBe('fail');
    await sleep(200);
    expect(bob.received()).toHaveLength(0);

    await alice.tim.updateMyProfile({ adminForbidType: TYPES.FORBID_TYPE_NONE });
    const res = await alice.tim.resendMessage(message);
    expect(res.data.message.status).toBe('success');
    const [got] = await bob.waitForReceived(1);
    expect(got?.payload['text']).toBe('forbidden');
    // Receiving is unaffected by the sender's own ban.
    await alice.tim.updateMyProfile({ adminForbidType: TYPES.FORBID_TYPE_SEND_OUT });
    await bob.sendText('alice', 'still reaches you');
    await alice.waitForReceived(1);
  });
});

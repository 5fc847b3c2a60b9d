/**
 * ProfileManager and BlacklistManager against a scripted `request` (no
 * server): what goes on the wire, what is rejected before it, when events
 * fire, and how pushes are ordered against loads.
 */
import { describe, expect, it } from 'vitest';
import type { RequestBodies, RequestCmd, ResponseData, WireProfile } from '@parley/protocol';
import { ImError } from '../../src/errors.js';
import { Logger } from '../../src/logger.js';
import { ConversationManager } from '../../src/modules/conversation/conversation-manager.js';
import { Message } from '../../src/modules/message/message.js';
import { Profile } from '../../src/modules/profile/profile.js';
import { ProfileManager } from '../../src/modules/profile/profile-manager.js';
import { BlacklistManager } from '../../src/modules/relationship/blacklist-manager.js';

interface Call {
  cmd: RequestCmd;
  body: unknown;
  resolve: (data: unknown) => void;
  reject: (err: unknown) => void;
}

/** A request function whose calls wait until the test answers them. */
function scriptedRequest(): { calls: Call[]; request: <K extends RequestCmd>(cmd: K, body: RequestBodies[K]) => Promise<ResponseData[K]> } {
  const calls: Call[] = [];
  const request = <K extends RequestCmd>(cmd: K, body: RequestBodies[K]) =>
    new Promise<ResponseData[K]>((resolve, reject) => {
      calls.push({ cmd, body, resolve: resolve as (d: unknown) => void, reject });
    });
  return { calls, request };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function quietLog(): Logger {
  const log = new Logger();
  log.level = 4;
  return log;
}

function wire(userID: string, fields: Partial<WireProfile> = {}): WireProfile {
  return { ...Profile.empty(userID), ...fields };
}

function blacklistSetup(me = 'me') {
  const { calls, request } = scriptedRequest();
  const events: string[][] = [];
  const manager = new BlacklistManager({ me: () => me, request, log: quietLog(), events: { blacklistUpdated: (list) => events.push(list) } });
  return { calls, manager, events };
}

describe('BlacklistManager', () => {
  it('load announces the list once (even empty); a reload emits only on change', async () => {
    const { calls, manager, events } = blacklistSetup();
    const load = manager.load(true);
    expect(calls.map((c) => c.cmd)).toEqual(['blacklist.get']);
    calls[0]!.resolve({ userIDList: [] });
    await load;
    expect(events).toEqual([[]]);
    const reload = manager.load(false);
    calls[1]!.resolve({ userIDList: [] });
    await reload;
    expect(events).toEqual([[]]);
    const reload2 = manager.load(false);
    calls[2]!.resolve({ userIDList: ['x'] });
    await reload2;
    expect(events).toEqual([[], ['x']]);
    expect(manager.get()).toEqual(['x']);
  });

  it('[self] rejects 2742 without a request; self is dropped from longer lists and duplicates collapse', async () => {
    const { calls, manager } = blacklistSetup('me');
    await expect(manager.add(['me'])).rejects.toMatchObject({ code: 2742 });
    await expect(manager.add(['me', 'me'])).rejects.toBeInstanceOf(ImError);
    expect(calls).toHaveLength(0);
    const added = manager.add(['a', 'me', 'b', 'a']);
    expect(calls.map((c) => [c.cmd, c.body])).toEqual([['blacklist.add', { userIDList: ['a', 'b'] }]]);
    calls[0]!.resolve({ userIDList: ['a', 'b'] });
    expect(await added).toEqual(['a', 'b']);
    // Removing only yourself needs no request: you are never on your own list.
    expect(await manager.remove(['me'])).toEqual(['a', 'b']);
    expect(calls).toHaveLength(1);
  });

  it('add/remove emit the whole list when it changed, nothing when it did not; the result is a copy', async () => {
    const { calls, manager, events } = blacklistSetup();
    const load = manager.load(true);
    calls[0]!.resolve({ userIDList: ['a'] });
    await load;
    const add = manager.add(['b']);
    calls[1]!.resolve({ userIDList: ['a', 'b'] });
    const result = await add;
    const again = manager.add(['b']);
    calls[2]!.resolve({ userIDList: ['a', 'b'] });
    await again;
    const remove = manager.remove(['a']);
    calls[3]!.resolve({ userIDList: ['b'] });
    await remove;
    expect(events).toEqual([['a'], ['a', 'b'], ['b']]);
    result.push('mutated');
    expect(manager.get()).toEqual(['b']);
  });

  it('server errors pass through and change nothing', async () => {
    const { calls, manager, events } = blacklistSetup();
    const load = manager.load(true);
    calls[0]!.resolve({ userIDList: ['a'] });
    await load;
    const add = manager.add(['ghost']);
    calls[1]!.reject(new ImError(30003, 'no such user'));
    await expect(add).rejects.toMatchObject({ code: 30003 });
    expect(manager.get()).toEqual(['a']);
    expect(events).toHaveLength(1);
  });

  it('a push during a load makes it ask again (the first answer may predate the change)', async () => {
    const { calls, manager, events } = blacklistSetup();
    const load = manager.load(true);
    manager.handlePush(['a', 'b']);
    calls[0]!.resolve({ userIDList: ['a'] });
    await flush();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve({ userIDList: ['a', 'b'] });
    await load;
    expect(events).toEqual([['a', 'b']]);
    manager.handlePush(['b']);
    expect(events).toEqual([['a', 'b'], ['b']]);
    manager.handlePush(['b']);
    expect(events).toHaveLength(2);
  });

  it('pushes before any load and answers after reset are ignored', async () => {
    const { calls, manager, events } = blacklistSetup();
    manager.handlePush(['x']);
    expect(manager.get()).toEqual([]);
    const load = manager.load(true);
    manager.reset();
    calls[0]!.resolve({ userIDList: ['y'] });
    await load;
    expect(manager.get()).toEqual([]);
    expect(events).toEqual([]);
  });
});

function profileSetup(me = 'me') {
  const { calls, request } = scriptedRequest();
  const updated: Profile[][] = [];
  let convChanges = 0;
  const conversations = new ConversationManager(true, () => me);
  const manager = new ProfileManager({
    me: () => me,
    request,
    conversations,
    log: quietLog(),
    events: { profileUpdated: (list) => updated.push(list), conversationsChanged: () => convChanges++ },
  });
  return { calls, manager, updated, conversations, convChanges: () => convChanges };
}

describe('ProfileManager', () => {
  it('loadOwn announces the own profile; getMyProfile serves copies from the cache', async () => {
    const { calls, manager, updated } = profileSetup();
    const load = manager.loadOwn(true);
    expect(calls.map((c) => [c.cmd, c.body])).toEqual([['profile.get', { userIDList: ['me'] }]]);
    calls[0]!.resolve({ profiles: [wire('me', { nick: 'Me', lastUpdatedTime: 5 })] });
    await load;
    expect(updated).toHaveLength(1);
    expect(updated[0]![0]).toBeInstanceOf(Profile);
    expect(updated[0]![0]).toMatchObject({ userID: 'me', nick: 'Me' });
    const a = await manager.getMine();
    const b = await manager.getMine();
    expect(calls).toHaveLength(1);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    a.nick = 'mutated';
    expect((await manager.getMine()).nick).toBe('Me');
    expect(manager.sender()).toEqual({ nick: 'Me', avatar: '' });
  });

  it('getMyProfile fetches when nothing is cached; a missing own row means defaults', async () => {
    const { calls, manager } = profileSetup();
    const mine = manager.getMine();
    calls[0]!.resolve({ profiles: [] });
    expect({ ...(await mine) }).toEqual({ ...Profile.empty('me') });
  });

  it('getUserProfile: ≤ 100 distinct valid IDs, answers in the order asked, unknown users left out, [] without a request', async () => {
    const { calls, manager } = profileSetup();
    expect(await manager.getUsers([])).toEqual([]);
    expect(await manager.getUsers(['', 'x'.repeat(40)])).toEqual([]);
    expect(calls).toHaveLength(0);
    const ids = Array.from({ length: 101 }, (_, i) => `u${i}`);
    const many = manager.getUsers(['u1', ...ids]);
    const asked = (calls[0]!.body as { userIDList: string[] }).userIDList;
    // The first 100 entries (u1, u0 … u98), duplicates collapsed.
    expect(asked).toHaveLength(99);
    expect(asked.slice(0, 3)).toEqual(['u1', 'u0', 'u2']);
    expect(asked).not.toContain('u99');
    const exact = manager.getUsers(ids);
    expect((calls[1]!.body as { userIDList: string[] }).userIDList).toEqual(ids.slice(0, 100));
    calls[1]!.resolve({ profiles: [] });
    expect(await exact).toEqual([]);
    calls[0]!.resolve({ profiles: [wire('u2'), wire('u1')] });
    expect((await many).map((p) => p.userID)).toEqual(['u1', 'u2']);
  });

  it('update: invalid input rejects 2721/2722 without a request; success resolves and emits once, no-op emits nothing', async () => {
    const { calls, manager, updated } = profileSetup();
    await expect(manager.update({ bogus: 1 })).rejects.toMatchObject({ code: 2721 });
    await expect(manager.update({})).rejects.toMatchObject({ code: 2721 });
    await expect(manager.update({ nick: undefined })).rejects.toMatchObject({ code: 2722 });
    expect(calls).toHaveLength(0);
    const load = manager.loadOwn(true);
    calls[0]!.resolve({ profiles: [wire('me', { lastUpdatedTime: 1 })] });
    await load;
    const up = manager.update({ nick: 'New' });
    expect(calls[1]!.cmd).toBe('profile.update');
    expect(calls[1]!.body).toEqual({ profile: { nick: 'New' } });
    calls[1]!.resolve({ profile: wire('me', { nick: 'New', lastUpdatedTime: 2 }) });
    expect((await up).nick).toBe('New');
    expect(updated.map((l) => l[0]!.nick)).toEqual(['', 'New']);
    const same = manager.update({ nick: 'New' });
    calls[2]!.resolve({ profile: wire('me', { nick: 'New', lastUpdatedTime: 3 }) });
    await same;
    expect(updated).toHaveLength(2);
  });

  it('an own-profile push older than the cache is ignored; a newer one emits', async () => {
    const { calls, manager, updated } = profileSetup();
    const load = manager.loadOwn(true);
    calls[0]!.resolve({ profiles: [wire('me', { nick: 'B', lastUpdatedTime: 20 })] });
    await load;
    manager.handlePush(wire('me', { nick: 'A', lastUpdatedTime: 10 }));
    expect((await manager.getMine()).nick).toBe('B');
    manager.handlePush(wire('me', { nick: 'C', lastUpdatedTime: 30 }));
    expect((await manager.getMine()).nick).toBe('C');
    expect(updated.map((l) => l[0]!.nick)).toEqual(['B', 'C']);
  });

  it("a peer's push updates the conversation's nick/avatar without PROFILE_UPDATED; older pushes and older live messages do not regress it", async () => {
    const { manager, updated, conversations, convChanges } = profileSetup();
    const entry = conversations.create('C2Cpeer', 'peer', 0);
    manager.handlePush(wire('peer', { nick: 'Peer', avatar: 'p.png', lastUpdatedTime: 10_500 }));
    expect(entry.conversation.userProfile).toEqual({ userID: 'peer', nick: 'Peer', avatar: 'p.png' });
    expect(convChanges()).toBe(1);
    expect(updated).toEqual([]);
    manager.handlePush(wire('peer', { nick: 'Old', lastUpdatedTime: 9_000 }));
    expect(entry.conversation.userProfile.nick).toBe('Peer');
    manager.handlePush(wire('peer', { nick: 'Peer', avatar: 'p.png', lastUpdatedTime: 11_000 }));
    expect(convChanges()).toBe(1); // same values: no change
    manager.handlePush(wire('stranger', { nick: 'S', lastUpdatedTime: 1 }));
    expect(convChanges()).toBe(1);
  });
});

describe('ConversationManager: peer nick/avatar from messages', () => {
  function incoming(seq: number, timeSeconds: number, nick: string): Message {
    const m = new Message();
    Object.assign(m, { ID: `m${seq}`, conversationID: 'C2Cpeer', conversationType: 'C2C', from: 'peer', to: 'me', flow: 'in', sequence: seq, time: timeSeconds, nick, avatar: `${nick}.png`, status: 'success' });
    return m;
  }

  it('live messages refresh it, pulled ones (gap fill) do not, and neither do older-than-the-last-push ones', () => {
    const conversations = new ConversationManager(true, () => 'me');
    const entry = conversations.create('C2Cpeer', 'peer', 0);
    conversations.recordMessage(entry, incoming(1, 100, 'pulled'), false);
    expect(entry.conversation.userProfile.nick).toBe('');
    conversations.recordMessage(entry, incoming(2, 100, 'live'), true);
    expect(entry.conversation.userProfile).toEqual({ userID: 'peer', nick: 'live', avatar: 'live.png' });
    expect(conversations.applyPeerProfile('peer', 'pushed', 'pushed.png', 200_500)).toBe(true);
    // Sent in the second of the change (or before): may carry the old nick.
    conversations.recordMessage(entry, incoming(3, 200, 'stale'), true);
    expect(entry.conversation.userProfile.nick).toBe('pushed');
    conversations.recordMessage(entry, incoming(4, 201, 'fresh'), true);
    expect(entry.conversation.userProfile.nick).toBe('fresh');
    // Not the newest message: never.
    conversations.recordMessage(entry, incoming(1, 300, 'late'), true);
    expect(entry.conversation.userProfile.nick).toBe('fresh');
  });
});

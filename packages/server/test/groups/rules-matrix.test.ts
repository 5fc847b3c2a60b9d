/**
 * The group-type rules matrix (/work/shared/spec/tim-api.md §9), table-driven:
 * one expectation row per type, written from the spec (not from the server's
 * own table), and every capability exercised against a real server — each
 * refusal with the spec's code and nothing changed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type WireGroupRole, type WireGroupType, type WireJoinOption } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { createGroup, getGroup, groupConversation, groupText, memberIDs, ok, refused, sendGroup, uid } from './group-helpers.js';

interface Row {
  /** Who may apply/join: code when refused, else the status of a join with the default joinOption. */
  join: 'JoinedSuccess' | 'WaitAdminApproval' | number;
  joinOptionSettable: boolean;
  /** Who may add members: an ordinary member, or nobody (app admin only / not at all). */
  invite: 'member' | 'nobody';
  modify: 'member' | 'admin' | 'owner';
  kick: 'owner' | 'admin' | 'nobody';
  mute: 'admin' | 'owner' | 'nobody';
  transfer: boolean;
  ownerQuit: boolean;
  historyBeforeJoin: boolean;
  storesHistory: boolean;
  unread: boolean;
  searchable: boolean;
  defaultMax: number;
  hasAdmins: boolean;
}

// Spec §9, column by column.
const MATRIX: Record<WireGroupType, Row> = {
  Private: {
    join: ErrorCode.NoPermission,
    joinOptionSettable: false,
    invite: 'member',
    modify: 'member',
    kick: 'owner',
    mute: 'nobody',
    transfer: true,
    ownerQuit: true,
    historyBeforeJoin: false,
    storesHistory: true,
    unread: true,
    searchable: false,
    defaultMax: 200,
    hasAdmins: false,
  },
  Public: {
    join: 'WaitAdminApproval',
    joinOptionSettable: true,
    invite: 'nobody',
    modify: 'admin',
    kick: 'admin',
    mute: 'admin',
    transfer: true,
    ownerQuit: false,
    historyBeforeJoin: false,
    storesHistory: true,
    unread: true,
    searchable: true,
    defaultMax: 2000,
    hasAdmins: true,
  },
  ChatRoom: {
    join: 'JoinedSuccess',
    joinOptionSettable: false,
    invite: 'nobody',
    modify: 'admin',
    kick: 'admin',
    mute: 'admin',
    transfer: true,
    ownerQuit: false,
    historyBeforeJoin: true,
    storesHistory: true,
    unread: false,
    searchable: true,
    defaultMax: 10_000,
    hasAdmins: true,
  },
  Community: {
    join: 'WaitAdminApproval',
    joinOptionSettable: true,
    invite: 'member',
    modify: 'admin',
    kick: 'admin',
    mute: 'admin',
    transfer: true,
    ownerQuit: false,
    historyBeforeJoin: true,
    storesHistory: true,
    unread: true,
    searchable: true,
    defaultMax: 100_000,
    hasAdmins: true,
  },
  AVChatRoom: {
    join: 'JoinedSuccess',
    joinOptionSettable: false,
    invite: 'nobody',
    modify: 'owner',
    kick: 'nobody',
    mute: 'owner',
    transfer: false,
    ownerQuit: false,
    historyBeforeJoin: false,
    storesHistory: false,
    unread: false,
    searchable: true,
    defaultMax: 0,
    hasAdmins: false,
  },
};

const TYPES = Object.keys(MATRIX) as WireGroupType[];

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

interface Cast {
  groupID: string;
  owner: RawClient;
  /** An admin where the type has admins; otherwise a second ordinary member. */
  admin: RawClient;
  member: RawClient;
  outsider: RawClient;
  ids: { owner: string; admin: string; member: string; outsider: string };
}

/** A group of `type` with an owner, an admin (if the type has them), a member, and an outsider. */
async function cast(type: WireGroupType, extra: Record<string, unknown> = {}): Promise<Cast> {
  const p = uid(type.slice(0, 3).toLowerCase());
  const ids = { owner: `${p}-own`, admin: `${p}-adm`, member: `${p}-mem`, outsider: `${p}-out` };
  const [owner, admin, member, outsider] = await Promise.all([ids.owner, ids.admin, ids.member, ids.outsider].map((id) => pool.login(srv, id))) as [
    RawClient,
    RawClient,
    RawClient,
    RawClient,
  ];
  const row = MATRIX[type];
  const memberList =
    type === 'AVChatRoom' ? [] : [{ userID: ids.admin, role: (row.hasAdmins ? 'Admin' : 'Member') as WireGroupRole }, { userID: ids.member }];
  const group = await createGroup(owner, type, { memberList, ...extra });
  if (type === 'AVChatRoom') {
    for (const c of [owner, admin, member]) expect((await ok(c, 'group.join', { groupID: group.groupID })).status).toBe('JoinedSuccess');
  }
  return { groupID: group.groupID, owner, admin, member, outsider, ids };
}

/** The members as the owner sees them (AVChatRoom: online room members). */
async function members(c: Cast): Promise<string[]> {
  return memberIDs(c.owner, c.groupID);
}

describe.each(TYPES)('%s', (type) => {
  const row = MATRIX[type];

  it('default maxMemberCount, joinOption and the creator as owner', async () => {
    const c = await cast(type);
    const group = await getGroup(c.owner, c.groupID);
    expect(group.maxMemberCount).toBe(row.defaultMax);
    expect(group.ownerID).toBe(c.ids.owner);
    expect(group.selfInfo?.role).toBe('Owner');
    expect(group.groupID.startsWith(type === 'Community' ? '@TGS#_' : '@TGS#')).toBe(true);
    const expectedJoinOption: WireJoinOption = type === 'Private' ? 'DisableApply' : row.joinOptionSettable ? 'NeedPermission' : 'FreeAccess';
    expect(group.joinOption).toBe(expectedJoinOption);
    // A joinOption at creation is honoured only where it is settable.
    const c2 = await cast(type, { joinOption: 'FreeAccess' });
    expect((await getGroup(c2.owner, c2.groupID)).joinOption).toBe(row.joinOptionSettable ? 'FreeAccess' : expectedJoinOption);
  });

  it('join (default joinOption)', async () => {
    const c = await cast(type);
    const before = await members(c);
    if (typeof row.join === 'number') {
      await refused(c.outsider, 'group.join', { groupID: c.groupID }, row.join);
      expect(await members(c)).toEqual(before);
      return;
    }
    const res = await ok(c.outsider, 'group.join', { groupID: c.groupID, applyMessage: 'let me in' });
    expect(res.status).toBe(row.join);
    if (row.join === 'JoinedSuccess') {
      expect(res.group?.selfInfo?.role).toBe('Member');
      expect(await members(c)).toContain(c.ids.outsider);
    } else {
      expect(res.group).toBeNull();
      expect(await members(c)).toEqual(before);
    }
  });

  // Only types whose joinOption is settable (Public, Community) have this case.
  if (row.joinOptionSettable) {
    it('join honours FreeAccess and DisableApply', async () => {
      const free = await cast(type, { joinOption: 'FreeAccess' });
      expect((await ok(free.outsider, 'group.join', { groupID: free.groupID })).status).toBe('JoinedSuccess');
      const closed = await cast(type, { joinOption: 'DisableApply' });
      await refused(closed.outsider, 'group.join', { groupID: closed.groupID }, ErrorCode.NoPermission);
      expect(await members(closed)).not.toContain(closed.ids.outsider);
    });
  }

  it('invite (group.add-members)', async () => {
    const c = await cast(type);
    const before = await members(c);
    if (row.invite === 'member') {
      const res = await ok(c.member, 'group.add-members', { groupID: c.groupID, userIDList: [c.ids.outsider, c.ids.owner] });
      expect(res.successUserIDList).toEqual([c.ids.outsider]);
      expect(res.existedUserIDList).toEqual([c.ids.owner]);
      expect(res.group?.memberCount).toBe(before.length + 1);
      expect(await members(c)).toContain(c.ids.outsider);
    } else {
      // Public/Meeting: app admin only — not even the owner; AVChatRoom: nobody.
      for (const who of [c.member, c.owner]) {
        await refused(who, 'group.add-members', { groupID: c.groupID, userIDList: [c.ids.outsider] }, ErrorCode.NoPermission);
      }
      expect(await members(c)).toEqual(before);
    }
  });

  it('modify the profile (group.update)', async () => {
    const c = await cast(type);
    const attempts: Array<[RawClient, boolean]> = [
      [c.member, row.modify === 'member'],
      [c.admin, row.modify === 'member' || (row.modify === 'admin' && row.hasAdmins)],
      [c.owner, true],
    ];
    for (const [who, allowed] of attempts) {
      const before = await getGroup(c.owner, c.groupID);
      const name = `n${before.infoSequence + 1}`;
      if (allowed) {
        const { group } = await ok(who, 'group.update', { groupID: c.groupID, name });
        expect(group.name).toBe(name);
        expect(group.infoSequence).toBe(before.infoSequence + 1);
      } else {
        await refused(who, 'group.update', { groupID: c.groupID, name }, ErrorCode.NoPermission);
        expect(await getGroup(c.owner, c.groupID)).toMatchObject({ name: before.name, infoSequence: before.infoSequence });
      }
    }
  });

  it('kick (group.delete-members)', async () => {
    const c = await cast(type);
    const before = await members(c);
    // An ordinary member never kicks.
    await refused(c.member, 'group.delete-members', { groupID: c.groupID, userIDList: [c.ids.admin] }, ErrorCode.NoPermission);
    if (row.kick === 'nobody') {
      await refused(c.owner, 'group.delete-members', { groupID: c.groupID, userIDList: [c.ids.member] }, ErrorCode.NoPermission);
      expect(await members(c)).toEqual(before);
      return;
    }
    if (row.kick === 'admin') {
      // Admins remove ordinary members only.
      await refused(c.admin, 'group.delete-members', { groupID: c.groupID, userIDList: [c.ids.owner] }, ErrorCode.NoPermission);
      expect(await members(c)).toEqual(before);
      const res = await ok(c.admin, 'group.delete-members', { groupID: c.groupID, userIDList: [c.ids.member] });
      expect(res.userIDList).toEqual([c.ids.member]);
    } else {
      // Work: the owner only ("admin" is an ordinary member here).
      await refused(c.admin, 'group.delete-members', { groupID: c.groupID, userIDList: [c.ids.member] }, ErrorCode.NoPermission);
      expect(await members(c)).toEqual(before);
      await ok(c.owner, 'group.delete-members', { groupID: c.groupID, userIDList: [c.ids.member] });
    }
    expect(await members(c)).toEqual(before.filter((id) => id !== c.ids.member));
  });

  it('mute (group.mute-member)', async () => {
    const c = await cast(type);
    await refused(c.member, 'group.mute-member', { groupID: c.groupID, userID: c.ids.admin, muteTime: 60 }, ErrorCode.NoPermission);
    if (row.mute === 'nobody') {
      await refused(c.owner, 'group.mute-member', { groupID: c.groupID, userID: c.ids.member, muteTime: 60 }, ErrorCode.NoPermission);
      const [profile] = (await ok(c.owner, 'group.member-profiles', { groupID: c.groupID, userIDList: [c.ids.member] })).memberList;
      expect(profile?.muteUntil).toBe(0);
      return;
    }
    const muter = row.mute === 'admin' ? c.admin : c.owner;
    const res = await ok(muter, 'group.mute-member', { groupID: c.groupID, userID: c.ids.member, muteTime: 60 });
    expect(res.member.muteUntil).toBeGreaterThan(Date.now() / 1000 + 50);
    await refused(c.member, 'msg.send', { message: groupText(c.groupID, 'hi') }, ErrorCode.MutedInGroup);
    if (row.mute === 'admin') {
      // Admins may not mute the owner.
      await refused(c.admin, 'group.mute-member', { groupID: c.groupID, userID: c.ids.owner, muteTime: 60 }, ErrorCode.NoPermission);
    }
  });

  it('dismiss', async () => {
    const c = await cast(type);
    await refused(c.member, 'group.dismiss', { groupID: c.groupID }, ErrorCode.NoPermission);
    expect((await getGroup(c.owner, c.groupID)).groupID).toBe(c.groupID);
    await ok(c.owner, 'group.dismiss', { groupID: c.groupID });
    await refused(c.owner, 'group.get', { groupID: c.groupID }, ErrorCode.GroupNotFound);
    await refused(c.member, 'msg.send', { message: groupText(c.groupID, 'hi') }, ErrorCode.GroupNotFound);
  });

  it('transfer ownership (group.change-owner)', async () => {
    const c = await cast(type);
    if (!row.transfer) {
      await refused(c.owner, 'group.change-owner', { groupID: c.groupID, newOwnerID: c.ids.member }, ErrorCode.NoPermission);
      expect((await getGroup(c.owner, c.groupID)).ownerID).toBe(c.ids.owner);
      return;
    }
    await refused(c.member, 'group.change-owner', { groupID: c.groupID, newOwnerID: c.ids.member }, ErrorCode.NoPermission);
    const { group } = await ok(c.owner, 'group.change-owner', { groupID: c.groupID, newOwnerID: c.ids.member });
    expect(group.ownerID).toBe(c.ids.member);
    expect(group.selfInfo?.role).toBe('Member');
    expect((await getGroup(c.member, c.groupID)).selfInfo?.role).toBe('Owner');
  });

  it('owner quits', async () => {
    const c = await cast(type);
    if (!row.ownerQuit) {
      if (type === 'AVChatRoom') {
        // AVChatRoom membership is live: quitting leaves the room; ownership stays.
        await ok(c.owner, 'group.quit', { groupID: c.groupID });
        expect((await getGroup(c.member, c.groupID)).ownerID).toBe(c.ids.owner);
        return;
      }
      await refused(c.owner, 'group.quit', { groupID: c.groupID }, ErrorCode.OwnerCannotQuit);
      expect(await members(c)).toContain(c.ids.owner);
      return;
    }
    await ok(c.owner, 'group.quit', { groupID: c.groupID });
    const group = await getGroup(c.member, c.groupID);
    expect(group.ownerID).toBe('');
    expect(await memberIDs(c.member, c.groupID)).not.toContain(c.ids.owner);
  });

  it('history before joining', async () => {
    const c = await cast(type, row.joinOptionSettable ? { joinOption: 'FreeAccess' } : {});
    await sendGroup(c.owner, c.groupID, 'before 1');
    await sendGroup(c.owner, c.groupID, 'before 2');
    if (row.invite === 'member' && typeof row.join === 'number') {
      await ok(c.member, 'group.add-members', { groupID: c.groupID, userIDList: [c.ids.outsider] });
    } else {
      await ok(c.outsider, 'group.join', { groupID: c.groupID });
    }
    await sendGroup(c.owner, c.groupID, 'after');
    const { messages, isCompleted } = await ok(c.outsider, 'msg.list', { conversationID: `GROUP${c.groupID}` });
    expect(isCompleted).toBe(true);
    const texts = messages.filter((m) => m.type === 'TIMTextElem').map((m) => (m.payload as { text: string }).text);
    if (!row.storesHistory) expect(texts).toEqual([]);
    else if (row.historyBeforeJoin) expect(texts).toEqual(['before 1', 'before 2', 'after']);
    else expect(texts).toEqual(['after']);
    // The pull path applies the same floor.
    const pulled = await ok(c.outsider, 'msg.pull', { conversationID: `GROUP${c.groupID}`, afterSeq: 0 });
    expect(pulled.messages.filter((m) => m.type === 'TIMTextElem').length).toBe(texts.length);
  });

  it('unread counts', async () => {
    const c = await cast(type);
    for (let i = 0; i < 3; i++) await sendGroup(c.owner, c.groupID, `m${i}`);
    const group = await getGroup(c.member, c.groupID);
    expect(group.unreadCount).toBe(row.unread ? 3 : 0);
    const conversation = await groupConversation(c.member, c.groupID);
    if (!row.storesHistory) expect(conversation).toBeUndefined();
    else expect(conversation?.unreadCount).toBe(row.unread ? 3 : 0);
    // The sender's own messages are never unread.
    expect((await getGroup(c.owner, c.groupID)).unreadCount).toBe(0);
  });

  it('search by ID', async () => {
    const c = await cast(type);
    if (!row.searchable) {
      await refused(c.outsider, 'group.search', { groupID: c.groupID }, ErrorCode.NoPermission);
      await refused(c.member, 'group.search', { groupID: c.groupID }, ErrorCode.NoPermission);
      await refused(c.outsider, 'group.get', { groupID: c.groupID }, ErrorCode.NoPermission);
      return;
    }
    const { group } = await ok(c.outsider, 'group.search', { groupID: c.groupID });
    expect(group).toMatchObject({ groupID: c.groupID, type, selfInfo: null, lastMessage: null, unreadCount: 0 });
  });
});

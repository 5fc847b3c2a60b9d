/**
 * The group calls of the facade against a scripted server: TIM's synchronous
 * validation ("Params validate failed."), the SDK-side checks with their 26xx
 * codes (no request made), what goes on the wire, and the resolved shapes
 * (spec §4.7–4.8, v3 where v2 differs).
 */
import { describe, expect, it } from 'vitest';
import { createInstance } from '../../src/compat/create.js';
import { ImError, ParamsValidateError } from '../../src/errors.js';
import { Group, GroupMember } from '../../src/modules/group/group.js';
import { systemNoticeMessage } from '../../src/modules/group/group-manager.js';
import { flush, loadGroups, setup, wireGroup, wireMember } from './group-fixtures.js';

const VALIDATE = 'Params validate failed.';

/** Runs `fn` and returns what it threw synchronously. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a synchronous throw');
}

describe('validation throws synchronously', () => {
  const f = setup();
  const cases: Array<[string, () => unknown]> = [
    ['createGroup without name', () => f.api.createGroup({} as never)],
    ['createGroup with empty name', () => f.api.createGroup({ name: '' })],
    ['createGroup with a non-string groupID', () => f.api.createGroup({ name: 'n', groupID: 5 } as never)],
    ['createGroup with a bad joinOption', () => f.api.createGroup({ name: 'n', joinOption: 'Sometimes' })],
    ['createGroup with memberList items lacking userID', () => f.api.createGroup({ name: 'n', memberList: [{}] } as never)],
    ['createGroup with non-string custom values', () => f.api.createGroup({ name: 'n', groupCustomField: [{ key: 'k', value: 1 }] } as never)],
    ['getGroupProfile without groupID', () => f.api.getGroupProfile({} as never)],
    ['dismissGroup with a number', () => f.api.dismissGroup(5 as never)],
    ['dismissGroup with ""', () => f.api.dismissGroup('')],
    ['updateGroupProfile with muteAllMembers "On"', () => f.api.updateGroupProfile({ groupID: 'g', muteAllMembers: 'On' } as never)],
    ['joinGroup without groupID', () => f.api.joinGroup({} as never)],
    ['quitGroup with undefined', () => f.api.quitGroup(undefined as never)],
    ['searchGroupByID with {}', () => f.api.searchGroupByID({} as never)],
    ['changeGroupOwner without newOwnerID', () => f.api.changeGroupOwner({ groupID: 'g' } as never)],
    ['handleGroupApplication with a bad action', () => f.api.handleGroupApplication({ handleAction: 'Maybe' } as never)],
    ['handleGroupApplication with neither message nor application', () => f.api.handleGroupApplication({ handleAction: 'Agree' })],
    ['setMessageRemindType without messageRemindType', () => f.api.setMessageRemindType({ groupID: 'g' } as never)],
    ['setMessageRemindType with an unknown type', () => f.api.setMessageRemindType({ groupID: 'g', messageRemindType: 'Loud' })],
    ['setMessageRemindType with neither groupID nor userIDList', () => f.api.setMessageRemindType({ messageRemindType: 'Discard' })],
    ['getGroupMemberList with a string count', () => f.api.getGroupMemberList({ groupID: 'g', count: '5' } as never)],
    ['getGroupMemberList with a bad role', () => f.api.getGroupMemberList({ groupID: 'g', role: 'King' })],
    ['getGroupMemberProfile with empty userIDList', () => f.api.getGroupMemberProfile({ groupID: 'g', userIDList: [] })],
    ['addGroupMember without userIDList', () => f.api.addGroupMember({ groupID: 'g' } as never)],
    ['deleteGroupMember with non-string IDs', () => f.api.deleteGroupMember({ groupID: 'g', userIDList: [1] } as never)],
    ['setGroupMemberMuteTime with a negative muteTime', () => f.api.setGroupMemberMuteTime({ groupID: 'g', userID: 'u', muteTime: -1 })],
    ['setGroupMemberMuteTime without muteTime', () => f.api.setGroupMemberMuteTime({ groupID: 'g', userID: 'u' } as never)],
    ['setGroupMemberRole without role', () => f.api.setGroupMemberRole({ groupID: 'g', userID: 'u' } as never)],
    ['setGroupMemberNameCard without nameCard', () => f.api.setGroupMemberNameCard({ groupID: 'g' } as never)],
    ['setGroupMemberCustomField with []', () => f.api.setGroupMemberCustomField({ groupID: 'g', memberCustomField: [] })],
    ['getGroupOnlineMemberCount with ""', () => f.api.getGroupOnlineMemberCount('')],
  ];
  it.each(cases)('%s', (_name, call) => {
    const err = thrown(call);
    expect(err).toBeInstanceOf(ParamsValidateError);
    expect((err as Error).message).toBe(VALIDATE);
    expect(f.calls).toHaveLength(0);
  });

  it('muteTime 0 (unmute) and nameCard "" (clear) are valid', async () => {
    f.respond((cmd, body) => (cmd === 'group.mute-member' || cmd === 'group.set-name-card' ? { group: wireGroup('g'), member: wireMember(String(body['userID'])) } : undefined));
    await expect(f.api.setGroupMemberMuteTime({ groupID: 'g', userID: 'u', muteTime: 0 })).resolves.toMatchObject({ code: 0 });
    await expect(f.api.setGroupMemberNameCard({ groupID: 'g', nameCard: '' })).resolves.toMatchObject({ code: 0 });
    expect(f.calls.map((c) => [c.cmd, c.body])).toEqual([
      ['group.mute-member', { groupID: 'g', userID: 'u', muteTime: 0 }],
      ['group.set-name-card', { groupID: 'g', userID: 'me', nameCard: '' }],
    ]);
  });
});

describe('the readiness gate on a real instance', () => {
  it('non-exempt group calls reject 2024 before login; joinGroup/quitGroup/getGroupOnlineMemberCount are exempt (validation still throws)', async () => {
    const tim = createInstance({ SDKAppID: 1400000000, serverUrl: 'ws://127.0.0.1:9' });
    if (!tim) throw new Error('no instance');
    tim.setLogLevel(4);
    await expect(tim.createGroup({ name: 'x' })).rejects.toMatchObject({ code: 2024 });
    await expect(tim.getGroupList()).rejects.toMatchObject({ code: 2024 });
    await expect(tim.getGroupMemberList({ groupID: 'g' })).rejects.toMatchObject({ code: 2024 });
    expect(thrown(() => tim.joinGroup({} as never))).toBeInstanceOf(ParamsValidateError);
    expect(thrown(() => tim.quitGroup('' as never))).toBeInstanceOf(ParamsValidateError);
    // Exempt: past the gate, then the API's own rules.
    await expect(tim.joinGroup({ groupID: '@TGS#x', type: 'Public' })).rejects.toMatchObject({ code: 2662 });
    await expect(tim.quitGroup('@TGS#x')).rejects.toMatchObject({ code: 2623 });
    await expect(tim.getGroupOnlineMemberCount('@TGS#x')).rejects.toMatchObject({ code: 2024 });
    await tim.destroy();
  });
});

describe('local checks (no request)', () => {
  it('createGroup: unknown type → 2600; Community ID prefix rules → 2602', async () => {
    const f = setup();
    await expect(f.api.createGroup({ name: 'n', type: 'Room' })).rejects.toMatchObject({ code: 2600 });
    await expect(f.api.createGroup({ name: 'n', type: 7 as never })).rejects.toMatchObject({ code: 2600 });
    await expect(f.api.createGroup({ name: 'n', type: 'Community', groupID: 'my-community' })).rejects.toMatchObject({ code: 2602 });
    await expect(f.api.createGroup({ name: 'n', type: 'Public', groupID: '@TGS#_mine' })).rejects.toMatchObject({ code: 2602 });
    expect(f.calls).toHaveLength(0);
  });

  it('changeGroupOwner: AVChatRoom → 2620, to yourself → 2621', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('room', { type: 'AVChatRoom' }), wireGroup('pub')]);
    await expect(f.api.changeGroupOwner({ groupID: 'room', newOwnerID: 'bob' })).rejects.toMatchObject({ code: 2620 });
    await expect(f.api.changeGroupOwner({ groupID: 'pub', newOwnerID: 'me' })).rejects.toMatchObject({ code: 2621 });
    expect(f.calls).toHaveLength(0);
  });

  it('quitGroup: not in the local list → 2623', async () => {
    const f = setup();
    await expect(f.api.quitGroup('nowhere')).rejects.toMatchObject({ code: 2623 });
    expect(f.calls).toHaveLength(0);
  });

  it('addGroupMember in an AVChatRoom → 2661', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('room', { type: 'AVChatRoom' })]);
    await expect(f.api.addGroupMember({ groupID: 'room', userIDList: ['bob'] })).rejects.toMatchObject({ code: 2661 });
    expect(f.calls).toHaveLength(0);
  });

  it('joinGroup before login: a non-AVChatRoom type → 2662', async () => {
    const f = setup('me', { ready: false });
    await expect(f.api.joinGroup({ groupID: 'g', type: 'Private' })).rejects.toMatchObject({ code: 2662 });
    expect(f.calls).toHaveLength(0);
  });

  it('setGroupMemberRole: not owner → 2681, bad role → 2683 (Custom only in Community), yourself → 2684', async () => {
    const f = setup();
    const member = { role: 'Member' as const, nameCard: '', joinTime: 0, messageRemindType: 'AcceptAndNotify' as const, readedSequence: 0, muteUntil: 0, memberCustomField: [] };
    await loadGroups(f, [wireGroup('mine'), wireGroup('theirs', { ownerID: 'bob', selfInfo: member }), wireGroup('comm', { type: 'Community' })]);
    await expect(f.api.setGroupMemberRole({ groupID: 'theirs', userID: 'carol', role: 'Admin' })).rejects.toMatchObject({ code: 2681 });
    await expect(f.api.setGroupMemberRole({ groupID: 'mine', userID: 'carol', role: 'Owner' })).rejects.toMatchObject({ code: 2683 });
    await expect(f.api.setGroupMemberRole({ groupID: 'mine', userID: 'carol', role: 'Custom' })).rejects.toMatchObject({ code: 2683 });
    await expect(f.api.setGroupMemberRole({ groupID: 'mine', userID: 'me', role: 'Admin' })).rejects.toMatchObject({ code: 2684 });
    expect(f.calls).toHaveLength(0);
    f.respond((cmd, body) => (cmd === 'group.set-role' ? { group: wireGroup(String(body['groupID'])), member: wireMember('carol', { role: 'Custom' }) } : undefined));
    await expect(f.api.setGroupMemberRole({ groupID: 'comm', userID: 'carol', role: 'Custom' })).resolves.toMatchObject({ code: 0 });
    // v3: no local check for Work groups (the server decides), unlike v2's 2682.
    await expect(f.api.setGroupMemberRole({ groupID: 'mine', userID: 'carol', role: 'Admin' })).resolves.toMatchObject({ code: 0 });
  });

  it('setGroupMemberMuteTime on yourself → 2685', async () => {
    const f = setup();
    await expect(f.api.setGroupMemberMuteTime({ groupID: 'g', userID: 'me', muteTime: 60 })).rejects.toMatchObject({ code: 2685 });
    expect(f.calls).toHaveLength(0);
  });

  it('deleteGroupMember: not in the local list → 2603; AVChatRoom without duration → 2686 (no request), with one → a ban request', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('room', { type: 'AVChatRoom' })]);
    const err = await f.api.deleteGroupMember({ groupID: 'nowhere', userIDList: ['bob'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImError);
    expect(err).toMatchObject({ code: 2603, data: { groupID: 'nowhere' } });
    await expect(f.api.deleteGroupMember({ groupID: 'room', userIDList: ['bob'] })).rejects.toMatchObject({ code: 2686 });
    await expect(f.api.deleteGroupMember({ groupID: 'room', userIDList: ['bob'], duration: 0 })).rejects.toMatchObject({ code: 2686 });
    expect(f.calls).toHaveLength(0);
    f.respond((cmd) => (cmd === 'group.delete-members' ? { group: wireGroup('room', { type: 'AVChatRoom' }), userIDList: ['bob'] } : undefined));
    const banned = await f.api.deleteGroupMember({ groupID: 'room', userIDList: ['bob'], duration: 60.7, reason: 'spam' });
    expect(f.calls.map((c) => [c.cmd, c.body])).toEqual([['group.delete-members', { groupID: 'room', userIDList: ['bob'], reason: 'spam', duration: 60 }]]);
    expect(banned.data.userIDList).toEqual(['bob']);
  });

  it('v3: member profile, name card and custom fields in an AVChatRoom → 2687', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('room', { type: 'AVChatRoom' })]);
    await expect(f.api.getGroupMemberProfile({ groupID: 'room', userIDList: ['bob'] })).rejects.toMatchObject({ code: 2687 });
    await expect(f.api.setGroupMemberNameCard({ groupID: 'room', nameCard: 'x' })).rejects.toMatchObject({ code: 2687 });
    await expect(f.api.setGroupMemberCustomField({ groupID: 'room', memberCustomField: [{ key: 'k', value: 'v' }] })).rejects.toMatchObject({ code: 2687 });
    expect(f.calls).toHaveLength(0);
  });

  it('getGroupMemberList of a group not in the list → {memberList: [], offset: 0} without a request', async () => {
    const f = setup();
    expect(await f.api.getGroupMemberList({ groupID: 'nowhere' })).toEqual({ code: 0, data: { memberList: [], offset: 0 } });
    expect(f.calls).toHaveLength(0);
  });

  it('v3: joinGroup of a Work group and dismissGroup of a Work group go to the server (no 2601/2622)', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('work', { type: 'Private' })]);
    f.respond((cmd) => (cmd === 'group.join' || cmd === 'group.dismiss' ? new ImError(10007, 'no') : undefined));
    await expect(f.api.joinGroup({ groupID: 'other-work', type: 'Private' })).rejects.toMatchObject({ code: 10007 });
    await expect(f.api.dismissGroup('work')).rejects.toMatchObject({ code: 10007 });
    expect(f.calls.map((c) => c.cmd)).toEqual(['group.join', 'group.dismiss']);
    expect(f.groups.get('work')).toBeDefined();
  });
});

describe('requests and resolved shapes', () => {
  it('createGroup: drops memberList for AVChatRoom and joinOption for Work; resolves {group, overLimitUserIDList}; sends the v3 group_create message', async () => {
    const f = setup();
    let created = 0;
    f.respond((cmd, body) => {
      if (cmd === 'group.create') {
        const type = body['type'] as 'Private' | 'AVChatRoom';
        return { group: wireGroup(String(body['groupID'] ?? `@TGS#${++created}`), { type, selfInfo: type === 'AVChatRoom' ? null : wireGroup('x').selfInfo }), overLimitUserIDList: ['full'] };
      }
      if (cmd === 'msg.send') {
        const m = (body['message'] as Record<string, unknown>);
        return { message: { ...m, from: 'me', seq: 1, time: 1, isRevoked: false, revoker: '', onlineOnly: false, nameCard: '', cloudCustomData: '', priority: 'Normal', nick: '', avatar: '' }, duplicate: false };
      }
      return undefined;
    });
    const res = await f.api.createGroup({ name: 'work', type: 'Private', joinOption: 'FreeAccess', memberList: [{ userID: 'bob' }], groupCustomField: [{ key: 'k', value: 'v' }] });
    expect(f.calls[0]?.body).toEqual({ type: 'Private', name: 'work', memberList: [{ userID: 'bob' }], groupCustomField: [{ key: 'k', value: 'v' }] });
    expect(Object.keys(res.data).sort()).toEqual(['group', 'overLimitUserIDList']);
    expect(res.data.group).toBeInstanceOf(Group);
    expect(res.data.group.selfInfo.role).toBe('Owner');
    expect(res.data.overLimitUserIDList).toEqual(['full']);
    expect(f.groups.get('@TGS#1')).toBe(res.data.group);
    const send = f.calls[1];
    expect(send?.cmd).toBe('msg.send');
    const sent = (send?.body['message'] as { conversationType: string; to: string; type: string; payload: { data: string; description: string; extension: string } });
    expect(sent.conversationType).toBe('GROUP');
    expect(sent.to).toBe('@TGS#1');
    expect(sent.type).toBe('TIMCustomElem');
    expect(JSON.parse(sent.payload.data)).toEqual({ businessID: 'group_create', content: 'Create Group', cmd: 0, opUser: 'me', version: 4 });

    f.calls.length = 0;
    const room = await f.api.createGroup({ name: 'live', type: 'AVChatRoom', memberList: [{ userID: 'bob' }], joinOption: 'NeedPermission' });
    expect(f.calls.map((c) => c.cmd)).toEqual(['group.create']); // no group_create message for AVChatRoom
    expect(f.calls[0]?.body).toEqual({ type: 'AVChatRoom', name: 'live' });
    expect(f.groups.get(room.data.group.groupID)).toBeUndefined(); // the creator must still join
    expect(room.data.group.selfInfo.role).toBe('Owner');

    f.calls.length = 0;
    await f.api.createGroup({ name: 'c', type: 'Community', groupID: '@TGS#_c', joinOption: 'FreeAccess' });
    expect(f.calls[0]?.body).toEqual({ type: 'Community', name: 'c', groupID: '@TGS#_c', joinOption: 'FreeAccess' });
    const community = JSON.parse((f.calls[1]?.body['message'] as { payload: { data: string } }).payload.data);
    expect(community).toMatchObject({ content: 'Create Community', cmd: 1 });
  });

  it('joinGroup: JoinedSuccess {status, group}; WaitAdminApproval {status}; in the local list → AlreadyInGroup after re-fetching; other statuses → 2660', async () => {
    const f = setup();
    f.respond((cmd, body) => {
      const groupID = String(body['groupID']);
      if (cmd === 'group.join') {
        if (groupID === 'free') return { status: 'JoinedSuccess', group: wireGroup('free', { ownerID: 'bob' }) };
        if (groupID === 'ask') return { status: 'WaitAdminApproval', group: null };
        return { status: 'Weird', group: null };
      }
      if (cmd === 'group.get') return { group: wireGroup(groupID, { ownerID: 'bob' }) };
      return undefined;
    });
    const joined = await f.api.joinGroup({ groupID: 'free', applyMessage: 'hi' });
    expect(f.calls[0]?.body).toEqual({ groupID: 'free', applyMessage: 'hi' });
    expect(joined.data).toEqual({ status: 'JoinedSuccess', group: f.groups.get('free') });
    expect((await f.api.joinGroup({ groupID: 'ask' })).data).toEqual({ status: 'WaitAdminApproval' });
    f.calls.length = 0;
    expect((await f.api.joinGroup({ groupID: 'free' })).data).toEqual({ status: 'AlreadyInGroup' });
    expect(f.calls.map((c) => c.cmd)).toEqual(['group.get']);
    await expect(f.api.joinGroup({ groupID: 'odd' })).rejects.toMatchObject({ code: 2660 });
  });

  it('one AVChatRoom at a time: joining a second quits the first (only dropped locally when owned); unlimitedAVChatRoom keeps both', async () => {
    const f = setup();
    f.respond((cmd, body) => {
      const groupID = String(body['groupID']);
      if (cmd === 'group.join') return { status: 'JoinedSuccess', group: wireGroup(groupID, { type: 'AVChatRoom', ownerID: groupID === 'own' ? 'me' : 'bob' }) };
      if (cmd === 'group.quit') return { groupID };
      return undefined;
    });
    await f.api.joinGroup({ groupID: 'r1' });
    await f.api.joinGroup({ groupID: 'r2' });
    expect(f.calls.map((c) => [c.cmd, c.body['groupID']])).toEqual([
      ['group.join', 'r1'],
      ['group.join', 'r2'],
      ['group.quit', 'r1'],
    ]);
    expect(f.groups.list().map((g) => g.groupID)).toEqual(['r2']);
    f.calls.length = 0;
    await f.api.joinGroup({ groupID: 'own' });
    await f.api.joinGroup({ groupID: 'r3' });
    expect(f.calls.map((c) => [c.cmd, c.body['groupID']])).toEqual([
      ['group.join', 'own'],
      ['group.quit', 'r2'],
      ['group.join', 'r3'],
    ]);
    expect(f.groups.list().map((g) => g.groupID)).toEqual(['r3']);

    const u = setup('me', { unlimitedAVChatRoom: true });
    u.respond((cmd, body) => (cmd === 'group.join' ? { status: 'JoinedSuccess', group: wireGroup(String(body['groupID']), { type: 'AVChatRoom', ownerID: 'bob' }) } : undefined));
    await u.api.joinGroup({ groupID: 'r1' });
    await u.api.joinGroup({ groupID: 'r2' });
    expect(u.groups.list().map((g) => g.groupID)).toEqual(['r1', 'r2']);
  });

  it('getGroupMemberList: count clamped to 100 (default 15), offset passed through; returns GroupMember instances and the next offset', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g')]);
    f.respond((cmd) => (cmd === 'group.members' ? { memberList: [wireMember('a'), wireMember('b', { role: 'Admin' })], offset: 0 } : undefined));
    const res = await f.api.getGroupMemberList({ groupID: 'g', count: 500, offset: 30, role: 'Admin' });
    expect(f.calls[0]?.body).toEqual({ groupID: 'g', count: 100, offset: 30, role: 'Admin' });
    expect(res.data.offset).toBe(0);
    expect(res.data.memberList[1]).toBeInstanceOf(GroupMember);
    expect(res.data.memberList.map((m) => [m.userID, m.role])).toEqual([
      ['a', 'Member'],
      ['b', 'Admin'],
    ]);
    await f.api.getGroupMemberList({ groupID: 'g' });
    expect(f.calls[1]?.body).toEqual({ groupID: 'g', count: 15, offset: 0 });
  });

  it('addGroupMember / deleteGroupMember / quit / dismiss shapes; quit and dismiss drop the group and its conversation', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g'), wireGroup('h')]);
    f.conversations.create('GROUPg', 'g', 0);
    f.respond((cmd, body) => {
      const groupID = String(body['groupID']);
      if (cmd === 'group.add-members') return { successUserIDList: ['a'], failureUserIDList: [], existedUserIDList: ['b'], overLimitUserIDList: [], group: wireGroup(groupID, { memberCount: 3 }) };
      if (cmd === 'group.delete-members') return { group: wireGroup(groupID, { memberCount: 2 }), userIDList: ['a'] };
      if (cmd === 'group.quit') return { groupID };
      if (cmd === 'group.dismiss') return { groupID };
      return undefined;
    });
    const added = await f.api.addGroupMember({ groupID: 'g', userIDList: ['a', 'b'] });
    expect(added.data).toEqual({ successUserIDList: ['a'], failureUserIDList: [], existedUserIDList: ['b'], overLimitUserIDList: [], group: f.groups.get('g') });
    expect(added.data.group?.memberNum).toBe(3);
    const deleted = await f.api.deleteGroupMember({ groupID: 'g', userIDList: ['a'], reason: 'spam' });
    expect(f.calls[1]?.body).toEqual({ groupID: 'g', userIDList: ['a'], reason: 'spam' });
    expect(deleted.data).toEqual({ group: f.groups.get('g'), userIDList: ['a'] });
    expect((await f.api.quitGroup('g')).data).toEqual({ groupID: 'g' });
    expect(f.groups.get('g')).toBeUndefined();
    expect(f.conversations.get('GROUPg')).toBeUndefined();
    expect((await f.api.dismissGroup('h')).data).toEqual({ groupID: 'h' });
    expect(f.groups.list()).toEqual([]);
  });

  it('setMessageRemindType: group form → {group}; C2C form → {successUserIDList: [{userID}], failureUserIDList: []} (≤ 30 IDs)', async () => {
    const f = setup();
    await loadGroups(f, [wireGroup('g')]);
    f.conversations.create('GROUPg', 'g', 0);
    f.respond((cmd, body) => (cmd === 'conv.set-remind' ? { conversationIDList: body['conversationIDList'], messageRemindType: body['messageRemindType'] } : undefined));
    const group = await f.api.setMessageRemindType({ groupID: 'g', messageRemindType: 'AcceptNotNotify' });
    expect(f.calls[0]?.body).toEqual({ conversationIDList: ['GROUPg'], messageRemindType: 'AcceptNotNotify' });
    expect(group.data).toEqual({ group: f.groups.get('g') });
    expect(f.groups.get('g')?.selfInfo.messageRemindType).toBe('AcceptNotNotify');
    expect(f.conversations.get('GROUPg')?.conversation.messageRemindType).toBe('AcceptNotNotify');
    const ids = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const c2c = await f.api.setMessageRemindType({ userIDList: ids, messageRemindType: 'Discard' });
    expect((f.calls[1]?.body['conversationIDList'] as string[]).length).toBe(30);
    expect(c2c.data).toEqual({ successUserIDList: ids.slice(0, 30).map((userID) => ({ userID })), failureUserIDList: [] });
  });

  it('handleGroupApplication with the notice message (removed from @TIM#SYSTEM) or with an application item', async () => {
    const f = setup();
    f.respond((cmd, body) => (cmd === 'group.handle-application' ? { group: wireGroup(String(body['groupID'])) } : undefined));
    f.groups.handlePush({
      cmd: 'push.system-notice',
      data: { ID: 'n1', time: 5, groupID: 'g', payload: { operatorID: 'bob', operationType: 1, groupProfile: { groupID: 'g', name: 'G' }, handleMessage: 'let me in', authentication: 'k', messageKey: 'k', userDefinedField: '' } },
    });
    const notice = f.received.flat()[0];
    expect(notice?.type).toBe('TIMGroupSystemNoticeElem');
    const res = await f.api.handleGroupApplication({ handleAction: 'Agree', handleMessage: 'ok', message: notice as never });
    expect(f.calls[0]?.body).toEqual({ groupID: 'g', applicant: 'bob', handleAction: 'Agree', handleMessage: 'ok' });
    expect(res.data.group).toBeInstanceOf(Group);
    expect(f.groups.systemNotices()).toEqual([]);
    await f.api.handleGroupApplication({ handleAction: 'Reject', application: { groupID: 'g', applicant: 'carol' } });
    expect(f.calls[1]?.body).toEqual({ groupID: 'g', applicant: 'carol', handleAction: 'Reject' });
    // A notice that is not an application is a parameter error.
    const other = systemNoticeMessage({ ID: 'n2', time: 1, groupID: 'g', payload: { operatorID: 'x', operationType: 5, groupProfile: { groupID: 'g', name: '' }, handleMessage: '', authentication: '', messageKey: '', userDefinedField: '' } }, 'me');
    expect(thrown(() => f.api.handleGroupApplication({ handleAction: 'Agree', message: other }))).toBeInstanceOf(ParamsValidateError);
  });

  it('server errors of getGroupProfile carry data.groupID', async () => {
    const f = setup();
    f.respond((cmd) => (cmd === 'group.get' ? new ImError(10010, 'gone') : undefined));
    await expect(f.api.getGroupProfile({ groupID: 'gone' })).rejects.toMatchObject({ code: 10010, data: { groupID: 'gone' } });
    await flush();
  });
});

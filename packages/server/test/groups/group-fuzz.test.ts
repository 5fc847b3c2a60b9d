/**
 * Property test over the group commands: random sequences of mostly-valid
 * group operations by three users (one with two connections) on a small pool of
 * groups. Every request gets exactly one answer, never an internal error, and
 * afterwards the derived state is consistent: memberCount matches the member
 * list, unread counts are never negative, every member sees the group.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode, type ResponseData } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { groupText, memberIDs, ok } from './group-helpers.js';

const pool = new ClientPool();
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0, groupSendRatePerSecond: 5 } });
});
afterEach(() => pool.closeAll());
afterAll(async () => {
  await srv.close();
});

const TYPES = ['Private', 'Public', 'ChatRoom', 'Community', 'AVChatRoom'] as const;
/** Types whose custom IDs need no prefix (the pool's third group is the Community). */
const PLAIN_TYPES = ['Private', 'Public', 'ChatRoom', 'AVChatRoom'] as const;

interface Step {
  actor: number;
  cmd: string;
  group: number;
  type: (typeof TYPES)[number];
  target: number;
  role: string;
  flag: boolean;
  n: number;
  text: string;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  actor: fc.integer({ min: 0, max: 3 }),
  cmd: fc.constantFrom(
    'group.create',
    'group.create',
    'group.join',
    'group.join',
    'group.quit',
    'group.update',
    'group.dismiss',
    'group.change-owner',
    'group.handle-application',
    'group.add-members',
    'group.add-members',
    'group.delete-members',
    'group.mute-member',
    'group.set-role',
    'group.set-name-card',
    'group.set-member-custom',
    'group.members',
    'group.online-count',
    'group.applications',
    'group.list',
    'conv.set-remind',
    'conv.delete',
    'msg.send',
    'msg.send',
    'msg.send',
    'msg.read',
    'msg.revoke',
    'msg.list',
  ),
  group: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom(...TYPES),
  target: fc.integer({ min: 0, max: 3 }),
  role: fc.constantFrom('Admin', 'Member', 'Custom', 'Owner'),
  flag: fc.boolean(),
  n: fc.integer({ min: 0, max: 600 }),
  text: fc.string({ minLength: 0, maxLength: 40 }),
});

let run = 0;

describe('group fuzz', () => {
  it('answers every random group operation once, never with an internal error, and keeps derived state consistent', async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PLAIN_TYPES), fc.constantFrom(...PLAIN_TYPES), fc.array(stepArb, { minLength: 5, maxLength: 25 }), async (t0, t1, steps) => {
        const p = `fz${++run}`;
        const users = [`${p}-a`, `${p}-b`, `${p}-c`, `${p}-ghost`];
        const a1 = await pool.login(srv, users[0]!);
        const a2 = await pool.login(srv, users[0]!);
        const b = await pool.login(srv, users[1]!);
        const c = await pool.login(srv, users[2]!);
        const actors: RawClient[] = [a1, a2, b, c];
        const groups = [`${p}-g0`, `${p}-g1`, `@TGS#_${p}`];
        const sent: string[] = [];
        // Three groups to work on (the steps may also dismiss and re-create them).
        await ok(a1, 'group.create', { type: t0, name: 'g0', groupID: groups[0], joinOption: 'FreeAccess', memberList: [{ userID: users[1] }] });
        await ok(b, 'group.create', { type: t1, name: 'g1', groupID: groups[1], memberList: [{ userID: users[2] }, { userID: users[0] }] });
        await ok(c, 'group.create', { type: 'Community', name: 'g2', groupID: groups[2], joinOption: 'FreeAccess' });
        for (const [i, groupID] of groups.entries()) {
          if ((i === 0 ? t0 : i === 1 ? t1 : 'Community') === 'AVChatRoom') for (const client of [a1, b, c]) await ok(client, 'group.join', { groupID });
        }
        for (const s of steps) {
          const client = actors[s.actor]!;
          const groupID = groups[s.group]!;
          const target = users[s.target]!;
          let body: Record<string, unknown>;
          switch (s.cmd) {
            case 'group.create':
              body = { type: s.group === 2 ? 'Community' : s.type, name: s.text || 'g', groupID, memberList: s.flag ? [{ userID: target }] : [], joinOption: s.flag ? 'FreeAccess' : 'NeedPermission' };
              break;
            case 'group.update':
              body = { groupID, name: s.text || 'renamed', muteAllMembers: s.flag, ...(s.n % 3 === 0 ? { maxMemberNum: s.n + 1 } : {}) };
              break;
            case 'group.change-owner':
              body = { groupID, newOwnerID: target };
              break;
            case 'group.handle-application':
              body = { groupID, applicant: target, handleAction: s.flag ? 'Agree' : 'Reject' };
              break;
            case 'group.add-members':
            case 'group.delete-members':
              body = { groupID, userIDList: [target, users[(s.target + 1) % 4]!] };
              break;
            case 'group.mute-member':
              body = { groupID, userID: target, muteTime: s.flag ? s.n : 0 };
              break;
            case 'group.set-role':
              body = { groupID, userID: target, role: s.role };
              break;
            case 'group.set-name-card':
              body = { groupID, userID: target, nameCard: s.text };
              break;
            case 'group.set-member-custom':
              body = { groupID, userID: target, memberCustomField: [{ key: 'k', value: s.text }] };
              break;
            case 'group.members':
              body = { groupID, count: 1 + (s.n % 100), offset: s.n % 5 };
              break;
            case 'group.applications':
            case 'group.list':
              body = {};
              break;
            case 'conv.set-remind':
              body = { conversationIDList: [`GROUP${groupID}`], messageRemindType: s.flag ? 'Discard' : 'AcceptNotNotify' };
              break;
            case 'conv.delete':
              body = { conversationIDList: [`GROUP${groupID}`], clearHistoryMessage: s.flag };
              break;
            case 'msg.send': {
              const message = groupText(groupID, s.text || 'x', { priority: s.flag ? 'Low' : 'High' });
              sent.push(message.ID);
              body = { message, onlineUserOnly: s.n % 7 === 0 };
              break;
            }
            case 'msg.read':
              body = { conversationID: `GROUP${groupID}`, ...(s.flag ? { upToSeq: s.n % 10 } : {}) };
              break;
            case 'msg.revoke':
              body = { conversationID: `GROUP${groupID}`, messageID: sent[s.n % Math.max(1, sent.length)] ?? 'none' };
              break;
            case 'msg.list':
              body = { conversationID: `GROUP${groupID}` };
              break;
            default:
              body = { groupID };
          }
          const before = client.frames.length;
          const res = await client.request(s.cmd, body);
          const key = `${s.cmd}:${res.code}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          expect(res.code, `${s.cmd} ${JSON.stringify(body)} → ${JSON.stringify(res)}`).not.toBe(ErrorCode.InternalError);
          expect(res.code).not.toBe(ErrorCode.InvalidFrame);
          expect(client.frames.slice(before).filter((f) => f.cmd === 'res')).toHaveLength(1);
        }
        // Derived state is consistent for every group that exists.
        for (const groupID of groups) {
          for (const [i, client] of [a1, b, c].entries()) {
            const res = await client.request('group.get', { groupID });
            if (res.code !== 0) continue;
            const group = (res as unknown as { data: ResponseData['group.get'] }).data.group;
            expect(group.unreadCount).toBeGreaterThanOrEqual(0);
            if (!group.selfInfo || group.type === 'AVChatRoom') continue;
            const ids = await memberIDs(client, groupID);
            expect(ids).toContain(users[i === 0 ? 0 : i]);
            expect(group.memberCount).toBe(ids.length);
            const listed = (await ok(client, 'group.list')).groups.find((g) => g.groupID === groupID);
            expect(listed?.unreadCount).toBe(group.unreadCount);
            const conversation = (await ok(client, 'conv.sync')).conversations.find((x) => x.conversationID === `GROUP${groupID}`);
            expect(conversation?.unreadCount).toBe(group.unreadCount);
          }
        }
        for (const client of actors) client.ws.terminate();
      }),
      { numRuns: 40 },
    );
    // The runs reached the services, not just the refusals.
    for (const key of ['group.join:0', 'msg.send:0', 'group.quit:0', 'msg.read:0', 'conv.delete:0']) {
      expect(outcomes.get(key) ?? 0, `${key} in ${JSON.stringify([...outcomes].sort())}`).toBeGreaterThan(0);
    }
  });
});

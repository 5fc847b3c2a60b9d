/**
 * What an app administrator or an AVChatRoom owner does beyond the member
 * operations of GroupService: AVChatRoom bans (tips 10/11, notice 21; spec §4.8
 * deleteGroupMember with `duration`, §7.2, §8.4) and custom system notices
 * (notice 255, admin REST `send_group_system_notification`).
 *
 * A ban is stored (it outlives a restart), removes the banned users' connections
 * from the room on every node, and refuses their `group.join` until it expires
 * or is lifted. Expired bans need no timer: the join check compares with now.
 */
import { ErrorCode } from '@parley/protocol';
import type { GroupBanRow, GroupRow } from '../storage/group-repository.js';
import type { Storage, StorageRepositories } from '../storage/storage.js';
import { type Clock, nowSeconds } from './clock.js';
import type { GroupDelivery, NoticeFields } from './group-delivery.js';
import type { GroupPresence } from './group-presence.js';
import { allows, rulesFor } from './group-rules.js';
import { effectiveRole } from './group-views.js';
import type { Caller } from './message-service.js';
import { ServiceError } from './service-error.js';

/** GRP_TIP_BAN_AVCHATROOM_MEMBER / GRP_TIP_UNBAN_AVCHATROOM_MEMBER (spec §7.2). */
export const BAN_TIP = 10;
export const UNBAN_TIP = 11;
/** System notices (spec §8.4): 21 banned from an AVChatRoom (the target's SDK consumes it), 255 custom. */
export const BANNED_NOTICE = 21;
export const CUSTOM_NOTICE = 255;

/** Largest ban description, bytes (Tencent's `ban_group_member` Description: 1000). */
export const BAN_DESCRIPTION_MAX_BYTES = 1000;
/** Largest custom system notice text, bytes (the message body limit's default, 12 KB). */
export const NOTICE_CONTENT_MAX_BYTES = 12 * 1024;
/** Longest ban, seconds (a uint32, as Tencent's `Duration`). */
export const MAX_BAN_SECONDS = 0xffffffff;

function fail(code: number, message: string): never {
  throw new ServiceError(code, message);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export class GroupModeration {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly delivery: GroupDelivery,
    private readonly presence: () => GroupPresence,
    private readonly isAppAdmin: (userID: string) => boolean,
  ) {}

  /**
   * Bans `userIDList` from an AVChatRoom for `durationSeconds`: stored, the users'
   * connections leave the room, they get notice 21 and the room tip 10. The owner
   * or an app administrator only (rules `ban`); other group types 10007; yourself
   * or the owner → 10004 / 10007. Returns the banned users.
   */
  async ban(caller: Caller, groupID: string, userIDList: readonly string[], durationSeconds: number, description = ''): Promise<string[]> {
    const userIDs = [...new Set(userIDList)];
    if (!Number.isSafeInteger(durationSeconds) || durationSeconds <= 0 || durationSeconds > MAX_BAN_SECONDS) {
      fail(ErrorCode.InvalidParameters, `a ban needs a duration of 1–${MAX_BAN_SECONDS} seconds (got ${durationSeconds})`);
    }
    if (byteLength(description) > BAN_DESCRIPTION_MAX_BYTES) fail(ErrorCode.InvalidParameters, `the ban description is over ${BAN_DESCRIPTION_MAX_BYTES} bytes`);
    const time = nowSeconds(this.clock);
    const group = await this.storage.transaction(async (tx) => {
      const group = await this.checkBanRights(tx, caller, groupID);
      if (userIDs.includes(caller.userID)) fail(ErrorCode.InvalidParameters, 'you cannot ban yourself');
      if (group.owner !== '' && userIDs.includes(group.owner)) fail(ErrorCode.NoPermission, 'the owner of the room cannot be banned');
      const rows: GroupBanRow[] = userIDs.map((userID) => ({ groupID, userID, until: time + durationSeconds, description, operator: caller.userID, createdAt: time }));
      await tx.groups.putBans(rows);
      return group;
    });
    // The banned users' SDKs hear it first (and drop the room), then their sockets leave it, then the rest of the room is told.
    this.delivery.systemNotice(userIDs, group, { operatorID: caller.userID, operationType: BANNED_NOTICE, handleMessage: description });
    this.delivery.evictFromRoom(groupID, userIDs);
    await this.roomTip(group, caller, BAN_TIP, userIDs, time);
    return userIDs;
  }

  /** Lifts bans early; tip 11 to the room names the users whose ban still held. Returns them. */
  async unban(caller: Caller, groupID: string, userIDList: readonly string[]): Promise<string[]> {
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.checkBanRights(tx, caller, groupID);
      return { group, lifted: await tx.groups.removeBans(groupID, userIDList, time) };
    });
    if (outcome.lifted.length > 0) await this.roomTip(outcome.group, caller, UNBAN_TIP, outcome.lifted, time);
    return outcome.lifted;
  }

  /**
   * Refuses a banned user's join. The spec has no "banned" code (§13.2), so this is
   * 10007 (insufficient permission), the code Tencent's joinGroup refusals use.
   */
  async assertNotBanned(groupID: string, userID: string): Promise<void> {
    const ban = await this.storage.groups.activeBan(groupID, userID, nowSeconds(this.clock));
    if (ban) fail(ErrorCode.NoPermission, `you are banned from ${groupID} until ${ban.until}${ban.description ? `: ${ban.description}` : ''}`);
  }

  /**
   * A custom system notice (operationType 255, `userDefinedField` = `content`) from an
   * app administrator: to every member, or to those of `toMembers` who are members
   * (the others are ignored). AVChatRoom: to the whole room only (a list → 10004).
   * Returns the users it was addressed to (AVChatRoom: the logged-in users in the room).
   */
  async customNotice(caller: Caller, groupID: string, content: string, toMembers: readonly string[] = []): Promise<string[]> {
    if (!this.isAppAdmin(caller.userID)) fail(ErrorCode.NoPermission, 'only an app administrator sends custom system notices');
    if (content === '') fail(ErrorCode.InvalidParameters, 'the notice content is empty');
    if (byteLength(content) > NOTICE_CONTENT_MAX_BYTES) fail(ErrorCode.InvalidParameters, `the notice content is over ${NOTICE_CONTENT_MAX_BYTES} bytes`);
    const group = await this.requireGroup(this.storage, groupID);
    const notice: NoticeFields = { operatorID: caller.userID, operationType: CUSTOM_NOTICE, userDefinedField: content };
    if (rulesFor(group.type).liveMembership) {
      if (toMembers.length > 0) fail(ErrorCode.InvalidParameters, 'AVChatRoom system notices go to the whole room: leave out the recipient list');
      this.delivery.noticeToRoom(group, notice);
      return this.presence().roomUsers(groupID);
    }
    const members = new Set((await this.storage.groups.allMembers(groupID)).map((m) => m.userID));
    const recipients = toMembers.length === 0 ? [...members] : [...new Set(toMembers)].filter((id) => members.has(id));
    this.delivery.systemNotice(recipients, group, notice);
    return recipients;
  }

  /** The group, when the caller may ban in it: AVChatRoom owner or app administrator (rules `ban`), else 10007. */
  private async checkBanRights(tx: StorageRepositories, caller: Caller, groupID: string): Promise<GroupRow> {
    const group = await this.requireGroup(tx, groupID);
    const rules = rulesFor(group.type);
    // Only the owner (or an app administrator) bans: the owner's role does not depend on being in the room.
    if (!allows(rules.ban, effectiveRole(group, caller.userID, null), this.isAppAdmin(caller.userID))) {
      fail(ErrorCode.NoPermission, rules.ban === 'nobody' ? `${rules.label} groups have no member bans (AVChatRoom only)` : 'only the owner or an app administrator may ban members');
    }
    return group;
  }

  /** Tips 10/11 go live to the room (not rate limited: they are rare and matter), with the room's size after the change. */
  private async roomTip(group: GroupRow, caller: Caller, operationType: number, userIDList: string[], time: number): Promise<void> {
    const tip = await this.delivery.appendTip(
      null,
      group,
      { operatorID: caller.userID, operationType, userIDList, memberCount: this.presence().roomSize(group.groupID) },
      time,
    );
    this.delivery.toRoom(group.groupID, { cmd: 'push.message', data: tip });
  }

  private async requireGroup(repos: StorageRepositories, groupID: string): Promise<GroupRow> {
    const group = await repos.groups.getGroup(groupID);
    if (!group || group.dismissed) fail(ErrorCode.GroupNotFound, `group ${groupID} does not exist or was dismissed`);
    return group;
  }
}

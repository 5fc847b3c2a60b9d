/**
 * Groups and members: every `group.*` command (spec §4.7–4.8) with the type
 * rules of §9 (group-rules.ts) enforced here, tips into the group timeline and
 * system notices (§8.3–8.4) to exactly the recipients the spec names.
 *
 * Refusals throw a ServiceError with the spec's code before anything is written;
 * checks that depend on data another request could change are repeated inside
 * the write transaction.
 */
import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type ChangeOwnerBody,
  type CreateGroupBody,
  type DeleteMembersBody,
  type GroupMemberProfilesBody,
  type GroupMembersBody,
  type GroupMembersChangeBody,
  type HandleApplicationBody,
  type JoinGroupBody,
  type MuteMemberBody,
  type ResponseData,
  type SetMemberCustomFieldBody,
  type SetMemberRoleBody,
  type SetNameCardBody,
  type UpdateGroupBody,
  type WireGroup,
  type WireGroupApplication,
  type WireGroupMember,
  type WireGroupRole,
  type WireGroupTipPayload,
  type WireGroupType,
  type WireKeyValue,
  type WireMessage,
} from '@parley/protocol';
import type { Broker } from '../cluster/broker.js';
import type { GroupApplicationRow, GroupChanges, GroupMemberRow, GroupRow } from '../storage/group-repository.js';
import type { Storage, StorageRepositories } from '../storage/storage.js';
import { type Clock, nowSeconds } from './clock.js';
import { GroupDelivery } from './group-delivery.js';
import { GroupModeration } from './group-moderation.js';
import { NO_PRESENCE, type GroupPresence } from './group-presence.js';
import { RoomTipBatcher } from './room-tip-batcher.js';
import {
  COMMUNITY_GROUP_ID_PREFIX,
  GROUP_FIELD_LIMITS,
  MEMBER_BATCH_LIMIT,
  SERVER_GROUP_ID_PREFIX,
  allows,
  outranks,
  rulesFor,
} from './group-rules.js';
import { buildGroupView, buildMemberView, effectiveRole } from './group-views.js';
import type { Caller } from './message-service.js';
import type { ProfileCache } from './profile-cache.js';
import type { SendRateLimiter } from './send-rate-limiter.js';
import { ServiceError } from './service-error.js';

export interface GroupLimits {
  /** Largest `maxMemberCount` per type (also the default); 0 = unlimited. */
  maxMembers: Record<WireGroupType, number>;
  /** Groups a user may be a member of; 0 = unlimited (10037 beyond). */
  maxGroupsPerUser: number;
  /** Allowed member custom-field keys; empty = any key. */
  memberCustomKeys: readonly string[];
  /** The app's SDKAppID (anonymous AVChatRoom joins name it). */
  sdkAppID: number;
  /** App administrator userIDs (config `adminUserIDs`): they pass every owner/admin check (group-rules.ts `allows`). */
  appAdmins: readonly string[];
  /** AVChatRoom size from which join/quit tips are coalesced (room-tip-batcher.ts); 0 = never. */
  roomTipBatchFrom: number;
}

/** Options of the member operations the admin REST API adds. */
export interface MemberChangeOptions {
  /** Tencent's `Silence: 1`: add — no tip and no notice; delete — no tip (the removed users still get notice 4). */
  silent?: boolean;
}

/** GRP_TIP_* operation types (spec §7.2). */
export const TipType = { join: 1, quit: 2, kicked: 3, setAdmin: 4, cancelAdmin: 5, profile: 6, memberProfile: 7 } as const;
/** Group system notice operation types (spec §8.4). */
export const NoticeType = {
  application: 1,
  approved: 2,
  rejected: 3,
  removed: 4,
  dismissed: 5,
  created: 6,
  invited: 7,
  quit: 8,
  setAdmin: 9,
  adminRevoked: 10,
} as const;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function fail(code: number, message: string): never {
  throw new ServiceError(code, message);
}

function checkBytes(field: string, value: string | undefined, max: number): void {
  if (value !== undefined && byteLength(value) > max) fail(ErrorCode.InvalidParameters, `${field} is ${byteLength(value)} bytes; the limit is ${max}`);
}

function randomGroupSuffix(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return out;
}

/** Merges key/value lists: later entries replace earlier ones with the same key. Returns the merged list and the changed entries. */
function mergeKeyValues(current: readonly WireKeyValue[], updates: readonly WireKeyValue[]): { merged: WireKeyValue[]; changed: WireKeyValue[] } {
  const merged = current.map((kv) => ({ ...kv }));
  const changed: WireKeyValue[] = [];
  for (const { key, value } of updates) {
    const existing = merged.find((kv) => kv.key === key);
    if (existing) {
      if (existing.value === value) continue;
      existing.value = value;
    } else merged.push({ key, value });
    changed.push({ key, value });
  }
  return { merged, changed };
}

/** A member row for someone joining now. */
function newMember(group: { groupID: string; lastSeq: number; tipCount: number }, userID: string, role: WireGroupRole, time: number, custom: WireKeyValue[] = []): GroupMemberRow {
  return {
    groupID: group.groupID,
    userID,
    role,
    nameCard: '',
    joinTime: time,
    muteUntil: 0,
    custom,
    // Nothing before the join is unread; Work/Public also see no history before it.
    readSeq: group.lastSeq,
    joinSeq: group.lastSeq,
    remindType: '',
    lastSendTime: 0,
    sendCount: 0,
    readOwnOrd: 0,
    readTipCount: group.tipCount,
    clearedSeq: 0,
    hiddenSeq: -1,
  };
}

/** Busy AVChatRooms (limits.roomTipBatchFrom sockets and more) get one join tip and one quit tip a second, each naming up to 500 users. */
const ROOM_TIP_WINDOW_MS = 1000;
const ROOM_TIP_MAX_USERS = 500;

export class GroupService {
  private presence: GroupPresence = NO_PRESENCE;
  readonly delivery: GroupDelivery;
  /** AVChatRoom bans and custom system notices. */
  readonly moderation: GroupModeration;
  private readonly appAdmins: ReadonlySet<string>;
  private readonly roomTips: RoomTipBatcher;

  constructor(
    private readonly storage: Storage,
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly profiles: ProfileCache,
    private readonly limits: GroupLimits,
    /** The AVChatRoom send limiter, shared with the message service (join/quit tips count as Low-priority sends). */
    private readonly roomLimiter: SendRateLimiter,
  ) {
    this.delivery = new GroupDelivery(storage, broker, clock, () => this.presence);
    this.appAdmins = new Set(limits.appAdmins);
    const threshold = limits.roomTipBatchFrom > 0 ? limits.roomTipBatchFrom : Number.POSITIVE_INFINITY;
    this.roomTips = new RoomTipBatcher({ threshold, windowMs: ROOM_TIP_WINDOW_MS, maxUsers: ROOM_TIP_MAX_USERS }, (groupID, operationType, userIDs) => {
      // A failed read of the group only loses this batch's tip (tips are best-effort and Low priority).
      this.sendBatchedRoomTip(groupID, operationType, userIDs).catch(() => undefined);
    });
    this.moderation = new GroupModeration(storage, clock, this.delivery, () => this.presence, (userID) => this.isAppAdmin(userID));
  }

  /** Whether the user is an app administrator (config `adminUserIDs`). */
  isAppAdmin(userID: string): boolean {
    return this.appAdmins.has(userID);
  }

  /** Wires the gateway's live-connection view in (composition root). */
  attachPresence(presence: GroupPresence): void {
    this.presence = presence;
  }

  get livePresence(): GroupPresence {
    return this.presence;
  }

  // ------------------------------------------------------------------ groups

  async create(caller: Caller, body: CreateGroupBody): Promise<ResponseData['group.create']> {
    const rules = rulesFor(body.type);
    checkBytes('name', body.name, GROUP_FIELD_LIMITS.name);
    checkBytes('introduction', body.introduction, GROUP_FIELD_LIMITS.introduction);
    checkBytes('notification', body.notification, GROUP_FIELD_LIMITS.notification);
    checkBytes('avatar', body.avatar, GROUP_FIELD_LIMITS.avatar);
    const groupID = body.groupID ?? this.newGroupID(body.type);
    if (body.groupID !== undefined) {
      const community = body.type === 'Community';
      if (community && !body.groupID.startsWith(COMMUNITY_GROUP_ID_PREFIX)) {
        fail(ErrorCode.InvalidGroupID, `Community groupIDs must start with "${COMMUNITY_GROUP_ID_PREFIX}"`);
      }
      if (!community && body.groupID.startsWith(SERVER_GROUP_ID_PREFIX)) {
        fail(ErrorCode.InvalidGroupID, `custom groupIDs must not start with "${SERVER_GROUP_ID_PREFIX}"`);
      }
    }
    const typeMax = this.limits.maxMembers[body.type];
    if (body.maxMemberNum !== undefined && typeMax > 0 && body.maxMemberNum > typeMax) {
      fail(ErrorCode.InvalidParameters, `maxMemberNum ${body.maxMemberNum} exceeds the ${rules.label} limit of ${typeMax}`);
    }
    const maxMemberCount = body.maxMemberNum ?? typeMax;

    // Initial members (dropped for AVChatRoom): unique, not the creator, valid roles.
    const initial = new Map<string, { role: WireGroupRole; custom: WireKeyValue[] }>();
    if (rules.memberListAtCreate) {
      for (const item of body.memberList ?? []) {
        if (item.userID === caller.userID || initial.has(item.userID)) continue;
        const role = item.role ?? 'Member';
        if (role === 'Owner' || !rules.roles.includes(role)) fail(ErrorCode.InvalidParameters, `role "${role}" is not available in ${rules.label} groups`);
        this.checkMemberCustomKeys(item.memberCustomField ?? []);
        initial.set(item.userID, { role, custom: item.memberCustomField ?? [] });
      }
    }
    if (maxMemberCount > 0 && initial.size + 1 > maxMemberCount) fail(ErrorCode.GroupFull, `${initial.size + 1} members exceed maxMemberCount ${maxMemberCount}`);
    const time = nowSeconds(this.clock);

    const outcome = await this.storage.transaction(async (tx) => {
      if (!rules.liveMembership) await this.checkGroupCount(tx, caller.userID);
      const group: GroupRow = {
        groupID,
        type: body.type,
        name: body.name,
        owner: caller.userID,
        introduction: body.introduction ?? '',
        notification: body.notification ?? '',
        avatar: body.avatar ?? '',
        joinOption: rules.joinOptionSettable ? (body.joinOption ?? rules.defaultJoinOption) : rules.defaultJoinOption,
        maxMemberCount,
        muteAll: false,
        isSupportTopic: body.type === 'Community' && body.isSupportTopic === true,
        custom: mergeKeyValues([], body.groupCustomField ?? []).merged,
        createdAt: time,
        lastInfoTime: time,
        infoSeq: 0,
        lastSeq: 0,
        lastTime: 0,
        tipCount: 0,
        memberCount: 0,
        dismissed: false,
      };
      if (!(await tx.groups.createGroup(group))) fail(ErrorCode.GroupIDInUse, `groupID "${groupID}" is already used`);
      await tx.groups.addMember(newMember(group, caller.userID, 'Owner', time));
      const added: string[] = [];
      const overLimit: string[] = [];
      for (const [userID, { role, custom }] of initial) {
        if (this.limits.maxGroupsPerUser > 0 && (await tx.groups.countMemberships(userID)) >= this.limits.maxGroupsPerUser) {
          overLimit.push(userID);
          continue;
        }
        await tx.users.ensure(userID, time);
        await tx.groups.addMember(newMember(group, userID, role, time, custom));
        added.push(userID);
      }
      const tip = added.length > 0 ? await this.delivery.appendTip(tx, group, { operatorID: caller.userID, operationType: TipType.join, userIDList: added }, time) : null;
      return { group, added, overLimit, tip };
    });

    if (outcome.tip) await this.delivery.messageToMembers(groupID, outcome.tip);
    this.delivery.systemNotice(outcome.added, outcome.group, { operatorID: caller.userID, operationType: NoticeType.invited });
    this.delivery.systemNotice([caller.userID], outcome.group, { operatorID: caller.userID, operationType: NoticeType.created }, caller);
    await this.delivery.groupUpdated(groupID, [caller.userID, ...outcome.added], caller);
    return { group: await this.viewFor(caller, groupID), overLimitUserIDList: outcome.overLimit };
  }

  /** The caller's groups (AVChatRooms only while joined on this connection), with unread and lastMessage. */
  async list(caller: Caller): Promise<WireGroup[]> {
    const memberships = await this.storage.groups.membershipsOf(caller.userID);
    const views: WireGroup[] = [];
    for (const { group, member } of memberships) {
      if (rulesFor(group.type).liveMembership) continue;
      views.push(await buildGroupView(this.storage, this.viewContext(), group, member));
    }
    for (const groupID of this.presence.roomsOf(caller.connectionID)) {
      const group = await this.storage.groups.getGroup(groupID);
      if (!group || group.dismissed) continue;
      views.push(await buildGroupView(this.storage, this.viewContext(), group, await this.memberOf(this.storage, group, caller)));
    }
    return views;
  }

  async get(caller: Caller, groupID: string): Promise<WireGroup> {
    const group = await this.requireGroup(this.storage, groupID);
    const member = await this.memberOf(this.storage, group, caller);
    if (!member && !rulesFor(group.type).profileVisibleToNonMembers) fail(ErrorCode.NoPermission, `only members may read the profile of ${groupID}`);
    return buildGroupView(this.storage, this.viewContext(), group, member);
  }

  async search(caller: Caller, groupID: string): Promise<WireGroup> {
    const group = await this.requireGroup(this.storage, groupID);
    if (!rulesFor(group.type).searchable) fail(ErrorCode.NoPermission, `${rulesFor(group.type).label} groups cannot be searched`);
    return buildGroupView(this.storage, this.viewContext(), group, await this.memberOf(this.storage, group, caller));
  }

  async update(caller: Caller, body: UpdateGroupBody): Promise<WireGroup> {
    checkBytes('name', body.name, GROUP_FIELD_LIMITS.name);
    checkBytes('introduction', body.introduction, GROUP_FIELD_LIMITS.introduction);
    checkBytes('notification', body.notification, GROUP_FIELD_LIMITS.notification);
    checkBytes('avatar', body.avatar, GROUP_FIELD_LIMITS.avatar);
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, body.groupID);
      const rules = rulesFor(group.type);
      const role = effectiveRole(group, caller.userID, await this.memberOf(tx, group, caller));
      const admin = this.isAppAdmin(caller.userID);
      if (!allows(rules.modifyProfile, role, admin)) fail(ErrorCode.NoPermission, `you may not change the profile of this ${rules.label} group`);
      const changes: GroupChanges = {};
      const newGroupProfile: Record<string, unknown> = {};
      for (const key of ['name', 'avatar', 'introduction', 'notification'] as const) {
        const value = body[key];
        if (value !== undefined && value !== group[key]) {
          changes[key] = value;
          newGroupProfile[key] = value;
        }
      }
      // joinOption is honoured for Public and Community only (spec §4.7); other types drop it.
      if (body.joinOption !== undefined && rules.joinOptionSettable && body.joinOption !== group.joinOption) {
        changes.joinOption = body.joinOption;
        newGroupProfile['joinOption'] = body.joinOption;
      }
      if (body.muteAllMembers !== undefined && body.muteAllMembers !== group.muteAll) {
        changes.muteAll = body.muteAllMembers;
        newGroupProfile['muteAllMembers'] = body.muteAllMembers;
      }
      if (body.maxMemberNum !== undefined && body.maxMemberNum !== group.maxMemberCount) {
        if (role !== 'Owner' && !admin) fail(ErrorCode.NoPermission, 'only the owner may change maxMemberNum');
        const typeMax = this.limits.maxMembers[group.type];
        const floor = rules.liveMembership ? 1 : group.memberCount;
        if ((typeMax > 0 && body.maxMemberNum > typeMax) || body.maxMemberNum < floor) {
          fail(ErrorCode.InvalidParameters, `maxMemberNum must be between ${floor} and ${typeMax || 'unlimited'}`);
        }
        changes.maxMemberCount = body.maxMemberNum;
        newGroupProfile['maxMemberCount'] = body.maxMemberNum;
      }
      if (body.groupCustomField !== undefined) {
        const { merged, changed } = mergeKeyValues(group.custom, body.groupCustomField);
        if (changed.length > 0) {
          changes.custom = merged;
          newGroupProfile['groupCustomField'] = changed;
        }
      }
      if (Object.keys(newGroupProfile).length === 0) return { group, tip: null };
      changes.infoSeq = group.infoSeq + 1;
      changes.lastInfoTime = time;
      await tx.groups.updateGroup(group.groupID, changes);
      const tip = await this.delivery.appendTip(
        tx,
        group,
        { operatorID: caller.userID, operationType: TipType.profile, userIDList: [caller.userID], newGroupProfile },
        time,
      );
      return { group, tip };
    });
    if (outcome.tip) await this.deliverTip(outcome.group, outcome.tip, 'all', caller);
    return this.viewFor(caller, body.groupID);
  }

  async dismiss(caller: Caller, groupID: string): Promise<void> {
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, groupID);
      const rules = rulesFor(group.type);
      const role = effectiveRole(group, caller.userID, await this.memberOf(tx, group, caller));
      if (!allows(rules.dismiss, role, this.isAppAdmin(caller.userID))) fail(ErrorCode.NoPermission, 'only the owner may dismiss the group');
      const members = rules.liveMembership ? [] : (await tx.groups.allMembers(groupID)).map((m) => m.userID);
      await tx.groups.dismiss(groupID);
      await tx.groups.clearBans(groupID);
      return { group, members };
    });
    const notice = { operatorID: caller.userID, operationType: NoticeType.dismissed };
    if (rulesFor(outcome.group.type).liveMembership) {
      this.delivery.noticeToRoom(outcome.group, notice, caller.connectionID);
      this.delivery.closeRoom(groupID);
    } else {
      this.delivery.systemNotice(outcome.members, outcome.group, notice, caller);
    }
  }

  async join(caller: Caller, body: JoinGroupBody): Promise<ResponseData['group.join']> {
    const group = await this.requireGroup(this.storage, body.groupID);
    const rules = rulesFor(group.type);
    if (rules.join === 'forbidden') fail(ErrorCode.NoPermission, `${rules.label} groups cannot be joined; a member must add you`);
    if (rules.liveMembership) return this.joinRoom(caller, group);
    if (await this.storage.groups.getMember(group.groupID, caller.userID)) {
      return { status: 'AlreadyInGroup', group: await this.viewFor(caller, group.groupID) };
    }
    const joinOption = rules.join === 'free' ? 'FreeAccess' : group.joinOption;
    if (joinOption === 'DisableApply') fail(ErrorCode.NoPermission, 'this group does not accept join requests');
    const time = nowSeconds(this.clock);
    if (joinOption === 'NeedPermission') {
      const application: GroupApplicationRow = {
        groupID: group.groupID,
        applicant: caller.userID,
        message: body.applyMessage ?? '',
        createdAt: time,
        handled: false,
        handler: '',
        result: '',
      };
      const managers = await this.storage.transaction(async (tx) => {
        await tx.groups.upsertApplication(application);
        return tx.groups.managerIDs(group.groupID);
      });
      const key = applicationKey(application);
      this.delivery.systemNotice(managers, group, {
        operatorID: caller.userID,
        operationType: NoticeType.application,
        handleMessage: application.message,
        authentication: key,
        messageKey: key,
      });
      return { status: 'WaitAdminApproval', group: null };
    }
    const outcome = await this.storage.transaction(async (tx) => {
      const current = await this.requireGroup(tx, group.groupID);
      if (await tx.groups.getMember(group.groupID, caller.userID)) return null;
      await this.checkRoomFor(tx, current, 1);
      await this.checkGroupCount(tx, caller.userID);
      await tx.groups.addMember(newMember(current, caller.userID, 'Member', time));
      return this.delivery.appendTip(tx, current, { operatorID: caller.userID, operationType: TipType.join, userIDList: [caller.userID] }, time);
    });
    if (!outcome) return { status: 'AlreadyInGroup', group: await this.viewFor(caller, group.groupID) };
    await this.delivery.messageToMembers(group.groupID, outcome);
    await this.delivery.groupUpdated(group.groupID, [caller.userID], caller);
    return { status: 'JoinedSuccess', group: await this.viewFor(caller, group.groupID) };
  }

  /** AVChatRoom join on a logged-in connection: live membership, plus a row holding the user's attributes (mute, name card). */
  private async joinRoom(caller: Caller, group: GroupRow): Promise<ResponseData['group.join']> {
    if (this.presence.inRoom(caller.connectionID, group.groupID)) return { status: 'AlreadyInGroup', group: await this.viewFor(caller, group.groupID) };
    await this.moderation.assertNotBanned(group.groupID, caller.userID);
    const time = nowSeconds(this.clock);
    await this.storage.transaction(async (tx) => {
      await this.requireGroup(tx, group.groupID);
      if (!(await tx.groups.getMember(group.groupID, caller.userID))) {
        await tx.groups.addMember(newMember(group, caller.userID, group.owner === caller.userID ? 'Owner' : 'Member', time));
      }
    });
    const wasInRoom = this.presence.userInRoom(group.groupID, caller.userID);
    this.presence.joinRoom(caller.connectionID, group.groupID);
    // With several nodes the room subscription is made asynchronously: answer once it is live.
    await this.broker.ready();
    if (!wasInRoom) await this.roomTip(group, { operatorID: caller.userID, operationType: TipType.join, userIDList: [caller.userID] }, time);
    return { status: 'JoinedSuccess', group: await this.viewFor(caller, group.groupID) };
  }

  /** `group.join-anonymous` on a socket that has not logged in: AVChatRoom live messages only. */
  async joinAnonymous(connectionID: string, sdkAppID: number, groupID: string): Promise<ResponseData['group.join-anonymous']> {
    if (sdkAppID !== this.limits.sdkAppID) fail(ErrorCode.UserSigSdkAppIdMismatch, `sdkAppID ${sdkAppID} is not this app's`);
    const group = await this.requireGroup(this.storage, groupID);
    if (!rulesFor(group.type).liveMembership) fail(ErrorCode.NoPermission, 'only AVChatRoom groups can be joined without logging in');
    this.presence.joinRoom(connectionID, groupID);
    await this.broker.ready();
    return { status: 'JoinedSuccess' };
  }

  /** `group.quit` on an anonymous socket. */
  quitAnonymous(connectionID: string, groupID: string): void {
    if (!this.presence.leaveRoom(connectionID, groupID)) fail(ErrorCode.NoPermission, `this connection has not joined ${groupID}`);
  }

  async quit(caller: Caller, groupID: string): Promise<void> {
    const group = await this.requireGroup(this.storage, groupID);
    const rules = rulesFor(group.type);
    const time = nowSeconds(this.clock);
    if (rules.liveMembership) {
      if (!this.presence.leaveRoom(caller.connectionID, groupID)) fail(ErrorCode.NoPermission, `you have not joined ${groupID}`);
      if (!this.presence.userInRoom(groupID, caller.userID)) {
        await this.roomTip(group, { operatorID: caller.userID, operationType: TipType.quit, userIDList: [caller.userID] }, time);
      }
      return;
    }
    const outcome = await this.storage.transaction(async (tx) => {
      const current = await this.requireGroup(tx, groupID);
      const member = await tx.groups.getMember(groupID, caller.userID);
      if (!member) fail(ErrorCode.NoPermission, `you are not a member of ${groupID}`);
      const isOwner = current.owner === caller.userID;
      if (isOwner && !rules.ownerCanQuit) fail(ErrorCode.OwnerCannotQuit, `the owner cannot quit a ${rules.label} group; transfer ownership or dismiss it`);
      await tx.groups.removeMember(groupID, caller.userID);
      if (isOwner) await tx.groups.updateGroup(groupID, { owner: '' });
      return this.delivery.appendTip(tx, current, { operatorID: caller.userID, operationType: TipType.quit, userIDList: [caller.userID] }, time);
    });
    await this.delivery.messageToMembers(groupID, outcome);
    this.delivery.systemNotice([caller.userID], group, { operatorID: caller.userID, operationType: NoticeType.quit }, caller);
  }

  async changeOwner(caller: Caller, body: ChangeOwnerBody): Promise<WireGroup> {
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, body.groupID);
      const rules = rulesFor(group.type);
      if (!rules.transferOwner) fail(ErrorCode.NoPermission, `${rules.label} groups cannot change owner`);
      if (group.owner !== caller.userID && !this.isAppAdmin(caller.userID)) fail(ErrorCode.NoPermission, 'only the owner may transfer ownership');
      if (body.newOwnerID === group.owner) fail(ErrorCode.InvalidParameters, `${body.newOwnerID} already owns this group`);
      if (!(await tx.groups.getMember(group.groupID, body.newOwnerID))) fail(ErrorCode.InvalidParameters, `${body.newOwnerID} is not a member`);
      await tx.groups.updateGroup(group.groupID, { owner: body.newOwnerID, infoSeq: group.infoSeq + 1, lastInfoTime: time });
      if (group.owner !== '') await tx.groups.updateMember(group.groupID, group.owner, { role: 'Member' });
      await tx.groups.updateMember(group.groupID, body.newOwnerID, { role: 'Owner' });
      const tip = await this.delivery.appendTip(
        tx,
        group,
        { operatorID: caller.userID, operationType: TipType.profile, userIDList: [body.newOwnerID], newGroupProfile: { ownerID: body.newOwnerID } },
        time,
      );
      return { group, tip };
    });
    await this.deliverTip(outcome.group, outcome.tip, 'all', caller);
    return this.viewFor(caller, body.groupID);
  }

  // ------------------------------------------------------------ applications

  async applications(caller: Caller): Promise<WireGroupApplication[]> {
    const rows = await this.storage.groups.pendingApplicationsFor(caller.userID);
    const names = new Map<string, string>();
    for (const groupID of new Set(rows.map((r) => r.groupID))) names.set(groupID, (await this.storage.groups.getGroup(groupID))?.name ?? '');
    const nicks = await this.profiles.getMany(rows.map((r) => r.applicant));
    return rows.map((r) => ({
      applicant: r.applicant,
      applicantNick: nicks.get(r.applicant)?.nick ?? '',
      groupID: r.groupID,
      groupName: names.get(r.groupID) ?? '',
      authentication: r.message,
      messageKey: applicationKey(r),
      applicationType: 0,
      userID: r.applicant,
      time: r.createdAt,
    }));
  }

  async handleApplication(caller: Caller, body: HandleApplicationBody): Promise<WireGroup> {
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, body.groupID);
      const role = effectiveRole(group, caller.userID, await tx.groups.getMember(group.groupID, caller.userID));
      if (role !== 'Owner' && role !== 'Admin' && !this.isAppAdmin(caller.userID)) fail(ErrorCode.NoPermission, 'only the owner and admins handle applications');
      const application = await tx.groups.getApplication(group.groupID, body.applicant);
      if (!application) fail(ErrorCode.InvalidParameters, `${body.applicant} has not applied to ${group.groupID}`);
      if (application.handled) fail(ErrorCode.ApplicationAlreadyHandled, `the application of ${body.applicant} was already handled`);
      if (body.handleAction === 'Reject') {
        await tx.groups.markApplicationHandled(group.groupID, body.applicant, caller.userID, 'Reject');
        return { group, tip: null, approved: false };
      }
      if (await tx.groups.getMember(group.groupID, body.applicant)) {
        await tx.groups.markApplicationHandled(group.groupID, body.applicant, caller.userID, 'Agree');
        return { group, tip: null, approved: true };
      }
      await this.checkRoomFor(tx, group, 1);
      await this.checkGroupCount(tx, body.applicant);
      await tx.groups.markApplicationHandled(group.groupID, body.applicant, caller.userID, 'Agree');
      await tx.groups.addMember(newMember(group, body.applicant, 'Member', time));
      const tip = await this.delivery.appendTip(tx, group, { operatorID: caller.userID, operationType: TipType.join, userIDList: [body.applicant] }, time);
      return { group, tip, approved: true };
    });
    if (outcome.tip) await this.delivery.messageToMembers(body.groupID, outcome.tip);
    this.delivery.systemNotice([body.applicant], outcome.group, {
      operatorID: caller.userID,
      operationType: outcome.approved ? NoticeType.approved : NoticeType.rejected,
      handleMessage: body.handleMessage ?? '',
    });
    if (outcome.approved) await this.delivery.groupUpdated(body.groupID, [body.applicant], caller);
    return this.viewFor(caller, body.groupID);
  }

  // ------------------------------------------------------------------ members

  async members(caller: Caller, body: GroupMembersBody): Promise<ResponseData['group.members']> {
    const group = await this.requireGroup(this.storage, body.groupID);
    await this.requireMember(group, caller);
    const count = Math.min(body.count ?? 15, 100);
    const offset = body.offset ?? 0;
    let rows: GroupMemberRow[];
    let more: boolean;
    if (rulesFor(group.type).liveMembership) {
      // AVChatRoom: the members online in the room now.
      const users = this.presence.roomUsers(group.groupID).sort();
      const all = (await this.storage.groups.getMembers(group.groupID, users))
        .filter((m) => body.role === undefined || effectiveRole(group, m.userID, m) === body.role)
        .sort((a, b) => (a.userID < b.userID ? -1 : a.userID > b.userID ? 1 : 0));
      rows = all.slice(offset, offset + count);
      more = all.length > offset + count;
    } else {
      const page = await this.storage.groups.listMembers(group.groupID, offset, count + 1, body.role);
      more = page.length > count;
      rows = page.slice(0, count);
    }
    return { memberList: await this.memberViews(group, rows), offset: more ? offset + count : 0 };
  }

  async memberProfiles(caller: Caller, body: GroupMemberProfilesBody): Promise<WireGroupMember[]> {
    const group = await this.requireGroup(this.storage, body.groupID);
    await this.requireMember(group, caller);
    let rows = await this.storage.groups.getMembers(group.groupID, [...new Set(body.userIDList)]);
    if (rulesFor(group.type).liveMembership) {
      const online = new Set(this.presence.roomUsers(group.groupID));
      rows = rows.filter((m) => online.has(m.userID));
    }
    const order = new Map(body.userIDList.map((id, i) => [id, i]));
    rows.sort((a, b) => (order.get(a.userID) ?? 0) - (order.get(b.userID) ?? 0));
    return this.memberViews(group, rows);
  }

  async addMembers(caller: Caller, body: GroupMembersChangeBody, options: MemberChangeOptions = {}): Promise<ResponseData['group.add-members']> {
    const userIDs = [...new Set(body.userIDList)].slice(0, MEMBER_BATCH_LIMIT);
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, body.groupID);
      const rules = rulesFor(group.type);
      const role = effectiveRole(group, caller.userID, await this.memberOf(tx, group, caller));
      if (!allows(rules.invite, role, this.isAppAdmin(caller.userID))) fail(ErrorCode.NoPermission, `you may not add members to this ${rules.label} group`);
      const existing = new Set((await tx.groups.getMembers(group.groupID, userIDs)).map((m) => m.userID));
      const candidates = userIDs.filter((id) => !existing.has(id));
      await this.checkRoomFor(tx, group, candidates.length);
      const added: string[] = [];
      const overLimit: string[] = [];
      for (const userID of candidates) {
        if (this.limits.maxGroupsPerUser > 0 && (await tx.groups.countMemberships(userID)) >= this.limits.maxGroupsPerUser) {
          overLimit.push(userID);
          continue;
        }
        await tx.users.ensure(userID, time);
        await tx.groups.addMember(newMember(group, userID, 'Member', time));
        added.push(userID);
      }
      const tip =
        added.length > 0 && !options.silent
          ? await this.delivery.appendTip(tx, group, { operatorID: caller.userID, operationType: TipType.join, userIDList: added }, time)
          : null;
      return { group, added, existed: [...existing], overLimit, tip };
    });
    if (outcome.tip) await this.delivery.messageToMembers(body.groupID, outcome.tip);
    if (!options.silent) this.delivery.systemNotice(outcome.added, outcome.group, { operatorID: caller.userID, operationType: NoticeType.invited });
    if (outcome.added.length > 0) await this.delivery.groupUpdated(body.groupID, outcome.added, caller);
    return {
      successUserIDList: outcome.added,
      failureUserIDList: [],
      existedUserIDList: outcome.existed,
      overLimitUserIDList: outcome.overLimit,
      group: outcome.added.length > 0 ? await this.viewFor(caller, body.groupID) : null,
    };
  }

  /**
   * Kicks members; in an AVChatRoom with `duration` > 0 bans them instead (group-moderation.ts).
   * App administrators act as the owner.
   */
  async deleteMembers(caller: Caller, body: DeleteMembersBody, options: MemberChangeOptions = {}): Promise<ResponseData['group.delete-members']> {
    const userIDs = [...new Set(body.userIDList)];
    if ((body.duration ?? 0) > 0 && rulesFor((await this.requireGroup(this.storage, body.groupID)).type).liveMembership) {
      const banned = await this.moderation.ban(caller, body.groupID, userIDs, body.duration ?? 0, body.reason ?? '');
      return { group: await this.viewFor(caller, body.groupID), userIDList: banned };
    }
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, body.groupID);
      const rules = rulesFor(group.type);
      const admin = this.isAppAdmin(caller.userID);
      const role = effectiveRole(group, caller.userID, await this.memberOf(tx, group, caller));
      const acting = admin ? 'Owner' : role;
      if (!allows(rules.kick, role, admin) || acting === null) fail(ErrorCode.NoPermission, `you may not remove members from this ${rules.label} group`);
      if (userIDs.includes(caller.userID)) fail(ErrorCode.InvalidParameters, 'use group.quit to leave a group');
      const targets = await tx.groups.getMembers(group.groupID, userIDs);
      for (const target of targets) {
        const targetRole = effectiveRole(group, target.userID, target) ?? 'Member';
        if (!outranks(acting, targetRole)) fail(ErrorCode.NoPermission, `you may not remove ${target.userID} (${targetRole})`);
      }
      const removed: string[] = [];
      for (const target of targets) if (await tx.groups.removeMember(group.groupID, target.userID)) removed.push(target.userID);
      const reason = body.reason ?? '';
      const tip =
        removed.length > 0 && !options.silent
          ? await this.delivery.appendTip(
              tx,
              group,
              {
                operatorID: caller.userID,
                operationType: TipType.kicked,
                userIDList: removed,
                ...(reason !== '' ? { memberList: removed.map((userID) => ({ userID, reason })) } : {}),
              },
              time,
            )
          : null;
      return { group, removed, tip };
    });
    if (outcome.tip) await this.delivery.messageToMembers(body.groupID, outcome.tip);
    this.delivery.systemNotice(outcome.removed, outcome.group, { operatorID: caller.userID, operationType: NoticeType.removed, handleMessage: body.reason ?? '' });
    return { group: await this.viewFor(caller, body.groupID), userIDList: outcome.removed };
  }

  async muteMember(caller: Caller, body: MuteMemberBody): Promise<ResponseData['group.mute-member']> {
    await this.muteMembers(caller, body.groupID, [body.userID], body.muteTime);
    return { group: await this.viewFor(caller, body.groupID), member: await this.memberView(body.groupID, body.userID) };
  }

  /**
   * Mutes (`muteTime` seconds; 0 unmutes) members at once, with one tip 7 naming them all.
   * Refused as a whole (nothing changes): yourself or a non-member → 10004, someone the
   * caller does not outrank → 10007. App administrators act as the owner.
   */
  async muteMembers(caller: Caller, groupID: string, userIDList: readonly string[], muteTime: number): Promise<void> {
    const userIDs = [...new Set(userIDList)];
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, groupID);
      const rules = rulesFor(group.type);
      const admin = this.isAppAdmin(caller.userID);
      const role = effectiveRole(group, caller.userID, await this.memberOf(tx, group, caller));
      const acting = admin ? 'Owner' : role;
      if (!allows(rules.mute, role, admin) || acting === null) fail(ErrorCode.NoPermission, `you may not mute members of this ${rules.label} group`);
      if (userIDs.includes(caller.userID)) fail(ErrorCode.InvalidParameters, 'you cannot mute yourself');
      const targets = await tx.groups.getMembers(group.groupID, userIDs);
      const found = new Set(targets.map((t) => t.userID));
      const missing = userIDs.find((id) => !found.has(id));
      if (missing !== undefined) fail(ErrorCode.InvalidParameters, `${missing} is not a member`);
      for (const target of targets) {
        if (!outranks(acting, effectiveRole(group, target.userID, target) ?? 'Member')) fail(ErrorCode.NoPermission, `you may not mute ${target.userID}`);
      }
      const muteUntil = muteTime > 0 ? time + muteTime : 0;
      for (const userID of userIDs) await tx.groups.updateMember(group.groupID, userID, { muteUntil });
      const tip = await this.delivery.appendTip(
        tx,
        group,
        { operatorID: caller.userID, operationType: TipType.memberProfile, userIDList: userIDs, memberList: userIDs.map((userID) => ({ userID, muteTime })) },
        time,
      );
      return { group, tip };
    });
    await this.deliverTip(outcome.group, outcome.tip, userIDs, caller);
  }

  async setRole(caller: Caller, body: SetMemberRoleBody): Promise<ResponseData['group.set-role']> {
    const time = nowSeconds(this.clock);
    const outcome = await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, body.groupID);
      const rules = rulesFor(group.type);
      if (group.owner !== caller.userID && !this.isAppAdmin(caller.userID)) fail(ErrorCode.NoPermission, 'only the owner may set member roles');
      if (!rules.roles.includes('Admin')) fail(ErrorCode.NoPermission, `${rules.label} groups have no admins`);
      if (body.role === 'Owner' || !rules.roles.includes(body.role)) fail(ErrorCode.InvalidParameters, `role "${body.role}" cannot be set in ${rules.label} groups`);
      if (body.userID === caller.userID) fail(ErrorCode.InvalidParameters, 'you cannot change your own role');
      const target = await tx.groups.getMember(group.groupID, body.userID);
      if (!target) fail(ErrorCode.InvalidParameters, `${body.userID} is not a member`);
      const before = effectiveRole(group, target.userID, target);
      if (before === body.role) return { group, tip: null, notice: null };
      await tx.groups.updateMember(group.groupID, body.userID, { role: body.role });
      const operationType = body.role === 'Admin' ? TipType.setAdmin : before === 'Admin' ? TipType.cancelAdmin : null;
      const tip = operationType === null ? null : await this.delivery.appendTip(tx, group, { operatorID: caller.userID, operationType, userIDList: [body.userID] }, time);
      const notice = body.role === 'Admin' ? NoticeType.setAdmin : before === 'Admin' ? NoticeType.adminRevoked : null;
      return { group, tip, notice };
    });
    if (outcome.tip) await this.delivery.messageToMembers(body.groupID, outcome.tip);
    if (outcome.notice !== null) this.delivery.systemNotice([body.userID], outcome.group, { operatorID: caller.userID, operationType: outcome.notice });
    if (outcome.tip || outcome.notice !== null) await this.delivery.groupUpdated(body.groupID, [body.userID], caller);
    return { group: await this.viewFor(caller, body.groupID), member: await this.memberView(body.groupID, body.userID) };
  }

  async setNameCard(caller: Caller, body: SetNameCardBody): Promise<ResponseData['group.set-name-card']> {
    checkBytes('nameCard', body.nameCard, GROUP_FIELD_LIMITS.nameCard);
    await this.editMember(caller, body.groupID, body.userID, () => ({ nameCard: body.nameCard }));
    return { group: await this.viewFor(caller, body.groupID), member: await this.memberView(body.groupID, body.userID) };
  }

  async setMemberCustom(caller: Caller, body: SetMemberCustomFieldBody): Promise<ResponseData['group.set-member-custom']> {
    this.checkMemberCustomKeys(body.memberCustomField);
    await this.editMember(caller, body.groupID, body.userID, (target) => ({ custom: mergeKeyValues(target.custom, body.memberCustomField).merged }));
    return { group: await this.viewFor(caller, body.groupID), member: await this.memberView(body.groupID, body.userID) };
  }

  async onlineCount(caller: Caller, groupID: string): Promise<number> {
    const group = await this.requireGroup(this.storage, groupID);
    if (rulesFor(group.type).liveMembership) return this.presence.roomSize(groupID);
    await this.requireMember(group, caller);
    const members = await this.storage.groups.allMembers(groupID);
    return (await this.broker.onlineAmong(members.map((m) => m.userID))).size;
  }

  // ----------------------------------------------------------------- helpers

  /** Name card / member custom fields: your own always; the owner anyone's; admins ordinary members'. */
  private async editMember(
    caller: Caller,
    groupID: string,
    userID: string,
    change: (target: GroupMemberRow) => { nameCard?: string; custom?: WireKeyValue[] },
  ): Promise<void> {
    await this.storage.transaction(async (tx) => {
      const group = await this.requireGroup(tx, groupID);
      const self = await this.memberOf(tx, group, caller);
      const admin = this.isAppAdmin(caller.userID);
      const role = effectiveRole(group, caller.userID, self);
      if (role === null && !admin) fail(ErrorCode.NoPermission, `you are not a member of ${groupID}`);
      const target = userID === caller.userID ? self : await tx.groups.getMember(groupID, userID);
      if (!target) fail(ErrorCode.InvalidParameters, `${userID} is not a member`);
      // App administrators may change anyone's member profile.
      if (userID !== caller.userID && !admin && (role === null || !outranks(role, effectiveRole(group, userID, target) ?? 'Member'))) {
        fail(ErrorCode.NoPermission, `you may not change ${userID}'s member profile`);
      }
      await tx.groups.updateMember(groupID, userID, change(target));
    });
    await this.delivery.groupUpdated(groupID, [userID], caller);
  }

  private checkMemberCustomKeys(fields: readonly WireKeyValue[]): void {
    const allowed = this.limits.memberCustomKeys;
    if (allowed.length === 0) return;
    for (const { key } of fields) {
      if (!allowed.includes(key)) fail(ErrorCode.InvalidParameters, `member custom field "${key}" is not configured (allowed: ${allowed.join(', ')})`);
    }
  }

  /** Delivers a tip: stored groups to members; AVChatRooms to the room. */
  private async deliverTip(group: GroupRow, tip: WireMessage, updated: 'all' | string[], origin: Caller): Promise<void> {
    if (rulesFor(group.type).liveMembership) {
      this.delivery.toRoom(group.groupID, { cmd: 'push.message', data: tip });
      return;
    }
    await this.delivery.messageToMembers(group.groupID, tip);
    await this.delivery.groupUpdated(group.groupID, updated, origin);
  }

  /** A live AVChatRoom join/quit tip: at once in small rooms, coalesced in busy ones (room-tip-batcher.ts). */
  private async roomTip(group: GroupRow, payload: WireGroupTipPayload, time: number): Promise<void> {
    const [userID, ...others] = payload.userIDList ?? [];
    const joinOrQuit = payload.operationType === TipType.join || payload.operationType === TipType.quit;
    if (joinOrQuit && userID !== undefined && others.length === 0 && this.roomTips.offer(group.groupID, this.presence.roomSize(group.groupID), payload.operationType, userID)) return;
    await this.sendRoomTip(group, payload, time);
  }

  /** One batch of joins or quits of a busy room, as one tip naming them all. */
  private async sendBatchedRoomTip(groupID: string, operationType: number, userIDs: string[]): Promise<void> {
    const group = await this.storage.groups.getGroup(groupID);
    if (!group || group.dismissed) return;
    const [operatorID = ''] = userIDs;
    await this.sendRoomTip(group, { operatorID, operationType, userIDList: userIDs }, nowSeconds(this.clock));
  }

  /** A live AVChatRoom tip: Low priority, so the room's rate limiter sheds them first under load. */
  private async sendRoomTip(group: GroupRow, payload: WireGroupTipPayload, time: number): Promise<void> {
    if (!this.roomLimiter.tryAcquire(group.groupID, 'Low')) return;
    const tip = await this.delivery.appendTip(null, group, { ...payload, memberCount: this.presence.roomSize(group.groupID) }, time);
    this.delivery.toRoom(group.groupID, { cmd: 'push.message', data: { ...tip, priority: 'Low' } });
  }

  private newGroupID(type: WireGroupType): string {
    return (type === 'Community' ? COMMUNITY_GROUP_ID_PREFIX : SERVER_GROUP_ID_PREFIX) + randomGroupSuffix(10);
  }

  private viewContext(): { roomSize: (groupID: string) => number } {
    return { roomSize: (groupID) => this.presence.roomSize(groupID) };
  }

  /** The group as the caller sees it now. */
  private async viewFor(caller: Caller, groupID: string): Promise<WireGroup> {
    const group = await this.requireGroup(this.storage, groupID);
    return buildGroupView(this.storage, this.viewContext(), group, await this.memberOf(this.storage, group, caller));
  }

  private async memberView(groupID: string, userID: string): Promise<WireGroupMember> {
    const group = await this.requireGroup(this.storage, groupID);
    const member = await this.storage.groups.getMember(groupID, userID);
    if (!member) fail(ErrorCode.InvalidParameters, `${userID} is not a member`);
    return (await this.memberViews(group, [member]))[0] as WireGroupMember;
  }

  private async memberViews(group: GroupRow, rows: GroupMemberRow[]): Promise<WireGroupMember[]> {
    const profiles = await this.profiles.getMany(rows.map((m) => m.userID));
    const live = rulesFor(group.type).liveMembership;
    const online = live ? null : await this.broker.onlineAmong(rows.map((m) => m.userID));
    return rows.map((m) => buildMemberView(group, m, profiles.get(m.userID), online === null || online.has(m.userID)));
  }

  private async requireGroup(repos: StorageRepositories, groupID: string): Promise<GroupRow> {
    const group = await repos.groups.getGroup(groupID);
    if (!group || group.dismissed) fail(ErrorCode.GroupNotFound, `group ${groupID} does not exist or was dismissed`);
    return group;
  }

  /** The caller's member row if they count as a member: their row; for AVChatRooms, only while this connection is in the room. */
  private async memberOf(repos: StorageRepositories, group: GroupRow, caller: Caller): Promise<GroupMemberRow | null> {
    if (rulesFor(group.type).liveMembership && !this.presence.inRoom(caller.connectionID, group.groupID)) return null;
    return repos.groups.getMember(group.groupID, caller.userID);
  }

  private async requireMember(group: GroupRow, caller: Caller): Promise<GroupMemberRow> {
    const member = await this.memberOf(this.storage, group, caller);
    if (!member) fail(ErrorCode.NoPermission, `you are not a member of ${group.groupID}`);
    return member;
  }

  private async checkRoomFor(repos: StorageRepositories, group: GroupRow, adding: number): Promise<void> {
    const current = await repos.groups.getGroup(group.groupID);
    const count = current?.memberCount ?? group.memberCount;
    if (group.maxMemberCount > 0 && count + adding > group.maxMemberCount) {
      fail(ErrorCode.GroupFull, `the group has ${count} of ${group.maxMemberCount} members`);
    }
  }

  private async checkGroupCount(repos: StorageRepositories, userID: string): Promise<void> {
    if (this.limits.maxGroupsPerUser > 0 && (await repos.groups.countMemberships(userID)) >= this.limits.maxGroupsPerUser) {
      fail(ErrorCode.UserGroupCountLimit, `${userID} is already in ${this.limits.maxGroupsPerUser} groups`);
    }
  }
}

/** The opaque token of an application (notice 1 `messageKey`, application list `messageKey`). */
function applicationKey(application: Pick<GroupApplicationRow, 'groupID' | 'applicant' | 'createdAt'>): string {
  return `${application.createdAt}:${application.applicant}:${application.groupID}`;
}

/** JSON text codec for protocol v1: decode + validate client frames, encode any frame. */
import { ErrorCode } from '../error-codes.js';
import type { ClientFrame, RequestCmd } from '../frames/client-frames.js';
import type { PushFrame, ServerFrame } from '../frames/server-frames.js';
import { isValidGroupID, isValidUserID, MAX_MESSAGE_ID_LENGTH, parseConversationID } from '../ids.js';
import { arrayOf, bool, check, int, isPlainObject, object, oneOf, opt, plainObject, req, str, type Rule } from './validate.js';

const conversationID: Rule = check((v) => parseConversationID(v) !== null, 'is not a valid conversationID');
const userID: Rule = check(isValidUserID, 'must be 1–32 printable ASCII characters');
const empty: Rule = object({});
const groupID: Rule = check(isValidGroupID, 'must be 1–48 printable ASCII characters');
const groupType = oneOf(['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'Community'] as const);
const role = oneOf(['Owner', 'Admin', 'Member', 'Custom'] as const);
const joinOption = oneOf(['FreeAccess', 'NeedPermission', 'DisableApply'] as const);
const remindType = oneOf(['AcceptAndNotify', 'AcceptNotNotify', 'Discard', 'AcceptNotNotifyExceptAt'] as const);
// Lengths here only bound the frame; the group service applies Tencent's byte limits (name 30, introduction 240, …) with their codes.
const keyValues: Rule = arrayOf(object({ key: req(str({ min: 1, max: 64 })), value: req(str({ max: 4096 })) }), { max: 64 });
const text = (max: number): Rule => str({ max });
const groupOnly: Rule = object({ groupID: req(groupID) });

/** Rules for each request body. The set of keys is the set of commands the server understands. */
const BODY_RULES: Record<RequestCmd, Rule> = {
  login: object({
    sdkAppID: req(int({ min: 1 })),
    userID: req(userID),
    userSig: req(str({ max: 8192 })),
    protocolVersion: req(int({ min: 0 })),
    platform: req(oneOf(['web', 'node', 'other'] as const)),
    instanceID: req(str({ min: 1, max: 64 })),
    resume: opt(bool()),
  }),
  logout: empty,
  ping: empty,
  'msg.send': object({
    message: req(
      object({
        ID: req(str({ min: 1, max: MAX_MESSAGE_ID_LENGTH, pattern: /^[\x21-\x7e]+$/ })),
        conversationType: req(oneOf(['C2C', 'GROUP'] as const)),
        to: req(str({ min: 1, max: 48, pattern: /^[\x20-\x7e]+$/ })),
        type: req(str({ min: 1, max: 64, pattern: /^TIM[A-Za-z]+Elem$/ })),
        payload: req(plainObject()),
        clientTime: req(int({ min: 0 })),
        random: req(int({ min: 0, max: 0xffffffff })),
        cloudCustomData: opt(str()),
        priority: opt(oneOf(['High', 'Normal', 'Low', 'Lowest'] as const)),
        nick: opt(str({ max: 500 })),
        avatar: opt(str({ max: 2048 })),
      }),
    ),
    onlineUserOnly: opt(bool()),
  }),
  'msg.list': object({
    conversationID: req(conversationID),
    beforeSeq: opt(int({ min: 1 })),
    count: opt(int({ min: 1, max: 100 })),
  }),
  'msg.pull': object({
    conversationID: req(conversationID),
    afterSeq: req(int({ min: 0 })),
    limit: opt(int({ min: 1, max: 100 })),
  }),
  'msg.read': object({
    conversationID: req(conversationID),
    upToSeq: opt(int({ min: 0 })),
  }),
  'msg.revoke': object({
    conversationID: req(conversationID),
    messageID: req(str({ min: 1, max: MAX_MESSAGE_ID_LENGTH })),
  }),
  'conv.sync': empty,
  'conv.get': object({ conversationID: req(conversationID) }),
  'conv.delete': object({
    conversationIDList: req(arrayOf(conversationID, { min: 1, max: 100 })),
    clearHistoryMessage: req(bool()),
  }),
  'profile.get': object({ userIDList: req(arrayOf(userID, { min: 1, max: 100 })) }),
  // Field-level profile rules live in the server's profile service: they answer with Tencent's 40xxx codes.
  'profile.update': object({ profile: req(plainObject()) }),
  'blacklist.get': empty,
  // The per-call limit is server config; the codec only bounds the frame.
  'blacklist.add': object({ userIDList: req(arrayOf(userID, { min: 1, max: 10_000 })) }),
  'blacklist.remove': object({ userIDList: req(arrayOf(userID, { min: 1, max: 10_000 })) }),
  'file.slot': object({
    fileType: req(check((v) => v === 1 || v === 2 || v === 3 || v === 255, 'must be 1, 2, 3 or 255')),
    fileName: req(str({ min: 1, max: 255 })),
    fileSize: req(int({ min: 0 })),
    contentType: opt(str({ max: 128 })),
  }),
  'file.info': object({ uuid: req(str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ })) }),
  'group.create': object({
    type: req(groupType),
    name: req(str({ min: 1, max: 1024 })),
    groupID: opt(groupID),
    introduction: opt(text(4096)),
    notification: opt(text(4096)),
    avatar: opt(text(4096)),
    maxMemberNum: opt(int({ min: 1 })),
    joinOption: opt(joinOption),
    memberList: opt(arrayOf(object({ userID: req(userID), role: opt(role), memberCustomField: opt(keyValues) }), { max: 500 })),
    groupCustomField: opt(keyValues),
    isSupportTopic: opt(bool()),
  }),
  'group.list': empty,
  'group.get': groupOnly,
  'group.search': groupOnly,
  'group.update': object({
    groupID: req(groupID),
    name: opt(str({ min: 1, max: 1024 })),
    avatar: opt(text(4096)),
    introduction: opt(text(4096)),
    notification: opt(text(4096)),
    maxMemberNum: opt(int({ min: 1 })),
    joinOption: opt(joinOption),
    muteAllMembers: opt(bool()),
    groupCustomField: opt(keyValues),
  }),
  'group.dismiss': groupOnly,
  'group.join': object({ groupID: req(groupID), applyMessage: opt(text(1024)) }),
  'group.join-anonymous': object({ sdkAppID: req(int({ min: 1 })), groupID: req(groupID) }),
  'group.quit': groupOnly,
  'group.change-owner': object({ groupID: req(groupID), newOwnerID: req(userID) }),
  'group.applications': empty,
  'group.handle-application': object({
    groupID: req(groupID),
    applicant: req(userID),
    handleAction: req(oneOf(['Agree', 'Reject'] as const)),
    handleMessage: opt(text(1024)),
  }),
  'conv.set-remind': object({ conversationIDList: req(arrayOf(conversationID, { min: 1, max: 100 })), messageRemindType: req(remindType) }),
  'group.members': object({ groupID: req(groupID), count: opt(int({ min: 1, max: 100 })), offset: opt(int({ min: 0 })), role: opt(role) }),
  'group.member-profiles': object({ groupID: req(groupID), userIDList: req(arrayOf(userID, { min: 1, max: 50 })) }),
  'group.add-members': object({ groupID: req(groupID), userIDList: req(arrayOf(userID, { min: 1, max: 500 })), reason: opt(text(1024)) }),
  'group.delete-members': object({
    groupID: req(groupID),
    userIDList: req(arrayOf(userID, { min: 1, max: 500 })),
    reason: opt(text(1024)),
    duration: opt(int({ min: 0, max: 0xffffffff })),
  }),
  'group.mute-member': object({ groupID: req(groupID), userID: req(userID), muteTime: req(int({ min: 0 })) }),
  'group.set-role': object({ groupID: req(groupID), userID: req(userID), role: req(role) }),
  'group.set-name-card': object({ groupID: req(groupID), userID: req(userID), nameCard: req(text(1024)) }),
  'group.set-member-custom': object({ groupID: req(groupID), userID: req(userID), memberCustomField: req(keyValues) }),
  'group.online-count': groupOnly,
};

export const REQUEST_COMMANDS: readonly RequestCmd[] = Object.keys(BODY_RULES) as RequestCmd[];

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: number; message: string; /** Present when the frame had a usable id, so the error can be a `res`. */ id?: number };

function isRequestCmd(cmd: string): cmd is RequestCmd {
  return Object.prototype.hasOwnProperty.call(BODY_RULES, cmd);
}

/** Parses and validates one client frame. Never throws. */
export function decodeClientFrame(raw: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, code: ErrorCode.JsonParseFailed, message: 'frame is not valid JSON' };
  }
  if (!isPlainObject(parsed)) return { ok: false, code: ErrorCode.InvalidFrame, message: 'frame must be a JSON object' };
  const { cmd, id, body } = parsed;
  const idOk = typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
  if (!idOk) return { ok: false, code: ErrorCode.InvalidFrame, message: 'frame.id must be a positive integer' };
  if (typeof cmd !== 'string') return { ok: false, code: ErrorCode.InvalidFrame, message: 'frame.cmd must be a string', id };
  if (!isRequestCmd(cmd)) return { ok: false, code: ErrorCode.UnknownCommand, message: `unknown command "${cmd.slice(0, 64)}"`, id };
  for (const key of Object.keys(parsed)) {
    if (key !== 'cmd' && key !== 'id' && key !== 'body') return { ok: false, code: ErrorCode.InvalidFrame, message: `frame.${key.slice(0, 64)} is not a known field`, id };
  }
  const err = BODY_RULES[cmd](body === undefined ? {} : body, 'body');
  if (err) return { ok: false, code: ErrorCode.InvalidFrame, message: err, id };
  return { ok: true, frame: { cmd, id, body: body ?? {} } as ClientFrame };
}

/** Serialises a frame. Server and SDK both use this, so the format has one definition. */
export function encodeFrame(frame: ServerFrame | ClientFrame): string {
  return JSON.stringify(frame);
}

/**
 * A response's `data` that is already JSON text, of shape `T` (a history page spliced from
 * messages the server's storage rendered as JSON: no object per row, no second serialisation).
 */
export class EncodedData<T> {
  /** Phantom: the shape the text encodes. */
  declare readonly shape?: T;
  constructor(readonly json: string) {}
}

/** The frame `encodeFrame({ cmd: 'res', id, code: 0, data })` gives, with `data` as JSON text. */
export function encodeOkResponse(id: number, dataJson: string): string {
  return `{"cmd":"res","id":${JSON.stringify(id)},"code":0,"data":${dataJson}}`;
}

/** The frame `encodeFrame({ cmd, data })` gives for a push, with `data` as JSON text (one serialisation for a push and its ack). */
export function encodePush<F extends PushFrame>(cmd: F['cmd'], dataJson: EncodedData<F['data']>): string {
  return `{"cmd":${JSON.stringify(cmd)},"data":${dataJson.json}}`;
}

/** Parses a server frame on the client; `null` if it is not one (clients ignore such input). */
export function decodeServerFrame(raw: string): ServerFrame | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isPlainObject(parsed) || typeof parsed['cmd'] !== 'string') return null;
  return parsed as unknown as ServerFrame;
}

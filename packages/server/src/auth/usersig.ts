/**
 * Tencent-compatible UserSig (tls-sig-api-v2) generation and verification.
 *
 * Spec: /work/shared/spec/tim-api.md §11 "UserSig (tls-sig-api-v2) — format and
 * verification" (§11.1 generation, §11.2 verification) and the account/UserSig
 * error codes in §13.2 (70001 expired, 70002 empty, 70003/70005 check failed,
 * 70013 identifier mismatch, 70014 SDKAppID mismatch, 70016 key not found).
 *
 * Wire format (§11.1):
 *   sig      = base64std(HMAC-SHA256(utf8(secretKey),
 *                "TLS.identifier:<id>\nTLS.sdkappid:<appid>\nTLS.time:<t>\nTLS.expire:<e>\n"
 *                [+ "TLS.userbuf:<base64>\n"]))
 *   doc      = JSON {"TLS.ver":"2.0","TLS.identifier":..,"TLS.sdkappid":..,"TLS.time":..,
 *                    "TLS.expire":..,["TLS.userbuf":..,]"TLS.sig":..}
 *   UserSig  = base64std(zlib(doc)) with '+'→'*', '/'→'-', '='→'_'
 *
 * Verification never compares JSON bytes (key order / escaping differ between
 * the language libraries, e.g. PHP emits `expire` before `time` and `\/`).
 * `verifyUserSig` never throws: every failure is reported as `{ ok: false, code }`.
 *
 * Only node built-ins are used (node:crypto, node:zlib).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateRawSync, inflateSync } from 'node:zlib';

export interface UserSigClaims {
  identifier: string;
  sdkAppID: number;
  time: number;
  expire: number;
  userbuf?: string;
}

export type UserSigResult =
  | { ok: true; claims: UserSigClaims; expiresAt: number /* unix seconds */ }
  | { ok: false; code: number; message: string };

/** Tencent server error codes used by UserSig verification (spec §13.2). */
export const UserSigErrorCode = {
  /** UserSig expired. */
  EXPIRED: 70001,
  /** UserSig empty. */
  EMPTY: 70002,
  /** UserSig check failed (truncated / corrupt / bad signature). */
  CHECK_FAILED: 70003,
  /** UserSig identifier ≠ login userID. */
  IDENTIFIER_MISMATCH: 70013,
  /** UserSig SDKAppID ≠ app. */
  SDKAPPID_MISMATCH: 70014,
  /** Verification key not found (server has no secret key configured). */
  KEY_NOT_FOUND: 70016,
} as const;

/** Default validity used by Tencent's PHP/Node examples: 180 days. */
export const DEFAULT_USERSIG_EXPIRE_SECONDS = 86400 * 180;

/** Upper bound on the UserSig string length we even try to decode (DoS guard). */
const MAX_USERSIG_LENGTH = 16 * 1024;
/** Upper bound on the inflated JSON size (zip-bomb guard). */
const MAX_INFLATED_BYTES = 64 * 1024;

const BASE64_BODY = /^[A-Za-z0-9+/]*$/;
const DECIMAL_INT = /^-?[0-9]+$/;
const UNSIGNED_DECIMAL_INT = /^[0-9]+$/;

function fail(code: number, message: string): UserSigResult {
  return { ok: false, code, message };
}

function nowUnixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The exact string tls-sig-api-v2 signs (§11.1 step 1). */
function contentToSign(
  identifier: string,
  sdkAppID: number,
  time: number,
  expire: number,
  userbuf: string | undefined,
): string {
  let s =
    `TLS.identifier:${identifier}\n` +
    `TLS.sdkappid:${sdkAppID}\n` +
    `TLS.time:${time}\n` +
    `TLS.expire:${expire}\n`;
  if (userbuf !== undefined) s += `TLS.userbuf:${userbuf}\n`;
  return s;
}

function hmacBase64(secretKey: string, content: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(content, 'utf8').digest('base64');
}

/** Constant-time string comparison that tolerates different lengths. */
function constantTimeEqual(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  if (a.length !== b.length) {
    // Burn a comparable amount of time, then report mismatch.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Reverse the URL-safe substitution and base64-decode (padding optional). */
function decodeSigString(sig: string): Buffer | string {
  let b64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  b64 = b64.replace(/=+$/, '');
  if (!BASE64_BODY.test(b64)) return 'invalid base64 (unexpected character)';
  if (b64.length % 4 === 1) return 'invalid base64 (bad length)';
  if (b64.length === 0) return 'invalid base64 (no data)';
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  return Buffer.from(padded, 'base64');
}

/** zlib-inflate (RFC 1950), falling back to raw deflate (RFC 1951). */
function inflate(data: Buffer): Buffer | undefined {
  try {
    return inflateSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch {
    try {
      return inflateRawSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch {
      return undefined;
    }
  }
}

/** Integer given as a JSON number or a numeric string → safe integer, else undefined. */
function toInteger(value: unknown, allowNegative: boolean): number | undefined {
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string') {
    if (!(allowNegative ? DECIMAL_INT : UNSIGNED_DECIMAL_INT).test(value)) return undefined;
    n = Number(value);
  } else {
    return undefined;
  }
  if (!Number.isSafeInteger(n)) return undefined;
  if (!allowNegative && n < 0) return undefined;
  return n === 0 ? 0 : n; // normalise -0
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

type ParsedDoc =
  | { ok: true; identifier: string; sdkAppID: number; time: number; expire: number; userbuf: string | undefined; sig: string }
  | { ok: false; message: string };

function parseDoc(userSig: string): ParsedDoc {
  const decoded = decodeSigString(userSig);
  if (typeof decoded === 'string') return { ok: false, message: decoded };

  const inflated = inflate(decoded);
  if (inflated === undefined) return { ok: false, message: 'zlib inflate failed' };

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(inflated);
  } catch {
    return { ok: false, message: 'payload is not valid UTF-8' };
  }

  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, message: 'payload is not valid JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, message: 'payload is not a JSON object' };
  }
  const rec = doc as Record<string, unknown>;

  const identifier = rec['TLS.identifier'];
  if (typeof identifier !== 'string') return { ok: false, message: 'TLS.identifier missing or not a string' };
  if (identifier.length === 0) return { ok: false, message: 'TLS.identifier is empty' };

  const sdkAppID = toInteger(rec['TLS.sdkappid'], false);
  if (sdkAppID === undefined) return { ok: false, message: 'TLS.sdkappid missing or not an integer' };

  const time = toInteger(rec['TLS.time'], true);
  if (time === undefined) return { ok: false, message: 'TLS.time missing or not an integer' };

  const expire = toInteger(rec['TLS.expire'], true);
  if (expire === undefined) return { ok: false, message: 'TLS.expire missing or not an integer' };

  const sig = rec['TLS.sig'];
  if (typeof sig !== 'string' || sig.length === 0) return { ok: false, message: 'TLS.sig missing or empty' };

  let userbuf: string | undefined;
  if (hasOwn(rec, 'TLS.userbuf')) {
    const ub = rec['TLS.userbuf'];
    if (typeof ub !== 'string') return { ok: false, message: 'TLS.userbuf is not a string' };
    userbuf = ub;
  }

  return { ok: true, identifier, sdkAppID, time, expire, userbuf, sig };
}

function verifyUnsafe(input: {
  sdkAppID: number;
  secretKey: string;
  userID: string;
  userSig: string;
  nowSeconds?: number;
}): UserSigResult {
  const { sdkAppID, secretKey, userID, userSig } = input;

  if (userSig === undefined || userSig === null) return fail(UserSigErrorCode.EMPTY, 'UserSig is empty');
  if (typeof userSig !== 'string') return fail(UserSigErrorCode.CHECK_FAILED, 'UserSig check failed: not a string');
  const trimmed = userSig.trim();
  if (trimmed.length === 0) return fail(UserSigErrorCode.EMPTY, 'UserSig is empty');

  if (typeof secretKey !== 'string' || secretKey.length === 0) {
    return fail(UserSigErrorCode.KEY_NOT_FOUND, 'UserSig verification key not configured');
  }

  if (trimmed.length > MAX_USERSIG_LENGTH) {
    return fail(UserSigErrorCode.CHECK_FAILED, 'UserSig check failed: too long');
  }

  const parsed = parseDoc(trimmed);
  if (!parsed.ok) return fail(UserSigErrorCode.CHECK_FAILED, `UserSig check failed: ${parsed.message}`);

  if (parsed.identifier !== userID) {
    return fail(UserSigErrorCode.IDENTIFIER_MISMATCH, 'UserSig identifier does not match userID');
  }
  if (parsed.sdkAppID !== sdkAppID) {
    return fail(UserSigErrorCode.SDKAPPID_MISMATCH, 'UserSig SDKAppID does not match the application');
  }

  // Signature before expiry: a forged token must not learn anything from the expiry check.
  const expected = hmacBase64(
    secretKey,
    contentToSign(userID, sdkAppID, parsed.time, parsed.expire, parsed.userbuf),
  );
  if (!constantTimeEqual(expected, parsed.sig)) {
    return fail(UserSigErrorCode.CHECK_FAILED, 'UserSig check failed: signature mismatch');
  }

  const now = input.nowSeconds ?? nowUnixSeconds();
  const expiresAt = parsed.time + parsed.expire;
  if (now > expiresAt) return fail(UserSigErrorCode.EXPIRED, 'UserSig expired');

  const claims: UserSigClaims = {
    identifier: parsed.identifier,
    sdkAppID: parsed.sdkAppID,
    time: parsed.time,
    expire: parsed.expire,
  };
  if (parsed.userbuf !== undefined) claims.userbuf = parsed.userbuf;
  return { ok: true, claims, expiresAt };
}

/**
 * Verify a tls-sig-api-v2 UserSig (spec §11.2). Never throws.
 *
 * Checks, in order: non-empty (70002) → server key present (70016) → decodable
 * base64/zlib/JSON with the required fields (70003) → identifier equals `userID`
 * (70013) → SDKAppID equals `sdkAppID` (70014) → HMAC-SHA256 signature, constant
 * time (70003) → not expired, i.e. `now <= TLS.time + TLS.expire` (70001).
 */
export function verifyUserSig(input: {
  sdkAppID: number;
  secretKey: string;
  userID: string;
  userSig: string;
  nowSeconds?: number;
}): UserSigResult {
  try {
    return verifyUnsafe(input);
  } catch {
    return fail(UserSigErrorCode.CHECK_FAILED, 'UserSig check failed: internal verification error');
  }
}

/**
 * Generate a UserSig byte-for-byte like tls-sig-api-v2 (Node) `genUserSig`
 * (spec §11.1): JSON key order TLS.ver, TLS.identifier, TLS.sdkappid, TLS.time,
 * TLS.expire, TLS.sig; zlib `deflateSync`; base64; `+`→`*`, `/`→`-`, `=`→`_`.
 *
 * Throws RangeError for invalid arguments (non-integer SDKAppID/expire/time,
 * empty secret key or userID).
 */
export function genUserSig(input: {
  sdkAppID: number;
  secretKey: string;
  userID: string;
  expireSeconds?: number /* default 86400*180 */;
  nowSeconds?: number;
}): string {
  const { sdkAppID, secretKey, userID } = input;
  const expire = input.expireSeconds ?? DEFAULT_USERSIG_EXPIRE_SECONDS;
  const time = input.nowSeconds ?? nowUnixSeconds();

  if (!Number.isSafeInteger(sdkAppID) || sdkAppID < 0) throw new RangeError('genUserSig: sdkAppID must be a non-negative integer');
  if (typeof secretKey !== 'string' || secretKey.length === 0) throw new RangeError('genUserSig: secretKey must be a non-empty string');
  if (typeof userID !== 'string' || userID.length === 0) throw new RangeError('genUserSig: userID must be a non-empty string');
  if (!Number.isSafeInteger(expire)) throw new RangeError('genUserSig: expireSeconds must be an integer');
  if (!Number.isSafeInteger(time)) throw new RangeError('genUserSig: nowSeconds must be an integer');

  const sig = hmacBase64(secretKey, contentToSign(userID, sdkAppID, time, expire, undefined));
  const doc = {
    'TLS.ver': '2.0',
    'TLS.identifier': userID,
    'TLS.sdkappid': sdkAppID,
    'TLS.time': time,
    'TLS.expire': expire,
    'TLS.sig': sig,
  };
  const compressed = deflateSync(Buffer.from(JSON.stringify(doc), 'utf8')).toString('base64');
  return compressed.replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

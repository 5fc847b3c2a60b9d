/**
 * UserSig (tls-sig-api-v2) verification / generation — spec tim-api.md §11, codes §13.2.
 * Cross-checked against Tencent's real `tls-sig-api-v2` npm package.
 */
import { createHmac } from 'node:crypto';
import { deflateRawSync, deflateSync, gzipSync, inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import TLSSigAPIv2 from 'tls-sig-api-v2';
import { genUserSig, verifyUserSig } from '../../src/auth/usersig.js';
import type { UserSigResult } from '../../src/auth/usersig.js';

const APP = 1400000000;
const KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
const OTHER_KEY = 'a-completely-different-secret-key';
const USER = 'xiaojun';
const T0 = 1_700_000_000;

// ---------- helpers ----------

function escapeSig(b64: string): string {
  return b64.replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
}

function unescapeSig(s: string): string {
  return s.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
}

/** Encode an arbitrary JSON text the way the libraries do (zlib + base64 + substitution). */
function encodeText(json: string, deflate: (b: Buffer) => Buffer = deflateSync): string {
  return escapeSig(deflate(Buffer.from(json, 'utf8')).toString('base64'));
}

function decodeToken(userSig: string): Record<string, unknown> {
  return JSON.parse(inflateSync(Buffer.from(unescapeSig(userSig), 'base64')).toString('utf8')) as Record<
    string,
    unknown
  >;
}

function hmac(key: string, id: string, app: number | string, time: number | string, expire: number | string, userbuf?: string): string {
  let s = `TLS.identifier:${id}\nTLS.sdkappid:${app}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  if (userbuf !== undefined) s += `TLS.userbuf:${userbuf}\n`;
  return createHmac('sha256', key).update(s).digest('base64');
}

function verify(userSig: string, over: Partial<Parameters<typeof verifyUserSig>[0]> = {}): UserSigResult {
  return verifyUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, userSig, ...over });
}

function expectFail(r: UserSigResult, code: number, message?: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe(code);
  expect(typeof r.message).toBe('string');
  expect(r.message.length).toBeGreaterThan(0);
  if (message) expect(r.message).toMatch(message);
}

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------- tests ----------

describe('verifyUserSig with the real tls-sig-api-v2 library', () => {
  it('accepts a UserSig from Api.genUserSig and returns the claims', () => {
    vi.spyOn(Date, 'now').mockReturnValue(T0 * 1000 + 123);
    const sig = new TLSSigAPIv2.Api(APP, KEY).genUserSig(USER, 86400 * 180);
    const r = verify(sig, { nowSeconds: T0 + 10 });
    expect(r).toEqual({
      ok: true,
      claims: { identifier: USER, sdkAppID: APP, time: T0, expire: 86400 * 180 },
      expiresAt: T0 + 86400 * 180,
    });
  });

  it('accepts a UserSig from Api.genSig using the real clock (nowSeconds omitted)', () => {
    const sig = new TLSSigAPIv2.Api(APP, KEY).genSig(USER, 3600);
    const r = verify(sig);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.claims.identifier).toBe(USER);
      expect(r.claims.expire).toBe(3600);
      expect(Math.abs(r.claims.time - Math.floor(Date.now() / 1000))).toBeLessThan(5);
    }
  });

  it('accepts non-ASCII identifiers and keys (UTF-8 everywhere)', () => {
    const key = 'clé-секрет-密钥';
    const user = '用户_ß';
    const sig = new TLSSigAPIv2.Api(APP, key).genUserSig(user, 600);
    expect(verifyUserSig({ sdkAppID: APP, secretKey: key, userID: user, userSig: sig }).ok).toBe(true);
  });

  it('includes TLS.userbuf in the HMAC (PrivateMapKey from genPrivateMapKey)', () => {
    const api = new TLSSigAPIv2.Api(APP, KEY);
    for (const sig of [
      api.genPrivateMapKey(USER, 300, 10000, 255),
      api.genPrivateMapKeyWithStringRoomID(USER, 300, '1000000040', 255),
    ]) {
      const doc = decodeToken(sig);
      expect(typeof doc['TLS.userbuf']).toBe('string');
      const r = verify(sig);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.claims.userbuf).toBe(doc['TLS.userbuf']);

      // Dropping the userbuf field (keeping the sig) must break the signature.
      const { ['TLS.userbuf']: _dropped, ...withoutUserbuf } = doc;
      expectFail(verify(encodeText(JSON.stringify(withoutUserbuf))), 70003, /signature mismatch/);

      // Changing the userbuf must break the signature.
      const changed = { ...doc, 'TLS.userbuf': Buffer.from('other').toString('base64') };
      expectFail(verify(encodeText(JSON.stringify(changed))), 70003, /signature mismatch/);
    }
  });

  it('rejects a userbuf token whose HMAC omitted the userbuf line', () => {
    const ub = Buffer.from([0, 0, 7]).toString('base64');
    const doc = {
      'TLS.ver': '2.0',
      'TLS.identifier': USER,
      'TLS.sdkappid': APP,
      'TLS.time': T0,
      'TLS.expire': 600,
      'TLS.userbuf': ub,
      'TLS.sig': hmac(KEY, USER, APP, T0, 600), // no userbuf line
    };
    expectFail(verify(encodeText(JSON.stringify(doc)), { nowSeconds: T0 }), 70003, /signature mismatch/);
    const good = { ...doc, 'TLS.sig': hmac(KEY, USER, APP, T0, 600, ub) };
    expect(verify(encodeText(JSON.stringify(good)), { nowSeconds: T0 }).ok).toBe(true);
    // Empty userbuf string still counts as "present".
    const empty = { ...doc, 'TLS.userbuf': '', 'TLS.sig': hmac(KEY, USER, APP, T0, 600, '') };
    const r = verify(encodeText(JSON.stringify(empty)), { nowSeconds: T0 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.claims.userbuf).toBe('');
  });
});

describe('genUserSig', () => {
  it('is byte-identical to tls-sig-api-v2 for the same inputs and time', () => {
    vi.spyOn(Date, 'now').mockReturnValue(T0 * 1000 + 999);
    const theirs = new TLSSigAPIv2.Api(APP, KEY).genUserSig(USER, 86400 * 180);
    const ours = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, nowSeconds: T0 });
    expect(ours).toBe(theirs);
    // Default time also follows Date.now().
    expect(genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER })).toBe(theirs);
  });

  it('produces the documented JSON document', () => {
    const sig = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: 3600, nowSeconds: T0 });
    expect(sig).toMatch(/^[A-Za-z0-9*_-]+$/);
    const doc = decodeToken(sig);
    expect(Object.keys(doc)).toEqual(['TLS.ver', 'TLS.identifier', 'TLS.sdkappid', 'TLS.time', 'TLS.expire', 'TLS.sig']);
    expect(doc).toEqual({
      'TLS.ver': '2.0',
      'TLS.identifier': USER,
      'TLS.sdkappid': APP,
      'TLS.time': T0,
      'TLS.expire': 3600,
      'TLS.sig': hmac(KEY, USER, APP, T0, 3600),
    });
  });

  it('round-trips through verifyUserSig', () => {
    const sig = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: 3600, nowSeconds: T0 });
    expect(verify(sig, { nowSeconds: T0 + 3600 })).toEqual({
      ok: true,
      claims: { identifier: USER, sdkAppID: APP, time: T0, expire: 3600 },
      expiresAt: T0 + 3600,
    });
    // default expiry is 180 days
    const def = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER });
    const r = verify(def);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.claims.expire).toBe(15_552_000);
  });

  it('round-trips for arbitrary identifiers, app ids and times (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        (userID, sdkAppID, time, expire) => {
          const sig = genUserSig({ sdkAppID, secretKey: KEY, userID, expireSeconds: expire, nowSeconds: time });
          const r = verifyUserSig({ sdkAppID, secretKey: KEY, userID, userSig: sig, nowSeconds: time });
          expect(r).toEqual({ ok: true, claims: { identifier: userID, sdkAppID, time, expire }, expiresAt: time + expire });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws on invalid arguments', () => {
    expect(() => genUserSig({ sdkAppID: 1.5, secretKey: KEY, userID: USER })).toThrow(RangeError);
    expect(() => genUserSig({ sdkAppID: APP, secretKey: '', userID: USER })).toThrow(RangeError);
    expect(() => genUserSig({ sdkAppID: APP, secretKey: KEY, userID: '' })).toThrow(RangeError);
    expect(() => genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: Number.NaN })).toThrow(RangeError);
  });
});

describe('verifyUserSig error codes', () => {
  const good = (): string => genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: 600, nowSeconds: T0 });

  it('70014 when the SDKAppID differs', () => {
    expectFail(verify(good(), { sdkAppID: APP + 1, nowSeconds: T0 }), 70014);
    const libSig = new TLSSigAPIv2.Api(1400000001, KEY).genUserSig(USER, 600);
    expectFail(verify(libSig), 70014);
  });

  it('70013 when the identifier differs (case-sensitive, exact)', () => {
    expectFail(verify(good(), { userID: 'someone-else', nowSeconds: T0 }), 70013);
    expectFail(verify(good(), { userID: 'XIAOJUN', nowSeconds: T0 }), 70013);
    expectFail(verify(good(), { userID: `${USER} `, nowSeconds: T0 }), 70013);
    expectFail(verify(good(), { userID: '', nowSeconds: T0 }), 70013);
  });

  it('70001 when expired (now > time + expire), ok at the boundary', () => {
    expect(verify(good(), { nowSeconds: T0 + 600 }).ok).toBe(true);
    expectFail(verify(good(), { nowSeconds: T0 + 601 }), 70001);
    const libSig = new TLSSigAPIv2.Api(APP, KEY).genUserSig(USER, 1);
    expectFail(verify(libSig, { nowSeconds: Math.floor(Date.now() / 1000) + 10 }), 70001);
    // expire 0 / negative
    const zero = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: 0, nowSeconds: T0 });
    expect(verify(zero, { nowSeconds: T0 }).ok).toBe(true);
    expectFail(verify(zero, { nowSeconds: T0 + 1 }), 70001);
    const neg = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: -5, nowSeconds: T0 });
    expectFail(verify(neg, { nowSeconds: T0 }), 70001);
  });

  it('reports signature failure (70003) before expiry for a forged, expired token', () => {
    const forged = genUserSig({ sdkAppID: APP, secretKey: OTHER_KEY, userID: USER, expireSeconds: 600, nowSeconds: T0 });
    expectFail(verify(forged, { nowSeconds: T0 + 10_000 }), 70003, /signature mismatch/);
    expectFail(verify(forged, { nowSeconds: T0 }), 70003, /signature mismatch/);
  });

  it('70003 when TLS.sig is tampered after decoding', () => {
    const doc = decodeToken(good());
    const sig = doc['TLS.sig'] as string;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expectFail(verify(encodeText(JSON.stringify({ ...doc, 'TLS.sig': flipped })), { nowSeconds: T0 }), 70003, /signature mismatch/);
    // different length signatures never throw
    for (const s of [sig.slice(0, -1), `${sig}A`, 'x', sig.replace(/=+$/, ''), Buffer.from(sig).toString('hex')]) {
      expectFail(verify(encodeText(JSON.stringify({ ...doc, 'TLS.sig': s })), { nowSeconds: T0 }), 70003, /signature mismatch/);
    }
    // extending the validity without re-signing
    expectFail(verify(encodeText(JSON.stringify({ ...doc, 'TLS.expire': 999_999 })), { nowSeconds: T0 }), 70003, /signature mismatch/);
    expectFail(verify(encodeText(JSON.stringify({ ...doc, 'TLS.time': T0 + 1 })), { nowSeconds: T0 }), 70003, /signature mismatch/);
  });

  it('70003 when the UserSig string itself is mutated anywhere', () => {
    const token = good();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-';
    const dataLen = token.replace(/_+$/, '').length;
    // every data character except the last one (whose low bits may be unused padding bits)
    for (let i = 0; i < dataLen - 1; i++) {
      const c = token[i] as string;
      const replacement = alphabet[(alphabet.indexOf(c) + 17) % alphabet.length] as string;
      const mutated = token.slice(0, i) + replacement + token.slice(i + 1);
      expectFail(verify(mutated, { nowSeconds: T0 }), 70003);
    }
    // truncation / extension
    expectFail(verify(token.slice(0, token.length - 8), { nowSeconds: T0 }), 70003);
    expectFail(verify(token.slice(8), { nowSeconds: T0 }), 70003);
    expectFail(verify(`${token}AAAA`, { nowSeconds: T0 }), 70003);
  });

  it('70016 when the server has no secret key', () => {
    expectFail(verify(good(), { secretKey: '', nowSeconds: T0 }), 70016);
  });

  it('is not fooled by a token signed with an empty key', () => {
    const doc = decodeToken(good());
    const emptyKeySig = createHmac('sha256', '').update(`TLS.identifier:${USER}\nTLS.sdkappid:${APP}\nTLS.time:${T0}\nTLS.expire:600\n`).digest('base64');
    expectFail(verify(encodeText(JSON.stringify({ ...doc, 'TLS.sig': emptyKeySig })), { nowSeconds: T0 }), 70003);
  });
});

describe('verifyUserSig on garbage input', () => {
  it('70002 for empty or whitespace-only UserSig', () => {
    for (const s of ['', ' ', '\t\n  \r']) expectFail(verify(s), 70002);
    // non-string inputs from untyped callers
    expectFail(verify(undefined as unknown as string), 70002);
    expectFail(verify(null as unknown as string), 70002);
    expectFail(verify(42 as unknown as string), 70003);
    expectFail(verify({} as unknown as string), 70003);
  });

  it('70003 for undecodable strings', () => {
    expectFail(verify('abc'), 70003);
    expectFail(verify('a'), 70003, /base64/);
    expectFail(verify('!!!!'), 70003, /base64/);
    expectFail(verify('eJ#$%'), 70003, /base64/);
    expectFail(verify('ab_cd'), 70003, /base64/); // '=' in the middle
    expectFail(verify('x'.repeat(20_000)), 70003, /too long/);
  });

  it('70003 for random base64 that is not zlib', () => {
    expectFail(verify(escapeSig(Buffer.from('hello world, definitely not zlib').toString('base64'))), 70003, /inflate/);
    expectFail(verify(escapeSig(Buffer.alloc(64, 0xff).toString('base64'))), 70003, /inflate/);
  });

  it('70003 for gzip (not zlib) payloads', () => {
    const doc = decodeToken(genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER }));
    expectFail(verify(escapeSig(gzipSync(JSON.stringify(doc)).toString('base64'))), 70003);
  });

  it('70003 for valid zlib of non-JSON / non-object JSON / invalid UTF-8', () => {
    expectFail(verify(encodeText('this is not json')), 70003, /JSON/);
    expectFail(verify(encodeText('')), 70003, /JSON/);
    for (const j of ['null', '[]', '123', '"str"', 'true']) expectFail(verify(encodeText(j)), 70003, /object/);
    const badUtf8 = escapeSig(deflateSync(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])).toString('base64'));
    expectFail(verify(badUtf8), 70003, /UTF-8/);
  });

  it('70003 (bounded work) for a zip bomb', () => {
    const bomb = escapeSig(deflateSync(Buffer.alloc(8 * 1024 * 1024, 0x20)).toString('base64'));
    expect(bomb.length).toBeLessThan(16 * 1024);
    expectFail(verify(bomb), 70003, /inflate/);
  });

  it('70003 naming the missing or malformed field', () => {
    const base: Record<string, unknown> = {
      'TLS.ver': '2.0',
      'TLS.identifier': USER,
      'TLS.sdkappid': APP,
      'TLS.time': T0,
      'TLS.expire': 600,
      'TLS.sig': hmac(KEY, USER, APP, T0, 600),
    };
    expect(verify(encodeText(JSON.stringify(base)), { nowSeconds: T0 }).ok).toBe(true);
    for (const field of ['TLS.identifier', 'TLS.sdkappid', 'TLS.time', 'TLS.expire', 'TLS.sig']) {
      const { [field]: _omit, ...rest } = base;
      const escaped = field.replace('.', '\\.');
      expectFail(verify(encodeText(JSON.stringify(rest)), { nowSeconds: T0 }), 70003, new RegExp(escaped));
    }
    const bad: Array<[string, unknown]> = [
      ['TLS.identifier', 123],
      ['TLS.identifier', ''],
      ['TLS.identifier', null],
      ['TLS.sdkappid', 'abc'],
      ['TLS.sdkappid', 1.5],
      ['TLS.sdkappid', -1],
      ['TLS.sdkappid', ''],
      ['TLS.sdkappid', ' 1400000000'],
      ['TLS.sdkappid', 1e300],
      ['TLS.time', 1.5],
      ['TLS.time', '1.5'],
      ['TLS.time', '1e9'],
      ['TLS.time', true],
      ['TLS.time', null],
      ['TLS.expire', '600s'],
      ['TLS.expire', [600]],
      ['TLS.expire', Number.MAX_SAFE_INTEGER * 4],
      ['TLS.sig', ''],
      ['TLS.sig', 5],
      ['TLS.userbuf', 5],
      ['TLS.userbuf', null],
    ];
    for (const [field, value] of bad) {
      const escaped = field.replace('.', '\\.');
      expectFail(verify(encodeText(JSON.stringify({ ...base, [field]: value })), { nowSeconds: T0 }), 70003, new RegExp(escaped));
    }
  });

  it('never throws and returns ok:false for arbitrary strings (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: 'binary-ascii', maxLength: 200 }),
          fc.base64String({ maxLength: 400 }).map(escapeSig),
          fc.uint8Array({ maxLength: 200 }).map((b) => escapeSig(deflateSync(b).toString('base64'))),
          fc.string({ maxLength: 200 }).map((s) => encodeText(s)),
        ),
        (s) => {
          let r: UserSigResult | undefined;
          expect(() => {
            r = verify(s);
          }).not.toThrow();
          expect(r?.ok).toBe(false);
          if (r && !r.ok) expect([70002, 70003]).toContain(r.code);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('verifyUserSig format leniency', () => {
  it('accepts PHP-style JSON (expire before time, escaped slashes) built by hand', () => {
    // Find a time whose signature contains '/' so the `\/` escape is actually exercised.
    let time = T0;
    let sig = hmac(KEY, USER, APP, time, 86400);
    while (!sig.includes('/')) sig = hmac(KEY, USER, APP, ++time, 86400);
    const phpJson =
      `{"TLS.ver":"2.0","TLS.identifier":"${USER}","TLS.sdkappid":${APP},` +
      `"TLS.expire":86400,"TLS.time":${time},"TLS.sig":"${sig.replace(/\//g, '\\/')}"}`;
    expect(phpJson).toContain('\\/');
    const token = encodeText(phpJson); // gzcompress == zlib deflate
    expect(verify(token, { nowSeconds: time })).toEqual({
      ok: true,
      claims: { identifier: USER, sdkAppID: APP, time, expire: 86400 },
      expiresAt: time + 86400,
    });
  });

  it('accepts identifiers containing escaped characters', () => {
    const user = 'team/alice"\\x';
    const json =
      `{"TLS.sig":"${hmac(KEY, user, APP, T0, 60)}","TLS.time":${T0},"TLS.expire":60,` +
      `"TLS.sdkappid":${APP},"TLS.identifier":"team\\/alice\\"\\\\\\u0078","TLS.ver":"2.0"}`;
    expect(verify(encodeText(json), { userID: user, nowSeconds: T0 }).ok).toBe(true);
  });

  it('accepts pretty-printed JSON and numeric strings for sdkappid/time/expire', () => {
    const doc = {
      'TLS.ver': '2.0',
      'TLS.identifier': USER,
      'TLS.sdkappid': String(APP),
      'TLS.time': String(T0),
      'TLS.expire': '600',
      'TLS.sig': hmac(KEY, USER, APP, T0, 600),
    };
    const r = verify(encodeText(JSON.stringify(doc, null, 2)), { nowSeconds: T0 });
    expect(r).toEqual({ ok: true, claims: { identifier: USER, sdkAppID: APP, time: T0, expire: 600 }, expiresAt: T0 + 600 });
  });

  it('accepts missing padding, raw deflate, surrounding whitespace and unsubstituted base64', () => {
    const token = genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: 600, nowSeconds: T0 });
    const ok = (s: string): boolean => verify(s, { nowSeconds: T0 }).ok;
    expect(ok(token)).toBe(true);
    expect(ok(token.replace(/_+$/, ''))).toBe(true);
    expect(ok(`  ${token}\n`)).toBe(true);
    expect(ok(unescapeSig(token))).toBe(true);
    const doc = decodeToken(token);
    expect(ok(encodeText(JSON.stringify(doc), deflateRawSync))).toBe(true);
  });

  it('ignores TLS.ver and unknown fields', () => {
    const doc = { ...decodeToken(genUserSig({ sdkAppID: APP, secretKey: KEY, userID: USER, expireSeconds: 600, nowSeconds: T0 })) };
    delete doc['TLS.ver'];
    doc['TLS.extra'] = { nested: true };
    expect(verify(encodeText(JSON.stringify(doc)), { nowSeconds: T0 }).ok).toBe(true);
  });
});

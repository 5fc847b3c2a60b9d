/**
 * Upload tokens: `<expiredTime>.<base64url HMAC-SHA256(uuid, owner, expiredTime)>`,
 * keyed by a key derived from the app's secret key. The signature makes the
 * upload URL unforgeable; single use is enforced by the slot's state in storage.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = { ok: true; expiredTime: number } | { ok: false; reason: 'malformed' | 'bad-signature' };

export class UploadTokens {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = createHmac('sha256', secretKey).update('parley upload token v1').digest();
  }

  private mac(uuid: string, owner: string, expiredTime: number): Buffer {
    return createHmac('sha256', this.key).update(`${uuid}\n${owner}\n${expiredTime}`).digest();
  }

  sign(uuid: string, owner: string, expiredTime: number): string {
    return `${expiredTime}.${this.mac(uuid, owner, expiredTime).toString('base64url')}`;
  }

  verify(token: string, uuid: string, owner: string): TokenCheck {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m?.[1] || !m[2]) return { ok: false, reason: 'malformed' };
    const expiredTime = Number(m[1]);
    const given = Buffer.from(m[2], 'base64url');
    const expected = this.mac(uuid, owner, expiredTime);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
    return { ok: true, expiredTime };
  }
}

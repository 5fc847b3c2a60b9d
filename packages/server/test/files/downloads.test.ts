/**
 * Downloads: Range (206/416), HEAD, ETag/304, Content-Type and
 * Content-Disposition, caching headers, CORS, and path traversal attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type WireUploadSlot } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool } from '../helpers.js';
import { download, pngImage, rawGet, slot, upload } from './file-helpers.js';

const pool = new ClientPool();
let srv: TestServer;
let alice: RawClient;
/** 100 bytes: 0, 1, 2, … 99. */
const BYTES = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
let file: WireUploadSlot;

beforeAll(async () => {
  srv = await startTestServer();
  alice = await pool.login(srv, 'alice');
  file = (await upload(alice, 255, '季度报告 (final) "v2".pdf', BYTES, 'application/pdf')).slot;
});
afterAll(async () => {
  pool.closeAll();
  await srv.close();
});

describe('Range', () => {
  it('bytes=0-9 → 206 with the first ten bytes', async () => {
    const res = await download(file.downloadUrl, { range: 'bytes=0-9' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 0-9/100');
    expect(res.headers.get('content-length')).toBe('10');
    expect(res.body.equals(BYTES.subarray(0, 10))).toBe(true);
  });

  it('bytes=-5 → the last five bytes', async () => {
    const res = await download(file.downloadUrl, { range: 'bytes=-5' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 95-99/100');
    expect(res.body.equals(BYTES.subarray(95))).toBe(true);
  });

  it('bytes=90- (open-ended) → to the end; an end past the size is clamped', async () => {
    const open = await download(file.downloadUrl, { range: 'bytes=90-' });
    expect(open.status).toBe(206);
    expect(open.headers.get('content-range')).toBe('bytes 90-99/100');
    expect(open.body.equals(BYTES.subarray(90))).toBe(true);
    const clamped = await download(file.downloadUrl, { range: 'bytes=98-1000' });
    expect(clamped.headers.get('content-range')).toBe('bytes 98-99/100');
    expect(clamped.body.equals(BYTES.subarray(98))).toBe(true);
    const whole = await download(file.downloadUrl, { range: 'bytes=-500' });
    expect(whole.status).toBe(206);
    expect(whole.body.equals(BYTES)).toBe(true);
  });

  it('unsatisfiable ranges → 416 with Content-Range: bytes */size', async () => {
    for (const range of ['bytes=100-', 'bytes=500-600', 'bytes=-0']) {
      const res = await download(file.downloadUrl, { range });
      expect({ range, status: res.status }).toEqual({ range, status: 416 });
      expect(res.headers.get('content-range')).toBe('bytes */100');
    }
  });

  it('ignores ranges it does not support (several ranges, other units, garbage) and sends everything', async () => {
    for (const range of ['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3', 'nonsense']) {
      const res = await download(file.downloadUrl, { range });
      expect({ range, status: res.status }).toEqual({ range, status: 200 });
      expect(res.body.equals(BYTES)).toBe(true);
    }
  });

  it('honours If-Range: a stale validator gets the whole file', async () => {
    const etag = (await download(file.downloadUrl)).headers.get('etag')!;
    expect((await download(file.downloadUrl, { range: 'bytes=0-9', 'if-range': etag })).status).toBe(206);
    const stale = await download(file.downloadUrl, { range: 'bytes=0-9', 'if-range': '"something-else"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(100);
  });
});

describe('headers', () => {
  it('files (type 255) are attachments with the exact UTF-8 name; media is inline', async () => {
    const res = await download(file.downloadUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition.startsWith('attachment; ')).toBe(true);
    const encoded = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1];
    expect(decodeURIComponent(encoded!)).toBe('季度报告 (final) "v2".pdf');
    // The ASCII fallback has no quotes or non-ASCII characters.
    expect(/filename="([^"]*)"/.exec(disposition)?.[1]).toBe('____ (final) _v2_.pdf');

    const png = await pngImage(50, 50);
    const image = await upload(alice, 1, 'pic.png', png);
    const inline = await download(image.slot.downloadUrl);
    expect(inline.headers.get('content-disposition')).toBe(`inline; filename="pic.png"; filename*=UTF-8''pic.png`);
  });

  it('caches forever, validates with the ETag (304), and declares byte ranges', async () => {
    const res = await download(file.downloadUrl);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}-original"$/);
    const again = await download(file.downloadUrl, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('HEAD answers the headers without a body', async () => {
    const res = await download(file.downloadUrl, {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('100');
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.body.length).toBe(0);
    const partial = await download(file.downloadUrl, { range: 'bytes=0-9' }, 'HEAD');
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-length')).toBe('10');
  });

  it('allows any origin (GET and the upload preflight)', async () => {
    const get = await download(file.downloadUrl, { origin: 'https://app.example.com' });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    expect(get.headers.get('access-control-expose-headers')).toContain('Content-Range');
    const s = await slot(alice, { fileType: 255, fileName: 'x.txt', fileSize: 1 });
    const preflight = await fetch(s.uploadUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });
});

describe('not found', () => {
  it('404 / 95013 for unknown, malformed and unfinished files and for missing derivatives', async () => {
    const pending = await slot(alice, { fileType: 1, fileName: 'p.png', fileSize: 10 });
    const uuid = file.uuid;
    for (const url of [
      `${srv.httpUrl}/files/0123456789abcdef0123456789abcdef/x.pdf`,
      `${srv.httpUrl}/files/${uuid.toUpperCase()}/x.pdf`,
      `${srv.httpUrl}/files/${uuid.slice(0, 31)}/x.pdf`,
      pending.downloadUrl,
      pending.thumbUrl!,
      // A file has no derivatives, and the original answers only at its own name.
      `${srv.httpUrl}/files/${uuid}/thumb`,
      `${srv.httpUrl}/files/${uuid}/snapshot`,
      `${srv.httpUrl}/files/${uuid}/other-name.pdf`,
    ]) {
      const res = await download(url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      expect(JSON.parse(res.body.toString()).code).toBe(ErrorCode.FileNotFound);
    }
    expect((await download(`${srv.httpUrl}/files/${uuid}/original`)).status).toBe(200);
  });

  it('path traversal attempts are 404 and read nothing outside the files dir', async () => {
    const uuid = file.uuid;
    const attempts = [
      '/files/..%2f..%2fetc%2fpasswd',
      '/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd/x',
      '/files/../../etc/passwd',
      '/files/%2e%2e/%2e%2e/etc/passwd',
      `/files/${uuid}/..%2f..%2f..%2f..%2fetc%2fpasswd`,
      `/files/${uuid}/../../../etc/passwd`,
      `/files/${uuid}%2f..%2f..%2fparley.db/x`,
      '/files/..%2fparley.db/original',
      '/files/tmp/original',
      `/files/${uuid.slice(0, 2)}/${uuid}`,
      '/upload/..%2f..%2fetc%2fpasswd?token=1.x',
    ];
    for (const path of attempts) {
      const res = await rawGet(srv.port, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(JSON.parse(res.body)).toMatchObject({ code: ErrorCode.FileNotFound });
      expect(res.body).not.toContain('root:');
      expect(res.body).not.toContain('SQLite format');
    }
  });

  it('serves long non-ASCII names (URL segments up to the 255-character name limit)', async () => {
    const name = `${'文'.repeat(250)}.txt`;
    const { slot: s } = await upload(alice, 255, name, Buffer.from('long'));
    expect(s.downloadUrl.length).toBeGreaterThan(2000);
    const res = await download(s.downloadUrl);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('long');
  });
});

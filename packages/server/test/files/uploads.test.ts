/**
 * Uploads over real HTTP: PUT of the raw bytes (what tim-upload-plugin does)
 * and multipart POST; image facts and derivatives checked against the real
 * files; every refusal leaves nothing on disk.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type WireFileInfo } from '@parley/protocol';
import { startTestServer, waitUntil, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, expectOk } from '../helpers.js';
import {
  animatedGif,
  bmpImage,
  bytesOf,
  dimensions,
  download,
  jpegImage,
  pngImage,
  put,
  slot,
  storedFiles,
  upload,
  webpImage,
  type UploadAnswer,
} from './file-helpers.js';

const pool = new ClientPool();
let srv: TestServer;
let alice: RawClient;
let bob: RawClient;

beforeAll(async () => {
  srv = await startTestServer({ config: { maxWebInstances: 0 } });
  alice = await pool.login(srv, 'alice');
  bob = await pool.login(srv, 'bob');
});
afterAll(async () => {
  pool.closeAll();
  await srv.close();
});

/** Files on disk that belong to `uuid`, plus anything left in the temp dir. */
function leftovers(uuid: string): string[] {
  return storedFiles(srv.dataDir).filter((p) => p.includes(uuid) || p.startsWith('tmp/'));
}

async function downloadedDimensions(url: string): Promise<{ width: number; height: number; format: string; pages: number }> {
  const res = await download(url);
  expect(res.status).toBe(200);
  return dimensions(res.body);
}

/** Checks the image facts and that each derivative URL serves an image of exactly the announced size. */
async function expectImage(file: WireFileInfo | undefined, expected: { width: number; height: number; imageFormat: number; thumb: [number, number]; large: [number, number] }): Promise<void> {
  const image = file?.image;
  expect(image).toBeDefined();
  if (!image) return;
  expect({ width: image.width, height: image.height, imageFormat: image.imageFormat }).toEqual({
    width: expected.width,
    height: expected.height,
    imageFormat: expected.imageFormat,
  });
  expect([image.thumb.width, image.thumb.height]).toEqual(expected.thumb);
  expect([image.large.width, image.large.height]).toEqual(expected.large);
  for (const variant of [image.thumb, image.large]) {
    const real = await downloadedDimensions(variant.url);
    expect([real.width, real.height]).toEqual([variant.width, variant.height]);
    const res = await download(variant.url);
    expect(res.body.length).toBe(variant.size);
  }
}

describe('PUT /upload/:uuid (raw body)', () => {
  it('stores a PNG, answers 200 with location and file info, and serves the same bytes back', async () => {
    const png = await pngImage(1000, 500);
    const s = await slot(alice, { fileType: 1, fileName: 'wide.png', fileSize: png.length, contentType: 'image/png' });
    const { status, json } = await put(s.uploadUrl, png, { 'content-type': 'image/png' });
    expect(status).toBe(200);
    expect(json.code).toBe(0);
    expect(json.location).toBe(s.downloadUrl);
    expect(json.uuid).toBe(s.uuid);
    expect(json.file).toMatchObject({ uuid: s.uuid, fileType: 1, fileName: 'wide.png', size: png.length, contentType: 'image/png', url: s.downloadUrl });
    expect(json.file?.image?.thumb.url).toBe(s.thumbUrl);
    expect(json.file?.image?.large.url).toBe(s.largeUrl);
    // Shorter side 500: thumbnail 198 → 396×198; large (720) would upscale, so it keeps 1000×500.
    await expectImage(json.file, { width: 1000, height: 500, imageFormat: 3, thumb: [396, 198], large: [1000, 500] });
    const back = await download(s.downloadUrl);
    expect(back.status).toBe(200);
    expect(back.headers.get('content-type')).toBe('image/png');
    expect(back.body.equals(png)).toBe(true);
  });

  it('resizes the shorter side of a big JPEG to 198 and 720', async () => {
    const jpeg = await jpegImage(3000, 2000);
    const { answer } = await upload(alice, 1, 'big.jpg', jpeg, 'image/jpeg');
    await expectImage(answer.file, { width: 3000, height: 2000, imageFormat: 1, thumb: [297, 198], large: [1080, 720] });
    expect((await downloadedDimensions(answer.file!.image!.thumb.url)).format).toBe('jpeg');
  });

  it('handles portrait images (shorter side is the width)', async () => {
    const png = await pngImage(800, 1600);
    const { answer } = await upload(alice, 1, 'tall.png', png);
    await expectImage(answer.file, { width: 800, height: 1600, imageFormat: 3, thumb: [198, 396], large: [720, 1440] });
  });

  it('reports EXIF-rotated JPEGs with their displayed dimensions', async () => {
    // Stored 1200×800 with orientation 6 (rotate 90°): displayed 800×1200.
    const jpeg = await jpegImage(1200, 800, 6);
    const { answer } = await upload(alice, 1, 'rotated.jpg', jpeg);
    await expectImage(answer.file, { width: 800, height: 1200, imageFormat: 1, thumb: [198, 297], large: [720, 1080] });
  });

  it('never upscales: a 100×80 image has 100×80 derivatives', async () => {
    const png = await pngImage(100, 80);
    const { answer } = await upload(alice, 1, 'small.png', png);
    await expectImage(answer.file, { width: 100, height: 80, imageFormat: 3, thumb: [100, 80], large: [100, 80] });
    expect(answer.file?.image?.thumb.size).toBe(png.length);
  });

  it('keeps animated GIFs animated, derivatives included', async () => {
    const gif = await animatedGif(400, 300, 3);
    const { answer } = await upload(alice, 1, 'anim.gif', gif, 'image/gif');
    await expectImage(answer.file, { width: 400, height: 300, imageFormat: 2, thumb: [264, 198], large: [400, 300] });
    const original = await download(answer.file!.url);
    expect(original.body.equals(gif)).toBe(true);
    const thumb = await downloadedDimensions(answer.file!.image!.thumb.url);
    expect(thumb.format).toBe('gif');
    expect(thumb.pages).toBe(3);
  });

  it('reads BMP dimensions and makes PNG derivatives', async () => {
    const bmp = bmpImage(600, 400);
    const { answer } = await upload(alice, 1, 'old.bmp', bmp, 'image/bmp');
    await expectImage(answer.file, { width: 600, height: 400, imageFormat: 4, thumb: [297, 198], large: [600, 400] });
    expect(answer.file?.contentType).toBe('image/bmp');
    const thumb = await download(answer.file!.image!.thumb.url);
    expect(thumb.headers.get('content-type')).toBe('image/png');
  });

  it('accepts WebP (imageFormat 255) and trusts the bytes over the name', async () => {
    const webp = await webpImage(500, 500);
    const { answer } = await upload(alice, 1, 'actually-webp.jpg', webp, 'image/jpeg');
    await expectImage(answer.file, { width: 500, height: 500, imageFormat: 255, thumb: [198, 198], large: [500, 500] });
    expect(answer.file?.contentType).toBe('image/webp');
  });

  it('stores a generic file with its declared type', async () => {
    const bytes = Buffer.from('%PDF-1.4\nnot really a pdf but a file is a file\n');
    const { answer } = await upload(alice, 255, 'notes.pdf', bytes, 'application/pdf');
    expect(answer.file).toEqual({
      uuid: answer.uuid,
      fileType: 255,
      fileName: 'notes.pdf',
      size: bytes.length,
      contentType: 'application/pdf',
      url: answer.location,
    });
    expect((await download(answer.location!)).body.equals(bytes)).toBe(true);
  });
});

describe('POST /upload/:uuid (multipart)', () => {
  it('takes the file from field "file" and ignores other fields', async () => {
    const png = await pngImage(640, 480);
    const s = await slot(alice, { fileType: 1, fileName: 'form.png', fileSize: png.length, contentType: 'image/png' });
    const form = new FormData();
    form.append('key', 'ignored');
    form.append('success_action_status', '200');
    form.append('file', new Blob([bytesOf(png)], { type: 'image/png' }), 'form.png');
    const res = await fetch(s.uploadUrl, { method: 'POST', body: form });
    const json = (await res.json()) as UploadAnswer;
    expect(res.status).toBe(200);
    expect(json.location).toBe(s.downloadUrl);
    await expectImage(json.file, { width: 640, height: 480, imageFormat: 3, thumb: [264, 198], large: [640, 480] });
    expect((await download(s.downloadUrl)).body.equals(png)).toBe(true);
  });

  it('refuses a form without a "file" field (400) and keeps the slot usable', async () => {
    const bytes = Buffer.from('hello');
    const s = await slot(alice, { fileType: 255, fileName: 'h.txt', fileSize: bytes.length });
    const form = new FormData();
    form.append('other', new Blob([bytesOf(bytes)]), 'h.txt');
    const res = await fetch(s.uploadUrl, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as UploadAnswer).code).toBe(ErrorCode.InvalidParameters);
    expect((await put(s.uploadUrl, bytes)).status).toBe(200);
  });

  it('refuses a POST that is not multipart (415)', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'h.txt', fileSize: 5 });
    const res = await fetch(s.uploadUrl, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
  });

  it('refuses an oversized multipart file with 413 and leaves nothing behind', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'x.bin', fileSize: 1000 });
    const form = new FormData();
    form.append('file', new Blob([bytesOf(Buffer.alloc(50_000, 7))]), 'x.bin');
    const res = await fetch(s.uploadUrl, { method: 'POST', body: form });
    expect(res.status).toBe(413);
    expect(((await res.json()) as UploadAnswer).code).toBe(ErrorCode.FileTooLarge);
    expect(leftovers(s.uuid)).toEqual([]);
  });
});

describe('refusals leave nothing behind', () => {
  it('413 when Content-Length exceeds the declared size', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'a.bin', fileSize: 1000 });
    const { status, json } = await put(s.uploadUrl, Buffer.alloc(2000, 1));
    expect(status).toBe(413);
    expect(json.code).toBe(ErrorCode.FileTooLarge);
    expect(leftovers(s.uuid)).toEqual([]);
    // The slot stays usable for a correct upload.
    expect((await put(s.uploadUrl, Buffer.alloc(1000, 1))).status).toBe(200);
  });

  it('413 mid-stream for a chunked body that grows past the declared size', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'stream.bin', fileSize: 100_000 });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 3_000_000) {
          controller.close();
          return;
        }
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(3));
      },
    });
    const res = await fetch(s.uploadUrl, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as UploadAnswer).code).toBe(ErrorCode.FileTooLarge);
    expect(leftovers(s.uuid)).toEqual([]);
    expect(expectOk(await alice.request('file.info', { uuid: s.uuid }))).toEqual({ uploaded: false, file: null });
  });

  it('400 for a body shorter than declared', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'short.bin', fileSize: 1000 });
    const { status, json } = await put(s.uploadUrl, Buffer.alloc(999, 1));
    expect(status).toBe(400);
    expect(json.code).toBe(ErrorCode.InvalidParameters);
    expect(leftovers(s.uuid)).toEqual([]);
  });

  it('drops a partial upload when the client goes away, and the slot can be used again', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'aborted.bin', fileSize: 200_000 });
    const { req } = startPut(s.uploadUrl, 200_000);
    req.write(Buffer.alloc(100_000, 9));
    await waitUntil(() => storedFiles(srv.dataDir).some((p) => p.startsWith('tmp/')), 'the upload to reach the temp dir');
    req.destroy();
    await waitUntil(() => leftovers(s.uuid).length === 0, 'the partial upload to be deleted');
    // The lock is released once the server has noticed; then a full upload works.
    let status = 0;
    await waitUntil(async () => {
      status = (await put(s.uploadUrl, Buffer.alloc(200_000, 9))).status;
      return status !== 409;
    }, 'the slot to be released');
    expect(status).toBe(200);
  });

  it('415 for a ".jpg" that is not an image', async () => {
    const fake = Buffer.from('this is plain text pretending to be a JPEG, long enough to be sniffed properly');
    const s = await slot(alice, { fileType: 1, fileName: 'fake.jpg', fileSize: fake.length, contentType: 'image/jpeg' });
    const { status, json } = await put(s.uploadUrl, fake, { 'content-type': 'image/jpeg' });
    expect(status).toBe(415);
    expect(json.code).toBe(ErrorCode.FileTypeNotAllowed);
    expect(leftovers(s.uuid)).toEqual([]);
    expect((await download(s.downloadUrl)).status).toBe(404);
  });

  it('415 for an image with valid magic bytes that does not decode', async () => {
    const png = await pngImage(200, 200);
    const corrupt = Buffer.concat([png.subarray(0, 40), Buffer.alloc(png.length - 40, 0xaa)]);
    const s = await slot(alice, { fileType: 1, fileName: 'corrupt.png', fileSize: corrupt.length });
    const { status, json } = await put(s.uploadUrl, corrupt);
    expect(status).toBe(415);
    expect(json.code).toBe(ErrorCode.FileTypeNotAllowed);
    expect(leftovers(s.uuid)).toEqual([]);
  });

  it('415 for a video slot given something that is not MP4/QuickTime', async () => {
    const bytes = Buffer.alloc(4096, 0x41);
    const s = await slot(alice, { fileType: 2, fileName: 'clip.mp4', fileSize: bytes.length, contentType: 'video/mp4' });
    const { status, json } = await put(s.uploadUrl, bytes);
    expect(status).toBe(415);
    expect(json.code).toBe(ErrorCode.FileTypeNotAllowed);
    expect(leftovers(s.uuid)).toEqual([]);
  });
});

describe('tokens', () => {
  it('is single use: a second upload to the same slot is 403 / 95012', async () => {
    const bytes = Buffer.from('once');
    const s = await slot(alice, { fileType: 255, fileName: 'once.txt', fileSize: bytes.length });
    expect((await put(s.uploadUrl, bytes)).status).toBe(200);
    const again = await put(s.uploadUrl, bytes);
    expect(again.status).toBe(403);
    expect(again.json.code).toBe(ErrorCode.UploadSlotInvalid);
    expect((await download(s.downloadUrl)).body.toString()).toBe('once');
  });

  it('refuses missing, forged and borrowed tokens (403 / 95012) and unknown slots (404 / 95013)', async () => {
    const bytes = Buffer.from('data');
    const s = await slot(alice, { fileType: 255, fileName: 'd.txt', fileSize: bytes.length });
    const other = await slot(bob, { fileType: 255, fileName: 'd.txt', fileSize: bytes.length });
    const base = s.uploadUrl.split('?')[0]!;
    const token = s.uploadUrl.split('token=')[1]!;
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const borrowed = other.uploadUrl.split('token=')[1]!;
    for (const url of [base, `${base}?token=`, `${base}?token=${forged}`, `${base}?token=${borrowed}`, `${base}?token=${Number(token.split('.')[0]) + 1000}.${token.split('.')[1]}`]) {
      const { status, json } = await put(url, bytes);
      expect({ url, status, code: json.code }).toEqual({ url, status: 403, code: ErrorCode.UploadSlotInvalid });
    }
    const unknown = await put(`${srv.httpUrl}/upload/0123456789abcdef0123456789abcdef?token=${token}`, bytes);
    expect([unknown.status, unknown.json.code]).toEqual([404, ErrorCode.FileNotFound]);
    expect((await put(`${srv.httpUrl}/upload/not-a-uuid?token=${token}`, bytes)).status).toBe(404);
    // The real token still works after all that.
    expect((await put(s.uploadUrl, bytes)).status).toBe(200);
  });

  it('409 / 95012 while another upload to the same slot is in progress', async () => {
    const size = 100_000;
    const s = await slot(alice, { fileType: 255, fileName: 'slow.bin', fileSize: size });
    const first = startPut(s.uploadUrl, size);
    first.req.write(Buffer.alloc(size / 2, 1));
    await waitUntil(() => storedFiles(srv.dataDir).some((p) => p.startsWith('tmp/')), 'the upload to reach the temp dir');
    const second = await put(s.uploadUrl, Buffer.alloc(size, 2));
    expect([second.status, second.json.code]).toEqual([409, ErrorCode.UploadSlotInvalid]);
    first.req.end(Buffer.alloc(size / 2, 1));
    const res = await first.response;
    expect(res.statusCode).toBe(200);
    expect((await download(s.downloadUrl)).body.equals(Buffer.alloc(size, 1))).toBe(true);
  });

  it('410 / 95012 once the slot expired (900 s)', async () => {
    let offsetMs = 0;
    const clock = { nowMs: () => Date.now() + offsetMs };
    const timed = await startTestServer({ clock });
    try {
      const c = await pool.login(timed, 'dave');
      const bytes = Buffer.from('late');
      const early = await slot(c, { fileType: 255, fileName: 'e.txt', fileSize: bytes.length });
      const late = await slot(c, { fileType: 255, fileName: 'l.txt', fileSize: bytes.length });
      offsetMs = 899_000;
      expect((await put(early.uploadUrl, bytes)).status).toBe(200);
      offsetMs = 901_000;
      const { status, json } = await put(late.uploadUrl, bytes);
      expect([status, json.code]).toEqual([410, ErrorCode.UploadSlotInvalid]);
      expect(storedFiles(timed.dataDir).filter((p) => p.includes(late.uuid) || p.startsWith('tmp/'))).toEqual([]);
    } finally {
      await timed.close();
    }
  });
});

describe('durability', () => {
  it('uploads survive a server restart', async () => {
    const own = await startTestServer();
    try {
      const c = await pool.login(own, 'erin');
      const png = await pngImage(900, 600);
      const { slot: s, answer } = await upload(c, 1, 'keep.png', png);
      const pending = await slot(c, { fileType: 255, fileName: 'later.txt', fileSize: 5 });
      await own.restart();
      const back = await download(s.downloadUrl);
      expect(back.status).toBe(200);
      expect(back.body.equals(png)).toBe(true);
      const thumb = await download(s.thumbUrl!);
      expect(await dimensions(thumb.body)).toMatchObject({ width: 297, height: 198 });
      const c2 = await pool.login(own, 'erin');
      expect(expectOk(await c2.request('file.info', { uuid: s.uuid }))).toEqual({ uploaded: true, file: answer.file });
      // A slot handed out before the restart is still good.
      expect((await put(pending.uploadUrl, Buffer.from('hello'))).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

/** A PUT whose body the test writes by hand (to abort it or keep it open). */
function startPut(url: string, contentLength: number): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const u = new URL(url);
  let req!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = httpRequest({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: 'PUT', headers: { 'content-length': String(contentLength) } }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
  });
  response.catch(() => undefined);
  return { req, response };
}

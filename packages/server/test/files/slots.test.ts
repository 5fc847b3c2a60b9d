/**
 * `file.slot` and `file.info` over the raw protocol: URLs, per-type limits
 * (95010), allowed types (95011), who may see a pending slot (95013).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, errorCode, expectOk } from '../helpers.js';
import { pngImage, put, requestSlot, slot, slotError, upload } from './file-helpers.js';

const MiB = 1024 * 1024;
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

describe('file.slot', () => {
  it('hands out an upload URL with a signed token and the final download URLs', async () => {
    const before = Math.floor(Date.now() / 1000);
    const s = await slot(alice, { fileType: 1, fileName: 'holiday photo.png', fileSize: 1234, contentType: 'image/png' });
    expect(s.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(s.uploadUrl).toMatch(new RegExp(`^${srv.httpUrl}/upload/${s.uuid}\\?token=\\d+\\.[A-Za-z0-9_-]{43}$`));
    expect(s.downloadUrl).toBe(`${srv.httpUrl}/files/${s.uuid}/holiday%20photo.png`);
    expect(s.thumbUrl).toBe(`${srv.httpUrl}/files/${s.uuid}/thumb`);
    expect(s.largeUrl).toBe(`${srv.httpUrl}/files/${s.uuid}/large`);
    expect(s.snapshotUrl).toBeUndefined();
    // TIM's 900 s validity.
    expect(s.expiredTime).toBeGreaterThanOrEqual(before + 900);
    expect(s.expiredTime).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 900);
    expect(typeof s.requestId).toBe('string');
  });

  it('gives videos a snapshot URL and other files only the download URL', async () => {
    const video = await slot(alice, { fileType: 2, fileName: 'clip.mp4', fileSize: 10, contentType: 'video/mp4' });
    expect(video.snapshotUrl).toBe(`${srv.httpUrl}/files/${video.uuid}/snapshot`);
    expect(video.thumbUrl).toBeUndefined();
    const file = await slot(alice, { fileType: 255, fileName: 'report.pdf', fileSize: 10 });
    expect(file.thumbUrl).toBeUndefined();
    expect(file.snapshotUrl).toBeUndefined();
    expect(file.downloadUrl).toBe(`${srv.httpUrl}/files/${file.uuid}/report.pdf`);
  });

  it('issues a fresh 128-bit uuid every time', async () => {
    const uuids = new Set<string>();
    for (let i = 0; i < 20; i++) uuids.add((await slot(alice, { fileType: 255, fileName: 'a.txt', fileSize: 1 })).uuid);
    expect(uuids.size).toBe(20);
  });

  it('encodes names and never lets one pose as a derivative or a dot segment', async () => {
    const unicode = await slot(alice, { fileType: 255, fileName: '报告 #1?.txt', fileSize: 1 });
    expect(unicode.downloadUrl).toBe(`${srv.httpUrl}/files/${unicode.uuid}/${encodeURIComponent('报告 #1?.txt')}`);
    const pathy = await slot(alice, { fileType: 255, fileName: '../../etc/passwd', fileSize: 1 });
    expect(pathy.downloadUrl).toBe(`${srv.httpUrl}/files/${pathy.uuid}/passwd`);
    for (const name of ['thumb', 'large', 'snapshot']) {
      const s = await slot(alice, { fileType: 255, fileName: name, fileSize: 1 });
      expect(s.downloadUrl).toBe(`${srv.httpUrl}/files/${s.uuid}/original`);
    }
  });

  it.each([
    [1, 'image', 20 * MiB],
    [3, 'audio', 20 * MiB],
    [2, 'video', 100 * MiB],
    [255, 'file', 100 * MiB],
  ] as const)('fileType %i (%s): accepts exactly the default limit and refuses one byte more with 95010', async (fileType, _name, limit) => {
    const fileName = fileType === 1 ? 'a.jpg' : fileType === 2 ? 'a.mp4' : fileType === 3 ? 'a.mp3' : 'a.bin';
    expect((await requestSlot(alice, { fileType, fileName, fileSize: limit })).code).toBe(0);
    expect(await slotError(alice, { fileType, fileName, fileSize: limit + 1 })).toBe(ErrorCode.FileTooLarge);
  });

  it('refuses empty files with 10004', async () => {
    expect(await slotError(alice, { fileType: 255, fileName: 'empty.txt', fileSize: 0 })).toBe(ErrorCode.InvalidParameters);
  });

  it.each(['jpg', 'jpeg', 'gif', 'png', 'bmp', 'image', 'webp', 'PNG', 'JpG'])('accepts image extension .%s', async (ext) => {
    expect((await requestSlot(alice, { fileType: 1, fileName: `pic.${ext}`, fileSize: 10 })).code).toBe(0);
  });

  it.each(['pic.tiff', 'pic.svg', 'pic', 'pic.png.exe', 'png'])('refuses image name %s with 95011', async (fileName) => {
    expect(await slotError(alice, { fileType: 1, fileName, fileSize: 10 })).toBe(ErrorCode.FileTypeNotAllowed);
  });

  it('accepts mp4/mov videos by extension or MIME subtype and refuses others with 95011', async () => {
    expect((await requestSlot(alice, { fileType: 2, fileName: 'a.mov', fileSize: 10 })).code).toBe(0);
    expect((await requestSlot(alice, { fileType: 2, fileName: 'a.MP4', fileSize: 10 })).code).toBe(0);
    expect((await requestSlot(alice, { fileType: 2, fileName: 'recording', fileSize: 10, contentType: 'video/quicktime' })).code).toBe(0);
    expect(await slotError(alice, { fileType: 2, fileName: 'a.avi', fileSize: 10, contentType: 'video/x-msvideo' })).toBe(ErrorCode.FileTypeNotAllowed);
    expect(await slotError(alice, { fileType: 2, fileName: 'a.webm', fileSize: 10 })).toBe(ErrorCode.FileTypeNotAllowed);
  });

  it('rejects an unknown fileType in the codec (95002)', async () => {
    expect(errorCode(await alice.request('file.slot', { fileType: 4, fileName: 'a.png', fileSize: 1 }))).toBe(ErrorCode.InvalidFrame);
  });

  it('needs a logged-in connection (95004)', async () => {
    const anon = await pool.connect(srv.wsUrl);
    expect(errorCode(await anon.request('file.slot', { fileType: 255, fileName: 'a.txt', fileSize: 1 }))).toBe(ErrorCode.NotLoggedIn);
  });
});

describe('file.info', () => {
  it('shows the owner a pending slot as not uploaded, and hides it from everyone else (95013)', async () => {
    const s = await slot(alice, { fileType: 255, fileName: 'a.txt', fileSize: 5 });
    expect(expectOk(await alice.request('file.info', { uuid: s.uuid }))).toEqual({ uploaded: false, file: null });
    expect(errorCode(await bob.request('file.info', { uuid: s.uuid }))).toBe(ErrorCode.FileNotFound);
  });

  it('answers 95013 for unknown and malformed uuids', async () => {
    expect(errorCode(await alice.request('file.info', { uuid: '0123456789abcdef0123456789abcdef' }))).toBe(ErrorCode.FileNotFound);
    expect(errorCode(await alice.request('file.info', { uuid: 'not-a-uuid' }))).toBe(ErrorCode.FileNotFound);
  });

  it('describes a finished upload to anyone who has its uuid', async () => {
    const png = await pngImage(300, 200);
    const { slot: s, answer } = await upload(alice, 1, 'p.png', png, 'image/png');
    const forBob = expectOk<{ uploaded: boolean; file: unknown }>(await bob.request('file.info', { uuid: s.uuid }));
    expect(forBob.uploaded).toBe(true);
    expect(forBob.file).toEqual(answer.file);
  });
});

describe('configuration', () => {
  it('uses PARLEY_PUBLIC_URL for every URL and the configured per-type limits', async () => {
    const other = await startTestServer({ config: { publicUrl: 'https://chat.example.com/im', maxImageBytes: 1000, maxFileBytes: 50 } });
    try {
      const c = await pool.login(other, 'carol');
      const s = await slot(c, { fileType: 1, fileName: 'a.png', fileSize: 1000 });
      expect(s.uploadUrl.startsWith(`https://chat.example.com/im/upload/${s.uuid}?token=`)).toBe(true);
      expect(s.downloadUrl).toBe(`https://chat.example.com/im/files/${s.uuid}/a.png`);
      expect(s.thumbUrl).toBe(`https://chat.example.com/im/files/${s.uuid}/thumb`);
      expect(await slotError(c, { fileType: 1, fileName: 'a.png', fileSize: 1001 })).toBe(ErrorCode.FileTooLarge);
      expect(await slotError(c, { fileType: 255, fileName: 'a.txt', fileSize: 51 })).toBe(ErrorCode.FileTooLarge);
      // The upload itself works at the server's own address (the public URL is for clients behind a proxy).
      const png = await pngImage(10, 10);
      expect(png.length).toBeLessThan(1000);
      const small = await slot(c, { fileType: 1, fileName: 'small.png', fileSize: png.length });
      const { status, json } = await put(small.uploadUrl.replace('https://chat.example.com/im', other.httpUrl), png);
      expect(status).toBe(200);
      expect(json.location).toBe(`https://chat.example.com/im/files/${small.uuid}/small.png`);
    } finally {
      await other.close();
    }
  });
});

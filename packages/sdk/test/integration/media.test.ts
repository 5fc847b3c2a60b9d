/**
 * Media messages through the real SDK, the real upload plugin and a real
 * server (spec tim-api.md §4.2, §8.3, §10): image, audio, video and file
 * messages sent and received with the §8.3 payloads (image derivatives
 * checked against the real files with sharp), upload progress, every limit
 * and bad input refused with TIM's code and nothing stored, 2040 without a
 * plugin, resend after upload and send failures, Range downloads, history
 * and revoke. The video case needs Debian's ffmpeg (skipped without it
 * unless CI=true); Tencent's own plugin is covered by the browser test
 * (test/browser/media-smoke.test.ts) and here in Node on a small
 * XMLHttpRequest stand-in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TYPES, type Message } from '@parley/sdk';
import ParleyUploadPlugin, { type UploadCallback, type UploadFileOptions } from '@parley/upload-plugin';
import { FetchXMLHttpRequest, sleep, startTestServer, waitUntil, type TestServer } from '@parley/testing';
import { Harness, rejectionOf, type TestUser } from './helpers.js';

const MiB = 1024 * 1024;
const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const haveFfprobe = spawnSync('ffprobe', ['-version']).status === 0;
const underCI = process.env['CI'] === 'true';
if (!haveFfmpeg && !underCI) console.warn('[media] ffmpeg not found: the mp4 video case is skipped (apt-get install ffmpeg; under CI=true it fails instead)');

let srv: TestServer | undefined;
let h: Harness | undefined;
let tmp = '';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'parley-sdk-media-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await h?.destroyAll();
  await srv?.close();
  h = undefined;
  srv = undefined;
  vi.restoreAllMocks();
});

async function setup(config: Parameters<typeof startTestServer>[0] = {}): Promise<{ hh: Harness; server: TestServer }> {
  srv = await startTestServer({ ...config, config: { maxWebInstances: 0, ...config.config } });
  h = new Harness(srv);
  return { hh: h, server: srv };
}

/** A user whose instance registered `plugin` as tim-upload-plugin before login (spec §10.1). */
async function mediaUser(hh: Harness, userID: string, plugin: unknown = ParleyUploadPlugin): Promise<TestUser> {
  const user = hh.create(userID);
  user.tim.registerPlugin({ 'tim-upload-plugin': plugin });
  return user.login();
}

// ---------------------------------------------------------------- fixtures

function noise(width: number, height: number): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  let x = 987654;
  for (let i = 0; i < buf.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    buf[i] = (x >> 16) & 0xff;
  }
  return buf;
}

/** Bytes on a plain ArrayBuffer (what Blob and File accept). */
type Bytes = Buffer<ArrayBuffer>;

async function png(width: number, height: number): Promise<Bytes> {
  return Buffer.from(await sharp(noise(width, height), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer());
}

async function jpeg(width: number, height: number): Promise<Bytes> {
  return Buffer.from(await sharp(noise(width, height), { raw: { width, height, channels: 3 } }).jpeg({ quality: 70 }).toBuffer());
}

/** A WAV file (8 kHz, 8-bit mono) of `seconds` of a tone. */
function wav(seconds: number): Bytes {
  const rate = 8000;
  const samples = rate * seconds;
  const buf = Buffer.alloc(44 + samples);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + samples, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate, 28);
  buf.writeUInt16LE(1, 32);
  buf.writeUInt16LE(8, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(samples, 40);
  for (let i = 0; i < samples; i++) buf[44 + i] = 128 + Math.round(100 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return buf;
}

/** An ISO-media header the server accepts as MP4 (no playable video: ffprobe finds nothing, no snapshot). */
function fakeMp4(bytes = 4096): Bytes {
  const buf = Buffer.alloc(bytes);
  buf.writeUInt32BE(24, 0);
  buf.write('ftypisom', 4, 'latin1');
  buf.writeUInt32BE(0x200, 12);
  buf.write('isommp41', 16, 'latin1');
  buf.writeUInt32BE(bytes - 24, 24);
  buf.write('mdat', 28, 'latin1');
  return buf;
}

/** A real 320×240, 2 s MP4 made by ffmpeg. */
function realMp4(): Bytes {
  const out = join(tmp, `clip-${Date.now()}.mp4`);
  const res = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=2', '-c:v', 'mpeg4', '-pix_fmt', 'yuv420p', out]);
  if (res.status !== 0) throw new Error(`ffmpeg failed: ${res.stderr.toString()}`);
  return Buffer.from(readFileSync(out));
}

function randomBytes(n: number): Bytes {
  const buf = Buffer.alloc(n);
  let x = 4242;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    buf[i] = x >>> 24;
  }
  return buf;
}

/** A sparse file of `size` bytes as a Blob (no memory, no disk use). */
async function sparseBlob(name: string, size: number, type = ''): Promise<Blob> {
  const path = join(tmp, name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return openAsBlob(path, { type });
}

async function fetchBytes(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Every blob the server stores (`<dataDir>/files/`, without its temp dir). */
function storedBlobs(dataDir: string): string[] {
  const root = join(dataDir, 'files');
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (rel === '' && name === 'tmp') continue;
        walk(path, `${rel}${name}/`);
      } else out.push(`${rel}${name}`);
    }
  };
  walk(root, '');
  return out.sort();
}

function imageMessage(user: TestUser, to: string, file: unknown, extra: Record<string, unknown> = {}): Message {
  return user.tim.createImageMessage({ to, conversationType: TYPES.CONV_C2C, payload: { file }, ...extra });
}

function expectMonotonicToOne(progress: number[]): void {
  expect(progress.length).toBeGreaterThanOrEqual(2);
  expect(progress[0]).toBe(0);
  expect(progress.at(-1)).toBe(1);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  for (const p of progress) {
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
  }
}

const UUID = /^[0-9a-f]{32}$/;
// messageForShow is English or Chinese by SDKAppID range (spec §3); test servers get random SDKAppIDs.

// ---------------------------------------------------------------- images

describe('image messages', () => {
  it('upload, §8.3 payload with [original, 198, 720] matching the real derivatives, delivered unchanged', async () => {
    const { hh, server } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');

    const cases = [
      { bytes: await jpeg(1600, 1200), name: 'holiday photo.jpg', type: 'image/jpeg', format: 1, thumb: [264, 198], large: [960, 720] },
      // Shorter side already below 720: the large derivative keeps the original's size (never upscaled).
      { bytes: await png(1000, 500), name: 'wide.png', type: 'image/png', format: 3, thumb: [396, 198], large: [1000, 500] },
    ];
    for (const [index, c] of cases.entries()) {
      const progress: number[] = [];
      const message = imageMessage(alice, 'bob', new File([c.bytes], c.name, { type: c.type }), { onProgress: (p: number) => progress.push(p) });
      // Before the upload: three placeholder entries (no blob URLs in Node).
      expect(message.type).toBe(TYPES.MSG_IMAGE);
      expect(message.status).toBe('unSend');
      expect(message.payload).toMatchObject({ uuid: '', imageFormat: c.format });
      const placeholder = message.payload['imageInfoArray'] as Array<Record<string, unknown>>;
      expect(placeholder.map((i) => [i['type'], i['sizeType'], i['url']])).toEqual([
        [0, 1, ''],
        [1, 3, ''],
        [2, 2, ''],
      ]);
      expect(placeholder[0]?.['size']).toBe(c.bytes.length);

      const res = await alice.tim.sendMessage(message);
      expect(res.code).toBe(0);
      expect(res.data.message).toBe(message);
      expect(message.status).toBe('success');
      expectMonotonicToOne(progress);

      const payload = message.payload as { uuid: string; imageFormat: number; imageInfoArray: Array<Record<string, unknown>> };
      expect(Object.keys(payload).sort()).toEqual(['imageFormat', 'imageInfoArray', 'uuid']);
      expect(payload.uuid).toMatch(UUID);
      expect(payload.imageFormat).toBe(c.format);
      const [original, thumb, large] = payload.imageInfoArray;
      const meta = await sharp(c.bytes).metadata();
      expect(original).toMatchObject({ type: 0, sizeType: 1, size: c.bytes.length, width: meta.width, height: meta.height });
      expect(thumb).toMatchObject({ type: 1, sizeType: 3, size: 0, width: c.thumb[0], height: c.thumb[1] });
      expect(large).toMatchObject({ type: 2, sizeType: 2, size: 0, width: c.large[0], height: c.large[1] });
      for (const info of payload.imageInfoArray) {
        expect(Object.keys(info).sort()).toEqual(['height', 'imageUrl', 'instanceID', 'size', 'sizeType', 'type', 'url', 'width']);
        expect(info['url']).toBe(info['imageUrl']);
        expect(String(info['url'])).toMatch(new RegExp(`^${server.httpUrl}/files/${payload.uuid}/`));
        expect(typeof info['instanceID']).toBe('number');
      }
      // The URLs serve what the payload says: the original bytes, and derivatives of the stated dimensions.
      const got = await fetchBytes(String(original?.['url']));
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe(c.type);
      expect(Buffer.compare(got.body, c.bytes)).toBe(0);
      for (const info of [thumb, large]) {
        const d = await fetchBytes(String(info?.['url']));
        expect(d.status).toBe(200);
        const m = await sharp(d.body).metadata();
        expect([m.width, m.height]).toEqual([info?.['width'], info?.['height']]);
      }

      // The receiver gets the same payload.
      const [received] = (await bob.waitForReceived(index + 1)).slice(index);
      expect(received).toMatchObject({ ID: message.ID, type: TYPES.MSG_IMAGE, from: 'alice', flow: 'in', status: 'success' });
      expect(received?.payload).toEqual(message.payload);
    }
    const conv = await bob.conversation('C2Calice');
    expect(conv?.lastMessage.messageForShow).toMatch(/^\[(Image|图片)\]$/);
    expect(conv?.unreadCount).toBe(2);
  });

  it('accepts a Blob (named from payload.fileName, or "file" plus the extension of its type) and an <input>-like object', async () => {
    const { hh } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const bytes = await png(300, 200);

    const named = imageMessage(alice, 'bob', new Blob([bytes]), { payload: { file: new Blob([bytes]), fileName: 'named.png' } });
    expect(named.payload['imageFormat']).toBe(3);
    await alice.tim.sendMessage(named);
    const unnamed = imageMessage(alice, 'bob', new Blob([bytes], { type: 'image/png' }));
    await alice.tim.sendMessage(unnamed);
    // What a browser <input type="file"> looks like to the SDK: an object with a FileList.
    const input = { tagName: 'INPUT', type: 'file', files: [new File([bytes], 'picked.PNG', { type: 'image/png' })] };
    const picked = imageMessage(alice, 'bob', input);
    await alice.tim.sendMessage(picked);

    for (const m of [named, unnamed, picked]) {
      expect(m.status).toBe('success');
      const infos = m.payload['imageInfoArray'] as Array<Record<string, unknown>>;
      expect(infos.map((i) => [i['width'], i['height']])).toEqual([
        [300, 200],
        [297, 198],
        [300, 200],
      ]);
    }
    expect(String((named.payload['imageInfoArray'] as Array<Record<string, unknown>>)[0]?.['url'])).toMatch(/\/named\.png$/);
    expect(String((unnamed.payload['imageInfoArray'] as Array<Record<string, unknown>>)[0]?.['url'])).toMatch(/\/file\.png$/);
    expect(String((picked.payload['imageInfoArray'] as Array<Record<string, unknown>>)[0]?.['url'])).toMatch(/\/picked\.PNG$/);
    await bob.waitForReceived(3);
  });
});

// ---------------------------------------------------------------- audio, video, file

describe('audio, video and file messages', () => {
  it('audio: recorder results (bytes or a path) and plain files; §8.3 AudioPayload', async () => {
    const { hh, server } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const sound = wav(2);

    // 1. A recorder result carrying the bytes: `second` comes from its duration (ms).
    const progress: number[] = [];
    const recorded = alice.tim.createAudioMessage({
      to: 'bob',
      conversationType: TYPES.CONV_C2C,
      payload: { file: { file: new Blob([sound], { type: 'audio/wav' }), duration: 3400, size: sound.length } },
      onProgress: (p: number) => progress.push(p),
    });
    expect(recorded.type).toBe(TYPES.MSG_AUDIO);
    expect(recorded.payload).toEqual({ uuid: '', url: '', remoteAudioUrl: '', size: sound.length, second: 3, downloadFlag: 2 });
    await alice.tim.sendMessage(recorded);
    expectMonotonicToOne(progress);
    expect(Object.keys(recorded.payload).sort()).toEqual(['downloadFlag', 'remoteAudioUrl', 'second', 'size', 'url', 'uuid']);
    expect(recorded.payload).toMatchObject({ size: sound.length, second: 3, downloadFlag: 2 });
    expect(recorded.payload['uuid']).toMatch(UUID);
    expect(recorded.payload['url']).toBe(recorded.payload['remoteAudioUrl']);
    expect(String(recorded.payload['url']).startsWith(`${server.httpUrl}/files/${String(recorded.payload['uuid'])}/`)).toBe(true);
    const got = await fetchBytes(String(recorded.payload['url']));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.compare(got.body, sound)).toBe(0);

    // 2. A recorder result with only a local path (Node: read from disk).
    const path = join(tmp, 'memo.wav');
    writeFileSync(path, sound);
    const fromPath = alice.tim.createAudioMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: { tempFilePath: path, duration: 2000, fileSize: sound.length } } });
    await alice.tim.sendMessage(fromPath);
    expect(fromPath.payload).toMatchObject({ size: sound.length, second: 2 });
    expect(String(fromPath.payload['url'])).toMatch(/\/memo\.wav$/);

    // 3. A plain File: the duration is the server's (ffprobe), 0 without it.
    const plain = alice.tim.createAudioMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File([sound], 'voice.wav', { type: 'audio/wav' }) } });
    await alice.tim.sendMessage(plain);
    expect(plain.payload).toMatchObject({ size: sound.length, second: haveFfprobe ? 2 : 0, downloadFlag: 2 });

    const received = await bob.waitForReceived(3);
    expect(received.map((m) => m.payload)).toEqual([recorded.payload, fromPath.payload, plain.payload]);
    expect((await bob.conversation('C2Calice'))?.lastMessage.messageForShow).toMatch(/^\[(Voice|语音)\]$/);
  });

  it.skipIf(!haveFfmpeg && !underCI)('video: a real mp4 gets its duration and a cover snapshot (ffmpeg); §8.3 VideoPayload with snapshot* duplicates', async () => {
    if (!haveFfmpeg) throw new Error('CI=true but ffmpeg is missing: install Debian\'s ffmpeg (.ci/run does)');
    const { hh, server } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const clip = realMp4();

    const progress: number[] = [];
    const message = alice.tim.createVideoMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File([clip], 'clip.mp4', { type: 'video/mp4' }) }, onProgress: (p: number) => progress.push(p) });
    expect(message.type).toBe(TYPES.MSG_VIDEO);
    // Before the upload the cover is TIM's 200×200 default.
    expect(message.payload).toMatchObject({ videoUUID: '', videoFormat: 'mp4', videoSize: clip.length, thumbWidth: 200, thumbHeight: 200, snapshotWidth: 200, snapshotHeight: 200 });
    await alice.tim.sendMessage(message);
    expectMonotonicToOne(progress);

    const p = message.payload;
    expect(Object.keys(p).sort()).toEqual(
      [
        'videoUUID', 'videoFormat', 'videoSecond', 'videoSize', 'videoUrl', 'remoteVideoUrl', 'videoDownloadFlag',
        'thumbUUID', 'thumbFormat', 'thumbWidth', 'thumbHeight', 'thumbSize', 'thumbUrl', 'thumbDownloadFlag',
        'snapshotUrl', 'snapshotWidth', 'snapshotHeight', 'snapshotSize',
      ].sort(),
    );
    expect(p['videoUUID']).toMatch(UUID);
    expect(p).toMatchObject({ videoFormat: 'mp4', videoSecond: 2, videoSize: clip.length, videoDownloadFlag: 2, thumbFormat: 'jpg', thumbWidth: 320, thumbHeight: 240, thumbDownloadFlag: 2 });
    expect(p['remoteVideoUrl']).toBe(p['videoUrl']);
    expect(String(p['videoUrl']).startsWith(`${server.httpUrl}/files/${String(p['videoUUID'])}/`)).toBe(true);
    expect(p['thumbUrl']).toBe(`${server.httpUrl}/files/${String(p['videoUUID'])}/snapshot`);
    expect(p['thumbSize']).toBeGreaterThan(0);
    expect([p['snapshotUrl'], p['snapshotWidth'], p['snapshotHeight'], p['snapshotSize']]).toEqual([p['thumbUrl'], p['thumbWidth'], p['thumbHeight'], p['thumbSize']]);
    const snap = await fetchBytes(String(p['thumbUrl']));
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(snap.body.length).toBe(p['thumbSize']);
    const meta = await sharp(snap.body).metadata();
    expect([meta.width, meta.height]).toEqual([320, 240]);
    const video = await fetchBytes(String(p['videoUrl']));
    expect(Buffer.compare(video.body, clip)).toBe(0);

    const [received] = await bob.waitForReceived(1);
    expect(received?.payload).toEqual(p);
    expect((await bob.conversation('C2Calice'))?.lastMessage.messageForShow).toMatch(/^\[(Video|视频)\]$/);
  });

  it('video without a snapshot (not decodable): TIM\'s 200×200 default cover, empty thumbUrl', async () => {
    const { hh } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const clip = fakeMp4();
    const message = alice.tim.createVideoMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new Blob([clip], { type: 'video/mp4' }) } });
    await alice.tim.sendMessage(message);
    expect(message.payload).toMatchObject({ videoFormat: 'mp4', videoSecond: 0, videoSize: clip.length, thumbUrl: '', thumbWidth: 200, thumbHeight: 200, thumbSize: 0, snapshotUrl: '' });
    const [received] = await bob.waitForReceived(1);
    expect(received?.payload).toEqual(message.payload);
  });

  it('file: §8.3 FilePayload, progress in steps for a 3 MiB file, Range and whole downloads', async () => {
    const { hh, server } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const data = randomBytes(3 * MiB + 17);

    const progress: number[] = [];
    const message = alice.tim.createFileMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File([data], 'report 2024 (final).bin') }, onProgress: (p: number) => progress.push(p) });
    expect(message.type).toBe(TYPES.MSG_FILE);
    expect(message.payload).toEqual({ uuid: '', fileName: 'report 2024 (final).bin', fileSize: data.length, fileUrl: '', downloadFlag: 2 });
    await alice.tim.sendMessage(message);
    expectMonotonicToOne(progress);
    expect(progress.length).toBeGreaterThan(5); // streamed: real intermediate progress
    expect(Object.keys(message.payload).sort()).toEqual(['downloadFlag', 'fileName', 'fileSize', 'fileUrl', 'uuid']);
    expect(message.payload).toMatchObject({ fileName: 'report 2024 (final).bin', fileSize: data.length, downloadFlag: 2 });
    const url = String(message.payload['fileUrl']);
    expect(url).toBe(`${server.httpUrl}/files/${String(message.payload['uuid'])}/${encodeURIComponent('report 2024 (final).bin')}`);

    const [received] = await bob.waitForReceived(1);
    expect(received?.payload).toEqual(message.payload);
    expect((await bob.conversation('C2Calice'))?.lastMessage.messageForShow).toMatch(/^\[(File|文件)\]$/);

    const whole = await fetchBytes(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.compare(whole.body, data)).toBe(0);
    const head = await fetchBytes(url, { range: 'bytes=0-9' });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-9/${data.length}`);
    expect(Buffer.compare(head.body, data.subarray(0, 10))).toBe(0);
    const tail = await fetchBytes(url, { range: 'bytes=-100' });
    expect(tail.status).toBe(206);
    expect(Buffer.compare(tail.body, data.subarray(data.length - 100))).toBe(0);
    const middle = await fetchBytes(url, { range: `bytes=${MiB}-${MiB + 4095}` });
    expect(Buffer.compare(middle.body, data.subarray(MiB, MiB + 4096))).toBe(0);
  });
});

// ---------------------------------------------------------------- refusals

describe('limits and bad input: TIM codes, message "fail", nothing stored', () => {
  it('every send-time check rejects before any upload, and the receiver sees nothing', async () => {
    const { hh, server } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    await alice.sendText('bob', 'before');
    await bob.waitForReceived(1);
    const historyBefore = (await bob.history('C2Calice')).messages.map((m) => m.ID);
    const blobsBefore = storedBlobs(server.dataDir);
    const uploads = vi.spyOn(ParleyUploadPlugin.prototype, 'uploadFile');

    const to = { to: 'bob', conversationType: TYPES.CONV_C2C };
    const pngBytes = await png(20, 20);
    const cases: Array<{ what: string; code: number; make: () => Promise<Message> | Message }> = [
      { what: 'image without a file', code: 2251, make: () => alice.tim.createImageMessage({ ...to, payload: {} }) },
      { what: 'image: <input> with nothing selected', code: 2251, make: () => alice.tim.createImageMessage({ ...to, payload: { file: { tagName: 'INPUT', files: [] } } }) },
      { what: 'file without a file', code: 2401, make: () => alice.tim.createFileMessage({ ...to, payload: { file: null } }) },
      { what: 'audio without a file', code: 2300, make: () => alice.tim.createAudioMessage({ ...to, payload: { file: { duration: 1000, size: 10 } } }) },
      { what: 'audio: a path that does not exist', code: 2300, make: () => alice.tim.createAudioMessage({ ...to, payload: { file: { tempFilePath: join(tmp, 'missing.mp3'), duration: 1000 } } }) },
      { what: 'video without a file', code: 2350, make: () => alice.tim.createVideoMessage({ ...to, payload: {} }) },
      { what: 'empty image', code: 2108, make: () => alice.tim.createImageMessage({ ...to, payload: { file: new File([], 'empty.png', { type: 'image/png' }) } }) },
      { what: 'empty file', code: 2108, make: () => alice.tim.createFileMessage({ ...to, payload: { file: new File([], 'empty.txt') } }) },
      { what: 'empty audio', code: 2108, make: () => alice.tim.createAudioMessage({ ...to, payload: { file: new Blob([], { type: 'audio/wav' }) } }) },
      { what: 'image with a .pdf name', code: 2252, make: () => alice.tim.createImageMessage({ ...to, payload: { file: new File([pngBytes], 'picture.pdf', { type: 'application/pdf' }) } }) },
      { what: 'image Blob without name or type', code: 2252, make: () => alice.tim.createImageMessage({ ...to, payload: { file: new Blob([pngBytes]) } }) },
      { what: 'video of type video/x-msvideo', code: 2352, make: () => alice.tim.createVideoMessage({ ...to, payload: { file: new File([fakeMp4()], 'clip.avi', { type: 'video/x-msvideo' }) } }) },
      { what: 'video .mkv without a type', code: 2352, make: () => alice.tim.createVideoMessage({ ...to, payload: { file: new File([fakeMp4()], 'clip.mkv') } }) },
      { what: 'image of exactly 20 MiB (must be smaller)', code: 2253, make: async () => alice.tim.createImageMessage({ ...to, payload: { file: await sparseBlob('big.png', 20 * MiB, 'image/png'), fileName: 'big.png' } }) },
      { what: 'audio over 20 MiB', code: 2301, make: async () => alice.tim.createAudioMessage({ ...to, payload: { file: { file: await sparseBlob('big.wav', 20 * MiB + 1, 'audio/wav'), duration: 1000 } } }) },
      { what: 'video over 100 MiB', code: 2351, make: async () => alice.tim.createVideoMessage({ ...to, payload: { file: await sparseBlob('big.mp4', 100 * MiB + 1, 'video/mp4') } }) },
      { what: 'file over 100 MiB', code: 2402, make: async () => alice.tim.createFileMessage({ ...to, payload: { file: await sparseBlob('big.bin', 100 * MiB + 1), fileName: 'big.bin' } }) },
    ];
    for (const c of cases) {
      const message = await c.make();
      const err = await rejectionOf(alice.tim.sendMessage(message));
      expect([c.what, err.code], err.message).toEqual([c.what, c.code]);
      expect(err.data['message']).toBe(message);
      expect(message.status).toBe('fail');
    }
    // 20 MiB + 1 of audio is too much, exactly 20 MiB is fine as far as the SDK goes (≤); likewise 100 MiB video/file.
    expect(uploads).not.toHaveBeenCalled();
    await sleep(100);
    expect(bob.received()).toHaveLength(1);
    expect((await bob.history('C2Calice')).messages.map((m) => m.ID)).toEqual(historyBefore);
    expect(storedBlobs(server.dataDir)).toEqual(blobsBefore);
    expect((await alice.conversation('C2Cbob'))?.lastMessage.messageForShow).toBe('before');
  });

  it('params that are not even shaped right throw "Params validate failed." at creation', async () => {
    const { hh } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const to = { to: 'bob', conversationType: TYPES.CONV_C2C };
    expect(() => alice.tim.createImageMessage({ ...to })).toThrow('Params validate failed.');
    expect(() => alice.tim.createFileMessage({ ...to, payload: 'x' })).toThrow('Params validate failed.');
    expect(() => alice.tim.createVideoMessage({ ...to, payload: { file: new Blob(['x']) }, onProgress: 'nope' })).toThrow('Params validate failed.');
    expect(() => alice.tim.createAudioMessage({ payload: { file: new Blob(['x']) } })).toThrow('Params validate failed.');
  });

  it('the server\'s own limits and content checks: too large → size code, not an image → 2400; nothing stored', async () => {
    const { hh, server } = await setup({ config: { maxFileBytes: 1000, maxImageBytes: 50_000, maxVideoBytes: 2000 } });
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const to = { to: 'bob', conversationType: TYPES.CONV_C2C };

    const bigFile = alice.tim.createFileMessage({ ...to, payload: { file: new File([randomBytes(2000)], 'a.bin') } });
    expect((await rejectionOf(alice.tim.sendMessage(bigFile))).code).toBe(2402);
    const bigImage = alice.tim.createImageMessage({ ...to, payload: { file: new File([await png(400, 400)], 'a.png') } });
    expect((await rejectionOf(alice.tim.sendMessage(bigImage))).code).toBe(2253);
    const bigVideo = alice.tim.createVideoMessage({ ...to, payload: { file: new File([fakeMp4(3000)], 'a.mp4') } });
    expect((await rejectionOf(alice.tim.sendMessage(bigVideo))).code).toBe(2351);

    // A ".png" that is not an image: the slot is granted, the server refuses the bytes (415), the upload fails.
    const fake = alice.tim.createImageMessage({ ...to, payload: { file: new File([Buffer.from('this is plain text, not a picture')], 'fake.png', { type: 'image/png' }) } });
    const err = await rejectionOf(alice.tim.sendMessage(fake));
    expect(err.code).toBe(2400);
    expect(err.message).toMatch(/415/);
    expect(fake.status).toBe('fail');
    // Videos whose bytes are refused fail with 2350 after the SDK's one retry.
    const notVideo = alice.tim.createVideoMessage({ ...to, payload: { file: new File([randomBytes(500)], 'noise.mp4', { type: 'video/mp4' }) } });
    const uploads = vi.spyOn(ParleyUploadPlugin.prototype, 'uploadFile');
    expect((await rejectionOf(alice.tim.sendMessage(notVideo))).code).toBe(2350);
    expect(uploads).toHaveBeenCalledTimes(2);

    await sleep(100);
    expect(bob.received()).toHaveLength(0);
    expect((await bob.history('C2Calice')).messages).toHaveLength(0);
    expect(storedBlobs(server.dataDir)).toEqual([]);
  });

  it('onProgress that throws fails the send with 2109; nothing is delivered', async () => {
    const { hh } = await setup();
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    let calls = 0;
    const message = alice.tim.createFileMessage({
      to: 'bob',
      conversationType: TYPES.CONV_C2C,
      payload: { file: new File([randomBytes(200_000)], 'p.bin') },
      onProgress: () => {
        calls++;
        if (calls === 2) throw new Error('app bug');
      },
    });
    const err = await rejectionOf(alice.tim.sendMessage(message));
    expect(err.code).toBe(2109);
    expect(err.message).toMatch(/app bug/);
    expect(err.data['message']).toBe(message);
    expect(message.status).toBe('fail');
    await sleep(200);
    expect(bob.received()).toHaveLength(0);
  });
});

// ---------------------------------------------------------------- the plugin

describe('the upload plugin (spec §10)', () => {
  it('no plugin registered → 2040; one registered after login is not picked up until the next login', async () => {
    const { hh } = await setup();
    const carol = await hh.login('carol');
    const bob = await mediaUser(hh, 'bob');
    const file = () => carol.tim.createFileMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File(['hello'], 'hello.txt') } });

    const first = file();
    const err = await rejectionOf(carol.tim.sendMessage(first));
    expect(err.code).toBe(2040);
    expect(err.data['message']).toBe(first);
    expect(first.status).toBe('fail');

    carol.tim.registerPlugin({ 'tim-upload-plugin': ParleyUploadPlugin });
    expect((await rejectionOf(carol.tim.sendMessage(file()))).code).toBe(2040);

    await carol.tim.logout();
    await carol.login();
    const later = file();
    await carol.tim.sendMessage(later);
    expect(later.status).toBe('success');
    // The first message failed before any upload; resending it now uploads and sends.
    await carol.tim.resendMessage(first);
    expect(first.status).toBe('success');
    await bob.waitForReceived(2);
    expect(bob.received().map((m) => m.payload['fileName'])).toEqual(['hello.txt', 'hello.txt']);
    await sleep(100);
    expect(bob.received()).toHaveLength(2);
  });

  it('the SDK creates the plugin with `new Plugin()` at login and passes the §10.2 options', async () => {
    const { hh, server } = await setup();
    const seen: Array<Omit<UploadFileOptions, 'onProgress' | 'resources'> & { resources: string; onProgress: string }> = [];
    let constructed = 0;
    class RecordingPlugin extends ParleyUploadPlugin {
      constructor(...args: unknown[]) {
        super();
        constructed++;
        expect(args).toEqual([]);
      }
      override uploadFile(options: UploadFileOptions, callback: UploadCallback) {
        const { resources, onProgress, ...rest } = options;
        seen.push({ ...rest, resources: resources instanceof Blob ? `Blob(${resources.size})` : typeof resources, onProgress: typeof onProgress });
        return super.uploadFile(options, callback);
      }
    }
    const alice = hh.create('alice');
    alice.tim.registerPlugin({ 'tim-upload-plugin': RecordingPlugin });
    expect(constructed).toBe(0);
    await alice.login();
    expect(constructed).toBe(1);
    const bytes = await png(50, 40);
    const message = imageMessage(alice, 'bob', new File([bytes], 'pic.png', { type: 'image/png' }));
    await alice.tim.sendMessage(message);
    const uuid = String(message.payload['uuid']);
    expect(seen).toEqual([
      {
        url: expect.stringMatching(new RegExp(`^${server.httpUrl}/upload/${uuid}\\?token=`)) as unknown as string,
        fileType: 1,
        fileName: 'pic.png',
        resources: `Blob(${bytes.length})`,
        downloadUrl: `${server.httpUrl}/files/${uuid}/pic.png`,
        thumbUrl: `${server.httpUrl}/files/${uuid}/thumb`,
        largeUrl: `${server.httpUrl}/files/${uuid}/large`,
        onProgress: 'function',
      },
    ]);
    expect(constructed).toBe(1);
  });

  it('resend: an upload that failed is uploaded again; a message whose upload completed is not', async () => {
    const { hh } = await setup();
    let calls = 0;
    let failNext = true;
    class FlakyPlugin extends ParleyUploadPlugin {
      override uploadFile(options: UploadFileOptions, callback: UploadCallback) {
        calls++;
        if (failNext) {
          failNext = false;
          setTimeout(() => callback({ code: 503, message: 'service unavailable' }), 0);
          return { abort: () => undefined };
        }
        return super.uploadFile(options, callback);
      }
    }
    const alice = await mediaUser(hh, 'alice', FlakyPlugin);
    const bob = await mediaUser(hh, 'bob');

    // 1. Upload fails → 2400, "fail"; resend uploads again and sends.
    const image = imageMessage(alice, 'bob', new File([await png(64, 64)], 'r.png'));
    const err = await rejectionOf(alice.tim.sendMessage(image));
    expect(err.code).toBe(2400);
    expect(err.message).toMatch(/503/);
    expect(image.status).toBe('fail');
    expect(image.payload['uuid']).toBe('');
    await alice.tim.resendMessage(image);
    expect(calls).toBe(2);
    expect(image.status).toBe('success');
    expect(image.isResend).toBe(true);
    expect(image.payload['uuid']).toMatch(UUID);

    // 2. Upload succeeds, the send is refused (bob blocked alice: 20007) → resend sends the same payload without uploading.
    await bob.tim.addToBlacklist({ userIDList: ['alice'] });
    const file = alice.tim.createFileMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File(['blocked at first'], 'b.txt') } });
    const blocked = await rejectionOf(alice.tim.sendMessage(file));
    expect(blocked.code).toBe(20007);
    expect(file.status).toBe('fail');
    expect(calls).toBe(3);
    const uploaded = { ...file.payload };
    expect(uploaded['uuid']).toMatch(UUID);
    await bob.tim.removeFromBlacklist({ userIDList: ['alice'] });
    await alice.tim.resendMessage(file);
    expect(file.status).toBe('success');
    expect(calls).toBe(3);
    expect(file.payload).toEqual(uploaded);

    // 3. Video: one failed upload is retried by the SDK (new slot) before the send fails.
    failNext = true;
    const video = alice.tim.createVideoMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File([fakeMp4()], 'v.mp4') } });
    await alice.tim.sendMessage(video);
    expect(calls).toBe(5);
    expect(video.status).toBe('success');

    await bob.waitForReceived(3);
    expect(bob.received().map((m) => m.ID)).toEqual([image.ID, file.ID, video.ID]);
    await sleep(100);
    expect(bob.received()).toHaveLength(3);
  });

  it("Tencent's tim-upload-plugin, registered unchanged: needs XMLHttpRequest (fails with 2400 in plain Node), works with one", async () => {
    const { hh } = await setup();
    const require = createRequire(import.meta.url);
    const TIMUploadPlugin = require('tim-upload-plugin') as new () => unknown;
    vi.spyOn(console, 'log').mockImplementation(() => undefined); // the plugin logs its version and every URL
    const alice = await mediaUser(hh, 'alice', TIMUploadPlugin);
    const bob = await mediaUser(hh, 'bob');

    const plain = imageMessage(alice, 'bob', new File([await png(30, 30)], 't.png'));
    const err = await rejectionOf(alice.tim.sendMessage(plain));
    expect(err.code).toBe(2400);
    expect(err.message).toMatch(/XMLHttpRequest is not defined/);

    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FetchXMLHttpRequest;
    try {
      const progress: number[] = [];
      const bytes = await jpeg(800, 600);
      const message = imageMessage(alice, 'bob', new File([bytes], 'tencent.jpg', { type: 'image/jpeg' }), { onProgress: (p: number) => progress.push(p) });
      await alice.tim.sendMessage(message);
      expect(message.status).toBe('success');
      expect(progress.at(-1)).toBe(1);
      const infos = message.payload['imageInfoArray'] as Array<Record<string, unknown>>;
      expect(infos.map((i) => [i['type'], i['width'], i['height']])).toEqual([
        [0, 800, 600],
        [1, 264, 198],
        [2, 800, 600],
      ]);
      // The earlier failure is resent through the same plugin.
      await alice.tim.resendMessage(plain);
      expect(plain.status).toBe('success');
      await bob.waitForReceived(2);
      expect(bob.received().map((m) => m.ID)).toEqual([message.ID, plain.ID]);
    } finally {
      delete (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
    }
  });
});

// ---------------------------------------------------------------- history and revoke

describe('media messages in history, revoke and unread', () => {
  it('history returns the payloads; revoke works and reaches the receiver', async () => {
    const { hh } = await setup({ config: { maxWebInstances: 0 } });
    const alice = await mediaUser(hh, 'alice');
    const bob = await mediaUser(hh, 'bob');
    const image = imageMessage(alice, 'bob', new File([await png(250, 400)], 'tall.png'));
    await alice.tim.sendMessage(image);
    const file = alice.tim.createFileMessage({ to: 'bob', conversationType: TYPES.CONV_C2C, payload: { file: new File(['some notes'], 'notes.txt', { type: 'text/plain' }) } });
    await alice.tim.sendMessage(file);
    await bob.waitForReceived(2);
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(2);

    // A fresh instance of bob sees both in history with the same payloads.
    const bob2 = await mediaUser(hh, 'bob');
    const history = (await bob2.history('C2Calice')).messages;
    expect(history.map((m) => [m.ID, m.type])).toEqual([
      [image.ID, TYPES.MSG_IMAGE],
      [file.ID, TYPES.MSG_FILE],
    ]);
    expect(history[0]?.payload).toEqual(image.payload);
    expect(history[1]?.payload).toEqual(file.payload);
    const ownHistory = (await alice.history('C2Cbob')).messages;
    expect(ownHistory.map((m) => m.payload)).toEqual([image.payload, file.payload]);

    // Revoke the image: the receiver gets MESSAGE_REVOKED, unread drops, history marks it.
    const revoked = await alice.tim.revokeMessage(image);
    expect(revoked.data.message.isRevoked).toBe(true);
    await waitUntil(() => bob.revoked().length === 1, 'bob to see the revoke');
    expect(bob.revoked()[0]).toMatchObject({ ID: image.ID, isRevoked: true, type: TYPES.MSG_IMAGE });
    await waitUntil(async () => (await bob.conversation('C2Calice'))?.unreadCount === 1, 'bob unread to drop to 1');
    const after = (await bob2.history('C2Calice')).messages;
    expect(after.map((m) => [m.ID, m.isRevoked])).toEqual([
      [image.ID, true],
      [file.ID, false],
    ]);
    await bob.tim.setMessageRead({ conversationID: 'C2Calice' });
    expect((await bob.conversation('C2Calice'))?.unreadCount).toBe(0);
  });
});


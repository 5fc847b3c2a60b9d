/**
 * Video and audio: duration and the video cover snapshot come from Debian's
 * ffmpeg/ffprobe when installed (`.ci/run` installs it). Without them an
 * upload still succeeds with duration 0 and no snapshot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type RawClient, type TestServer } from '@parley/testing';
import { ClientPool, expectOk } from '../helpers.js';
import { dimensions, download, fakeMp4, ffmpeg, hasFfmpeg, upload } from './file-helpers.js';

const pool = new ClientPool();
const haveFfmpeg = hasFfmpeg();
if (!haveFfmpeg && process.env['CI'] === 'true') throw new Error('ffmpeg/ffprobe are missing under CI: .ci/run must install Debian\'s ffmpeg');
if (!haveFfmpeg) console.warn('[media.test] ffmpeg/ffprobe not installed: skipping the snapshot and duration cases (apt-get install ffmpeg)');

describe.skipIf(!haveFfmpeg)('with ffmpeg', () => {
  let srv: TestServer;
  let alice: RawClient;
  let bob: RawClient;
  let dir: string;

  beforeAll(async () => {
    srv = await startTestServer({ config: { maxWebInstances: 0 } });
    alice = await pool.login(srv, 'alice');
    bob = await pool.login(srv, 'bob');
    dir = mkdtempSync(join(tmpdir(), 'parley-media-'));
  });
  afterAll(async () => {
    pool.closeAll();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records an MP4\'s duration and makes a JPEG cover snapshot of its frame size', async () => {
    const path = join(dir, 'clip.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=15', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', path]);
    const bytes = readFileSync(path);
    const { slot, answer } = await upload(alice, 2, 'clip.mp4', bytes, 'video/mp4');
    expect(answer.file).toMatchObject({ fileType: 2, size: bytes.length, contentType: 'video/mp4', url: slot.downloadUrl });
    const video = answer.file?.video;
    expect(video?.duration).toBe(2);
    expect(video?.format).toBe('mp4');
    expect(video?.snapshot).toMatchObject({ url: slot.snapshotUrl, width: 320, height: 240 });
    const snap = await download(slot.snapshotUrl!);
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(snap.body.length).toBe(video?.snapshot?.size);
    expect(await dimensions(snap.body)).toMatchObject({ width: 320, height: 240, format: 'jpeg' });
    // The receiver sees the same facts.
    expect(expectOk(await bob.request('file.info', { uuid: slot.uuid }))).toEqual({ uploaded: true, file: answer.file });
    // Players seek with ranges.
    const part = await download(slot.downloadUrl, { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.body.equals(bytes.subarray(0, 100))).toBe(true);
  });

  it('recognises QuickTime (.mov) uploads', async () => {
    const path = join(dir, 'clip.mov');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x96:rate=10', '-pix_fmt', 'yuv420p', '-c:v', 'mjpeg', '-f', 'mov', path]);
    const { answer } = await upload(alice, 2, 'clip.mov', readFileSync(path), 'video/quicktime');
    expect(answer.file?.contentType).toBe('video/quicktime');
    expect(answer.file?.video).toMatchObject({ duration: 1, format: 'mov', snapshot: { width: 160, height: 96 } });
  });

  it('records an audio file\'s duration', async () => {
    const path = join(dir, 'voice.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-ac', '1', '-ar', '8000', path]);
    const { answer } = await upload(alice, 3, 'voice.wav', readFileSync(path), 'audio/wav');
    expect(answer.file?.audio).toEqual({ duration: 3 });
    expect(answer.file?.contentType).toBe('audio/wav');
  });
});

describe('without ffmpeg', () => {
  let srv: TestServer;
  let alice: RawClient;

  beforeAll(async () => {
    srv = await startTestServer({ config: { ffmpegPath: '/nonexistent/ffmpeg', ffprobePath: '/nonexistent/ffprobe' } });
    alice = await pool.login(srv, 'alice');
  });
  afterAll(async () => {
    pool.closeAll();
    await srv.close();
  });

  it('still stores videos: duration 0, no snapshot (the snapshot URL is 404)', async () => {
    const bytes = fakeMp4(4096);
    const { slot, answer } = await upload(alice, 2, 'clip.mp4', bytes, 'video/mp4');
    expect(answer.file?.video).toEqual({ duration: 0, format: 'mp4', snapshot: null });
    expect((await download(slot.snapshotUrl!)).status).toBe(404);
    expect((await download(slot.downloadUrl)).body.equals(bytes)).toBe(true);
  });

  it('still stores audio with duration 0', async () => {
    const bytes = Buffer.concat([Buffer.from('ID3'), Buffer.alloc(2000, 0x11)]);
    const { answer } = await upload(alice, 3, 'voice.mp3', bytes, 'audio/mpeg');
    expect(answer.file?.audio).toEqual({ duration: 0 });
    expect(answer.file?.contentType).toBe('audio/mpeg');
  });
});

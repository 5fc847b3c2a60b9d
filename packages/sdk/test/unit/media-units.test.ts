/**
 * The media module without a server (spec §4.2, §8.3, §10): what the
 * creators accept as `payload.file`, the placeholder and final payloads,
 * and the upload flow's edges driven by a fake `request` and fake plugins —
 * slot retry and 2041, server refusals mapped to TIM's codes, plugin
 * failures, onProgress clamping and 2109, a second send sharing the upload.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { WireFileInfo, WireUploadSlot } from '@parley/protocol';
import { ImError } from '../../src/errors.js';
import { Logger } from '../../src/logger.js';
import { extensionOf, imageFormatOf } from '../../src/modules/media/media-kinds.js';
import { finalPayload, placeholderPayload } from '../../src/modules/media/media-payload.js';
import { loadMedia, localPreviewUrl, resolveMedia } from '../../src/modules/media/media-source.js';
import { MediaUploader, createMediaElement, needsUpload, type UploadPlugin, type UploadPluginOptions } from '../../src/modules/media/media-uploader.js';
import { Message } from '../../src/modules/message/message.js';

const tmp = mkdtempSync(join(tmpdir(), 'parley-media-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.unstubAllGlobals());

describe('resolveMedia: what payload.file may be', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

  it('a File keeps its name and type; a Blob is named from the hint or "file" + its type\'s extension', () => {
    expect(resolveMedia(new File([png], 'a.PNG', { type: 'image/png' }), undefined)).toMatchObject({ name: 'a.PNG', size: 4, type: 'image/png', durationMs: 0, path: '' });
    expect(resolveMedia(new Blob([png], { type: 'image/png' }), undefined)).toMatchObject({ name: 'file.png', type: 'image/png' });
    expect(resolveMedia(new Blob([png], { type: 'image/png' }), 'hint')).toMatchObject({ name: 'hint.png' });
    expect(resolveMedia(new Blob([png]), 'x.webp')).toMatchObject({ name: 'x.webp', type: 'image/webp' });
    expect(resolveMedia(new Blob([png]), undefined)).toMatchObject({ name: 'file', type: '' });
    // A File without a type gets one from its extension.
    expect(resolveMedia(new File([png], 'clip.mov'), undefined)).toMatchObject({ type: 'video/quicktime' });
  });

  it('an <input type="file"> (anything with a FileList): its first file, or nothing', () => {
    const file = new File([png], 'picked.jpg', { type: 'image/jpeg' });
    expect(resolveMedia({ tagName: 'INPUT', files: [file, new File([png], 'second.jpg')] }, undefined)?.name).toBe('picked.jpg');
    expect(resolveMedia({ tagName: 'INPUT', files: [] }, undefined)).toBeNull();
    expect(resolveMedia({ files: { length: 0 } }, undefined)).toBeNull();
  });

  it('recorder results: bytes as file/tempFile/blob, or a tempFilePath; duration (ms) and size/fileSize', () => {
    const blob = new Blob([png], { type: 'audio/mpeg' });
    expect(resolveMedia({ file: blob, duration: 2500, size: 4 }, undefined)).toMatchObject({ name: 'file.mp3', durationMs: 2500, size: 4 });
    expect(resolveMedia({ tempFile: blob, duration: 1 }, undefined)).toMatchObject({ durationMs: 1 });
    expect(resolveMedia({ blob }, undefined)).toMatchObject({ durationMs: 0 });
    expect(resolveMedia({ tempFilePath: '/tmp/rec/voice.m4a', duration: 3000, fileSize: 1234 }, undefined)).toMatchObject({
      blob: null,
      path: '/tmp/rec/voice.m4a',
      name: 'voice.m4a',
      size: 1234,
      type: 'audio/mp4',
      durationMs: 3000,
    });
    expect(resolveMedia({ tempFilePath: 'blob:http://app.example/1b2c', duration: 1000 }, 'memo.webm')).toMatchObject({ path: 'blob:http://app.example/1b2c', name: 'memo.webm', size: -1 });
    expect(resolveMedia({ tempFilePath: 'https://cdn.example/a/b%20c.mp3?sig=1' }, undefined)?.name).toBe('b c.mp3');
    expect(resolveMedia({ duration: 1000, size: 10 }, undefined)).toBeNull();
  });

  it('uni-app style {tempFiles: [...]} and plain strings', () => {
    const file = new File([png], 'u.gif', { type: 'image/gif' });
    expect(resolveMedia({ tempFiles: [file], tempFilePaths: ['x'] }, undefined)?.name).toBe('u.gif');
    expect(resolveMedia({ tempFiles: [{ path: '/x/y.png', size: 9 }] }, undefined)).toMatchObject({ path: '/x/y.png', name: 'y.png', size: 9 });
    expect(resolveMedia({ tempFiles: [] }, undefined)).toBeNull();
    expect(resolveMedia('/data/report.pdf', undefined)).toMatchObject({ path: '/data/report.pdf', name: 'report.pdf', type: 'application/pdf' });
  });

  it('nothing is nothing', () => {
    for (const empty of [undefined, null, '', 0, 42, true, {}, []]) expect(resolveMedia(empty, undefined)).toBeNull();
  });

  it('loadMedia reads a path (Node: streamed from disk) or a URL, and fills in size and type', async () => {
    const path = join(tmp, 'clip.wav');
    writeFileSync(path, Buffer.from('RIFF....WAVE'));
    const loaded = await loadMedia(resolveMedia({ tempFilePath: path, duration: 10 }, undefined)!);
    expect(loaded).toMatchObject({ name: 'clip.wav', size: 12, type: 'audio/wav', durationMs: 10 });
    expect(await loaded!.blob!.text()).toBe('RIFF....WAVE');
    const fromData = await loadMedia(resolveMedia({ tempFilePath: 'data:audio/ogg;base64,T2dnUw==' }, undefined)!);
    expect(fromData).toMatchObject({ name: 'file.ogg', size: 4, type: 'audio/ogg' });
    expect(await loadMedia(resolveMedia(join(tmp, 'nope.mp3'), undefined)!)).toBeNull();
  });

  it('local preview URL: a blob URL only in browsers (document present), "" in Node', () => {
    const media = resolveMedia(new Blob([png], { type: 'image/png' }), undefined);
    expect(localPreviewUrl(media)).toEqual({ url: '', owned: false });
    vi.stubGlobal('document', {});
    const preview = localPreviewUrl(media);
    expect(preview.url).toMatch(/^blob:/);
    expect(preview.owned).toBe(true);
    URL.revokeObjectURL(preview.url);
    expect(localPreviewUrl(resolveMedia({ tempFilePath: 'blob:http://a/1' }, undefined))).toEqual({ url: 'blob:http://a/1', owned: false });
    expect(localPreviewUrl(null)).toEqual({ url: '', owned: false });
  });
});

describe('payloads (spec §8.3)', () => {
  const media = resolveMedia(new File([new Uint8Array(10)], 'x.jpeg', { type: 'image/jpeg' }), undefined)!;

  it('imageFormat by extension and extensions of names', () => {
    expect(['jpg', 'jpeg', 'gif', 'png', 'bmp', 'webp', 'image', ''].map(imageFormatOf)).toEqual([1, 1, 2, 3, 4, 255, 255, 255]);
    expect([extensionOf('a.B.PNG'), extensionOf('.hidden'), extensionOf('dir.x/name'), extensionOf('trail.')]).toEqual(['png', '', '', '']);
  });

  it('placeholders: three image entries, TIM defaults for video, no URLs in Node', () => {
    const image = placeholderPayload('image', media, '');
    expect(image).toMatchObject({ uuid: '', imageFormat: 1 });
    expect((image['imageInfoArray'] as Array<Record<string, unknown>>).map(({ instanceID: _, ...rest }) => rest)).toEqual([
      { type: 0, sizeType: 1, size: 10, width: 0, height: 0, url: '', imageUrl: '' },
      { type: 1, sizeType: 3, size: 0, width: 0, height: 0, url: '', imageUrl: '' },
      { type: 2, sizeType: 2, size: 0, width: 0, height: 0, url: '', imageUrl: '' },
    ]);
    expect(placeholderPayload('video', null, '')).toMatchObject({ videoSize: 0, thumbWidth: 200, thumbHeight: 200, snapshotWidth: 200, snapshotHeight: 200, videoDownloadFlag: 2, thumbDownloadFlag: 2 });
    expect(placeholderPayload('file', media, 'blob:x')).toEqual({ uuid: '', fileName: 'x.jpeg', fileSize: 10, fileUrl: 'blob:x', downloadFlag: 2 });
  });

  it('final payloads from WireFileInfo', () => {
    const base = { uuid: 'u'.repeat(32), fileName: 'x.jpeg', size: 5000, contentType: 'image/jpeg', url: 'http://h/files/u/x.jpeg' };
    const image = finalPayload(
      'image',
      { ...base, fileType: 1, image: { width: 1000, height: 800, imageFormat: 1, thumb: { url: 'http://h/t', width: 247, height: 198, size: 900 }, large: { url: 'http://h/l', width: 900, height: 720, size: 3000 } } },
      media,
    );
    expect((image['imageInfoArray'] as Array<Record<string, unknown>>).map((i) => [i['type'], i['sizeType'], i['size'], i['width'], i['height'], i['url'], i['imageUrl']])).toEqual([
      [0, 1, 5000, 1000, 800, base.url, base.url],
      [1, 3, 0, 247, 198, 'http://h/t', 'http://h/t'],
      [2, 2, 0, 900, 720, 'http://h/l', 'http://h/l'],
    ]);
    const audioMedia = { ...media, durationMs: 0 };
    expect(finalPayload('audio', { ...base, fileType: 3, audio: { duration: 7 } }, audioMedia)).toEqual({ uuid: base.uuid, url: base.url, remoteAudioUrl: base.url, size: 5000, second: 7, downloadFlag: 2 });
    expect(finalPayload('audio', { ...base, fileType: 3, audio: { duration: 7 } }, { ...media, durationMs: 2999 })).toMatchObject({ second: 2 });
    const video = finalPayload('video', { ...base, fileType: 2, video: { duration: 3, format: 'mov', snapshot: { url: 'http://h/s', width: 640, height: 360, size: 1111 } } }, media);
    expect(video).toEqual({
      videoUUID: base.uuid,
      videoFormat: 'mov',
      videoSecond: 3,
      videoSize: 5000,
      videoUrl: base.url,
      remoteVideoUrl: base.url,
      videoDownloadFlag: 2,
      thumbUUID: `${base.uuid}-snapshot`,
      thumbFormat: 'jpg',
      thumbWidth: 640,
      thumbHeight: 360,
      thumbSize: 1111,
      thumbUrl: 'http://h/s',
      thumbDownloadFlag: 2,
      snapshotUrl: 'http://h/s',
      snapshotWidth: 640,
      snapshotHeight: 360,
      snapshotSize: 1111,
    });
    expect(finalPayload('file', { ...base, fileType: 255 }, media)).toEqual({ uuid: base.uuid, fileName: 'x.jpeg', fileSize: 5000, fileUrl: base.url, downloadFlag: 2 });
  });
});

// ---------------------------------------------------------------- the upload flow with fakes

const SLOT: WireUploadSlot = { uuid: 'a'.repeat(32), uploadUrl: 'http://h/upload/a?token=t', downloadUrl: 'http://h/files/a/f.bin', expiredTime: 1, requestId: 'r' };
const INFO: WireFileInfo = { uuid: 'a'.repeat(32), fileType: 255, fileName: 'f.bin', size: 3, contentType: 'application/octet-stream', url: 'http://h/files/a/f.bin' };

type Handler = (cmd: string, body: unknown) => Promise<unknown>;

function rig(handler: Handler, plugin: UploadPlugin | null) {
  const calls: string[] = [];
  const uploader = new MediaUploader({
    request: ((cmd: string, body: unknown) => {
      calls.push(cmd);
      return handler(cmd, body);
    }) as never,
    log: Object.assign(new Logger(), { level: 4 }),
  });
  uploader.attachPlugin(plugin);
  return { uploader, calls };
}

function fileMessage(bytes = 'abc', onProgress?: (p: number) => void, kind: 'file' | 'video' = 'file', name = 'f.bin'): Message {
  const m = new Message();
  const element = createMediaElement(kind, new File([bytes], name), undefined, onProgress);
  m.type = element.type;
  m.payload = element.payload;
  return m;
}

const okRequests: Handler = async (cmd) => (cmd === 'file.slot' ? SLOT : { uploaded: true, file: INFO });

/** A plugin that answers with `outcomes` in turn (true = success), reporting `percents` first. */
function scripted(outcomes: boolean[], percents: unknown[] = []): UploadPlugin & { options: UploadPluginOptions[] } {
  const options: UploadPluginOptions[] = [];
  return {
    options,
    uploadFile(o, cb) {
      options.push(o);
      const ok = outcomes.shift() ?? true;
      setTimeout(() => {
        for (const p of percents) o.onProgress({ percent: p as number });
        cb(ok ? null : { code: 500, message: 'nope' }, ok ? { statusCode: 200 } : undefined);
      }, 1);
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ImError);
    return (err as ImError).code;
  }
  return 0;
}

describe('MediaUploader.prepare', () => {
  it('slot → plugin → file.info → final payload; a second prepare does nothing', async () => {
    const plugin = scripted([true]);
    const { uploader, calls } = rig(okRequests, plugin);
    const m = fileMessage();
    expect(needsUpload(m)).toBe(true);
    await uploader.prepare(m);
    expect(calls).toEqual(['file.slot', 'file.info']);
    expect(plugin.options[0]).toMatchObject({ url: SLOT.uploadUrl, fileType: 255, fileName: 'f.bin', downloadUrl: SLOT.downloadUrl });
    expect(m.payload).toEqual({ uuid: INFO.uuid, fileName: 'f.bin', fileSize: 3, fileUrl: INFO.url, downloadFlag: 2 });
    expect(needsUpload(m)).toBe(false);
    await uploader.prepare(m);
    expect(calls).toHaveLength(2);
  });

  it('two sends of the same message share one upload', async () => {
    const plugin = scripted([true]);
    const { uploader, calls } = rig(okRequests, plugin);
    const m = fileMessage();
    await Promise.all([uploader.prepare(m), uploader.prepare(m)]);
    expect(plugin.options).toHaveLength(1);
    expect(calls).toEqual(['file.slot', 'file.info']);
  });

  it('messages that are not media (or already uploaded) pass through untouched', async () => {
    const { uploader, calls } = rig(okRequests, null);
    const m = new Message();
    m.payload = { text: 'hi' };
    await uploader.prepare(m);
    expect(calls).toEqual([]);
  });

  it('no plugin → 2040; a registered value without uploadFile, or whose constructor throws, counts as none', async () => {
    expect(await codeOf(rig(okRequests, null).uploader.prepare(fileMessage()))).toBe(2040);
    const r1 = rig(okRequests, null);
    r1.uploader.attachPlugin({ notAnUploader: true });
    expect(await codeOf(r1.uploader.prepare(fileMessage()))).toBe(2040);
    r1.uploader.attachPlugin(
      class {
        constructor() {
          throw new Error('broken');
        }
      },
    );
    expect(await codeOf(r1.uploader.prepare(fileMessage()))).toBe(2040);
    // An instance (not a class) is accepted as is; reset() drops it.
    r1.uploader.attachPlugin(scripted([true]));
    await r1.uploader.prepare(fileMessage());
    r1.uploader.reset();
    expect(await codeOf(r1.uploader.prepare(fileMessage()))).toBe(2040);
  });

  it('file.slot is retried once, then 2041; server refusals map to the size and type codes', async () => {
    let failures = 1;
    const flaky = rig(async (cmd) => {
      if (cmd === 'file.slot' && failures-- > 0) throw new ImError(2801, 'timeout');
      return okRequests(cmd, {});
    }, scripted([true]));
    await flaky.uploader.prepare(fileMessage());
    expect(flaky.calls).toEqual(['file.slot', 'file.slot', 'file.info']);

    const down = rig(async () => {
      throw new ImError(2800, 'network');
    }, scripted([true]));
    const m = fileMessage();
    const err = await down.uploader.prepare(m).catch((e: ImError) => e);
    expect(err).toMatchObject({ code: 2041 });
    expect((err as ImError).data['message']).toBe(m);
    expect(m.status).toBe('fail');
    expect(down.calls).toEqual(['file.slot', 'file.slot']);

    const refuse = (code: number) =>
      rig(async () => {
        throw new ImError(code, 'refused');
      }, scripted([true]));
    expect(await codeOf(refuse(95010).uploader.prepare(fileMessage()))).toBe(2402);
    expect(await codeOf(refuse(95011).uploader.prepare(fileMessage('x', undefined, 'video', 'v.mp4')))).toBe(2352);
    expect(await codeOf(refuse(95011).uploader.prepare(fileMessage()))).toBe(2400);
  });

  it('a plugin that throws or fails → 2400; file.info that has no file → 2400; videos retry once → 2350', async () => {
    const throwing: UploadPlugin = {
      uploadFile() {
        throw new ReferenceError('XMLHttpRequest is not defined');
      },
    };
    expect(await codeOf(rig(okRequests, throwing).uploader.prepare(fileMessage()))).toBe(2400);
    expect(await codeOf(rig(okRequests, scripted([false])).uploader.prepare(fileMessage()))).toBe(2400);
    const notStored = rig(async (cmd) => (cmd === 'file.slot' ? SLOT : { uploaded: false, file: null }), scripted([true]));
    expect(await codeOf(notStored.uploader.prepare(fileMessage()))).toBe(2400);

    const twice = scripted([false, false]);
    const video = rig(okRequests, twice);
    expect(await codeOf(video.uploader.prepare(fileMessage('x', undefined, 'video', 'v.mp4')))).toBe(2350);
    expect(twice.options).toHaveLength(2);
    expect(video.calls).toEqual(['file.slot', 'file.slot']);
  });

  it('onProgress gets 0..1, never decreasing, ending at 1, whatever the plugin reports', async () => {
    const seen: number[] = [];
    const { uploader } = rig(okRequests, scripted([true], [0.5, 0.3, Number.NaN, 'x', -1, 0.5, 1.7]));
    await uploader.prepare(fileMessage('abc', (p) => seen.push(p)));
    expect(seen).toEqual([0, 0.5, 1]);
  });

  it('onProgress that throws → 2109 at once, without waiting for the plugin', async () => {
    let callback: ((err: unknown) => void) | null = null;
    const hanging: UploadPlugin = {
      uploadFile(o, cb) {
        callback = cb;
        o.onProgress({ percent: 0.4 });
      },
    };
    const { uploader, calls } = rig(okRequests, hanging);
    const m = fileMessage('abc', (p) => {
      if (p > 0) throw new Error('render failed');
    });
    const err = await uploader.prepare(m).catch((e: ImError) => e);
    expect(err).toMatchObject({ code: 2109 });
    expect(m.status).toBe('fail');
    expect(calls).toEqual(['file.slot']);
    // The plugin finishing later changes nothing.
    callback!(null);
    expect(needsUpload(m)).toBe(true);
  });
});

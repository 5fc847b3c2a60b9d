/** Unit tests of the upload building blocks: ranges, sizes, sniffing, BMP, names, tokens, config. */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ConfigError, loadConfig, parseFlags, CONFIG_FLAGS } from '../../src/config/config.js';
import { decodeBmp, readBmpHeader } from '../../src/files/bmp.js';
import { cleanFileName, contentDisposition, downloadSegment, extensionOf, normalizeContentType } from '../../src/files/file-names.js';
import { decideRange } from '../../src/files/http-range.js';
import { fitShorterSide } from '../../src/files/images.js';
import { sniff } from '../../src/files/sniff.js';
import { UploadTokens } from '../../src/files/upload-token.js';
import { bmpImage, fakeMp4, jpegImage, pngImage, webpImage } from './file-helpers.js';

describe('decideRange', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', range: { start: 0, end: 9 } }],
    ['bytes=-5', 100, { kind: 'partial', range: { start: 95, end: 99 } }],
    ['bytes=90-', 100, { kind: 'partial', range: { start: 90, end: 99 } }],
    ['bytes=50-1000', 100, { kind: 'partial', range: { start: 50, end: 99 } }],
    ['bytes=-1000', 100, { kind: 'partial', range: { start: 0, end: 99 } }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 100, { kind: 'full' }],
    ['bytes=0-1,3-4', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['lines=1-2', 100, { kind: 'full' }],
  ] as const)('%s of %i bytes', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });
});

describe('fitShorterSide', () => {
  it.each([
    [1000, 500, 198, [396, 198]],
    [1000, 500, 720, [1000, 500]],
    [500, 1000, 198, [198, 396]],
    [3000, 2000, 720, [1080, 720]],
    [100, 80, 198, [100, 80]],
    [198, 5000, 198, [198, 5000]],
    [199, 199, 198, [198, 198]],
    [10_000, 1, 198, [10_000, 1]],
  ] as const)('%i×%i → shorter side %i', (w, h, target, expected) => {
    const { width, height } = fitShorterSide(w, h, target);
    expect([width, height]).toEqual(expected);
  });
});

describe('sniff', () => {
  it('recognises the allowed image formats and ISO media', async () => {
    expect(sniff(await pngImage(4, 4))).toBe('png');
    expect(sniff(await jpegImage(4, 4))).toBe('jpeg');
    expect(sniff(await webpImage(4, 4))).toBe('webp');
    expect(sniff(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).gif().toBuffer())).toBe('gif');
    expect(sniff(bmpImage(4, 4))).toBe('bmp');
    expect(sniff(fakeMp4())).toBe('isobmff');
  });

  it('does not mistake text, SVG, TIFF or HTML for images', async () => {
    expect(sniff(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBeNull();
    expect(sniff(Buffer.from('<!doctype html><script>alert(1)</script>'))).toBeNull();
    expect(sniff(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).tiff().toBuffer())).toBeNull();
    expect(sniff(Buffer.from('BM but no header'))).toBeNull();
    expect(sniff(Buffer.alloc(0))).toBeNull();
  });
});

describe('BMP', () => {
  it('decodes a 24-bit bottom-up bitmap to the right pixels', () => {
    const bmp = bmpImage(5, 3);
    expect(readBmpHeader(bmp)).toMatchObject({ width: 5, height: 3, bitsPerPixel: 24, topDown: false });
    const decoded = decodeBmp(bmp);
    expect(decoded).not.toBeNull();
    // Row y of the file is the (height-1-y)th row of the image; pixel (x=2, file row 0) has B=14, G=0, R=6.
    const o = ((3 - 1 - 0) * 5 + 2) * 4;
    expect([...decoded!.data.subarray(o, o + 4)]).toEqual([6, 0, 14, 255]);
  });

  it('decodes 8-bit palette and 32-bit bitfield bitmaps', () => {
    // 2×2, 8-bit, palette of 2 colours (red, blue), top-down.
    const pal = Buffer.alloc(14 + 40 + 8 + 8);
    pal.write('BM', 0, 'latin1');
    pal.writeUInt32LE(pal.length, 2);
    pal.writeUInt32LE(14 + 40 + 8, 10);
    pal.writeUInt32LE(40, 14);
    pal.writeInt32LE(2, 18);
    pal.writeInt32LE(-2, 22);
    pal.writeUInt16LE(1, 26);
    pal.writeUInt16LE(8, 28);
    pal.writeUInt32LE(2, 46);
    Buffer.from([0, 0, 255, 0, 255, 0, 0, 0]).copy(pal, 54); // BGRx: red, blue
    Buffer.from([0, 1, 0, 0, 1, 0, 0, 0]).copy(pal, 62);
    const p = decodeBmp(pal);
    expect([...p!.data.subarray(0, 8)]).toEqual([255, 0, 0, 255, 0, 0, 255, 255]);
    expect([...p!.data.subarray(8, 16)]).toEqual([0, 0, 255, 255, 255, 0, 0, 255]);

    // 1×1, 32-bit BI_BITFIELDS with an alpha mask (BITMAPV4-like header of 108 bytes).
    const bf = Buffer.alloc(14 + 108 + 4);
    bf.write('BM', 0, 'latin1');
    bf.writeUInt32LE(bf.length, 2);
    bf.writeUInt32LE(14 + 108, 10);
    bf.writeUInt32LE(108, 14);
    bf.writeInt32LE(1, 18);
    bf.writeInt32LE(1, 22);
    bf.writeUInt16LE(1, 26);
    bf.writeUInt16LE(32, 28);
    bf.writeUInt32LE(3, 30);
    bf.writeUInt32LE(0x00ff0000, 54);
    bf.writeUInt32LE(0x0000ff00, 58);
    bf.writeUInt32LE(0x000000ff, 62);
    bf.writeUInt32LE(0xff000000, 66);
    bf.writeUInt32LE(0x80102030, 122);
    expect([...decodeBmp(bf)!.data]).toEqual([0x10, 0x20, 0x30, 0x80]);
  });

  it('refuses truncated or absurd headers and leaves RLE to the caller', () => {
    const bmp = bmpImage(50, 50);
    expect(decodeBmp(bmp.subarray(0, 200))).toBeNull();
    const huge = Buffer.from(bmp);
    huge.writeInt32LE(1_000_000, 18);
    expect(readBmpHeader(huge)).toBeNull();
    const rle = Buffer.from(bmp);
    rle.writeUInt16LE(8, 28);
    rle.writeUInt32LE(1, 30);
    expect(readBmpHeader(rle)).not.toBeNull();
    expect(decodeBmp(rle)).toBeNull();
  });
});

describe('file names', () => {
  it('extracts extensions', () => {
    expect(extensionOf('a.PNG')).toBe('png');
    expect(extensionOf('archive.tar.gz')).toBe('gz');
    expect(extensionOf('.hidden')).toBe('');
    expect(extensionOf('noext')).toBe('');
    expect(extensionOf('trailing.')).toBe('');
  });

  it('keeps only the last path component, without control characters', () => {
    expect(cleanFileName('C:\\Users\\me\\photo.jpg')).toBe('photo.jpg');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(cleanFileName('dir/')).toBe('file');
  });

  it('never produces a download segment that is a derivative or a dot segment', () => {
    expect(downloadSegment('thumb')).toBe('original');
    expect(downloadSegment('..')).toBe('original');
    expect(downloadSegment('a b#?.txt')).toBe('a%20b%23%3F.txt');
  });

  it('normalises MIME types and refuses nonsense', () => {
    expect(normalizeContentType('Image/PNG; charset=binary')).toBe('image/png');
    expect(normalizeContentType('text/html\r\nX-Evil: 1')).toBeNull();
    expect(normalizeContentType('nonsense')).toBeNull();
    expect(normalizeContentType(undefined)).toBeNull();
  });

  it('builds RFC 6266 Content-Disposition values', () => {
    expect(contentDisposition('attachment', '报告 (1).pdf')).toBe(`attachment; filename="__ (1).pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%281%29.pdf`);
    expect(contentDisposition('inline', 'a"b\\c%.txt')).toBe(`inline; filename="a_b_c_.txt"; filename*=UTF-8''a%22b%5Cc%25.txt`);
  });
});

describe('upload tokens', () => {
  const tokens = new UploadTokens('secret');
  const uuid = '0123456789abcdef0123456789abcdef';

  it('verifies its own tokens and nothing else', () => {
    const token = tokens.sign(uuid, 'alice', 1_800_000_000);
    expect(tokens.verify(token, uuid, 'alice')).toEqual({ ok: true, expiredTime: 1_800_000_000 });
    expect(tokens.verify(token, uuid, 'bob').ok).toBe(false);
    expect(tokens.verify(token, 'f'.repeat(32), 'alice').ok).toBe(false);
    expect(tokens.verify(token.replace('1800000000', '1900000000'), uuid, 'alice').ok).toBe(false);
    expect(new UploadTokens('other').verify(token, uuid, 'alice').ok).toBe(false);
    expect(tokens.verify('', uuid, 'alice')).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('config', () => {
  it('reads the upload settings from env and flags', () => {
    const c = loadConfig(
      {
        PARLEY_PUBLIC_URL: 'https://chat.example.com/',
        PARLEY_MAX_IMAGE_BYTES: '1000',
        PARLEY_MAX_AUDIO_BYTES: '2000',
        PARLEY_MAX_VIDEO_BYTES: '3000',
        PARLEY_MAX_FILE_BYTES: '4000',
        PARLEY_FFMPEG_PATH: '/opt/ffmpeg',
      },
      parseFlags(['--ffprobe-path', '/opt/ffprobe', '--max-file-bytes=5000'], CONFIG_FLAGS).flags,
    );
    expect(c).toMatchObject({
      publicUrl: 'https://chat.example.com',
      maxImageBytes: 1000,
      maxAudioBytes: 2000,
      maxVideoBytes: 3000,
      maxFileBytes: 5000,
      ffmpegPath: '/opt/ffmpeg',
      ffprobePath: '/opt/ffprobe',
    });
  });

  it('defaults to the spec limits and no public URL', () => {
    expect(loadConfig({})).toMatchObject({
      publicUrl: null,
      maxImageBytes: 20 * 1024 * 1024,
      maxAudioBytes: 20 * 1024 * 1024,
      maxVideoBytes: 100 * 1024 * 1024,
      maxFileBytes: 100 * 1024 * 1024,
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
    });
  });

  it('refuses bad values with a message that names the setting', () => {
    expect(() => loadConfig({ PARLEY_PUBLIC_URL: 'chat.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ PARLEY_PUBLIC_URL: 'ftp://x' })).toThrow(/PARLEY_PUBLIC_URL/);
    expect(() => loadConfig({ PARLEY_PUBLIC_URL: 'https://x/?a=1' })).toThrow(/PARLEY_PUBLIC_URL/);
    expect(() => loadConfig({ PARLEY_MAX_IMAGE_BYTES: '0' })).toThrow(/PARLEY_MAX_IMAGE_BYTES/);
    expect(() => loadConfig({ PARLEY_MAX_VIDEO_BYTES: '10MB' })).toThrow(/PARLEY_MAX_VIDEO_BYTES/);
  });
});

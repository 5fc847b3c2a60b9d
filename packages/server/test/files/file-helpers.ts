/**
 * Helpers for the media upload suites: slots over the raw protocol, uploads
 * and downloads over real HTTP (fetch / node:http), image fixtures made with
 * sharp, and a look at what is on disk under `<dataDir>/files/`.
 */
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { WireFileInfo, WireUploadSlot } from '@parley/protocol';
import type { RawClient } from '@parley/testing';
import { errorCode, expectOk, type ResFrame } from '../helpers.js';

export interface SlotRequest {
  fileType: 1 | 2 | 3 | 255;
  fileName: string;
  fileSize: number;
  contentType?: string;
}

export interface UploadAnswer {
  code: number;
  message?: string;
  location?: string;
  uuid?: string;
  file?: WireFileInfo;
}

export async function requestSlot(client: RawClient, body: SlotRequest): Promise<ResFrame> {
  return client.request('file.slot', body);
}

export async function slot(client: RawClient, body: SlotRequest): Promise<WireUploadSlot> {
  return expectOk<WireUploadSlot>(await requestSlot(client, body));
}

export async function slotError(client: RawClient, body: SlotRequest): Promise<number> {
  return errorCode(await requestSlot(client, body));
}

/** Bytes in the form fetch and Blob accept (a copy on a plain ArrayBuffer). */
export function bytesOf(buf: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buf);
}

export async function put(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; json: UploadAnswer }> {
  const res = await fetch(url, { method: 'PUT', body: bytesOf(body), headers });
  return { status: res.status, json: (await res.json()) as UploadAnswer };
}

/** Slot + PUT in one go; throws unless the upload succeeded. */
export async function upload(client: RawClient, fileType: SlotRequest['fileType'], fileName: string, bytes: Buffer, contentType?: string): Promise<{ slot: WireUploadSlot; answer: UploadAnswer }> {
  const s = await slot(client, { fileType, fileName, fileSize: bytes.length, ...(contentType ? { contentType } : {}) });
  const { status, json } = await put(s.uploadUrl, bytes, contentType ? { 'content-type': contentType } : {});
  if (status !== 200) throw new Error(`upload failed: ${status} ${JSON.stringify(json)}`);
  return { slot: s, answer: json };
}

export async function download(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { headers, method });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** A request with the path sent exactly as given (fetch would normalise "..", "%2e" and friends). */
export function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every regular file under `<dataDir>/files/`, relative paths. */
export function storedFiles(dataDir: string): string[] {
  const root = join(dataDir, 'files');
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, `${rel}${name}/`);
      else out.push(`${rel}${name}`);
    }
  };
  walk(root, '');
  return out.sort();
}

// ---------------------------------------------------------------- fixtures

/** A noisy RGB image, so encoders cannot collapse it to a few bytes. */
function noise(width: number, height: number, channels: 3 | 4 = 3): Buffer {
  const buf = Buffer.alloc(width * height * channels);
  let x = 12345;
  for (let i = 0; i < buf.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    buf[i] = (x >> 16) & 0xff;
    if (channels === 4 && i % 4 === 3) buf[i] = 255;
  }
  return buf;
}

export function pngImage(width: number, height: number): Promise<Buffer> {
  return sharp(noise(width, height), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}

export function jpegImage(width: number, height: number, orientation?: number): Promise<Buffer> {
  let s = sharp(noise(width, height), { raw: { width, height, channels: 3 } }).jpeg({ quality: 70 });
  if (orientation) s = s.withMetadata({ orientation });
  return s.toBuffer();
}

export function webpImage(width: number, height: number): Promise<Buffer> {
  return sharp(noise(width, height), { raw: { width, height, channels: 3 } }).webp({ quality: 60 }).toBuffer();
}

/** An animated GIF with `frames` differently coloured frames. */
export async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 3, background: { r: (i * 80) % 256, g: 120, b: 255 - ((i * 60) % 256) } } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(pages, { join: { animated: true } }).gif({ delay: 100 }).toBuffer();
}

/** An uncompressed 24-bit bottom-up BMP (sharp cannot write BMP). */
export function bmpImage(width: number, height: number): Buffer {
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const pixelBytes = rowSize * height;
  const buf = Buffer.alloc(54 + pixelBytes);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(0, 30);
  buf.writeUInt32LE(pixelBytes, 34);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 54 + y * rowSize + x * 3;
      buf[p] = (x * 7) & 0xff;
      buf[p + 1] = (y * 5) & 0xff;
      buf[p + 2] = ((x + y) * 3) & 0xff;
    }
  }
  return buf;
}

/** Image facts read by sharp (BMP, which sharp cannot read, from its header). */
export async function dimensions(bytes: Buffer): Promise<{ width: number; height: number; format: string; pages: number }> {
  if (bytes.toString('latin1', 0, 2) === 'BM') return { width: bytes.readInt32LE(18), height: Math.abs(bytes.readInt32LE(22)), format: 'bmp', pages: 1 };
  const m = await sharp(bytes).metadata();
  return { width: m.width ?? 0, height: m.height ?? 0, format: m.format ?? '', pages: m.pages ?? 1 };
}

// ---------------------------------------------------------------- ffmpeg

let ffmpegPresent: boolean | null = null;

export function hasFfmpeg(): boolean {
  if (ffmpegPresent === null) {
    try {
      execFileSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' });
      execFileSync('ffprobe', ['-hide_banner', '-version'], { stdio: 'ignore' });
      ffmpegPresent = true;
    } catch {
      ffmpegPresent = false;
    }
  }
  return ffmpegPresent;
}

/** Runs ffmpeg to make a fixture; `args` are everything after the global options. */
export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: 'ignore', timeout: 60_000 });
}

/** The smallest byte sequence the server sniffs as MP4 (an `ftyp` box) followed by filler. */
export function fakeMp4(size = 64): Buffer {
  const buf = Buffer.alloc(size);
  buf.writeUInt32BE(24, 0);
  buf.write('ftypisom', 4, 'latin1');
  buf.writeUInt32BE(0x200, 12);
  buf.write('isomiso2', 16, 'latin1');
  return buf;
}

/**
 * Media uploads (spec §10): upload slots (`file.slot`), the upload itself
 * (streamed to a temp file, checked, processed, moved into the BlobStore),
 * `file.info`, and what downloads need. Knows storage and the blob store;
 * the HTTP details live in file-routes.ts.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { ErrorCode, type FileSlotBody, type WireFileInfo, type WireFileType, type WireImageVariant, type WireUploadSlot } from '@parley/protocol';
import type { Storage } from '../storage/storage.js';
import type { CompletedUpload, StoredDerivative, StoredDerivatives, StoredFile } from '../storage/file-records.js';
import { nowSeconds, type Clock } from '../services/clock.js';
import { ServiceError } from '../services/service-error.js';
import { isFileUuid, type BlobStore, type BlobVariant } from './blob-store.js';
import {
  IMAGE_EXTENSIONS,
  VIDEO_EXTENSIONS,
  VIDEO_MIME_SUBTYPES,
  cleanFileName,
  contentTypeForExtension,
  downloadSegment,
  extensionOf,
  normalizeContentType,
} from './file-names.js';
import { InvalidImageError, loadSharp, processImage, type DerivativeResult } from './images.js';
import { MediaTools } from './media-tools.js';
import { AUDIO_CONTENT_TYPES, SNIFF_BYTES, isImageKind, isoBrand, sniff, type SniffedKind } from './sniff.js';
import { UploadTokens } from './upload-token.js';

export interface FileLimits {
  /** Largest upload per type, bytes. */
  image: number;
  audio: number;
  video: number;
  file: number;
}

export interface FileServiceOptions {
  limits: FileLimits;
  /** Base of every URL handed out (no trailing slash), or null to use `http://<Host of the request>`. */
  publicUrl: string | null;
  /** How long an upload slot is valid, seconds (TIM: 900). */
  slotSeconds: number;
  /** Key material for upload tokens (the app's secret key). */
  secretKey: string;
  /** Temp files of uploads in progress (same file system as the blobs for a cheap move). */
  stagingDir: string;
  ffmpegPath: string;
  ffprobePath: string;
}

/** An upload or download failure: the HTTP status plus the Parley/TIM code for the JSON body. */
export class FileHttpError extends ServiceError {
  constructor(
    readonly status: number,
    code: number,
    message: string,
  ) {
    super(code, message);
  }
}

/** What the upload handler got from `beginUpload`; pass it to `receive` (or `abandon`). */
export interface UploadTicket {
  readonly file: StoredFile;
  /** Bytes allowed: the declared size, or less if the type limit shrank since. */
  readonly maxBytes: number;
}

export interface UploadResult {
  location: string;
  file: WireFileInfo;
}

export interface DownloadTarget {
  file: StoredFile;
  /** The blob holding the bytes (a derivative may be the original's blob). */
  blob: BlobVariant;
  size: number;
  contentType: string;
  /** True for the original of a fileType-255 upload (sent as an attachment). */
  attachment: boolean;
}

const SWEEP_INTERVAL_MS = 10 * 60_000;
/** Pending rows are kept this long past their expiry (an upload started in time may still finish). */
const SWEEP_GRACE_SECONDS = 3600;

const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function typeName(fileType: WireFileType): keyof FileLimits {
  return fileType === 1 ? 'image' : fileType === 2 ? 'video' : fileType === 3 ? 'audio' : 'file';
}

export class FileService {
  private readonly tokens: UploadTokens;
  private readonly tools: MediaTools;
  private readonly uploading = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Used when a request has no usable Host header (set once the server listens). */
  fallbackBase = 'http://127.0.0.1';

  constructor(
    private readonly storage: Storage,
    private readonly blobs: BlobStore,
    private readonly options: FileServiceOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.tokens = new UploadTokens(options.secretKey);
    this.tools = new MediaTools(options.ffmpegPath, options.ffprobePath, log);
  }

  async init(): Promise<void> {
    await mkdir(this.options.stagingDir, { recursive: true });
    void this.tools.available();
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** Waits for uploads being processed, then stops the sweeper. */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  private async sweep(): Promise<void> {
    try {
      const removed = await this.storage.transaction((tx) => tx.files.deleteExpiredPending(nowSeconds(this.clock) - SWEEP_GRACE_SECONDS));
      if (removed > 0) this.log.debug({ removed }, 'expired upload slots removed');
    } catch (err) {
      this.log.warn({ err }, 'upload slot sweep failed');
    }
  }

  /** `http(s)://host[:port]` for URLs handed to a client that reached us with this Host header. */
  baseUrl(host: string | undefined): string {
    if (this.options.publicUrl) return this.options.publicUrl;
    if (host && HOST_PATTERN.test(host)) return `http://${host}`;
    return this.fallbackBase;
  }

  limitFor(fileType: WireFileType): number {
    return this.options.limits[typeName(fileType)];
  }

  // ------------------------------------------------------------------ slots

  async createSlot(owner: string, body: FileSlotBody, host: string | undefined): Promise<WireUploadSlot> {
    const fileName = cleanFileName(body.fileName);
    const ext = extensionOf(fileName);
    const declaredType = normalizeContentType(body.contentType);
    if (body.fileSize < 1) throw new ServiceError(ErrorCode.InvalidParameters, 'fileSize must be at least 1 byte (empty files cannot be uploaded)');
    const limit = this.limitFor(body.fileType);
    if (body.fileSize > limit) {
      throw new ServiceError(ErrorCode.FileTooLarge, `a ${typeName(body.fileType)} may have at most ${limit} bytes (got ${body.fileSize})`);
    }
    if (body.fileType === 1 && !IMAGE_EXTENSIONS.has(ext)) {
      throw new ServiceError(ErrorCode.FileTypeNotAllowed, `image file names must end in ${[...IMAGE_EXTENSIONS].map((e) => `.${e}`).join(', ')}`);
    }
    if (body.fileType === 2 && !VIDEO_EXTENSIONS.has(ext) && !VIDEO_MIME_SUBTYPES.has(declaredType?.split('/')[1] ?? '')) {
      throw new ServiceError(ErrorCode.FileTypeNotAllowed, 'videos must be mp4 or mov (QuickTime)');
    }
    const uuid = randomBytes(16).toString('hex');
    const now = this.clock.nowMs();
    const expiredTime = Math.floor(now / 1000) + this.options.slotSeconds;
    const row: StoredFile = {
      uuid,
      owner,
      fileType: body.fileType,
      fileName,
      size: body.fileSize,
      contentType: declaredType ?? contentTypeForExtension(ext) ?? 'application/octet-stream',
      state: 'pending',
      createdAt: now,
      expiresAt: expiredTime,
      uploadedAt: 0,
      width: 0,
      height: 0,
      imageFormat: 0,
      format: '',
      duration: 0,
      derivatives: {},
    };
    await this.storage.transaction((tx) => tx.files.insert(row));
    const base = this.baseUrl(host);
    const slot: WireUploadSlot = {
      uuid,
      uploadUrl: `${base}/upload/${uuid}?token=${this.tokens.sign(uuid, owner, expiredTime)}`,
      downloadUrl: this.downloadUrl(base, row),
      expiredTime,
      requestId: randomUUID(),
    };
    if (body.fileType === 1) {
      slot.thumbUrl = `${base}/files/${uuid}/thumb`;
      slot.largeUrl = `${base}/files/${uuid}/large`;
    }
    if (body.fileType === 2) slot.snapshotUrl = `${base}/files/${uuid}/snapshot`;
    return slot;
  }

  /** `file.info`: anyone may read a finished upload (its uuid is the capability); a pending slot only its owner. */
  async info(caller: string, uuid: string, host: string | undefined): Promise<{ uploaded: boolean; file: WireFileInfo | null }> {
    const row = isFileUuid(uuid) ? await this.storage.files.get(uuid) : null;
    if (!row || (row.state !== 'ready' && row.owner !== caller)) throw new ServiceError(ErrorCode.FileNotFound, 'no such file');
    if (row.state !== 'ready') return { uploaded: false, file: null };
    return { uploaded: true, file: this.toWire(row, this.baseUrl(host)) };
  }

  private downloadUrl(base: string, row: Pick<StoredFile, 'uuid' | 'fileName'>): string {
    return `${base}/files/${row.uuid}/${downloadSegment(row.fileName)}`;
  }

  toWire(row: StoredFile, base: string): WireFileInfo {
    const variant = (name: 'thumb' | 'large' | 'snapshot', d: StoredDerivative): WireImageVariant => ({
      url: `${base}/files/${row.uuid}/${name}`,
      width: d.width,
      height: d.height,
      size: d.size,
    });
    const info: WireFileInfo = {
      uuid: row.uuid,
      fileType: row.fileType,
      fileName: row.fileName,
      size: row.size,
      contentType: row.contentType,
      url: this.downloadUrl(base, row),
    };
    const { thumb, large, snapshot } = row.derivatives;
    if (row.fileType === 1 && thumb && large) {
      info.image = { width: row.width, height: row.height, imageFormat: row.imageFormat, thumb: variant('thumb', thumb), large: variant('large', large) };
    }
    if (row.fileType === 2) info.video = { duration: row.duration, format: row.format, snapshot: snapshot ? variant('snapshot', snapshot) : null };
    if (row.fileType === 3) info.audio = { duration: row.duration };
    return info;
  }

  // ------------------------------------------------------------------ uploads

  /** Checks the slot and token and locks the slot for this upload. */
  async beginUpload(uuid: string, token: string | undefined): Promise<UploadTicket> {
    const row = isFileUuid(uuid) ? await this.storage.files.get(uuid) : null;
    if (!row) throw new FileHttpError(404, ErrorCode.FileNotFound, 'no such upload slot');
    const check = this.tokens.verify(token ?? '', uuid, row.owner);
    if (!check.ok) throw new FileHttpError(403, ErrorCode.UploadSlotInvalid, 'the upload token is missing or invalid');
    if (row.state !== 'pending') throw new FileHttpError(403, ErrorCode.UploadSlotInvalid, 'this upload slot was already used; ask for a new one');
    if (nowSeconds(this.clock) > Math.min(row.expiresAt, check.expiredTime)) {
      throw new FileHttpError(410, ErrorCode.UploadSlotInvalid, 'this upload slot expired; ask for a new one');
    }
    if (this.uploading.has(uuid)) throw new FileHttpError(409, ErrorCode.UploadSlotInvalid, 'an upload to this slot is already in progress');
    this.uploading.add(uuid);
    return { file: row, maxBytes: Math.min(row.size, this.limitFor(row.fileType)) };
  }

  /** Releases a slot locked by beginUpload without an upload (it stays usable until it expires). */
  abandon(ticket: UploadTicket): void {
    this.uploading.delete(ticket.file.uuid);
  }

  /**
   * Streams `source` (the raw file bytes) to a temp file, checks size and
   * content, makes derivatives, stores the blobs and marks the slot used.
   * On any failure nothing is left behind and the slot stays usable until it
   * expires. `contentLength`, when known, lets an oversized body be refused
   * before it is read.
   */
  receive(ticket: UploadTicket, source: Readable, contentLength: number | undefined, host: string | undefined): Promise<UploadResult> {
    const work = this.doReceive(ticket, source, contentLength, host).finally(() => {
      this.uploading.delete(ticket.file.uuid);
      this.inFlight.delete(work);
    });
    this.inFlight.add(work);
    return work;
  }

  private async doReceive(ticket: UploadTicket, source: Readable, contentLength: number | undefined, host: string | undefined): Promise<UploadResult> {
    const { file, maxBytes } = ticket;
    const kindName = typeName(file.fileType);
    if (contentLength !== undefined && contentLength > maxBytes) {
      throw new FileHttpError(413, ErrorCode.FileTooLarge, `the body has ${contentLength} bytes; this slot allows ${maxBytes}`);
    }
    const temps: string[] = [];
    const tempPath = (suffix = ''): string => {
      const path = join(this.options.stagingDir, `${randomBytes(12).toString('hex')}${suffix}`);
      temps.push(path);
      return path;
    };
    const originalPath = tempPath('.part');
    try {
      const meter = new UploadMeter(maxBytes, file.fileType, kindName);
      await receiveInto(source, meter, createWriteStream(originalPath, { flags: 'wx' }));
      if (meter.bytes !== file.size) {
        throw new FileHttpError(400, ErrorCode.InvalidParameters, `the body has ${meter.bytes} bytes; the slot declared ${file.size}`);
      }
      meter.checkKind(true);
      const upload = await this.process(file, originalPath, meter.kind, meter.head, meter.bytes, tempPath);

      // Blobs first, then the row: a crash in between leaves unreferenced blobs, never a row without bytes.
      await this.blobs.putFile({ uuid: file.uuid, variant: 'original' }, originalPath);
      for (const [name, path] of upload.paths) await this.blobs.putFile({ uuid: file.uuid, variant: name }, path);
      const completed = await this.storage.transaction((tx) => tx.files.complete(file.uuid, upload.facts));
      if (!completed) {
        // Another upload won (possible only across nodes: the in-process lock prevents it here). Its
        // blobs share this uuid, so they are left alone. A cluster needs a claim in storage instead.
        throw new FileHttpError(403, ErrorCode.UploadSlotInvalid, 'this upload slot was already used; ask for a new one');
      }
      const base = this.baseUrl(host);
      const stored: StoredFile = { ...file, ...upload.facts, state: 'ready' };
      this.log.debug({ uuid: file.uuid, owner: file.owner, size: stored.size, type: kindName }, 'upload stored');
      return { location: this.downloadUrl(base, stored), file: this.toWire(stored, base) };
    } catch (err) {
      if (err instanceof FileHttpError) throw err;
      if (err instanceof InvalidImageError) throw new FileHttpError(415, ErrorCode.FileTypeNotAllowed, `not a valid image: ${err.message}`);
      if (isAbort(err)) throw new FileHttpError(400, ErrorCode.InvalidParameters, 'the upload was aborted before the whole file arrived');
      throw err;
    } finally {
      await Promise.all(temps.map((p) => unlink(p).catch(() => undefined)));
    }
  }

  private async process(
    file: StoredFile,
    path: string,
    kind: SniffedKind | null,
    head: Buffer,
    size: number,
    tempPath: (suffix?: string) => string,
  ): Promise<{ facts: CompletedUpload; paths: Array<[BlobVariant, string]> }> {
    const facts: CompletedUpload = {
      size,
      contentType: file.contentType,
      uploadedAt: this.clock.nowMs(),
      width: 0,
      height: 0,
      imageFormat: 0,
      format: extensionOf(file.fileName),
      duration: 0,
      derivatives: {},
    };
    const paths: Array<[BlobVariant, string]> = [];
    const derivatives: StoredDerivatives = {};
    const keep = async (name: 'thumb' | 'large' | 'snapshot', d: DerivativeResult): Promise<void> => {
      if (d.path === null) {
        derivatives[name] = { width: d.width, height: d.height, size, contentType: d.contentType, sameAsOriginal: true };
        return;
      }
      const { size: bytes } = await stat(d.path);
      derivatives[name] = { width: d.width, height: d.height, size: bytes, contentType: d.contentType, sameAsOriginal: false };
      paths.push([name, d.path]);
    };

    if (file.fileType === 1) {
      if (!isImageKind(kind)) throw new FileHttpError(415, ErrorCode.FileTypeNotAllowed, 'the upload is not a JPEG, PNG, GIF, BMP or WebP image');
      const image = await processImage(path, kind, () => tempPath('.img'));
      Object.assign(facts, { width: image.width, height: image.height, imageFormat: image.imageFormat, format: image.format, contentType: image.contentType });
      await keep('thumb', image.thumb);
      await keep('large', image.large);
    } else if (file.fileType === 2) {
      const mov = isoBrand(head) === 'qt  ' || (isoBrand(head) === '' && extensionOf(file.fileName) === 'mov');
      facts.format = mov ? 'mov' : 'mp4';
      facts.contentType = mov ? 'video/quicktime' : 'video/mp4';
      const probe = await this.tools.probe(path);
      if (probe) {
        facts.duration = wholeSeconds(probe.duration);
        facts.width = probe.width;
        facts.height = probe.height;
      }
      const snapshotPath = tempPath('.jpg');
      if (await this.tools.snapshot(path, snapshotPath)) {
        try {
          const meta = await (await loadSharp())(snapshotPath).metadata();
          if (meta.width && meta.height) await keep('snapshot', { width: meta.width, height: meta.height, path: snapshotPath, contentType: 'image/jpeg' });
        } catch (err) {
          this.log.debug({ err, uuid: file.uuid }, 'video snapshot unreadable; none stored');
        }
      }
    } else if (file.fileType === 3) {
      const sniffedType = kind ? AUDIO_CONTENT_TYPES[kind] : undefined;
      const declared = normalizeContentType(file.contentType);
      facts.contentType = sniffedType ?? (declared?.startsWith('audio/') ? declared : 'application/octet-stream');
      if (kind && kind !== 'isobmff' && kind !== 'webm') facts.format = kind;
      const probe = await this.tools.probe(path);
      if (probe) facts.duration = wholeSeconds(probe.duration);
    }
    facts.derivatives = derivatives;
    return { facts, paths };
  }

  // ------------------------------------------------------------------ downloads

  /**
   * Resolves a download path `/files/<uuid>/<segment>` (segment already
   * URL-decoded): "thumb", "large" and "snapshot" name derivatives (null when
   * the file has none); the file's own name or "original" name the original.
   * Null for anything else and for unknown or unfinished files.
   */
  async resolveDownload(uuid: string, segment: string): Promise<DownloadTarget | null> {
    if (!isFileUuid(uuid)) return null;
    const file = await this.storage.files.get(uuid);
    if (!file || file.state !== 'ready') return null;
    if (segment === 'thumb' || segment === 'large' || segment === 'snapshot') {
      const d = file.derivatives[segment];
      if (!d) return null;
      return { file, blob: d.sameAsOriginal ? 'original' : segment, size: d.size, contentType: d.contentType, attachment: false };
    }
    // The original answers only at the URL handed out: its own name, or "original".
    if (segment !== file.fileName && segment !== 'original') return null;
    return { file, blob: 'original', size: file.size, contentType: file.contentType, attachment: file.fileType === 255 };
  }

  openBlob(uuid: string, blob: BlobVariant, range?: { start: number; end: number }): Promise<Readable | null> {
    return this.blobs.get({ uuid, variant: blob }, range);
  }
}

/**
 * Pipes `source` through `meter` into `sink`. Unlike stream.pipeline, a
 * failure does not destroy `source`: the HTTP layer still has to answer on its
 * connection (and drains the rest of the body). A source that closes before
 * its end (client gone) fails the copy.
 */
async function receiveInto(source: Readable, meter: Transform, sink: Writable): Promise<void> {
  const done = pipeline(meter, sink);
  const onError = (err: Error): void => {
    meter.destroy(err);
  };
  const onClose = (): void => {
    if (!source.readableEnded) meter.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  };
  source.once('error', onError);
  source.once('close', onClose);
  source.pipe(meter);
  try {
    await done;
  } finally {
    source.unpipe(meter);
    source.off('error', onError);
    source.off('close', onClose);
  }
}

function wholeSeconds(seconds: number): number {
  if (!(seconds > 0)) return 0;
  return Math.max(1, Math.round(seconds));
}

function isAbort(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED' || (err as Error | null)?.message === 'aborted';
}

/**
 * Counts bytes on the way to disk and fails the stream the moment the body is
 * larger than allowed, or (for images and videos) as soon as the first bytes
 * show it is not what the slot was for.
 */
class UploadMeter extends Transform {
  bytes = 0;
  head = Buffer.alloc(0);
  kind: SniffedKind | null = null;
  private checked = false;

  constructor(
    private readonly maxBytes: number,
    private readonly fileType: WireFileType,
    private readonly kindName: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new FileHttpError(413, ErrorCode.FileTooLarge, `the ${this.kindName} is larger than this slot allows (${this.maxBytes} bytes)`));
      return;
    }
    if (this.head.length < SNIFF_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES - this.head.length)]);
    try {
      if (this.head.length >= SNIFF_BYTES) this.checkKind(false);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, chunk);
  }

  /** Sniffs once enough bytes arrived (or at the end); throws 415 for a wrong image/video. */
  checkKind(final: boolean): void {
    if (this.checked || (!final && this.head.length < SNIFF_BYTES)) return;
    this.checked = true;
    this.kind = sniff(this.head);
    if (this.fileType === 1 && !isImageKind(this.kind)) {
      throw new FileHttpError(415, ErrorCode.FileTypeNotAllowed, 'the upload is not a JPEG, PNG, GIF, BMP or WebP image');
    }
    if (this.fileType === 2 && this.kind !== 'isobmff') {
      throw new FileHttpError(415, ErrorCode.FileTypeNotAllowed, 'the upload is not an MP4 or QuickTime video');
    }
  }
}

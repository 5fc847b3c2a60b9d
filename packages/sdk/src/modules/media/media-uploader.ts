/**
 * Media messages (spec §4.2, §10): the creators' placeholder elements and
 * the send-time upload. A media message created here carries a placeholder
 * payload that this module remembers; `prepare` (run by the send pipeline
 * before `msg.send`) validates the file (TIM's codes), asks the server for
 * an upload slot (`file.slot`), hands the bytes to the registered
 * `tim-upload-plugin`, reads what the server stored (`file.info`) and
 * swaps in the final §8.3 payload. A message whose upload completed sends
 * its final payload as is, so a resend never uploads twice.
 */
import { ErrorCode, type RequestBodies, type RequestCmd, type ResponseData, type WireUploadSlot } from '@parley/protocol';
import { ImError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Message } from '../message/message.js';
import { IMAGE_EXTENSIONS, MEDIA_RULES, MediaCode, VIDEO_SUBTYPES, baseMime, extensionOf, mimeForExtension, type MediaKind, type MediaRules } from './media-kinds.js';
import { finalPayload, placeholderPayload } from './media-payload.js';
import { loadMedia, localPreviewUrl, resolveMedia, type LocalMedia } from './media-source.js';

/** What the SDK passes to `uploadFile` (spec §10.2 step 3). */
export interface UploadPluginOptions {
  url: string;
  fileType: number;
  fileName: string;
  resources: Blob;
  downloadUrl: string;
  thumbUrl?: string;
  largeUrl?: string;
  onProgress: (event: { total?: number; loaded?: number; percent?: number }) => void;
}

/** A `tim-upload-plugin` instance: ours (@parley/upload-plugin), Tencent's, or any class with this method. */
export interface UploadPlugin {
  uploadFile(options: UploadPluginOptions, callback: (err: unknown, res?: unknown) => void): unknown;
}

export interface MediaUploaderDeps {
  request<K extends RequestCmd>(cmd: K, body: RequestBodies[K]): Promise<ResponseData[K]>;
  log: Logger;
}

interface PendingUpload {
  rules: MediaRules;
  /** `payload.file` as given, resolved again at send time if it held no file at creation (an empty `<input>`). */
  input: unknown;
  nameHint: string | undefined;
  media: LocalMedia | null;
  preview: { url: string; owned: boolean };
  onProgress: ((percent: number) => void) | undefined;
  /** The upload in progress (a second send of the same message waits for it). */
  running: Promise<Record<string, unknown>> | null;
}

/** Placeholder payload object → its upload job. The payload's identity is the state: a final payload is not in here. */
const pending = new WeakMap<object, PendingUpload>();

/** Builds a creator's element: the placeholder payload, remembered for the upload at send time. */
export function createMediaElement(
  kind: MediaKind,
  input: unknown,
  nameHint: string | undefined,
  onProgress: ((percent: number) => void) | undefined,
): { type: string; payload: Record<string, unknown> } {
  const rules = MEDIA_RULES[kind];
  const media = resolveMedia(input, nameHint);
  const preview = localPreviewUrl(media);
  const payload = placeholderPayload(kind, media, preview.url);
  pending.set(payload, { rules, input, nameHint, media, preview, onProgress, running: null });
  return { type: rules.elementType, payload };
}

/** Whether the message still has a file to upload before it can be sent. */
export function needsUpload(message: Message): boolean {
  return pending.has(message.payload);
}

export class MediaUploader {
  private plugin: UploadPlugin | null = null;

  constructor(private readonly deps: MediaUploaderDeps) {}

  /**
   * Called when a login succeeds, with what was registered as
   * `tim-upload-plugin`: TIM looks the plugin up once, then, and creates it
   * with `new Plugin()`. A plugin registered later is not seen (2040).
   */
  attachPlugin(registered: unknown): void {
    this.plugin = null;
    if (registered === undefined || registered === null) return;
    try {
      const candidate: unknown = typeof registered === 'function' ? new (registered as new () => unknown)() : registered;
      if (typeof (candidate as Partial<UploadPlugin> | null)?.uploadFile === 'function') this.plugin = candidate as UploadPlugin;
      else this.deps.log.warn('registerPlugin: tim-upload-plugin has no uploadFile(options, callback); media messages will fail with 2040');
    } catch (err) {
      this.deps.log.warn('registerPlugin: could not create the tim-upload-plugin; media messages will fail with 2040', err);
    }
  }

  reset(): void {
    this.plugin = null;
  }

  /**
   * Uploads the message's file if it has one not uploaded yet and puts the
   * final payload on the message. Rejects with TIM's media codes and the
   * message (status "fail") in `err.data.message`.
   */
  async prepare(message: Message): Promise<void> {
    const placeholder = message.payload;
    const job = pending.get(placeholder);
    if (!job) return;
    job.running ??= this.upload(job).finally(() => {
      job.running = null;
    });
    try {
      const payload = await job.running;
      if (message.payload === placeholder) {
        message.payload = payload;
        pending.delete(placeholder);
        if (job.preview.owned) URL.revokeObjectURL(job.preview.url);
      }
    } catch (err) {
      message.status = 'fail';
      throw ImError.from(err, job.rules.uploadFailCode).withData({ message });
    }
  }

  private async upload(job: PendingUpload): Promise<Record<string, unknown>> {
    const { rules } = job;
    job.media ??= resolveMedia(job.input, job.nameHint);
    if (!job.media) throw new ImError(rules.noFileCode, `${rules.kind} message without a file: pass payload.file (a File, Blob or <input type="file"> with a file selected)`);
    const media = await loadMedia(job.media);
    if (!media?.blob) throw new ImError(rules.noFileCode, `cannot read the ${rules.kind} file ${job.media.path || job.media.name}`);
    job.media = media;
    const blob = media.blob;
    checkFile(rules, media, blob);
    const plugin = this.plugin;
    if (!plugin) throw new ImError(MediaCode.CosUndetected, "no upload plugin: call registerPlugin({'tim-upload-plugin': ParleyUploadPlugin}) before login");

    const progress = new ProgressRelay(job.onProgress);
    // Videos get a second attempt (with a new slot); the plugin itself retries 5xx answers once.
    const attempts = rules.kind === 'video' ? 2 : 1;
    let slot: WireUploadSlot | null = null;
    for (let attempt = 1; ; attempt++) {
      slot = await this.slot(rules, media, blob);
      try {
        await this.transfer(plugin, rules, slot, media, blob, progress);
        break;
      } catch (err) {
        if (progress.error || attempt >= attempts) throw err;
        this.deps.log.warn(`${rules.kind} upload failed; retrying once`, err);
      }
    }
    const info = await this.deps.request('file.info', { uuid: slot.uuid }).catch((err: unknown) => {
      throw new ImError(rules.uploadFailCode, `upload finished but the server does not know the file: ${ImError.from(err).message}`);
    });
    if (!info.uploaded || !info.file) throw new ImError(rules.uploadFailCode, 'the upload plugin reported success but the server has not stored the file');
    progress.done();
    if (progress.error) throw progress.error;
    return finalPayload(rules.kind, info.file, media);
  }

  /** `file.slot`, retried once; the server's own size/type refusals map to TIM's codes, anything else to 2041. */
  private async slot(rules: MediaRules, media: LocalMedia, blob: Blob): Promise<WireUploadSlot> {
    const contentType = media.type && media.type.length <= 128 ? media.type : undefined;
    const body: RequestBodies['file.slot'] = { fileType: rules.fileType, fileName: slotFileName(media.name), fileSize: blob.size, ...(contentType ? { contentType } : {}) };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.request('file.slot', body);
      } catch (err) {
        const e = ImError.from(err);
        if (e.code === ErrorCode.FileTooLarge) throw new ImError(rules.sizeCode, `the server refused the ${rules.kind}: ${e.message}`);
        if (e.code === ErrorCode.FileTypeNotAllowed) throw new ImError(rules.typeCode ?? rules.uploadFailCode, `the server refused the ${rules.kind}: ${e.message}`);
        if (attempt >= 2) throw new ImError(MediaCode.CosGetSigFail, `could not get an upload slot: ${e.message}`);
      }
    }
  }

  /** One `plugin.uploadFile` call as a Promise; rejects at once (2109) when the app's onProgress throws. */
  private transfer(plugin: UploadPlugin, rules: MediaRules, slot: WireUploadSlot, media: LocalMedia, blob: Blob, progress: ProgressRelay): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err: ImError | null): void => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      progress.onError = (err) => settle(err);
      progress.report(0);
      if (progress.error) return;
      const options: UploadPluginOptions = {
        url: slot.uploadUrl,
        fileType: rules.fileType,
        fileName: media.name,
        resources: blob,
        downloadUrl: slot.downloadUrl,
        ...(slot.thumbUrl ? { thumbUrl: slot.thumbUrl } : {}),
        ...(slot.largeUrl ? { largeUrl: slot.largeUrl } : {}),
        onProgress: (event) => progress.report(event?.percent),
      };
      try {
        plugin.uploadFile(options, (err: unknown) => {
          if (err) settle(new ImError(rules.uploadFailCode, `upload failed: ${describePluginError(err)}`));
          else settle(null);
        });
      } catch (err) {
        settle(new ImError(rules.uploadFailCode, `upload failed: the upload plugin threw: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }
}

/** TIM's send-time checks, in order: empty, type, size. */
function checkFile(rules: MediaRules, media: LocalMedia, blob: Blob): void {
  const size = blob.size;
  if (size === 0) throw new ImError(MediaCode.FileIsEmpty, `the ${rules.kind} file is empty`);
  if (rules.kind === 'image') {
    const ext = extensionOf(media.name);
    if (!IMAGE_EXTENSIONS.has(ext)) throw new ImError(MediaCode.ImageTypesLimit, `images must be ${[...IMAGE_EXTENSIONS].join(', ')} (got "${media.name}")`);
  }
  if (rules.kind === 'video') {
    const type = baseMime(blob.type) || media.type || mimeForExtension(extensionOf(media.name));
    const subtype = type.split('/')[1] ?? '';
    if (!VIDEO_SUBTYPES.has(subtype)) throw new ImError(MediaCode.VideoTypesLimit, `videos must be mp4 or mov (QuickTime) (got "${type || media.name}")`);
  }
  const tooLarge = rules.maxExclusive ? size >= rules.maxBytes : size > rules.maxBytes;
  if (tooLarge) throw new ImError(rules.sizeCode, `the ${rules.kind} has ${size} bytes; the limit is ${rules.maxExclusive ? 'under ' : ''}${rules.maxBytes}`);
}

/** The server keeps at most 255 characters; shorten the stem, keep the extension. */
function slotFileName(name: string): string {
  const clean = name.trim() || 'file';
  if (clean.length <= 255) return clean;
  const ext = extensionOf(clean);
  return ext && ext.length < 32 ? `${clean.slice(0, 254 - ext.length)}.${ext}` : clean.slice(0, 255);
}

function describePluginError(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'number' || typeof e.code === 'string' ? `HTTP ${String(e.code)}` : '';
    const message = typeof e.message === 'string' ? e.message : '';
    return [code, message].filter(Boolean).join(' ') || JSON.stringify(err);
  }
  return String(err);
}

/** Forwards plugin progress to the app's onProgress: 0..1, never decreasing, ends at 1; a throw becomes 2109. */
class ProgressRelay {
  error: ImError | null = null;
  onError: ((err: ImError) => void) | null = null;
  private last = -1;

  constructor(private readonly callback: ((percent: number) => void) | undefined) {}

  report(percent: unknown): void {
    if (this.error || typeof percent !== 'number' || !Number.isFinite(percent)) return;
    const p = Math.min(1, Math.max(0, percent));
    if (p <= this.last) return;
    this.last = p;
    if (!this.callback) return;
    try {
      this.callback(p);
    } catch (err) {
      this.error = new ImError(MediaCode.OnProgressFunctionError, `onProgress threw: ${err instanceof Error ? err.message : String(err)}`);
      this.onError?.(this.error);
    }
  }

  done(): void {
    this.report(1);
  }
}

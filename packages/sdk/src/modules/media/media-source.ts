/**
 * What the media creators accept as `payload.file` (spec §4.2), reduced to
 * one shape: a browser `<input type="file">` element (its first file), a
 * `File` or `Blob` (browsers and Node 20), an audio recorder result
 * `{tempFilePath?, duration (ms), size | fileSize}` (optionally carrying the
 * bytes as `file`/`tempFile`/`blob`), a uni-app style `{tempFiles: [File]}`,
 * or a path/URL string. Nothing here touches the network.
 */
import { baseMime, extensionForMime, extensionOf, mimeForExtension } from './media-kinds.js';

export interface LocalMedia {
  /** The bytes, when the input carried them; null when they must be loaded from `path`. */
  blob: Blob | null;
  /** A `blob:`/`data:`/`http(s):` URL or (Node) a local path to load the bytes from. */
  path: string;
  /** File name (with an extension when one could be found). */
  name: string;
  /** Bytes, -1 when unknown until loaded. */
  size: number;
  /** MIME type ("" when unknown). */
  type: string;
  /** Recorder duration, ms (0 when unknown). */
  durationMs: number;
}

/** The recorder-style fields that may sit next to the bytes. */
interface RecorderFields {
  duration?: unknown;
  size?: unknown;
  fileSize?: unknown;
  tempFilePath?: unknown;
  name?: unknown;
  fileName?: unknown;
  type?: unknown;
}

/** A Blob, also one from another realm (iframe) or a polyfill. */
export function isBlob(value: unknown): value is Blob {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  const v = value as { size?: unknown; type?: unknown; slice?: unknown; arrayBuffer?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.size === 'number' && typeof v.type === 'string' && typeof v.slice === 'function' && typeof v.arrayBuffer === 'function';
}

/** Resolves `payload.file`; null when there is no file (e.g. an input element with nothing selected). */
export function resolveMedia(input: unknown, nameHint: string | undefined): LocalMedia | null {
  if (input === undefined || input === null || input === '' || input === 0) return null;
  if (isBlob(input)) return fromBlob(input, nameHint, {});
  if (typeof input === 'string') return fromPath(input, nameHint, {});
  if (typeof input !== 'object') return null;

  // <input type="file"> (or anything with a FileList): its first file.
  const files = (input as { files?: unknown }).files;
  if (files !== undefined && files !== null && typeof files === 'object' && typeof (files as { length?: unknown }).length === 'number') {
    const first = (files as ArrayLike<unknown>)[0];
    return isBlob(first) ? fromBlob(first, nameHint, {}) : null;
  }

  const fields = input as RecorderFields & { file?: unknown; tempFile?: unknown; blob?: unknown; tempFiles?: unknown };
  // uni-app / mini-program choose results: {tempFiles: [File | {path, size}]}.
  if (Array.isArray(fields.tempFiles)) {
    const first: unknown = fields.tempFiles[0];
    if (isBlob(first)) return fromBlob(first, nameHint, fields);
    if (typeof first === 'object' && first !== null) {
      const f = first as { path?: unknown; tempFilePath?: unknown; size?: unknown; name?: unknown };
      const path = typeof f.path === 'string' ? f.path : typeof f.tempFilePath === 'string' ? f.tempFilePath : '';
      return path ? fromPath(path, nameHint ?? stringOr(f.name), { ...fields, size: f.size }) : null;
    }
    return null;
  }
  // Recorder results: the bytes themselves, or a path/URL to them.
  for (const key of ['file', 'tempFile', 'blob'] as const) {
    const candidate = fields[key];
    if (isBlob(candidate)) return fromBlob(candidate, nameHint, fields);
  }
  if (typeof fields.tempFilePath === 'string' && fields.tempFilePath !== '') return fromPath(fields.tempFilePath, nameHint, fields);
  return null;
}

function fromBlob(blob: Blob, nameHint: string | undefined, fields: RecorderFields): LocalMedia {
  const own = (blob as Partial<File>).name;
  const type = baseMime(blob.type) || mimeForExtension(extensionOf(own ?? nameHint ?? ''));
  return {
    blob,
    path: '',
    name: withExtension((typeof own === 'string' && own) || nameHint || stringOr(fields.name) || stringOr(fields.fileName) || 'file', type),
    size: blob.size,
    type,
    durationMs: durationOf(fields),
  };
}

function fromPath(path: string, nameHint: string | undefined, fields: RecorderFields): LocalMedia {
  const base = /^(blob|data):/i.test(path) ? '' : lastSegment(path);
  const given = nameHint || stringOr(fields.name) || stringOr(fields.fileName) || base || 'file';
  const declared = baseMime(stringOr(fields.type) ?? '');
  const type = declared || mimeForExtension(extensionOf(given));
  const size = numberOr(fields.size) ?? numberOr(fields.fileSize) ?? -1;
  return { blob: null, path, name: withExtension(given, type), size, type, durationMs: durationOf(fields) };
}

/** The loaded bytes keep the creator's name but may reveal the type (a fetched URL's content-type). */
export function withLoadedBytes(media: LocalMedia, blob: Blob): LocalMedia {
  const type = media.type || baseMime(blob.type);
  return { ...media, blob, size: blob.size, type, name: withExtension(media.name, type) };
}

/** Adds the type's extension to a name that has none ("file" + image/png → "file.png"). */
function withExtension(name: string, type: string): string {
  if (extensionOf(name)) return name;
  const ext = extensionForMime(type);
  return ext ? `${name}.${ext}` : name;
}

function lastSegment(path: string): string {
  let p = path;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    try {
      p = decodeURIComponent(new URL(p).pathname);
    } catch {
      return '';
    }
  }
  return p.split(/[/\\]/).pop() ?? '';
}

function durationOf(fields: RecorderFields): number {
  const d = numberOr(fields.duration);
  return d !== undefined && d > 0 ? d : 0;
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

type NodeFs = { openAsBlob?: (path: string) => Promise<Blob> };

/**
 * The bytes of `media`: its Blob, or loaded from its URL (`fetch`) or, in
 * Node, its local path (`fs.openAsBlob`, streamed from disk). Null when they
 * cannot be found.
 */
export async function loadMedia(media: LocalMedia): Promise<LocalMedia | null> {
  if (media.blob) return media;
  try {
    if (/^(blob|data|https?):/i.test(media.path)) {
      const res = await fetch(media.path);
      return res.ok ? withLoadedBytes(media, await res.blob()) : null;
    }
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
    if (!fs?.openAsBlob) return null;
    return withLoadedBytes(media, await fs.openAsBlob(media.path));
  } catch {
    return null;
  }
}

/** A local preview URL for the placeholder payload: a blob URL in browsers, "" elsewhere (Node). */
export function localPreviewUrl(media: LocalMedia | null): { url: string; owned: boolean } {
  if (!media) return { url: '', owned: false };
  if (!media.blob) return { url: /^(blob|data|https?):/i.test(media.path) ? media.path : '', owned: false };
  const browser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  if (!browser || typeof URL === 'undefined' || typeof URL.createObjectURL !== 'function') return { url: '', owned: false };
  try {
    return { url: URL.createObjectURL(media.blob), owned: true };
  } catch {
    return { url: '', owned: false };
  }
}

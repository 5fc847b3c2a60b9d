/** File names, extensions, MIME types and URL/header encodings for uploads. */

/** Image extensions TIM accepts (spec §4.2). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['jpg', 'jpeg', 'gif', 'png', 'bmp', 'image', 'webp']);
/** Video: extension or MIME subtype (spec §4.2: mp4, quicktime, mov). */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set(['mp4', 'mov']);
export const VIDEO_MIME_SUBTYPES: ReadonlySet<string> = new Set(['mp4', 'quicktime', 'mov']);

/** Download path segments that name derivatives rather than the original. */
export const DERIVATIVE_SEGMENTS: ReadonlySet<string> = new Set(['thumb', 'large', 'snapshot']);

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot <= 0 || dot === fileName.length - 1 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/** The name as stored: last path component, no control characters, at most 255 characters; "file" if nothing is left. */
export function cleanFileName(fileName: string): string {
  const base = fileName.split(/[/\\]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return cleaned === '' ? 'file' : cleaned;
}

/** The last segment of a download URL: the encoded name, or "original" where the name would be ambiguous. */
export function downloadSegment(fileName: string): string {
  if (DERIVATIVE_SEGMENTS.has(fileName) || fileName === '.' || fileName === '..') return 'original';
  return encodeURIComponent(fileName);
}

/** A syntactically valid MIME type (lowercased, parameters dropped), or null. */
export function normalizeContentType(value: string | undefined): string | null {
  if (!value) return null;
  const type = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(type) ? type : null;
}

const TYPES_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  rar: 'application/vnd.rar',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  amr: 'audio/amr',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
};

export function contentTypeForExtension(ext: string): string | null {
  return TYPES_BY_EXTENSION[ext] ?? null;
}

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Content sniffing by magic bytes. The declared name and MIME type of an
 * upload are only hints; what is stored and served is decided from here.
 */

export type ImageKind = 'jpeg' | 'png' | 'gif' | 'bmp' | 'webp';
export type SniffedKind = ImageKind | 'isobmff' | 'mp3' | 'aac' | 'wav' | 'ogg' | 'flac' | 'amr' | 'webm';

/** Bytes needed to decide (shorter input is judged on what there is). */
export const SNIFF_BYTES = 32;

function ascii(buf: Buffer, offset: number, text: string): boolean {
  if (buf.length < offset + text.length) return false;
  return buf.toString('latin1', offset, offset + text.length) === text;
}

/** ISO base media (MP4/MOV/M4A) top-level boxes a file may start with. */
const ISO_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

export function sniff(head: Buffer): SniffedKind | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'webp';
  // "BM" alone is weak: also require a plausible DIB header size.
  if (ascii(head, 0, 'BM') && head.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(head.readUInt32LE(14))) return 'bmp';
  if (head.length >= 8 && ISO_BOXES.has(head.toString('latin1', 4, 8))) return 'isobmff';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'OggS')) return 'ogg';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, '#!AMR')) return 'amr';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(head, 0, 'ID3')) return 'mp3';
  if (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xf6) === 0xf0) return 'aac';
  if (head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0) return 'mp3';
  return null;
}

export function isImageKind(kind: SniffedKind | null): kind is ImageKind {
  return kind === 'jpeg' || kind === 'png' || kind === 'gif' || kind === 'bmp' || kind === 'webp';
}

/** TIM imageFormat: JPG 1, GIF 2, PNG 3, BMP 4, other 255. */
export function timImageFormat(kind: ImageKind): number {
  switch (kind) {
    case 'jpeg':
      return 1;
    case 'gif':
      return 2;
    case 'png':
      return 3;
    case 'bmp':
      return 4;
    default:
      return 255;
  }
}

export const IMAGE_CONTENT_TYPES: Record<ImageKind, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
};

export const IMAGE_FORMAT_NAMES: Record<ImageKind, string> = { jpeg: 'jpg', png: 'png', gif: 'gif', bmp: 'bmp', webp: 'webp' };

export const AUDIO_CONTENT_TYPES: Partial<Record<SniffedKind, string>> = {
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  amr: 'audio/amr',
  webm: 'audio/webm',
  isobmff: 'audio/mp4',
};

/** ISO media brand at bytes 8..12 when the file starts with `ftyp` ("qt  " for QuickTime). */
export function isoBrand(head: Buffer): string {
  return ascii(head, 4, 'ftyp') && head.length >= 12 ? head.toString('latin1', 8, 12) : '';
}

/**
 * The four media kinds and TIM's rules for each (spec §4.2, §10.2, §13.1):
 * upload `fileType`, element type, size limits, allowed types, and the
 * SDK-side error codes (Tencent's numbers).
 */
import { ErrorCode } from '@parley/protocol';

export type MediaKind = 'image' | 'audio' | 'video' | 'file';

/** SDK-side media codes (spec §13.1), from the protocol catalogue (documented in docs/errors.md). */
export const MediaCode = {
  CosUndetected: ErrorCode.CosUndetected,
  CosGetSigFail: ErrorCode.CosGetSigFail,
  FileIsEmpty: ErrorCode.MessageFileIsEmpty,
  OnProgressFunctionError: ErrorCode.MessageOnProgressFunctionError,
  ImageSelectFileFirst: ErrorCode.MessageImageSelectFileFirst,
  ImageTypesLimit: ErrorCode.MessageImageTypesLimit,
  ImageSizeLimit: ErrorCode.MessageImageSizeLimit,
  /** Audio: no file, or the upload failed. */
  AudioUploadFail: ErrorCode.MessageAudioUploadFail,
  AudioSizeLimit: ErrorCode.MessageAudioSizeLimit,
  VideoUploadFail: ErrorCode.MessageVideoUploadFail,
  VideoSizeLimit: ErrorCode.MessageVideoSizeLimit,
  VideoTypesLimit: ErrorCode.MessageVideoTypesLimit,
  FileUploadFail: ErrorCode.MessageFileUploadFail,
  FileSelectFileFirst: ErrorCode.MessageFileSelectFileFirst,
  FileSizeLimit: ErrorCode.MessageFileSizeLimit,
} as const;

const MB = 1024 * 1024;

export interface MediaRules {
  kind: MediaKind;
  /** TIM upload type: 1 image, 2 video, 3 audio, 255 file. */
  fileType: 1 | 2 | 3 | 255;
  /** `message.type`. */
  elementType: string;
  /** Largest size allowed, bytes. */
  maxBytes: number;
  /** Images must be smaller than the limit; the others may be equal to it. */
  maxExclusive: boolean;
  noFileCode: number;
  sizeCode: number;
  /** Wrong type: images and videos only. */
  typeCode: number | null;
  uploadFailCode: number;
}

export const MEDIA_RULES: Readonly<Record<MediaKind, MediaRules>> = {
  image: {
    kind: 'image',
    fileType: 1,
    elementType: 'TIMImageElem',
    maxBytes: 20 * MB,
    maxExclusive: true,
    noFileCode: MediaCode.ImageSelectFileFirst,
    sizeCode: MediaCode.ImageSizeLimit,
    typeCode: MediaCode.ImageTypesLimit,
    uploadFailCode: MediaCode.FileUploadFail,
  },
  audio: {
    kind: 'audio',
    fileType: 3,
    elementType: 'TIMSoundElem',
    maxBytes: 20 * MB,
    maxExclusive: false,
    noFileCode: MediaCode.AudioUploadFail,
    sizeCode: MediaCode.AudioSizeLimit,
    typeCode: null,
    uploadFailCode: MediaCode.FileUploadFail,
  },
  video: {
    kind: 'video',
    fileType: 2,
    elementType: 'TIMVideoFileElem',
    maxBytes: 100 * MB,
    maxExclusive: false,
    // TIM names no "select a video first" code; a video message without a file fails like a failed upload.
    noFileCode: MediaCode.VideoUploadFail,
    sizeCode: MediaCode.VideoSizeLimit,
    typeCode: MediaCode.VideoTypesLimit,
    uploadFailCode: MediaCode.VideoUploadFail,
  },
  file: {
    kind: 'file',
    fileType: 255,
    elementType: 'TIMFileElem',
    maxBytes: 100 * MB,
    maxExclusive: false,
    noFileCode: MediaCode.FileSelectFileFirst,
    sizeCode: MediaCode.FileSizeLimit,
    typeCode: null,
    uploadFailCode: MediaCode.FileUploadFail,
  },
};

/** Image extensions TIM accepts (any case). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['jpg', 'jpeg', 'gif', 'png', 'bmp', 'image', 'webp']);
/** Video MIME subtypes TIM accepts (v3 also "video"). */
export const VIDEO_SUBTYPES: ReadonlySet<string> = new Set(['mp4', 'quicktime', 'mov', 'video']);

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  webm: 'audio/webm',
  amr: 'audio/amr',
  flac: 'audio/flac',
  silk: 'audio/silk',
  pdf: 'application/pdf',
  txt: 'text/plain',
  zip: 'application/zip',
};

const EXTENSION_BY_MIME: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/aac': 'aac',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/amr': 'amr',
  'audio/flac': 'flac',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'application/zip': 'zip',
};

/** Lower-case extension without the dot, or "". */
export function extensionOf(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot <= 0 || dot === base.length - 1 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The MIME type without parameters, lower-cased ("" when none). */
export function baseMime(type: string): string {
  return (type.split(';')[0] ?? '').trim().toLowerCase();
}

export function mimeForExtension(ext: string): string {
  return MIME_BY_EXTENSION[ext] ?? '';
}

export function extensionForMime(type: string): string {
  return EXTENSION_BY_MIME[baseMime(type)] ?? '';
}

/** TIM `imageFormat`: JPG 1, GIF 2, PNG 3, BMP 4, other 255. */
export function imageFormatOf(ext: string): number {
  if (ext === 'jpg' || ext === 'jpeg') return 1;
  if (ext === 'gif') return 2;
  if (ext === 'png') return 3;
  if (ext === 'bmp') return 4;
  return 255;
}

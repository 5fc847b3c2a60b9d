/**
 * Metadata of uploaded files (the bytes live in a BlobStore, see files/blob-store.ts).
 * A row is created with the upload slot (`pending`) and completed once the
 * upload is stored and processed (`ready`).
 */
import type { WireFileType } from '@parley/protocol';

export type StoredFileState = 'pending' | 'ready';

/** A stored derivative (image thumbnail/large, video snapshot). */
export interface StoredDerivative {
  width: number;
  height: number;
  /** Bytes. */
  size: number;
  contentType: string;
  /** True when the derivative is the original's bytes (no resize was needed): no separate blob exists. */
  sameAsOriginal: boolean;
}

export interface StoredDerivatives {
  thumb?: StoredDerivative;
  large?: StoredDerivative;
  snapshot?: StoredDerivative;
}

export interface StoredFile {
  /** 32 lowercase hex digits (128 random bits). */
  uuid: string;
  /** userID that asked for the slot. */
  owner: string;
  fileType: WireFileType;
  fileName: string;
  /** Declared size while pending; the stored size once ready (they are equal). */
  size: number;
  contentType: string;
  state: StoredFileState;
  /** ms. */
  createdAt: number;
  /** When the upload slot expires, seconds. */
  expiresAt: number;
  /** When the upload completed, ms (0 while pending). */
  uploadedAt: number;
  /** Images: pixels (after EXIF orientation); videos: frame size when known; else 0. */
  width: number;
  height: number;
  /** Images: TIM imageFormat (JPG 1, GIF 2, PNG 3, BMP 4, other 255); else 0. */
  imageFormat: number;
  /** Container/format name, e.g. "jpg", "png", "mp4", "mov", "mp3"; '' when unknown. */
  format: string;
  /** Audio/video duration, whole seconds (0 when unknown). */
  duration: number;
  derivatives: StoredDerivatives;
}

/** What an upload adds to its pending row. */
export type CompletedUpload = Pick<StoredFile, 'size' | 'contentType' | 'uploadedAt' | 'width' | 'height' | 'imageFormat' | 'format' | 'duration' | 'derivatives'>;

export interface FileRepository {
  insert(file: StoredFile): Promise<void>;
  get(uuid: string): Promise<StoredFile | null>;
  /** pending → ready with the upload's facts; false when the row is missing or not pending. */
  complete(uuid: string, upload: CompletedUpload): Promise<boolean>;
  /** Deletes pending rows whose slot expired before `nowSeconds`; returns how many. */
  deleteExpiredPending(nowSeconds: number): Promise<number>;
}

/** Media upload shapes on the wire (spec §10.2): upload slots and what the server learned about an upload. */

/** TIM's upload `fileType`: 1 image, 2 video, 3 audio, 255 file. */
export type WireFileType = 1 | 2 | 3 | 255;

export const FILE_TYPES = { image: 1, video: 2, audio: 3, file: 255 } as const satisfies Record<string, WireFileType>;

/** A short-lived permission to upload one file. */
export interface WireUploadSlot {
  /** Unguessable ID of the stored file. */
  uuid: string;
  /** PUT the raw bytes here (or POST multipart with field `file`). Absolute URL. */
  uploadUrl: string;
  /** Where the file can be downloaded once uploaded. Absolute URL. */
  downloadUrl: string;
  /** Images: where the 198 px and 720 px derivatives will be. */
  thumbUrl?: string;
  largeUrl?: string;
  /** Videos: where the cover snapshot will be. */
  snapshotUrl?: string;
  /** When the slot expires, seconds. */
  expiredTime: number;
  requestId: string;
}

export interface WireImageVariant {
  url: string;
  width: number;
  height: number;
  /** Bytes. */
  size: number;
}

/** What the server knows about an uploaded file. */
export interface WireFileInfo {
  uuid: string;
  fileType: WireFileType;
  fileName: string;
  /** Bytes. */
  size: number;
  contentType: string;
  url: string;
  image?: {
    width: number;
    height: number;
    /** TIM imageFormat: JPG 1, GIF 2, PNG 3, BMP 4, other 255. */
    imageFormat: number;
    thumb: WireImageVariant;
    large: WireImageVariant;
  };
  video?: {
    /** Seconds (0 when unknown). */
    duration: number;
    /** e.g. "mp4". */
    format: string;
    snapshot: WireImageVariant | null;
  };
  audio?: {
    /** Seconds (0 when unknown). */
    duration: number;
  };
}

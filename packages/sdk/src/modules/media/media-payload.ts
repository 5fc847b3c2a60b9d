/**
 * Media payloads exactly as spec §8.3: the placeholder a creator returns
 * (before the upload) and the final one built from what the server learned
 * about the upload (`WireFileInfo`).
 */
import type { WireFileInfo, WireImageVariant } from '@parley/protocol';
import { extensionOf, imageFormatOf, type MediaKind } from './media-kinds.js';
import type { LocalMedia } from './media-source.js';

/** ImageInfo `type` (index in imageInfoArray) → server `sizeType`: original 1, thumbnail (198) 3, large (720) 2. */
const SIZE_TYPE_BY_INDEX = [1, 3, 2] as const;
/** TIM's video cover size until the upload tells otherwise. */
const DEFAULT_THUMB_SIDE = 200;

export interface ImageInfo {
  type: 0 | 1 | 2;
  sizeType: 1 | 2 | 3;
  size: number;
  width: number;
  height: number;
  url: string;
  imageUrl: string;
  instanceID: number;
}

function instanceID(): number {
  return Math.floor(Math.random() * 100_000_000);
}

/** The payload of a message not uploaded yet; `url` fields hold the local preview URL ("" in Node). */
export function placeholderPayload(kind: MediaKind, media: LocalMedia | null, previewUrl: string): Record<string, unknown> {
  const name = media?.name ?? '';
  const size = media && media.size > 0 ? media.size : 0;
  switch (kind) {
    case 'image':
      return {
        uuid: '',
        imageFormat: imageFormatOf(extensionOf(name)),
        imageInfoArray: [0, 1, 2].map(
          (type): ImageInfo => ({
            type: type as ImageInfo['type'],
            sizeType: SIZE_TYPE_BY_INDEX[type] ?? 1,
            size: type === 0 ? size : 0,
            width: 0,
            height: 0,
            url: previewUrl,
            imageUrl: '',
            instanceID: instanceID(),
          }),
        ),
      };
    case 'audio':
      return { uuid: '', url: previewUrl, remoteAudioUrl: '', size, second: Math.floor((media?.durationMs ?? 0) / 1000), downloadFlag: 2 };
    case 'video':
      return {
        videoUUID: '',
        videoFormat: extensionOf(name),
        videoSecond: 0,
        videoSize: size,
        videoUrl: previewUrl,
        remoteVideoUrl: '',
        videoDownloadFlag: 2,
        ...thumbFields('', '', DEFAULT_THUMB_SIDE, DEFAULT_THUMB_SIDE, 0, ''),
      };
    case 'file':
      return { uuid: '', fileName: name, fileSize: size, fileUrl: previewUrl, downloadFlag: 2 };
  }
}

/** The payload the message is sent with, from the server's facts about the upload. */
export function finalPayload(kind: MediaKind, file: WireFileInfo, media: LocalMedia): Record<string, unknown> {
  switch (kind) {
    case 'image': {
      const img = file.image;
      const original: WireImageVariant = { url: file.url, width: img?.width ?? 0, height: img?.height ?? 0, size: file.size };
      // Order and types are fixed: [original, 198 thumbnail, 720 large]; derived sizes report size 0 (spec §8.3).
      const variants = [original, img?.thumb ?? original, img?.large ?? original];
      return {
        uuid: file.uuid,
        imageFormat: img?.imageFormat ?? imageFormatOf(extensionOf(file.fileName)),
        imageInfoArray: variants.map(
          (v, type): ImageInfo => ({
            type: type as ImageInfo['type'],
            sizeType: SIZE_TYPE_BY_INDEX[type] ?? 1,
            size: type === 0 ? file.size : 0,
            width: v.width,
            height: v.height,
            url: v.url,
            imageUrl: v.url,
            instanceID: instanceID(),
          }),
        ),
      };
    }
    case 'audio': {
      const second = media.durationMs > 0 ? Math.floor(media.durationMs / 1000) : (file.audio?.duration ?? 0);
      return { uuid: file.uuid, url: file.url, remoteAudioUrl: file.url, size: file.size, second, downloadFlag: 2 };
    }
    case 'video': {
      const video = file.video;
      const snapshot = video?.snapshot ?? null;
      return {
        videoUUID: file.uuid,
        videoFormat: video?.format || extensionOf(file.fileName),
        videoSecond: video?.duration ?? 0,
        videoSize: file.size,
        videoUrl: file.url,
        remoteVideoUrl: file.url,
        videoDownloadFlag: 2,
        ...(snapshot
          ? thumbFields(`${file.uuid}-snapshot`, 'jpg', snapshot.width, snapshot.height, snapshot.size, snapshot.url)
          : thumbFields('', '', DEFAULT_THUMB_SIDE, DEFAULT_THUMB_SIDE, 0, '')),
      };
    }
    case 'file':
      return { uuid: file.uuid, fileName: file.fileName, fileSize: file.size, fileUrl: file.url, downloadFlag: 2 };
  }
}

/** The cover fields, with the `snapshot*` duplicates TIM also carries. */
function thumbFields(uuid: string, format: string, width: number, height: number, size: number, url: string): Record<string, unknown> {
  return {
    thumbUUID: uuid,
    thumbFormat: format,
    thumbWidth: width,
    thumbHeight: height,
    thumbSize: size,
    thumbUrl: url,
    thumbDownloadFlag: 2,
    snapshotUrl: url,
    snapshotWidth: width,
    snapshotHeight: height,
    snapshotSize: size,
  };
}

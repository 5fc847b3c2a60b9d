/**
 * The media creators' parameter validation (spec §4.2): `createImageMessage`,
 * `createAudioMessage`, `createVideoMessage`, `createFileMessage`. Like
 * TIM, creation only checks the shapes (a synchronous "Params validate
 * failed." for a non-function `onProgress`); the file itself is checked when
 * the message is sent, with TIM's codes (modules/media/media-uploader.ts).
 *
 * `payload.file`: an `<input type="file">` element, a File or a Blob (audio:
 * also a recorder result `{tempFilePath?, duration, size}`). A Blob has no
 * name: Parley takes `payload.fileName` (or `options.fileName`), else "file"
 * plus the extension of the Blob's type.
 */
import type { MediaKind } from '../modules/media/media-kinds.js';
import { createMediaElement } from '../modules/media/media-uploader.js';
import type { Validator } from './validate.js';

type MediaElementBuilder = (
  v: Validator,
  payload: Record<string, unknown>,
  options: Record<string, unknown>,
) => { type: string; payload: Record<string, unknown> };

function mediaBuilder(kind: MediaKind): MediaElementBuilder {
  return (v, payload, options) => {
    const onProgress = options['onProgress'];
    if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') v.fail('onProgress must be a function');
    const nameHint = v.optionalString(payload['fileName'], 'payload.fileName') ?? v.optionalString(options['fileName'], 'fileName');
    return createMediaElement(kind, payload['file'], nameHint || undefined, typeof onProgress === 'function' ? (onProgress as (percent: number) => void) : undefined);
  };
}

export const MEDIA_ELEMENT_BUILDERS = {
  createImageMessage: mediaBuilder('image'),
  createAudioMessage: mediaBuilder('audio'),
  createVideoMessage: mediaBuilder('video'),
  createFileMessage: mediaBuilder('file'),
} satisfies Record<string, MediaElementBuilder>;

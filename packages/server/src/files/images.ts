/**
 * Image facts and derivatives (spec §8.3): the 198 px thumbnail and the 720 px
 * "large" image have their SHORTER side resized to 198/720, never upscaled —
 * when the original's shorter side is already at most that, the derivative has
 * the original's dimensions and is the original's bytes.
 *
 * Formats: JPEG, PNG and WebP derivatives keep their format. GIF derivatives
 * are GIFs that keep every frame (animated stays animated), or only the first
 * frame when the whole animation is too large to decode at once. BMP (which sharp
 * cannot read) is decoded by bmp.ts and its derivatives are PNG; a BMP variant
 * bmp.ts does not handle serves the original as its derivatives.
 */
import { readFile } from 'node:fs/promises';
import type SharpModule from 'sharp';
import { decodeBmp, readBmpHeader } from './bmp.js';
import { IMAGE_CONTENT_TYPES, IMAGE_FORMAT_NAMES, timImageFormat, type ImageKind } from './sniff.js';

/** sharp (native libvips) is loaded at the first image, not at server start. */
let sharpModule: Promise<typeof SharpModule> | null = null;
export function loadSharp(): Promise<typeof SharpModule> {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
}

export const THUMB_SHORT_SIDE = 198;
export const LARGE_SHORT_SIDE = 720;

/** libvips refuses bigger inputs (decompression bombs). */
const MAX_INPUT_PIXELS = 268_402_689;

export class InvalidImageError extends Error {
  override readonly name = 'InvalidImageError';
}

export interface Dimensions {
  width: number;
  height: number;
}

/** Shorter side to `target`, aspect kept, never upscaled. */
export function fitShorterSide(width: number, height: number, target: number): Dimensions {
  const shorter = Math.min(width, height);
  if (shorter <= target) return { width, height };
  const scale = target / shorter;
  return width <= height
    ? { width: target, height: Math.max(1, Math.round(height * scale)) }
    : { width: Math.max(1, Math.round(width * scale)), height: target };
}

export interface DerivativeResult extends Dimensions {
  /** A new file at this path, or null when the original serves as this derivative. */
  path: string | null;
  contentType: string;
}

export interface ImageResult extends Dimensions {
  imageFormat: number;
  format: string;
  contentType: string;
  thumb: DerivativeResult;
  large: DerivativeResult;
}

/**
 * Reads the image at `path` (already sniffed as `kind`) and writes the
 * derivatives that differ from the original to paths from `tempPath`.
 * Throws InvalidImageError when the bytes do not decode.
 */
export async function processImage(path: string, kind: ImageKind, tempPath: () => string): Promise<ImageResult> {
  const sharp = await loadSharp();
  const base = { imageFormat: timImageFormat(kind), format: IMAGE_FORMAT_NAMES[kind], contentType: IMAGE_CONTENT_TYPES[kind] };
  const original = (dims: Dimensions): DerivativeResult => ({ ...dims, path: null, contentType: base.contentType });

  if (kind === 'bmp') {
    const bytes = await readFile(path);
    const header = readBmpHeader(bytes);
    if (!header) throw new InvalidImageError('not a readable BMP');
    const dims = { width: header.width, height: header.height };
    const decoded = decodeBmp(bytes);
    const derive = async (target: number): Promise<DerivativeResult> => {
      const fit = fitShorterSide(dims.width, dims.height, target);
      if (!decoded || (fit.width === dims.width && fit.height === dims.height)) return original(dims);
      const out = tempPath();
      await sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 4 } })
        .resize(fit.width, fit.height, { fit: 'fill' })
        .png()
        .toFile(out);
      return { ...fit, path: out, contentType: 'image/png' };
    };
    return { ...base, ...dims, thumb: await derive(THUMB_SHORT_SIDE), large: await derive(LARGE_SHORT_SIDE) };
  }

  let dims: Dimensions;
  let pages = 1;
  try {
    // Without `animated`, width/height are those of the first frame.
    const meta = await sharp(path, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    if (!meta.width || !meta.height) throw new InvalidImageError('image has no dimensions');
    const rotated = (meta.orientation ?? 1) >= 5;
    dims = rotated ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
    pages = meta.pages ?? 1;
    // Decode fully once: a truncated or corrupt body fails here, not in a browser later.
    await sharp(path, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).stats();
  } catch (err) {
    if (err instanceof InvalidImageError) throw err;
    throw new InvalidImageError(`image does not decode: ${(err as Error).message}`);
  }

  const render = async (fit: Dimensions, out: string, animated: boolean): Promise<void> => {
    let pipeline = sharp(path, { limitInputPixels: MAX_INPUT_PIXELS, animated });
    // Apply EXIF orientation so the derivative's pixels match the reported dimensions (GIFs have none).
    if (kind !== 'gif') pipeline = pipeline.rotate();
    pipeline = pipeline.resize(fit.width, fit.height, { fit: 'fill' });
    if (kind === 'jpeg') pipeline = pipeline.jpeg({ quality: 85, mozjpeg: true });
    else if (kind === 'png') pipeline = pipeline.png();
    else if (kind === 'webp') pipeline = pipeline.webp({ quality: 85 });
    else pipeline = pipeline.gif();
    await pipeline.toFile(out);
  };
  const derive = async (target: number): Promise<DerivativeResult> => {
    const fit = fitShorterSide(dims.width, dims.height, target);
    if (fit.width === dims.width && fit.height === dims.height) return original(dims);
    const out = tempPath();
    try {
      if (kind === 'gif' && pages > 1) {
        // All frames at once can exceed the pixel limit for long animations: then the first frame only.
        await render(fit, out, true).catch(() => render(fit, out, false));
      } else {
        await render(fit, out, false);
      }
    } catch (err) {
      throw new InvalidImageError(`image does not resize: ${(err as Error).message}`);
    }
    return { ...fit, path: out, contentType: base.contentType };
  };
  return { ...base, ...dims, thumb: await derive(THUMB_SHORT_SIDE), large: await derive(LARGE_SHORT_SIDE) };
}

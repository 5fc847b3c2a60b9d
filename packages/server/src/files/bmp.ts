/**
 * Minimal BMP reader: sharp (libvips) has no BMP loader, so dimensions come
 * from the header and uncompressed bitmaps (1/4/8-bit palette, 16/24/32-bit,
 * BI_RGB or BI_BITFIELDS) are decoded to RGBA for the derivatives. RLE and
 * embedded JPEG/PNG bitmaps are not decoded: the caller then serves the
 * original as its own thumbnail.
 */

export interface BmpHeader {
  width: number;
  /** Always positive. */
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  pixelOffset: number;
  dibSize: number;
  colorsUsed: number;
}

const MAX_SIDE = 65_535;

/** Parses the header; null when it is not a sane BMP. */
export function readBmpHeader(buf: Buffer): BmpHeader | null {
  if (buf.length < 26 || buf.toString('latin1', 0, 2) !== 'BM') return null;
  const pixelOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = 0;
  let colorsUsed = 0;
  if (dibSize === 12) {
    width = buf.readUInt16LE(18);
    rawHeight = buf.readInt16LE(20);
    bitsPerPixel = buf.readUInt16LE(24);
  } else if (dibSize >= 40 && buf.length >= 54) {
    width = buf.readInt32LE(18);
    rawHeight = buf.readInt32LE(22);
    bitsPerPixel = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    colorsUsed = buf.readUInt32LE(46);
  } else {
    return null;
  }
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) return null;
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) return null;
  return { width, height, topDown: rawHeight < 0, bitsPerPixel, compression, pixelOffset, dibSize, colorsUsed };
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes to RGBA (4 channels, top row first); null for variants this reader does not handle. */
export function decodeBmp(buf: Buffer): { width: number; height: number; data: Buffer } | null {
  const h = readBmpHeader(buf);
  if (!h) return null;
  const { width, height, bitsPerPixel: bpp } = h;
  if (h.compression !== BI_RGB && !(h.compression === BI_BITFIELDS && (bpp === 16 || bpp === 32)) && h.compression !== BI_ALPHABITFIELDS) return null;
  const rowSize = Math.floor((bpp * width + 31) / 32) * 4;
  if (h.pixelOffset + rowSize * height > buf.length) return null;

  let palette: Buffer | null = null;
  const paletteEntrySize = h.dibSize === 12 ? 3 : 4;
  if (bpp <= 8) {
    const count = h.colorsUsed || 1 << bpp;
    const start = 14 + h.dibSize;
    if (start + count * paletteEntrySize > buf.length) return null;
    palette = buf.subarray(start, start + count * paletteEntrySize);
  }

  let masks = { r: 0, g: 0, b: 0, a: 0 };
  if (h.compression === BI_BITFIELDS || h.compression === BI_ALPHABITFIELDS) {
    const at = h.dibSize >= 52 ? 54 : 14 + h.dibSize;
    if (at + 12 > buf.length) return null;
    masks = { r: buf.readUInt32LE(at), g: buf.readUInt32LE(at + 4), b: buf.readUInt32LE(at + 8), a: 0 };
    if ((h.dibSize >= 56 || h.compression === BI_ALPHABITFIELDS) && at + 16 <= buf.length) masks.a = buf.readUInt32LE(at + 12);
  } else if (bpp === 16) {
    masks = { r: 0x7c00, g: 0x03e0, b: 0x001f, a: 0 };
  } else if (bpp === 32) {
    masks = { r: 0x00ff0000, g: 0x0000ff00, b: 0x000000ff, a: 0 };
  }
  const fields = { r: maskShift(masks.r), g: maskShift(masks.g), b: maskShift(masks.b), a: maskShift(masks.a) };
  const scale = (value: number, f: { shift: number; max: number }): number => (f.max === 0 ? 0 : Math.round((((value >>> f.shift) & f.max) * 255) / f.max));

  const out = Buffer.alloc(width * height * 4);
  let anyAlpha = false;
  for (let y = 0; y < height; y++) {
    const srcRow = h.pixelOffset + rowSize * (h.topDown ? y : height - 1 - y);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      let r: number;
      let g: number;
      let b: number;
      let a = 255;
      if (bpp === 24) {
        const p = srcRow + x * 3;
        b = buf[p] ?? 0;
        g = buf[p + 1] ?? 0;
        r = buf[p + 2] ?? 0;
      } else if (bpp === 32 || bpp === 16) {
        const v = bpp === 32 ? buf.readUInt32LE(srcRow + x * 4) : buf.readUInt16LE(srcRow + x * 2);
        r = scale(v, fields.r);
        g = scale(v, fields.g);
        b = scale(v, fields.b);
        if (masks.a !== 0) {
          a = scale(v, fields.a);
          if (a !== 0) anyAlpha = true;
        }
      } else {
        const bitPos = x * bpp;
        const byte = buf[srcRow + (bitPos >> 3)] ?? 0;
        const index = (byte >> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1);
        const p = index * paletteEntrySize;
        b = palette?.[p] ?? 0;
        g = palette?.[p + 1] ?? 0;
        r = palette?.[p + 2] ?? 0;
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = a;
    }
  }
  // An alpha mask that is zero everywhere means "no alpha" in practice.
  if (masks.a !== 0 && !anyAlpha) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { width, height, data: out };
}

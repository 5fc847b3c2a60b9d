/** HTTP Range (RFC 9110 §14) for downloads: one byte range; anything else is served whole. */
import type { ByteRange } from './blob-store.js';

export type RangeDecision =
  /** No usable Range header: send the whole body (200). */
  | { kind: 'full' }
  /** 206 with this range. */
  | { kind: 'partial'; range: ByteRange }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

/**
 * Interprets a Range header against a body of `size` bytes. Syntax the server
 * does not support (other units, several ranges, garbage) is ignored, as the
 * RFC allows; a well-formed range outside the body is unsatisfiable.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'partial', range: { start, end } };
}

/**
 * Latency statistics for the load generators.
 *
 * - `percentile()` computes an exact nearest-rank percentile over a sample array.
 * - `LatencyHistogram` is an HDR-like log-linear histogram over microseconds:
 *   values below 256 µs are counted exactly, larger ones in buckets at most
 *   1/128 (< 0.8 %) of their value wide. Histograms from several worker
 *   processes merge exactly (counts add), which is why the workers ship
 *   histograms rather than raw sample arrays over IPC.
 * - `Bitset` records which message numbers of one sender were acked or received,
 *   so losses and duplicates are counted per message, not per total.
 */

/** Nearest-rank percentile (p in [0, 100]) of an ascending-sorted array; `null` when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within [0, 100] (got ${p})`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Sorts a copy ascending and returns the usual summary; `null` fields when empty. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0] ?? null,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? null,
    mean: sorted.length > 0 ? sum / sorted.length : null,
  };
}

export interface LatencySummary {
  count: number;
  min: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Values below 2^SUB_BITS µs get one bucket each; each further power of two gets 2^(SUB_BITS-1) buckets. */
const SUB_BITS = 8;
const SUB = 1 << SUB_BITS;
const HALF = SUB >> 1;
/** Largest recordable value, µs (~35.8 minutes); larger values are clamped (and still counted in `max`). */
const MAX_MICROS = 2 ** 31 - 1;

function bucketIndex(micros: number): number {
  if (micros < SUB) return micros;
  const msb = 31 - Math.clz32(micros);
  const shift = msb - SUB_BITS + 1;
  const sub = micros >>> shift; // in [HALF, SUB)
  return SUB + (shift - 1) * HALF + (sub - HALF);
}

/** Inclusive µs range [low, high] covered by bucket `index`. */
function bucketRange(index: number): [number, number] {
  if (index < SUB) return [index, index];
  const shift = Math.floor((index - SUB) / HALF) + 1;
  const sub = ((index - SUB) % HALF) + HALF;
  return [sub * 2 ** shift, (sub + 1) * 2 ** shift - 1];
}

const BUCKETS = bucketIndex(MAX_MICROS) + 1;

/** Serialised form: sparse `[bucketIndex, count]` pairs plus the exact extremes and sum (ms). */
export interface HistogramJSON {
  buckets: Array<[number, number]>;
  count: number;
  sumMs: number;
  minMs: number | null;
  maxMs: number | null;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  /** Records one latency in milliseconds (fractions allowed; negatives count as 0). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const v = ms < 0 ? 0 : ms;
    const micros = Math.min(MAX_MICROS, Math.round(v * 1000));
    this.counts[bucketIndex(micros)]! += 1;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /**
   * Nearest-rank percentile in ms, `null` when empty. Returns the midpoint of
   * the bucket holding that rank, clamped to the exact min/max, so the error is
   * under 0.4 % of the value (0.5 µs below 256 µs).
   */
  percentile(p: number): number | null {
    if (this.total === 0) return null;
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within [0, 100] (got ${p})`);
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [low, high] = bucketRange(i);
        const mid = (low + high) / 2 / 1000;
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      min: this.total > 0 ? this.min : null,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.total > 0 ? this.max : null,
      mean: this.total > 0 ? this.sum / this.total : null,
    };
  }

  /** Adds another histogram's counts into this one. */
  merge(other: LatencyHistogram | HistogramJSON): this {
    const json = other instanceof LatencyHistogram ? other.toJSON() : other;
    for (const [index, count] of json.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKETS) throw new RangeError(`histogram: bad bucket index ${index}`);
      this.counts[index]! += count;
    }
    this.total += json.count;
    this.sum += json.sumMs;
    if (json.minMs !== null && json.minMs < this.min) this.min = json.minMs;
    if (json.maxMs !== null && json.maxMs > this.max) this.max = json.maxMs;
    return this;
  }

  toJSON(): HistogramJSON {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c > 0) buckets.push([i, c]);
    }
    return {
      buckets,
      count: this.total,
      sumMs: this.sum,
      minMs: this.total > 0 ? this.min : null,
      maxMs: this.total > 0 ? this.max : null,
    };
  }

  static fromJSON(json: HistogramJSON): LatencyHistogram {
    return new LatencyHistogram().merge(json);
  }
}

/** A growable set of small non-negative integers (message numbers of one sender). */
export class Bitset {
  private bytes: Uint8Array;
  private size = 0;

  constructor(initialBits = 64) {
    this.bytes = new Uint8Array(Math.max(1, Math.ceil(initialBits / 8)));
  }

  /** Adds `n`; returns false when it was already present. */
  add(n: number): boolean {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Bitset: ${n} is not a non-negative integer`);
    const byte = n >>> 3;
    if (byte >= this.bytes.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const mask = 1 << (n & 7);
    if ((this.bytes[byte]! & mask) !== 0) return false;
    this.bytes[byte]! |= mask;
    this.size++;
    return true;
  }

  has(n: number): boolean {
    if (!Number.isSafeInteger(n) || n < 0) return false;
    const byte = n >>> 3;
    return byte < this.bytes.length && (this.bytes[byte]! & (1 << (n & 7))) !== 0;
  }

  get count(): number {
    return this.size;
  }

  /** Number of members of this set that are missing from `other`. */
  countMissingFrom(other: Bitset): number {
    let missing = 0;
    for (let i = 0; i < this.bytes.length; i++) {
      const mine = this.bytes[i]!;
      if (mine === 0) continue;
      const theirs = i < other.bytes.length ? other.bytes[i]! : 0;
      missing += popcount8(mine & ~theirs);
    }
    return missing;
  }

  /** Members in ascending order (tests, diagnostics). */
  *values(): Iterable<number> {
    for (let i = 0; i < this.bytes.length; i++) {
      const b = this.bytes[i]!;
      if (b === 0) continue;
      for (let bit = 0; bit < 8; bit++) if ((b & (1 << bit)) !== 0) yield i * 8 + bit;
    }
  }

  /** Compact text form for IPC. */
  toBase64(): string {
    let end = this.bytes.length;
    while (end > 0 && this.bytes[end - 1] === 0) end--;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, end).toString('base64');
  }

  static fromBase64(text: string): Bitset {
    const raw = Buffer.from(text, 'base64');
    const set = new Bitset(raw.length * 8);
    set.bytes.set(raw);
    for (const b of raw) set.size += popcount8(b);
    return set;
  }
}

function popcount8(b: number): number {
  let v = b & 0xff;
  let c = 0;
  while (v !== 0) {
    v &= v - 1;
    c++;
  }
  return c;
}

/** Rounds to `digits` decimals, keeping `null`. */
export function round(value: number | null, digits = 2): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A summary rounded for a result line: p50, p95, p99, max, mean in ms (2 decimals). */
export function latencyFields(s: LatencySummary): { p50: number | null; p95: number | null; p99: number | null; max: number | null; mean: number | null } {
  return { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max), mean: round(s.mean) };
}

/** Merges histograms (e.g. one per worker) into one. */
export function mergeHistograms(parts: Iterable<HistogramJSON>): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const p of parts) h.merge(p);
  return h;
}

/** Adds up counters by key (error codes per worker, …). */
export function sumCounters(parts: Iterable<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p)) out[k] = (out[k] ?? 0) + n;
  return out;
}

import { describe, expect, it } from 'vitest';
import { Bitset, LatencyHistogram, latencyFields, mergeHistograms, percentile, round, sumCounters, summarize } from '../src/stats.js';

describe('percentile (nearest rank)', () => {
  it('returns null for an empty sample', () => {
    expect(percentile([], 50)).toBeNull();
  });

  it('picks the nearest-rank element', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 10)).toBe(1);
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 51)).toBe(6);
    expect(percentile(sorted, 95)).toBe(10);
    expect(percentile(sorted, 100)).toBe(10);
    expect(percentile([42], 99)).toBe(42);
  });

  it('rejects p outside [0, 100]', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('summarize sorts a copy and reports the extremes and mean', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarize(samples)).toEqual({ count: 5, min: 1, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
    expect(summarize([]).p50).toBeNull();
  });
});

describe('LatencyHistogram', () => {
  it('is empty at first', () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBeNull();
    expect(h.summary().max).toBeNull();
  });

  it('is exact below 256 µs', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.001, 0.05, 0.1, 0.2, 0.255]) h.record(ms);
    expect(h.percentile(0)).toBeCloseTo(0.001, 6);
    expect(h.percentile(60)).toBeCloseTo(0.1, 6);
    expect(h.percentile(100)).toBeCloseTo(0.255, 6);
  });

  it('agrees with exact percentiles within 0.4 % (or 0.5 µs) over a wide range', () => {
    // Deterministic pseudo-random latencies spanning 0.05 ms … ~2 s (log-uniform).
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const samples: number[] = [];
    const h = new LatencyHistogram();
    for (let i = 0; i < 20_000; i++) {
      const ms = 0.05 * Math.exp(next() * Math.log(40_000));
      samples.push(ms);
      h.record(ms);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    for (const p of [1, 25, 50, 90, 95, 99, 99.9]) {
      const exact = percentile(sorted, p)!;
      const approx = h.percentile(p)!;
      // Within 0.4 % of the value, or the 1 µs recording resolution for the smallest values.
      expect(Math.abs(approx - exact)).toBeLessThanOrEqual(Math.max(0.004 * exact, 0.0005 + 1e-9));
    }
    expect(h.summary().max).toBe(sorted.at(-1));
    expect(h.summary().min).toBe(sorted[0]);
    expect(h.count).toBe(20_000);
  });

  it('never reports a value outside the recorded min and max', () => {
    const h = new LatencyHistogram();
    h.record(1000.3);
    expect(h.percentile(50)).toBe(1000.3);
    expect(h.percentile(99)).toBe(1000.3);
  });

  it('merges exactly, also through its JSON form (the IPC path)', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) {
      const ms = i / 10;
      (i % 3 === 0 ? a : b).record(ms);
      all.record(ms);
    }
    const merged = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    merged.merge(JSON.parse(JSON.stringify(b.toJSON())));
    expect(merged.count).toBe(1000);
    expect(merged.summary()).toEqual(all.summary());
    expect(merged.summary().mean).toBeCloseTo(50.05, 6);
  });

  it('clamps negatives to 0, ignores non-finite values, and clamps huge ones', () => {
    const h = new LatencyHistogram();
    h.record(-3);
    h.record(Number.NaN);
    h.record(Number.POSITIVE_INFINITY);
    h.record(10 * 3600 * 1000);
    expect(h.count).toBe(2);
    expect(h.percentile(0)).toBe(0);
    expect(h.summary().max).toBe(10 * 3600 * 1000);
  });
});

describe('Bitset', () => {
  it('adds, detects repeats, and grows', () => {
    const s = new Bitset(8);
    expect(s.add(3)).toBe(true);
    expect(s.add(3)).toBe(false);
    expect(s.add(100_000)).toBe(true);
    expect(s.has(3)).toBe(true);
    expect(s.has(4)).toBe(false);
    expect(s.has(100_000)).toBe(true);
    expect(s.count).toBe(2);
    expect([...s.values()]).toEqual([3, 100_000]);
  });

  it('counts members missing from another set', () => {
    const acked = new Bitset();
    const received = new Bitset();
    for (let n = 0; n < 50; n++) acked.add(n);
    for (let n = 0; n < 50; n++) if (n !== 7 && n !== 31) received.add(n);
    received.add(60); // received but never acked: not a loss
    expect(acked.countMissingFrom(received)).toBe(2);
    expect(acked.countMissingFrom(new Bitset())).toBe(50);
    expect(new Bitset().countMissingFrom(acked)).toBe(0);
  });

  it('round-trips through base64', () => {
    const s = new Bitset();
    for (const n of [0, 1, 9, 255, 256, 4097]) s.add(n);
    const copy = Bitset.fromBase64(s.toBase64());
    expect(copy.count).toBe(6);
    expect([...copy.values()]).toEqual([0, 1, 9, 255, 256, 4097]);
    expect(Bitset.fromBase64(new Bitset().toBase64()).count).toBe(0);
  });

  it('rejects negative and fractional members', () => {
    expect(() => new Bitset().add(-1)).toThrow(RangeError);
    expect(() => new Bitset().add(1.5)).toThrow(RangeError);
  });
});

describe('round', () => {
  it('rounds and keeps null', () => {
    expect(round(1.23456)).toBe(1.23);
    expect(round(1.23456, 1)).toBe(1.2);
    expect(round(null)).toBeNull();
    expect(round(Number.NaN)).toBeNull();
  });
});

describe('merging worker results', () => {
  it('merges histograms exactly: the percentiles of the parts equal those of the whole', () => {
    const whole = new LatencyHistogram();
    const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    for (let i = 0; i < 3000; i++) {
      const v = ((i * 7919) % 1000) / 10; // 0 … 99.9 ms, deterministic
      whole.record(v);
      parts[i % 3]!.record(v);
    }
    const merged = mergeHistograms(parts.map((p) => p.toJSON()));
    expect(merged.summary()).toEqual(whole.summary());
    expect(merged.count).toBe(3000);
    expect(mergeHistograms([]).summary().p50).toBeNull();
  });

  it('adds counters by key', () => {
    expect(sumCounters([{ '70001': 2, timeout: 1 }, { timeout: 3 }, {}])).toEqual({ '70001': 2, timeout: 4 });
  });

  it('rounds a summary for the result line', () => {
    expect(latencyFields({ count: 1, min: 1, p50: 1.23456, p95: 2, p99: null, max: 3.005, mean: 1.5 })).toEqual({ p50: 1.23, p95: 2, p99: null, max: 3.01, mean: 1.5 });
  });
});

/**
 * The `floor` workload (src/floor-run.ts, src/floor-server.ts): its options, the fan-out frame and
 * its stamp, and short real runs of each kind (the bare server is the built dist/floor-server.js).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFloorArgs, runFloor, type FloorOptions } from '../src/floor-run.js';
import { wsTextFrame } from '@parley/server';
import { fanoutPayload, stampOf } from '../src/floor-server.js';
import { UsageError } from '../src/proc.js';
import { readServerFrames } from '../src/raw-ws.js';

describe('floor options', () => {
  it('has defaults per kind and refuses what it cannot run', () => {
    expect(parseFloorArgs(['--kind', 'fsync'])).toMatchObject({ kind: 'fsync', durationS: 10, warmupS: 0, rate: 0, size: 4096 });
    expect(parseFloorArgs(['--kind', 'fanout'])).toMatchObject({ kind: 'fanout', warmupS: 2, rate: 10, size: 200, members: 5000 });
    expect(parseFloorArgs(['--kind', 'connect', '--window', '7'])).toMatchObject({ kind: 'connect', rate: 0, window: 7 });
    expect(parseFloorArgs(['--kind', 'fanout', '--rate', 'max'])).toMatchObject({ rate: 0 });
    expect(parseFloorArgs(['--help'])).toBe('help');
    expect(() => parseFloorArgs([])).toThrow(/--kind must be/);
    expect(() => parseFloorArgs(['--kind', 'disk'])).toThrow(UsageError);
    expect(() => parseFloorArgs(['--kind', 'connect', '--rate', '100'])).toThrow(/closed loop only/);
    expect(() => parseFloorArgs(['--kind', 'fsync', '--size', '1'])).toThrow(UsageError);
    expect(() => parseFloorArgs(['--kind', 'fanout', '--members', '1000000'])).toThrow(UsageError);
  });
});

describe('fan-out frames', () => {
  it('carry their send time, padded to the asked size, in one unmasked text frame', () => {
    const least = fanoutPayload(1_765_000_000_123.456, 0).length;
    for (const bytes of [16, 200, 125, 126, 70_000]) {
      const payload = fanoutPayload(1_765_000_000_123.456, bytes);
      expect(payload.length).toBe(Math.max(bytes, least));
      expect(() => JSON.parse(payload.toString())).not.toThrow();
      const frame = wsTextFrame(payload);
      const seen: number[] = [];
      const used = readServerFrames(frame, 0, (f) => void seen.push(f.opcode, stampOf(frame, f.start, f.end), f.end - f.start));
      expect(used).toBe(frame.length);
      expect(seen).toEqual([1, 1_765_000_000_123.456, payload.length]);
    }
    expect(stampOf(Buffer.from('{"x":1,"p":""}'), 0, 14)).toBeNaN();
  });
});

describe('floor runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-floor-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base: Omit<FloorOptions, 'kind'> = { durationS: 0.6, warmupS: 0.2, rate: 0, size: 4096, members: 20, window: 4, out: null };
  const run = async (opts: FloorOptions): Promise<Record<string, unknown>> => {
    const out = join(dir, `${opts.kind}-${Math.random()}.jsonl`);
    expect(await runFloor({ ...opts, out })).toBe(0);
    return JSON.parse(readFileSync(out, 'utf8').trim()) as Record<string, unknown>;
  };

  it('fsync: paced durable appends, latency from the intended time', async () => {
    const line = await run({ ...base, kind: 'fsync', warmupS: 0, rate: 200 });
    expect(line).toMatchObject({ workload: 'floor', kind: 'fsync', offered_per_s: 200, size: 4096, lost: 0 });
    expect(line['achieved_per_s']).toBeGreaterThan(100);
    expect(line['achieved_per_s']).toBeLessThanOrEqual(201);
    expect(line['p99_ms']).toBeGreaterThan(0);
  });

  it('fanout: every member receives every message the bare server wrote', async () => {
    const line = await run({ ...base, kind: 'fanout', rate: 50, size: 200 });
    expect(line).toMatchObject({ workload: 'floor', kind: 'fanout', members: 20, lost: 0, duplicated: 0, skipped: 0, errors: 0 });
    // 20 members × 50 messages a second, give or take the timers' slack.
    expect(line['achieved_per_s']).toBeGreaterThan(500);
    expect(line['achieved_per_s']).toBeLessThan(1500);
    expect(line['messages_sent']).toBeGreaterThan(20);
    expect(line['cpu_us_per_op']).toBeGreaterThan(0);
    expect(line['ceiling_per_s']).toBeGreaterThan(0);
  });

  it('connect: bare connect, echo and close cycles, none failing', async () => {
    const line = await run({ ...base, kind: 'connect' });
    expect(line).toMatchObject({ workload: 'floor', kind: 'connect', window: 4, errors: 0, lost: 0 });
    expect(line['achieved_per_s']).toBeGreaterThan(10);
    expect(line['server_cpu_us_per_op']).toBeGreaterThan(0);
    expect(line['p50_ms']).toBeGreaterThan(0);
  });
});

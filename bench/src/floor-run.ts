/**
 * The `floor` workload: what this machine gives before any Parley code runs, for the targets
 * that the server misses (docs/performance.md, "What bounds the targets not met").
 *
 * - `--kind fsync`: append `--size` bytes to a file in the bench's temporary directory and
 *   `fdatasync` it, back to back or at `--rate`: the least a commit that is durable before its
 *   ack waits, on the disk the server's SQLite file lives on.
 * - `--kind fanout`: a bare `ws` server (floor-server.ts, its own process) writes one prebuilt
 *   frame per message to each of `--members` sockets, at `--rate` messages a second; this process
 *   receives them with the load generator's lean client. Deliveries a second and the CPU of both
 *   sides per delivery: the loopback TCP and WebSocket cost of a group or AVChatRoom delivery.
 * - `--kind connect`: the lean client opens a WebSocket to the bare server, sends one message,
 *   waits for its echo and closes, `--window` at a time: a login without the login.
 *
 * One JSON line: the suite's fields, and `cpu_us_per_op` (server and load generator together),
 * `ceiling_per_s` (what the machine's cores would give at that cost if nothing else ran).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasyncSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromFloorServer, ToFloorServer } from './floor-server.js';
import { stampOf } from './floor-server.js';
import { emitResult, environmentFields, log, numOption, parseFlags, rateOption, readFdLimit, UsageError } from './proc.js';
import { RawWebSocket } from './raw-ws.js';
import { LatencyHistogram, latencyFields, round } from './stats.js';

export const FLOOR_USAGE = `Usage: node bench/dist/cli.js floor --kind fsync|fanout|connect [options]     (npm run bench -- floor …)

The machine's floor, with no Parley code: a durable append (fsync), a bare WebSocket server's
fan-out (fanout), a bare WebSocket connect + echo + close (connect). One JSON line on stdout.

Options:
  --kind K         fsync, fanout or connect (required)
  --duration S     measured seconds, default 10
  --warmup S       unmeasured seconds first, default 2 (fsync: 0)
  --rate R|max     fsync: appends a second, default max; fanout: messages a second to every
                   member, default 10 (max: the next once the last is written); connect: max only
  --size N         fsync: bytes per append, default 4096; fanout: payload bytes, default 200
  --members N      fanout: sockets, default 5000 (each process holds one end of each)
  --window N       connect: connections in flight, default 100
  --out FILE       also append the JSON line to FILE`;

export type FloorKind = 'fsync' | 'fanout' | 'connect';

export interface FloorOptions {
  kind: FloorKind;
  durationS: number;
  warmupS: number;
  rate: number;
  size: number;
  members: number;
  window: number;
  out: string | null;
}

export function parseFloorArgs(rest: readonly string[]): FloorOptions | 'help' {
  const raw = parseFlags(rest, new Set(['--kind', '--duration', '--warmup', '--rate', '--size', '--members', '--window', '--out']));
  if (raw === 'help') return 'help';
  const kind = raw.get('--kind');
  if (kind !== 'fsync' && kind !== 'fanout' && kind !== 'connect') throw new UsageError(`--kind must be fsync, fanout or connect (got ${kind === undefined ? 'nothing' : `"${kind}"`})`);
  const rate = rateOption(raw, kind === 'fanout' ? 10 : 0);
  if (kind === 'connect' && rate !== 0) throw new UsageError('--rate: connect runs closed loop only (max)');
  const fdLimit = readFdLimit('self') ?? 20_000;
  return {
    kind,
    durationS: numOption(raw, '--duration', 10, 0.1, 3600, false),
    warmupS: numOption(raw, '--warmup', kind === 'fsync' ? 0 : 2, 0, 600, false),
    rate,
    size: numOption(raw, '--size', kind === 'fsync' ? 4096 : 200, 16, 64 * 1024 * 1024, true),
    members: numOption(raw, '--members', 5000, 1, Math.max(1, fdLimit - 200), true),
    window: numOption(raw, '--window', 100, 1, 10_000, true),
    out: raw.get('--out') ?? null,
  };
}

export async function runFloor(opts: FloorOptions): Promise<number> {
  const loadavgAtStart = loadavg()[0] ?? 0;
  const measured = opts.kind === 'fsync' ? fsyncFloor(opts) : await socketFloor(opts);
  await emitResult({ workload: 'floor', kind: opts.kind, ...measured, ...environmentFields(loadavgAtStart) }, opts.out);
  return 0;
}

/** Sleeps the thread until `performance.now()` reaches `t` (fsync pacing: the loop is synchronous on purpose). */
function sleepUntil(t: number, cell: Int32Array): void {
  const ms = t - performance.now();
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

function fsyncFloor(opts: FloorOptions): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-floor-'));
  const fd = openSync(join(dir, 'append.bin'), 'w');
  const buf = Buffer.alloc(opts.size, 0x5a);
  const hist = new LatencyHistogram();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  // A WAL of at most 128 MiB, as the server's checkpoint keeps it: overwrite from the start past that.
  const wrap = Math.max(opts.size, 128 * 1024 * 1024);
  let offset = 0;
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + opts.durationS * 1000;
  try {
    for (let now = start; now < end; now = performance.now()) {
      // Open loop at --rate: latency counts from the intended time (no coordinated omission).
      const intended = opts.rate > 0 ? start + (ops * 1000) / opts.rate : now;
      if (opts.rate > 0) sleepUntil(intended, cell);
      if (offset + opts.size > wrap) offset = 0;
      writeSync(fd, buf, 0, opts.size, offset);
      fdatasyncSync(fd);
      offset += opts.size;
      hist.record(performance.now() - intended);
      ops++;
    }
  } finally {
    ftruncateSync(fd, 0);
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const l = latencyFields(hist.summary());
  return {
    offered_per_s: opts.rate > 0 ? opts.rate : null,
    achieved_per_s: round(ops / seconds, 1),
    p50_ms: l.p50,
    p95_ms: l.p95,
    p99_ms: l.p99,
    max_ms: l.max,
    lost: 0,
    duplicated: 0,
    out_of_order: 0,
    size: opts.size,
    mb_per_s: round((ops * opts.size) / seconds / 1048576, 1),
    loadgen_cpu_s: round((cpu.user + cpu.system) / 1e6),
    duration_s: round(seconds),
  };
}

/** floor-server.js beside this module; from the sources (tests under vitest), the built one in dist/. */
function serverScript(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? join(dirname(here), '..', 'dist', 'floor-server.js') : join(dirname(here), 'floor-server.js');
}

/** The bare server, forked; resolves once it listens. */
async function startServer(mode: 'echo' | 'fanout'): Promise<{ child: ChildProcess; port: number; ask: <T extends FromFloorServer['t']>(msg: ToFloorServer, reply: T) => Promise<Extract<FromFloorServer, { t: T }>> }> {
  const child = fork(serverScript(), [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Map<string, (msg: FromFloorServer) => void>();
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`floor server exited (code ${code})`))));
  exited.catch(() => undefined);
  child.on('message', (msg: FromFloorServer) => {
    const w = waiters.get(msg.t);
    waiters.delete(msg.t);
    w?.(msg);
  });
  const wait = <T extends FromFloorServer['t']>(t: T): Promise<Extract<FromFloorServer, { t: T }>> =>
    Promise.race([new Promise<Extract<FromFloorServer, { t: T }>>((resolve) => waiters.set(t, resolve as (m: FromFloorServer) => void)), exited]);
  const { port } = await wait('listening');
  const ask = <T extends FromFloorServer['t']>(msg: ToFloorServer, reply: T): Promise<Extract<FromFloorServer, { t: T }>> => {
    const answer = wait(reply);
    child.send(msg);
    return answer;
  };
  return { child, port, ask };
}

/** Loopback source addresses in turn: one address's ephemeral ports last ≈ 28,000 connections. */
const sourceAddress = (i: number): string => `127.0.0.${1 + (i % 16)}`;

async function socketFloor(opts: FloorOptions): Promise<Record<string, unknown>> {
  const { child, port, ask } = await startServer(opts.kind === 'connect' ? 'echo' : 'fanout');
  const url = `ws://127.0.0.1:${port}/`;
  const hist = new LatencyHistogram();
  let measuring = false;
  let ops = 0;
  let errors = 0;
  /** Fan-out: every frame received, warm-up included, against what the server wrote. */
  let received = 0;
  let fanned = null as { messages: number; skipped: number } | null;
  const sockets: RawWebSocket[] = [];
  try {
    let run: { stop(): Promise<void> };
    if (opts.kind === 'fanout') {
      log(`floor fanout: connecting ${opts.members} sockets…`);
      for (let i = 0; i < opts.members; i += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, opts.members - i) }, async (_, j) => {
            const ws = new RawWebSocket({
              onText: (buf, start, end) => {
                received++;
                if (!measuring) return;
                ops++;
                hist.record(performance.timeOrigin + performance.now() - stampOf(buf, start, end));
              },
              onClose: () => undefined,
            });
            await ws.open(url, 10_000, sourceAddress(i + j));
            sockets.push(ws);
          }),
        );
      }
      const done = ask({ t: 'fanout', rate: opts.rate, durationMs: (opts.warmupS + opts.durationS) * 1000 + 500, bytes: opts.size }, 'fanout-done');
      run = {
        stop: async () => {
          fanned = await done;
          // The last frames may still be on their way: wait until nothing arrives for 300 ms.
          for (let last = -1, waited = 0; received !== last && waited < 10_000; waited += 300) {
            last = received;
            await new Promise((r) => setTimeout(r, 300));
          }
        },
      };
    } else {
      let stopping = false;
      let n = 0;
      const loop = async (): Promise<void> => {
        while (!stopping) {
          const t0 = performance.now();
          const counted = measuring;
          try {
            await new Promise<void>((resolve, reject) => {
              let echoed = false;
              const ws = new RawWebSocket({
                onText: () => {
                  echoed = true;
                  if (counted) hist.record(performance.now() - t0);
                  ws.close();
                },
                onClose: () => (echoed ? resolve() : reject(new Error('closed before the echo'))),
              });
              ws.open(url, 10_000, sourceAddress(n++)).then(() => ws.sendText('floor'), reject);
            });
            if (counted && measuring) ops++;
          } catch {
            errors++;
          }
        }
      };
      const loops = Array.from({ length: opts.window }, loop);
      run = {
        stop: async () => {
          stopping = true;
          await Promise.all(loops);
        },
      };
    }
    await new Promise((r) => setTimeout(r, opts.warmupS * 1000));
    const server0 = await ask({ t: 'cpu' }, 'cpu');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, opts.durationS * 1000));
    measuring = false;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const server1 = await ask({ t: 'cpu' }, 'cpu');
    await run.stop();
    const serverCpuS = (server1.userMs + server1.systemMs - server0.userMs - server0.systemMs) / 1000;
    const loadgenCpuS = (cpu.user + cpu.system) / 1e6;
    const perOp = ops > 0 ? ((serverCpuS + loadgenCpuS) * 1e6) / ops : null;
    const l = latencyFields(hist.summary());
    return {
      offered_per_s: opts.kind === 'fanout' && opts.rate > 0 ? opts.rate * opts.members : null,
      achieved_per_s: round(ops / seconds, 1),
      p50_ms: l.p50,
      p95_ms: l.p95,
      p99_ms: l.p99,
      max_ms: l.max,
      // Fan-out: frames written and not received (sockets over the unsent limit are skipped, not lost); connect: failed cycles.
      lost: fanned === null ? errors : Math.max(0, fanned.messages * opts.members - fanned.skipped - received),
      duplicated: fanned === null ? 0 : Math.max(0, received - (fanned.messages * opts.members - fanned.skipped)),
      out_of_order: 0,
      errors,
      ...(fanned === null ? {} : { messages_sent: fanned.messages, skipped: fanned.skipped }),
      ...(opts.kind === 'fanout' ? { members: opts.members, size: opts.size } : { window: opts.window }),
      server_cpu_s: round(serverCpuS),
      loadgen_cpu_s: round(loadgenCpuS),
      server_cpu_us_per_op: ops > 0 ? round((serverCpuS * 1e6) / ops) : null,
      cpu_us_per_op: round(perOp),
      ceiling_per_s: perOp ? Math.round((cpus().length * 1e6) / perOp) : null,
      duration_s: round(seconds),
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    child.kill();
  }
}

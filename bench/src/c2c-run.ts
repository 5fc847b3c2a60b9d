/**
 * The `c2c` workload's parent: one-to-one messaging, N users paired 0↔1, 2↔3, …
 * Starts the server (proc.ts), forks c2c-worker.js processes, drives them
 * through connect → send → drain over IPC, merges, prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Bitset, LatencyHistogram, round } from './stats.js';
import {
  peerOf,
  workerOf,
  type DrainedMsg,
  type ParentMsg,
  type ReadyMsg,
  type SentMsg,
  type WorkerMsg,
} from './c2c-ipc.js';
import type { ClientKind } from './endpoints.js';
import {
  abort,
  armHardTimeout,
  clientOption,
  connectionsPerSourceAddress,
  emitResult,
  log,
  markFinishing,
  numOption,
  parseFlags,
  rateOption,
  serverProcessesOption,
  serverProcessFields,
  serverTarget,
  serverUnderTest,
  ServerProbe,
  stopServer,
  UsageError,
  warnSocketLimits,
  withTimeout,
  WorkerProc,
} from './proc.js';

export const C2C_USAGE = `Usage: node bench/dist/cli.js c2c [options]     (npm run bench -- c2c [options])

One-to-one messaging load: N users, paired 0↔1, 2↔3, …, each sending TIMTextElem
messages to its partner. Prints one JSON line on stdout; progress on stderr.

Options:
  --users N                users (sockets), default 200
  --rate R | max           target total msgs/s (open loop); max or 0 = closed loop (as fast as acks allow), default max
  --window W               messages each sender keeps in flight (1–256), default 1
  --duration S             measured seconds, default 10
  --warmup S               unmeasured seconds before that, default 2
  --drain S                max seconds to wait for pushes after sending stops, default 3
  --workers K              load-generator processes, default 1 (use more past ~15k users)
  --server-processes N     node processes of the spawned server, default 1; N > 1 runs it in
                           cluster mode with Redis (PARLEY_BENCH_REDIS_URL, default
                           redis://127.0.0.1:6379) and a fresh --redis-prefix
  --url ws://127.0.0.1:P/ws  bench a running server (loopback only) instead of starting one
  --sdkappid N             with --url: the server's SDKAppID   [PARLEY_SDKAPPID]
  --secret-key K           with --url: the server's secret key [PARLEY_SECRET_KEY]
  --out FILE               also append the JSON line to FILE (e.g. bench/results/c2c.jsonl)
  --ack-timeout S          an unacked message counts as timed out after S seconds, default 10
  --connect-concurrency N  logins in flight per worker while connecting, default 100
  --client lean|sdk        lean raw-protocol client (default) or the real @parley/sdk, one instance per user

Exit code: 0 ok, 1 losses or duplicates, 2 the run could not complete.`;

export interface C2COptions {
  users: number;
  rate: number;
  window: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  workers: number;
  serverProcesses: number;
  url: string | null;
  sdkAppID: number | null;
  secretKey: string | null;
  out: string | null;
  ackTimeoutS: number;
  connectConcurrency: number;
  client: ClientKind;
}

export function parseC2CArgs(rest: readonly string[]): C2COptions | 'help' {
  const raw = parseFlags(
    rest,
    new Set([
      '--users',
      '--rate',
      '--window',
      '--duration',
      '--warmup',
      '--drain',
      '--workers',
      '--server-processes',
      '--url',
      '--sdkappid',
      '--secret-key',
      '--out',
      '--ack-timeout',
      '--connect-concurrency',
      '--client',
    ]),
  );
  if (raw === 'help') return 'help';
  const num = (name: string, def: number, min: number, max: number, integer: boolean) => numOption(raw, name, def, min, max, integer);
  const target = serverTarget(raw);
  const opts: C2COptions = {
    users: num('--users', 200, 2, 1_000_000, true),
    rate: rateOption(raw, 0),
    window: num('--window', 1, 1, 256, true),
    durationS: num('--duration', 10, 0.1, 86_400, false),
    warmupS: num('--warmup', 2, 0, 3600, false),
    drainS: num('--drain', 3, 0, 600, false),
    workers: num('--workers', 1, 1, 256, true),
    serverProcesses: serverProcessesOption(raw),
    url: target.url,
    sdkAppID: target.sdkAppID,
    secretKey: target.secretKey,
    out: raw.get('--out') ?? null,
    ackTimeoutS: num('--ack-timeout', 10, 0.1, 600, false),
    connectConcurrency: num('--connect-concurrency', 100, 1, 10_000, true),
    client: clientOption(raw),
  };
  if (opts.workers > opts.users) throw new UsageError(`--workers (${opts.workers}) must not exceed --users (${opts.users})`);
  return opts;
}


const STATUS_TYPES = new Set(['progress', 'connecting']);

/** A c2c-worker.js process; `progress()`/`connecting()` are its latest counters. */
class C2CWorker extends WorkerProc<ParentMsg, WorkerMsg> {
  constructor(index: number) {
    super(index, './c2c-worker.js', STATUS_TYPES);
  }

  progress(): { sent: number; acked: number; received: number; errors: number; inFlight: number } {
    const p = this.status.get('progress');
    return p?.type === 'progress' ? p : { sent: 0, acked: 0, received: 0, errors: 0, inFlight: 0 };
  }

  connecting(): { done: number; failed: number; total: number } {
    const c = this.status.get('connecting');
    return c?.type === 'connecting' ? c : { done: 0, failed: 0, total: 0 };
  }
}

// ---------------------------------------------------------------- the run

export async function runC2C(opts: C2COptions): Promise<number> {
  const connectPhaseMs = 30_000 + opts.users * 5;
  const warmupMs = opts.warmupS * 1000;
  const durationMs = opts.durationS * 1000;
  const drainMs = opts.drainS * 1000;
  const ackTimeoutMs = opts.ackTimeoutS * 1000;
  // Everything stops by itself; this is the backstop if something hangs anyway.
  const hardTimeoutMs = 20_000 + connectPhaseMs + warmupMs + durationMs + ackTimeoutMs + drainMs + 30_000;
  armHardTimeout(hardTimeoutMs);

  const loadavgAtStart = loadavg()[0] ?? 0;
  const { server, url, sdkAppID, secretKey } = await serverUnderTest(opts, { processes: opts.serverProcesses });
  warnSocketLimits(opts.users, opts.workers, server);

  // Connect.
  const prefix = `b${randomBytes(3).toString('hex')}u`;
  const workers = Array.from({ length: opts.workers }, (_, i) => new C2CWorker(i));
  for (const w of workers) {
    w.send({
      type: 'init',
      workerIndex: w.index,
      workers: opts.workers,
      users: opts.users,
      url,
      sdkAppID,
      secretKey,
      prefix,
      window: opts.window,
      connectConcurrency: opts.connectConcurrency,
      connectTimeoutMs: 15_000,
      client: opts.client,
      perSourceAddress: connectionsPerSourceAddress(),
    });
  }
  log(`connecting ${opts.users} users over ${opts.workers} worker(s)…`);
  const connectTicker = setInterval(() => {
    const done = workers.reduce((n, w) => n + w.connecting().done, 0);
    const failed = workers.reduce((n, w) => n + w.connecting().failed, 0);
    log(`connecting: ${done}/${opts.users} done, ${failed} failed`);
  }, 2000);
  let readies: ReadyMsg[];
  try {
    readies = await withTimeout(Promise.all(workers.map((w) => w.next('ready'))), connectPhaseMs, 'connecting');
  } finally {
    clearInterval(connectTicker);
  }
  const failedUsers = readies.flatMap((r) => r.failedUsers);
  const connectMs = Math.max(...readies.map((r) => r.connectMs));
  log(`connected ${opts.users - failedUsers.length}/${opts.users} users in ${(connectMs / 1000).toFixed(1)} s`);
  if (failedUsers.length > 0) {
    log(`${failedUsers.length} connection(s) failed, e.g.:`);
    for (const sample of readies.flatMap((r) => r.failureSamples).slice(0, 5)) log(`  ${sample}`);
  }
  const failedSet = new Set(failedUsers);
  const activeSenders = (w: number) => {
    let n = 0;
    for (let u = w; u < opts.users; u += opts.workers) if (!failedSet.has(u) && !failedSet.has(peerOf(u, opts.users))) n++;
    return n;
  };
  const activePerWorker = workers.map((w) => activeSenders(w.index));
  const totalActive = activePerWorker.reduce((a, b) => a + b, 0);
  if (totalActive === 0) abort('no user pair could connect; nothing to measure');

  // Send.
  const t0 = Date.now() + 250 + 2 * opts.workers;
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + durationMs;
  for (const w of workers) {
    const share = opts.rate === 0 ? 0 : (opts.rate * activePerWorker[w.index]!) / totalActive;
    w.send({ type: 'start', t0, warmupMs, durationMs, rate: share, failedUsers, ackTimeoutMs });
  }
  log(
    `running: ${opts.warmupS} s warmup + ${opts.durationS} s measured, ` +
      (opts.rate === 0 ? `closed loop, window ${opts.window}` : `target ${opts.rate} msgs/s, window ${opts.window}`),
  );
  const probe = new ServerProbe(server, windowStart, windowEnd);
  let last = { at: t0, sent: 0, acked: 0, received: 0 };
  const progressTicker = setInterval(() => {
    const now = Date.now();
    if (now < t0) return;
    const sum = { sent: 0, acked: 0, received: 0, errors: 0, inFlight: 0 };
    for (const w of workers) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += w.progress()[k];
    const dt = Math.max(0.001, (now - last.at) / 1000);
    const phase = now < windowStart ? 'warmup' : now < windowEnd ? 'measure' : 'drain';
    log(
      `${phase.padEnd(7)} t=${((now - t0) / 1000).toFixed(0).padStart(3)}s  ` +
        `sent ${Math.round((sum.sent - last.sent) / dt)}/s  acked ${Math.round((sum.acked - last.acked) / dt)}/s  ` +
        `recv ${Math.round((sum.received - last.received) / dt)}/s  in-flight ${sum.inFlight}  errors ${sum.errors}`,
    );
    last = { at: now, sent: sum.sent, acked: sum.acked, received: sum.received };
  }, 1000);

  let sents: SentMsg[];
  try {
    sents = await withTimeout(
      Promise.all(workers.map((w) => w.next('sent'))),
      t0 - Date.now() + warmupMs + durationMs + ackTimeoutMs + 15_000,
      'sending',
    );
  } finally {
    probe.end();
  }
  await probe.collect();
  const serverCpuMs = probe.cpuMs;
  const serverWriteBytes = probe.writeBytes;
  const serverRssMB = probe.rssMB;

  // Drain: each worker waits until its receivers got every acked message (or the deadline).
  const ackedBySender = new Map<number, Bitset>();
  for (const s of sents) for (const [sender, text] of s.acked) ackedBySender.set(sender, Bitset.fromBase64(text));
  const expected = workers.map(() => [] as Array<[number, number]>);
  for (const [sender, set] of ackedBySender) expected[workerOf(peerOf(sender, opts.users), opts.workers)]!.push([sender, set.count]);
  const deadline = Date.now() + drainMs;
  workers.forEach((w, i) => w.send({ type: 'drain', expected: expected[i]!, deadline }));
  let drains: DrainedMsg[];
  try {
    drains = await withTimeout(Promise.all(workers.map((w) => w.next('drained'))), drainMs + 15_000, 'draining');
  } finally {
    clearInterval(progressTicker);
  }

  // Done with the workers and the server.
  markFinishing();
  for (const w of workers) w.send({ type: 'finish' });
  await Promise.all(workers.map((w) => w.waitGone()));
  await stopServer(server);

  // Merge.
  const receivedBySender = new Map<number, Bitset>();
  for (const d of drains) for (const [sender, text] of d.received) receivedBySender.set(sender, Bitset.fromBase64(text));
  const empty = new Bitset();
  let losses = 0;
  for (const [sender, acked] of ackedBySender) losses += acked.countMissingFrom(receivedBySender.get(sender) ?? empty);
  const latency = new LatencyHistogram();
  const ackLatency = new LatencyHistogram();
  for (const d of drains) latency.merge(d.latency);
  for (const s of sents) ackLatency.merge(s.ackLatency);
  const errorCodes: Record<string, number> = {};
  for (const s of sents) for (const [code, n] of Object.entries(s.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  const sumOf = <T>(items: T[], f: (x: T) => number) => items.reduce((a, x) => a + f(x), 0);
  const errors = sumOf(Object.values(errorCodes), (n) => n) + sumOf(sents, (s) => s.errorFrames);
  const duplicates = sumOf(drains, (d) => d.duplicates);
  const outOfOrder = sumOf(drains, (d) => d.outOfOrder);
  const windowSent = sumOf(sents, (s) => s.windowSent);
  const windowReceived = sumOf(drains, (d) => d.windowReceived);
  const acked = sumOf(sents, (s) => s.windowAcked);
  const lat = latency.summary();
  const ackLat = ackLatency.summary();
  const loadgenCpuMs = sumOf(sents, (s) => s.cpuMs);

  const result = {
    // The common fields of every workload (issue 6).
    workload: 'c2c',
    offered_per_s: round((opts.rate > 0 ? opts.rate * opts.durationS : windowSent) / opts.durationS, 1),
    achieved_per_s: round(windowReceived / opts.durationS, 1),
    p50_ms: round(lat.p50),
    p95_ms: round(lat.p95),
    p99_ms: round(lat.p99),
    max_ms: round(lat.max),
    lost: losses,
    duplicated: duplicates,
    out_of_order: outOfOrder,
    server_cpu_s: serverCpuMs !== null ? round(serverCpuMs / 1000, 2) : null,
    server_rss_mb: serverRssMB,
    loadgen_cpu_s: round(loadgenCpuMs / 1000, 2),
    ...serverProcessFields(server, probe),
    // The c2c fields as before.
    bench: 'c2c',
    client: opts.client,
    users: opts.users,
    workers: opts.workers,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    targetRate: opts.rate,
    window: opts.window,
    sent: windowSent,
    acked,
    received: windowReceived,
    msgsPerSec: round(acked / opts.durationS, 1),
    latencyMs: { p50: round(lat.p50), p95: round(lat.p95), p99: round(lat.p99), max: round(lat.max), mean: round(lat.mean) },
    ackLatencyMs: { p50: round(ackLat.p50), p95: round(ackLat.p95), p99: round(ackLat.p99), max: round(ackLat.max) },
    losses,
    duplicates,
    errors,
    errorCodes,
    connectFailed: failedUsers.length,
    disconnects: sumOf(drains, (d) => d.disconnects),
    ackTimeouts: sumOf(sents, (s) => s.ackTimeouts),
    serverDuplicates: sumOf(sents, (s) => s.serverDuplicates),
    unexpected: sumOf(drains, (d) => d.unexpected),
    backlog: sumOf(sents, (s) => s.backlog),
    total: {
      sent: sumOf(sents, (s) => s.totalSent),
      acked: sumOf(sents, (s) => s.totalAcked),
      received: sumOf(drains, (d) => d.totalReceived),
    },
    connectS: round(connectMs / 1000, 2),
    drainS: round(Math.max(...drains.map((d) => d.drainMs)) / 1000, 2),
    server: server ? 'spawned' : 'external',
    serverCpuPct: serverCpuMs !== null ? round((100 * serverCpuMs) / durationMs, 1) : null,
    serverRssMB,
    serverDiskWriteMB: serverWriteBytes !== null ? round(serverWriteBytes / 1e6, 1) : null,
    loadgenCpuPct: round((100 * loadgenCpuMs) / durationMs, 1),
    loadgenLoopDelayMs: {
      p99: round(Math.max(...sents.map((s) => s.loopDelayP99Ms))),
      max: round(Math.max(...sents.map((s) => s.loopDelayMaxMs))),
    },
    loadavg1: round(loadavgAtStart, 2),
    node: process.version,
    cpus: cpus().length,
    date: new Date().toISOString(),
  };
  log(
    `${result.msgsPerSec} msgs/s, latency p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms, ` +
      `losses ${losses}, duplicates ${duplicates}, out of order ${outOfOrder}, errors ${errors}, connect failures ${failedUsers.length}`,
  );
  await emitResult(result, opts.out);
  return losses > 0 || duplicates > 0 || outOfOrder > 0 ? 1 : 0;
}


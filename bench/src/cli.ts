#!/usr/bin/env node
/**
 * Parley load generators.
 *
 *   node bench/dist/cli.js c2c [options]      (npm run bench -- c2c [options])
 *
 * The parent process only orchestrates: it starts a fresh server as a child
 * process (unless --url is given), forks the load-generator workers
 * (c2c-worker.js), drives them through connect → send → drain over IPC,
 * merges their results, and prints exactly one JSON line on stdout. Progress
 * and diagnostics go to stderr.
 */
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const USAGE = `Usage: node bench/dist/cli.js c2c [options]     (npm run bench -- c2c [options])

One-to-one messaging load: N users, paired 0↔1, 2↔3, …, each sending TIMTextElem
messages to its partner. Prints one JSON line on stdout; progress on stderr.

Options:
  --users N                users (sockets), default 200
  --rate R                 target total msgs/s; 0 = closed loop (as fast as acks allow), default 0
  --window W               messages each sender keeps in flight (1–256), default 1
  --duration S             measured seconds, default 10
  --warmup S               unmeasured seconds before that, default 2
  --drain S                max seconds to wait for pushes after sending stops, default 3
  --workers K              load-generator processes, default 1 (use more past ~15k users)
  --url ws://127.0.0.1:P/ws  bench a running server (loopback only) instead of starting one
  --sdkappid N             with --url: the server's SDKAppID   [PARLEY_SDKAPPID]
  --secret-key K           with --url: the server's secret key [PARLEY_SECRET_KEY]
  --out FILE               also append the JSON line to FILE (e.g. bench/results/c2c.jsonl)
  --ack-timeout S          an unacked message counts as timed out after S seconds, default 10
  --connect-concurrency N  logins in flight per worker while connecting, default 100

Exit code: 0 ok, 1 losses or duplicates, 2 the run could not complete.`;

/** Per-process open-files limit in this environment; each socket is one descriptor. */
const SOCKETS_PER_WORKER_SOFT_LIMIT = 15_000;

interface Options {
  users: number;
  rate: number;
  window: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  workers: number;
  url: string | null;
  sdkAppID: number | null;
  secretKey: string | null;
  out: string | null;
  ackTimeoutS: number;
  connectConcurrency: number;
}

function parseArgs(argv: readonly string[]): Options | 'help' {
  const [scenario, ...rest] = argv;
  if (scenario === undefined || scenario === 'help' || scenario === '--help' || scenario === '-h') return 'help';
  if (scenario !== 'c2c') throw new UsageError(`unknown scenario "${scenario}" (available: c2c)`);
  const raw = new Map<string, string>();
  const known = new Set([
    '--users',
    '--rate',
    '--window',
    '--duration',
    '--warmup',
    '--drain',
    '--workers',
    '--url',
    '--sdkappid',
    '--secret-key',
    '--out',
    '--ack-timeout',
    '--connect-concurrency',
  ]);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!known.has(name)) throw new UsageError(`unknown option ${name}`);
    const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`option ${name} needs a value`);
    raw.set(name, value);
  }
  const num = (name: string, def: number, min: number, max: number, integer: boolean): number => {
    const text = raw.get(name);
    if (text === undefined) return def;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      throw new UsageError(`${name} must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max} (got "${text}")`);
    }
    return n;
  };
  const opts: Options = {
    users: num('--users', 200, 2, 1_000_000, true),
    rate: num('--rate', 0, 0, 10_000_000, false),
    window: num('--window', 1, 1, 256, true),
    durationS: num('--duration', 10, 0.1, 86_400, false),
    warmupS: num('--warmup', 2, 0, 3600, false),
    drainS: num('--drain', 3, 0, 600, false),
    workers: num('--workers', 1, 1, 256, true),
    url: raw.get('--url') ?? null,
    sdkAppID: null,
    secretKey: null,
    out: raw.get('--out') ?? null,
    ackTimeoutS: num('--ack-timeout', 10, 0.1, 600, false),
    connectConcurrency: num('--connect-concurrency', 100, 1, 10_000, true),
  };
  if (opts.workers > opts.users) throw new UsageError(`--workers (${opts.workers}) must not exceed --users (${opts.users})`);
  if (opts.url !== null) {
    assertLoopbackUrl(opts.url);
    const appText = raw.get('--sdkappid') ?? process.env['PARLEY_SDKAPPID'];
    const key = raw.get('--secret-key') ?? process.env['PARLEY_SECRET_KEY'];
    if (!appText || !key) throw new UsageError('--url needs the server identity: --sdkappid and --secret-key (or PARLEY_SDKAPPID / PARLEY_SECRET_KEY)');
    const app = Number(appText);
    if (!Number.isSafeInteger(app) || app < 1) throw new UsageError(`--sdkappid must be a positive integer (got "${appText}")`);
    opts.sdkAppID = app;
    opts.secretKey = key;
  } else if (raw.has('--sdkappid') || raw.has('--secret-key')) {
    throw new UsageError('--sdkappid / --secret-key only apply with --url (a spawned server gets a fresh identity)');
  }
  return opts;
}

// ---------------------------------------------------------------- the run

async function runC2C(opts: Options): Promise<number> {
  const connectPhaseMs = 30_000 + opts.users * 5;
  const warmupMs = opts.warmupS * 1000;
  const durationMs = opts.durationS * 1000;
  const drainMs = opts.drainS * 1000;
  const ackTimeoutMs = opts.ackTimeoutS * 1000;
  // Everything stops by itself; this is the backstop if something hangs anyway.
  const hardTimeoutMs = 20_000 + connectPhaseMs + warmupMs + durationMs + ackTimeoutMs + drainMs + 30_000;
  setTimeout(() => abort(`hard timeout: the run took longer than ${Math.round(hardTimeoutMs / 1000)} s`), hardTimeoutMs).unref();

  const loadavgAtStart = loadavg()[0] ?? 0;
  const perWorker = Math.ceil(opts.users / opts.workers);
  if (perWorker > SOCKETS_PER_WORKER_SOFT_LIMIT) {
    log(`warning: ${perWorker} sockets per worker is close to the open-files limit; use --workers ${Math.ceil(opts.users / SOCKETS_PER_WORKER_SOFT_LIMIT)} or more`);
  }

  let server: SpawnedServer | null = null;
  let url: string;
  let sdkAppID: number;
  let secretKey: string;
  if (opts.url === null) {
    if (opts.users > 19_000) log('warning: the spawned server shares the open-files limit too; past ~19k users it will run out of descriptors');
    server = await startServer();
    url = server.wsUrl;
    sdkAppID = server.sdkAppID;
    secretKey = server.secretKey;
    log(`server started (pid ${server.child.pid}) at ${url}, data dir ${tempDir}`);
  } else {
    url = opts.url;
    sdkAppID = opts.sdkAppID!;
    secretKey = opts.secretKey!;
    log(`benchmarking the running server at ${url}`);
  }

  // Connect.
  const prefix = `b${randomBytes(3).toString('hex')}u`;
  const workers = Array.from({ length: opts.workers }, (_, i) => new Worker(i));
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
    });
  }
  log(`connecting ${opts.users} users over ${opts.workers} worker(s)…`);
  const connectTicker = setInterval(() => {
    const done = workers.reduce((n, w) => n + w.connecting.done, 0);
    const failed = workers.reduce((n, w) => n + w.connecting.failed, 0);
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
  const serverPid = server?.child.pid;
  let serverCpuStart: number | null = null;
  let serverCpuMs: number | null = null;
  let serverWriteStart: number | null = null;
  let serverWriteBytes: number | null = null;
  let serverRssMB: number | null = null;
  const cpuTimers = [
    setTimeout(() => {
      serverCpuStart = processCpuMs(serverPid);
      serverWriteStart = processWriteBytes(serverPid);
    }, Math.max(0, windowStart - Date.now())),
    setTimeout(() => {
      const cpuEnd = processCpuMs(serverPid);
      if (cpuEnd !== null && serverCpuStart !== null) serverCpuMs = cpuEnd - serverCpuStart;
      const writeEnd = processWriteBytes(serverPid);
      if (writeEnd !== null && serverWriteStart !== null) serverWriteBytes = writeEnd - serverWriteStart;
      serverRssMB = processRssMB(serverPid);
    }, Math.max(0, windowEnd - Date.now())),
  ];
  let last = { at: t0, sent: 0, acked: 0, received: 0 };
  const progressTicker = setInterval(() => {
    const now = Date.now();
    if (now < t0) return;
    const sum = { sent: 0, acked: 0, received: 0, errors: 0, inFlight: 0 };
    for (const w of workers) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += w.progress[k];
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
    for (const t of cpuTimers) clearTimeout(t);
  }

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
  finishing = true;
  for (const w of workers) w.send({ type: 'finish' });
  await Promise.all(
    workers.map(async (w) => {
      if (!(await waitExit(w.child, 5000))) w.child.kill('SIGKILL');
      children.delete(w.child);
    }),
  );
  await stopServer(server);
  if (tempDir !== null) {
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = null;
  }

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
  const acked = sumOf(sents, (s) => s.windowAcked);
  const lat = latency.summary();
  const ackLat = ackLatency.summary();
  const loadgenCpuMs = sumOf(sents, (s) => s.cpuMs);

  const result = {
    bench: 'c2c',
    users: opts.users,
    workers: opts.workers,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    targetRate: opts.rate,
    window: opts.window,
    sent: sumOf(sents, (s) => s.windowSent),
    acked,
    received: sumOf(drains, (d) => d.windowReceived),
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
  const line = JSON.stringify(result);
  if (opts.out !== null) {
    const file = resolve(opts.out);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, line + '\n');
    log(`appended the result to ${file}`);
  }
  log(
    `${result.msgsPerSec} msgs/s, latency p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms, ` +
      `losses ${losses}, duplicates ${duplicates}, errors ${errors}, connect failures ${failedUsers.length}`,
  );
  await new Promise<void>((r) => process.stdout.write(line + '\n', () => r()));
  return losses > 0 || duplicates > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  let opts: Options | 'help';
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (opts === 'help') {
    process.stderr.write(USAGE + '\n');
    return;
  }
  const code = await runC2C(opts);
  shuttingDown = true;
  process.exit(code);
}

main().catch((err: unknown) => abort(err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)));

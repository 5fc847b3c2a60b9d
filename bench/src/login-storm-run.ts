/**
 * The `login-storm` workload's parent: fresh users connect and log in as fast as the
 * server answers (closed loop, --window in flight per worker) or at --rate (open loop,
 * latency from each login's intended start), for --duration. Each connection is closed
 * as soon as its login is answered. Prints logins/s, login latency and failures by code.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import type { StormDoneMsg, StormParentMsg, StormWorkerMsg } from './login-storm-ipc.js';
import type { ClientKind } from './endpoints.js';
import {
  armHardTimeout,
  clientOption,
  connectionsPerSourceAddress,
  emitResult,
  environmentFields,
  finishPacedRun,
  log,
  numOption,
  parseFlags,
  rateOption,
  serverTarget,
  serverProcessesOption,
  serverProcessFields,
  serverUnderTest,
  ServerProbe,
  sumProgress,
  UsageError,
  WorkerProc,
} from './proc.js';
import { latencyFields, mergeHistograms, round, sumCounters } from './stats.js';

export const LOGIN_STORM_USAGE = `Usage: node bench/dist/cli.js login-storm [options]     (npm run bench -- login-storm [options])

Users the server has never seen open a WebSocket and log in, one after another, each
connection closed as soon as its login is answered. Measures logins per second and
login latency (connect start → login answer; in open loop from the intended start, so
waiting for a free slot counts). One JSON line on stdout.

Options:
  --rate R | max           target logins/s over all workers (open loop); max = closed loop, default max
  --window W               logins in flight per worker: closed loop exactly W, open loop at most W;
                           default 64 (closed) / 2000 (open)
  --duration S             measured seconds, default 10
  --warmup S               unmeasured seconds before that, default 2
  --users N                cycle over N users per worker instead of fresh ones: after the
                           first N logins every user is known to the server (no insert);
                           N must be at least 2 × --window. Default: every login a fresh user
  --workers K              load-generator processes, default 1
  --client lean|sdk        lean raw-protocol client (default), or a fresh @parley/sdk instance per
                           login (its login also loads conversations, profile, blacklist, groups)
  --login-timeout S        give up on one connect + login after S seconds, default 10
  --source-addresses K     use 127.0.0.1 … 127.0.0.K in turn, default: enough for the
                           expected number of logins (ports of closed connections linger)
  --server-processes N     node processes of the spawned server, default 1; N > 1 runs it in
                           cluster mode with Redis (PARLEY_BENCH_REDIS_URL, default
                           redis://127.0.0.1:6379)
  --url, --sdkappid, --secret-key   an external server
  --out FILE               also append the JSON line to FILE

Exit code: 0 ok, 1 some logins failed, 2 the run could not complete.`;

export interface LoginStormOptions {
  rate: number;
  window: number;
  durationS: number;
  warmupS: number;
  workers: number;
  /** Users per worker to cycle over; null = a fresh user every login. */
  users: number | null;
  client: ClientKind;
  loginTimeoutS: number;
  sourceAddresses: number | null;
  serverProcesses: number;
  url: string | null;
  sdkAppID: number | null;
  secretKey: string | null;
  out: string | null;
}

export function parseLoginStormArgs(rest: readonly string[]): LoginStormOptions | 'help' {
  const raw = parseFlags(
    rest,
    new Set(['--rate', '--window', '--duration', '--warmup', '--workers', '--users', '--client', '--login-timeout', '--source-addresses', '--server-processes', '--url', '--sdkappid', '--secret-key', '--out']),
  );
  if (raw === 'help') return 'help';
  const num = (name: string, def: number, min: number, max: number, integer: boolean) => numOption(raw, name, def, min, max, integer);
  const target = serverTarget(raw);
  const rate = rateOption(raw, 0);
  const window = num('--window', rate === 0 ? 64 : 2000, 1, 20_000, true);
  const users = raw.has('--users') ? num('--users', 1, 1, 100_000_000, true) : null;
  // Two logins of one user in flight at once would replace each other's socket (same instance).
  if (users !== null && users < 2 * window) throw new UsageError(`--users (${users}) must be at least 2 × --window (${2 * window})`);
  return {
    rate,
    window,
    users,
    client: clientOption(raw),
    durationS: num('--duration', 10, 0.1, 86_400, false),
    warmupS: num('--warmup', 2, 0, 3600, false),
    workers: num('--workers', 1, 1, 64, true),
    loginTimeoutS: num('--login-timeout', 10, 0.1, 600, false),
    sourceAddresses: raw.has('--source-addresses') ? num('--source-addresses', 1, 1, 254, true) : null,
    serverProcesses: serverProcessesOption(raw),
    url: target.url,
    sdkAppID: target.sdkAppID,
    secretKey: target.secretKey,
    out: raw.get('--out') ?? null,
  };
}

/** Source addresses for about `logins` connections: closed ones may hold their port for a while. */
export function sourceAddressesFor(logins: number, perAddress: number): number {
  return Math.max(1, Math.min(254, Math.ceil(logins / perAddress)));
}

const STATUS_TYPES = new Set(['progress']);

class StormWorker extends WorkerProc<StormParentMsg, StormWorkerMsg> {
  constructor(index: number) {
    super(index, './login-storm-worker.js', STATUS_TYPES);
  }

  progress(): { attempted: number; ok: number; failed: number; inFlight: number } {
    const p = this.status.get('progress');
    return p?.type === 'progress' ? p : { attempted: 0, ok: 0, failed: 0, inFlight: 0 };
  }
}

export async function runLoginStorm(opts: LoginStormOptions): Promise<number> {
  const loadavgAtStart = loadavg()[0] ?? 0;
  const warmupMs = opts.warmupS * 1000;
  const durationMs = opts.durationS * 1000;
  const loginTimeoutMs = opts.loginTimeoutS * 1000;
  armHardTimeout(90_000 + warmupMs + durationMs + loginTimeoutMs);

  const sut = await serverUnderTest(opts, { processes: opts.serverProcesses });
  // Closed loop: assume up to 20,000 logins/s when sizing the source addresses.
  const expected = (opts.rate > 0 ? opts.rate : 20_000) * (opts.warmupS + opts.durationS);
  const sourceAddresses = opts.sourceAddresses ?? sourceAddressesFor(expected, connectionsPerSourceAddress());
  const runID = randomBytes(3).toString('hex');
  const workers = Array.from({ length: opts.workers }, (_, i) => new StormWorker(i));
  const t0 = Date.now() + 500 + 50 * opts.workers;
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + durationMs;
  for (const w of workers) {
    w.send({
      type: 'start',
      workerIndex: w.index,
      url: sut.url,
      sdkAppID: sut.sdkAppID,
      secretKey: sut.secretKey,
      prefix: `s${runID}w${w.index}u`,
      pool: opts.users ?? 0,
      rate: opts.rate / opts.workers,
      window: opts.window,
      t0,
      warmupMs,
      durationMs,
      loginTimeoutMs,
      sourceAddresses,
      client: opts.client,
    });
  }
  log(
    `logging in fresh users for ${opts.warmupS} s warmup + ${opts.durationS} s measured, ` +
      (opts.rate === 0 ? `closed loop, ${opts.window} in flight per worker` : `target ${opts.rate} logins/s, at most ${opts.window} in flight per worker`) +
      `, ${opts.workers} worker(s), ${sourceAddresses} source address(es)`,
  );
  const probe = new ServerProbe(sut.server, windowStart, windowEnd);
  let lastOk = 0;
  const dones = await finishPacedRun<StormDoneMsg>({
    workers,
    t0,
    windowStart,
    windowEnd,
    timeoutMs: t0 - Date.now() + warmupMs + durationMs + loginTimeoutMs + 20_000,
    what: 'logging in',
    probe,
    server: sut.server,
    progressLine: (dtS) => {
      const sum = sumProgress(workers.map((w) => w.progress()), ['ok', 'failed', 'inFlight']);
      const line = `logins ${Math.round((sum.ok - lastOk) / dtS)}/s  in flight ${sum.inFlight}  failed ${sum.failed}`;
      lastOk = sum.ok;
      return line;
    },
  });

  const sumOf = (f: (d: (typeof dones)[number]) => number) => dones.reduce((a, d) => a + f(d), 0);
  const lat = mergeHistograms(dones.map((d) => d.latency)).summary();
  const windowAttempted = sumOf((d) => d.windowAttempted);
  const windowOk = sumOf((d) => d.windowOk);
  const windowFailed = sumOf((d) => d.windowFailed);
  const failures = sumCounters(dones.map((d) => d.failures));
  const loadgenCpuMs = sumOf((d) => d.cpuMs);
  const result = {
    workload: 'login-storm',
    offered_per_s: round(opts.rate > 0 ? opts.rate : windowAttempted / opts.durationS, 1),
    achieved_per_s: round(windowOk / opts.durationS, 1),
    p50_ms: round(lat.p50),
    p95_ms: round(lat.p95),
    p99_ms: round(lat.p99),
    max_ms: round(lat.max),
    /** Logins of the window that did not succeed (see `failures`). */
    lost: windowFailed,
    duplicated: 0,
    out_of_order: 0,
    server_cpu_s: probe.cpuMs !== null ? round(probe.cpuMs / 1000, 2) : null,
    server_rss_mb: probe.rssMB,
    loadgen_cpu_s: round(loadgenCpuMs / 1000, 2),
    ...serverProcessFields(sut.server, probe),
    client: opts.client,
    target_rate: opts.rate,
    window: opts.window,
    workers: opts.workers,
    duration_s: opts.durationS,
    warmup_s: opts.warmupS,
    attempted: windowAttempted,
    ok: windowOk,
    failed: windowFailed,
    failures,
    latency_ms: latencyFields(lat),
    backlog: sumOf((d) => d.backlog),
    total: { attempted: sumOf((d) => d.totalAttempted), ok: sumOf((d) => d.totalOk) },
    users: opts.users === null ? 'fresh' : opts.users * opts.workers,
    connections_after_login: 'closed',
    source_addresses: sourceAddresses,
    server: sut.server ? 'spawned' : 'external',
    server_cpu_pct: probe.cpuMs !== null ? round((100 * probe.cpuMs) / durationMs, 1) : null,
    server_disk_write_mb: probe.writeBytes !== null ? round(probe.writeBytes / 1e6, 1) : null,
    loadgen_cpu_pct: round((100 * loadgenCpuMs) / durationMs, 1),
    loadgen_loop_delay_ms: { p99: round(Math.max(...dones.map((d) => d.loopDelayP99Ms))), max: round(Math.max(...dones.map((d) => d.loopDelayMaxMs))) },
    ...environmentFields(loadavgAtStart),
  };
  if (Object.keys(failures).length > 0) {
    log(`failures: ${JSON.stringify(failures)}, e.g.:`);
    for (const sample of dones.flatMap((d) => d.failureSamples).slice(0, 5)) log(`  ${sample}`);
  }
  log(`${result.achieved_per_s} logins/s, latency p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms, ${windowFailed} failed`);
  await emitResult(result, opts.out);
  return windowFailed > 0 ? 1 : 0;
}

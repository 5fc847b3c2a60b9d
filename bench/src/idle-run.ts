/**
 * The `idle` workload's parent: N authenticated connections held open, and what they cost
 * the server in memory. Starts the server, measures its settled RSS, connects and logs in
 * half the connections (settle, RSS), then the rest (settle, RSS), holds them for
 * --duration with the SDK's heartbeat traffic, pings every connection once more, prints one
 * JSON line.
 *
 * One server process holds one descriptor per connection, and its open-files limit
 * (20,000 here, hard) cannot be raised: past that, the run measures the largest N the
 * server's processes can hold (with --server-processes N, each worker has its own limit)
 * and says so (stderr and the `note` field). Memory and CPU are summed over every server
 * process; with several, the growth of Redis's RSS counts too (the nodes share it).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import type { ClientKind } from './endpoints.js';
import type { IdleConnectedMsg, IdleParentMsg, IdleWorkerMsg } from './idle-ipc.js';
import {
  armHardTimeout,
  childPids,
  clientOption,
  connectionsPerSourceAddress,
  emitResult,
  environmentFields,
  log,
  markFinishing,
  numOption,
  openFdCount,
  parseFlags,
  processRssKB,
  readFdLimit,
  sampleTree,
  serverPids,
  serverProcessesOption,
  serverProcessFields,
  serverTarget,
  serverUnderTest,
  stopServer,
  treeDelta,
  treeRssKB,
  trySampleRedis,
  UsageError,
  waitRssSettled,
  warnSocketLimits,
  withTimeout,
  WorkerProc,
  workersForSockets,
} from './proc.js';
import { latencyFields, mergeHistograms, round, sumCounters } from './stats.js';

export const IDLE_USAGE = `Usage: node bench/dist/cli.js idle [options]     (npm run bench -- idle [options])

N connections, each a different user, connect and log in, then do nothing but keep
alive (the server's pings, and one ping request per heartbeat interval as the SDK
sends). Measures the server's memory per connection (settled RSS with N
connections − settled RSS before), holds them for --duration, and checks at the
end that every one still answers. One JSON line on stdout.

Options:
  --connections N          connections (alias --users), default 10000; one server process
                           holds at most its open-files limit (20,000 here): past that the
                           run measures the largest N the server's processes can hold and
                           says so
  --client lean|sdk        lean raw-protocol connections (default), or one logged-in @parley/sdk
                           instance per connection (its login loads conversations, profile,
                           blacklist and groups; it sends its own heartbeat); at most one source
                           address's ports (~28k)
  --server-processes N     node processes of the spawned server, default 1; N > 1 runs it in
                           cluster mode with Redis (PARLEY_BENCH_REDIS_URL, default
                           redis://127.0.0.1:6379): N workers, each with its own open-files
                           limit (100,000 connections need 6)
  --duration S             seconds to hold them, default 30
  --window W               logins in flight per worker while connecting, default 200
                           (alias --connect-concurrency)
  --rate max               connect as fast as --window allows (the only choice; use
                           login-storm for a login rate)
  --ping-interval S        each connection sends a ping request every S seconds; default:
                           the server's heartbeat interval (30 s); 0 = none
  --heartbeat-interval MS  the spawned server's PARLEY_HEARTBEAT_INTERVAL_MS (its pings
                           and reaping follow it), default: the server's (30000)
  --settle-timeout S       at most this long to wait for the server's RSS to settle, default 30
  --workers K              load-generator processes, default ⌈N / 15000⌉
  --per-source-address N   connections per source address 127.0.0.x before the next one is used,
                           default: the ephemeral port range less 2000 (~26,000)
  --url, --sdkappid, --secret-key   an external server (memory figures need a spawned one)
  --out FILE               also append the JSON line to FILE

Exit code: 0 ok, 1 a connection was lost during the hold, 2 the run could not complete.`;

/** Descriptors each server process keeps free beyond those open at baseline (log files, SQLite, accept races). */
const SERVER_FD_MARGIN = 40;

/**
 * Connections the server's serving processes can hold: Σ (open-files limit − descriptors open
 * at baseline − margin) over them (one process, or a cluster's workers: the primary only hands
 * sockets on). `null` when a limit or count is unknown.
 */
export function serverConnectionCapacity(processes: ReadonlyArray<{ fdLimit: number | null; fds: number | null }>, margin = SERVER_FD_MARGIN): number | null {
  if (processes.length === 0) return null;
  let sum = 0;
  for (const p of processes) {
    if (p.fdLimit === null || p.fds === null) return null;
    sum += Math.max(0, p.fdLimit - p.fds - margin);
  }
  return sum;
}

/**
 * KB per connection from the memory growth between two states: the node processes' summed
 * RSS (KB) and, for a multi-process server, Redis's RSS (bytes; `null` = not counted).
 */
export function kbPerConnection(
  from: { nodeKB: number | null; redisBytes: number | null },
  to: { nodeKB: number | null; redisBytes: number | null },
  connections: number,
): { total: number | null; node: number | null; redis: number | null } {
  if (connections <= 0 || from.nodeKB === null || to.nodeKB === null) return { total: null, node: null, redis: null };
  const node = (to.nodeKB - from.nodeKB) / connections;
  const redis = from.redisBytes !== null && to.redisBytes !== null ? (to.redisBytes - from.redisBytes) / 1024 / connections : null;
  return { total: node + (redis ?? 0), node, redis };
}

export interface IdleOptions {
  connections: number;
  durationS: number;
  window: number;
  pingIntervalS: number | null;
  heartbeatIntervalMs: number | null;
  settleTimeoutS: number;
  workers: number | null;
  perSourceAddress: number | null;
  serverProcesses: number;
  client: ClientKind;
  url: string | null;
  sdkAppID: number | null;
  secretKey: string | null;
  out: string | null;
}

export function parseIdleArgs(rest: readonly string[]): IdleOptions | 'help' {
  const raw = parseFlags(
    rest,
    new Set([
      '--connections',
      '--users',
      '--duration',
      '--window',
      '--connect-concurrency',
      '--rate',
      '--ping-interval',
      '--heartbeat-interval',
      '--settle-timeout',
      '--workers',
      '--per-source-address',
      '--server-processes',
      '--client',
      '--url',
      '--sdkappid',
      '--secret-key',
      '--out',
    ]),
  );
  if (raw === 'help') return 'help';
  const num = (name: string, def: number, min: number, max: number, integer: boolean) => numOption(raw, name, def, min, max, integer);
  if (raw.has('--connections') && raw.has('--users')) throw new UsageError('give --connections or --users, not both');
  if (raw.has('--window') && raw.has('--connect-concurrency')) throw new UsageError('give --window or --connect-concurrency, not both');
  const rate = raw.get('--rate');
  if (rate !== undefined && rate.trim().toLowerCase() !== 'max') {
    throw new UsageError('idle connects as fast as --window allows (--rate max); for a login rate use the login-storm workload');
  }
  const target = serverTarget(raw);
  const opts: IdleOptions = {
    connections: raw.has('--users') ? num('--users', 10_000, 1, 10_000_000, true) : num('--connections', 10_000, 1, 10_000_000, true),
    durationS: num('--duration', 30, 0, 86_400, false),
    window: raw.has('--connect-concurrency') ? num('--connect-concurrency', 200, 1, 10_000, true) : num('--window', 200, 1, 10_000, true),
    pingIntervalS: raw.has('--ping-interval') ? num('--ping-interval', 30, 0, 3600, false) : null,
    heartbeatIntervalMs: raw.has('--heartbeat-interval') ? num('--heartbeat-interval', 30_000, 100, 600_000, true) : null,
    settleTimeoutS: num('--settle-timeout', 30, 1, 600, false),
    workers: raw.has('--workers') ? num('--workers', 1, 1, 256, true) : null,
    perSourceAddress: raw.has('--per-source-address') ? num('--per-source-address', 1, 1, 65_535, true) : null,
    serverProcesses: serverProcessesOption(raw),
    client: clientOption(raw),
    url: target.url,
    sdkAppID: target.sdkAppID,
    secretKey: target.secretKey,
    out: raw.get('--out') ?? null,
  };
  // The SDK picks its own source address (127.0.0.1): one address's ephemeral ports are the cap.
  if (opts.client === 'sdk' && opts.connections > connectionsPerSourceAddress()) {
    throw new UsageError(`--client sdk connects every instance from one source address: at most ${connectionsPerSourceAddress()} connections here (got ${opts.connections})`);
  }
  if (opts.client === 'sdk' && opts.pingIntervalS !== null) throw new UsageError('--ping-interval drives the lean client; SDK instances send their own heartbeat');
  if (opts.heartbeatIntervalMs !== null && opts.url !== null) throw new UsageError('--heartbeat-interval configures the spawned server; an external (--url) server keeps its own');
  return opts;
}

const STATUS_TYPES = new Set(['connecting']);

function kbOrNull(bytes: number | null): number | null {
  return bytes === null ? null : Math.round(bytes / 1024);
}

class IdleWorker extends WorkerProc<IdleParentMsg, IdleWorkerMsg> {
  constructor(index: number) {
    super(index, './idle-worker.js', STATUS_TYPES);
  }

  connecting(): { done: number; failed: number } {
    const c = this.status.get('connecting');
    return c?.type === 'connecting' ? c : { done: 0, failed: 0 };
  }
}

export async function runIdle(opts: IdleOptions): Promise<number> {
  const loadavgAtStart = loadavg()[0] ?? 0;
  const settleMs = opts.settleTimeoutS * 1000;
  const connectPhaseMs = 60_000 + opts.connections * 3;
  armHardTimeout(60_000 + 2 * connectPhaseMs + 3 * settleMs + opts.durationS * 1000 + 60_000);

  const sut = await serverUnderTest(opts, {
    env: opts.heartbeatIntervalMs !== null ? { PARLEY_HEARTBEAT_INTERVAL_MS: String(opts.heartbeatIntervalMs) } : {},
    processes: opts.serverProcesses,
  });
  const pid = sut.server?.child.pid;
  const multi = sut.server !== null && sut.server.processes > 1;
  /** The processes that hold connections: the server, or a cluster's workers (the primary's children). */
  const serving = pid === undefined ? [] : multi ? childPids(pid) : [pid];
  const fdsNow = () => serverPids(pid).map((p) => openFdCount(p));
  const sum = (xs: ReadonlyArray<number | null>) => (xs.some((x) => x !== null) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : null);
  /** Redis's RSS, bytes, for a multi-process server (the nodes keep state there too); `null` otherwise. */
  const redisRss = async () => (multi ? ((await trySampleRedis(sut.server))?.rssBytes ?? null) : null);

  // Baseline: the server after start, settled.
  const base = await waitRssSettled(pid, settleMs);
  const baseRedis = await redisRss();
  const baselineFdsByProcess = fdsNow();
  const baselineFds = sum(baselineFdsByProcess);
  const fdLimit = sut.server?.fdLimit ?? null;
  const capacity = serverConnectionCapacity(serving.map((p) => ({ fdLimit: readFdLimit(p), fds: openFdCount(p) })));
  let target = opts.connections;
  let note: string | null = null;
  if (capacity !== null) {
    if (opts.connections > capacity) {
      target = capacity;
      note =
        (serving.length > 1
          ? `the server's ${serving.length} worker processes cannot hold more connections than their open-files limits allow (${fdLimit} each, the hard limit, which cannot be raised here; ` +
            `${sum(serving.map((p) => openFdCount(p))) ?? '?'} descriptors in use at start over the workers)`
          : `one server process cannot hold more connections than its open-files limit allows (${fdLimit}, the hard limit, which cannot be raised here; ` +
            `${baselineFds} descriptors in use at start)`) + `: measured ${capacity} connections instead of ${opts.connections}`;
      log(`NOTE: ${note}`);
    }
  } else if (sut.server === null) {
    log('external server: memory figures are not available (no process to measure)');
  }
  if (base.rssKB !== null) {
    log(
      `server RSS at baseline ${(base.rssKB / 1024).toFixed(1)} MB over ${serverPids(pid).length} process(es) (${base.settled ? 'settled' : 'not settled'} after ${(base.waitedMs / 1000).toFixed(1)} s), ` +
        `${baselineFds ?? '?'} descriptors open` +
        (baseRedis !== null ? `; Redis RSS ${(baseRedis / 2 ** 20).toFixed(1)} MB` : ''),
    );
  }

  const workerCount = Math.min(target, opts.workers ?? workersForSockets(target));
  warnSocketLimits(target, workerCount, sut.server);
  const perSourceAddress = opts.perSourceAddress ?? connectionsPerSourceAddress();
  const sourceAddresses = Math.ceil(target / perSourceAddress);
  const prefix = `i${randomBytes(3).toString('hex')}u`;
  const workers = Array.from({ length: workerCount }, (_, i) => new IdleWorker(i));
  for (const w of workers) {
    w.send({
      type: 'init',
      workerIndex: w.index,
      workers: workerCount,
      total: target,
      url: sut.url,
      sdkAppID: sut.sdkAppID,
      secretKey: sut.secretKey,
      prefix,
      connectConcurrency: opts.window,
      connectTimeoutMs: 30_000,
      perSourceAddress,
      client: opts.client,
    });
  }

  /** Connects [from, to) over every worker; resolves with each worker's report. */
  const connectRange = async (from: number, to: number): Promise<IdleConnectedMsg[]> => {
    log(`connecting ${from}…${to - 1} (${to - from} connections) over ${workerCount} worker(s), ${opts.window} in flight each, ${sourceAddresses} source address(es)…`);
    for (const w of workers) w.send({ type: 'connect', from, to });
    const ticker = setInterval(() => {
      const done = workers.reduce((n, w) => n + w.connecting().done, 0);
      const failed = workers.reduce((n, w) => n + w.connecting().failed, 0);
      log(`connecting: ${done}/${to - from} done, ${failed} failed`);
    }, 2000);
    try {
      return await withTimeout(Promise.all(workers.map((w) => w.next('connected'))), connectPhaseMs, 'connecting');
    } finally {
      clearInterval(ticker);
    }
  };

  // Two steps, so the slope between them (RSS per added connection) is known apart from fixed costs.
  const half = Math.floor(target / 2);
  const first = half > 0 ? await connectRange(0, half) : [];
  const openHalf = first.reduce((a, r) => a + r.open, 0);
  const halfRss = half > 0 ? await waitRssSettled(pid, settleMs) : base;
  const halfRedis = half > 0 ? await redisRss() : baseRedis;
  const second = await connectRange(half, target);
  const openFull = second.reduce((a, r) => a + r.open, 0);
  const fullRss = await waitRssSettled(pid, settleMs);
  const fullRedis = await redisRss();
  const fullRssByProcess = serverPids(pid).map((p) => processRssKB(p));
  // Each step takes as long as its slowest worker.
  const connectMs = (first.length > 0 ? Math.max(...first.map((r) => r.connectMs)) : 0) + Math.max(...second.map((r) => r.connectMs));
  const failureCodes = sumCounters(second.map((r) => r.failureCodes));
  const failed = second.reduce((a, r) => a + r.failed, 0);
  if (failed > 0) {
    log(`${failed} connection(s) failed: ${JSON.stringify(failureCodes)}, e.g.:`);
    for (const sample of second.flatMap((r) => r.failureSamples).slice(0, 5)) log(`  ${sample}`);
  }
  const fdsFullByProcess = fdsNow();
  const fdsFull = sum(fdsFullByProcess);
  log(
    `${openFull} connections open; server RSS ${fullRss.rssKB !== null ? (fullRss.rssKB / 1024).toFixed(1) : '?'} MB ` +
      `(${fullRss.settled ? 'settled' : 'not settled'} after ${(fullRss.waitedMs / 1000).toFixed(1)} s), ${fdsFull ?? '?'} descriptors` +
      (multi ? ` (per process, primary first: ${fdsFullByProcess.map((n) => n ?? '?').join(' ')})` : '') +
      (fullRedis !== null ? `; Redis RSS ${(fullRedis / 2 ** 20).toFixed(1)} MB` : ''),
  );

  // Hold.
  const heartbeatMs = second.find((r) => r.heartbeatIntervalMs !== null)?.heartbeatIntervalMs ?? first.find((r) => r.heartbeatIntervalMs !== null)?.heartbeatIntervalMs ?? null;
  // SDK instances send their own heartbeat; the lean connections send the one the SDK would.
  const pingIntervalMs = opts.client === 'sdk' ? 0 : opts.pingIntervalS !== null ? opts.pingIntervalS * 1000 : (heartbeatMs ?? 30_000);
  const holdStart = Date.now();
  const until = holdStart + opts.durationS * 1000;
  log(
    opts.client === 'sdk'
      ? `holding for ${opts.durationS} s, each SDK instance sending its own heartbeat…`
      : `holding for ${opts.durationS} s, a ping per connection every ${(pingIntervalMs / 1000).toFixed(1)} s (server heartbeat ${heartbeatMs ?? '?'} ms)…`,
  );
  const cpuStart = sampleTree(pid);
  const redisStart = await trySampleRedis(sut.server);
  for (const w of workers) w.send({ type: 'hold', until, pingIntervalMs });
  const helds = await withTimeout(Promise.all(workers.map((w) => w.next('held'))), opts.durationS * 1000 + 30_000, 'holding');
  const cpuEnd = sampleTree(pid);
  const redisEnd = redisStart !== null ? await trySampleRedis(sut.server) : null;
  const endRssKB = treeRssKB(pid);
  const processesMeasured = serverPids(pid).length;
  const serverCpuMs = pid !== undefined ? treeDelta(cpuStart.cpuMs, cpuEnd.cpuMs) : null;

  // Verify: every connection answers one more ping.
  for (const w of workers) w.send({ type: 'verify', timeoutMs: 15_000 });
  const verifieds = await withTimeout(Promise.all(workers.map((w) => w.next('verified'))), 60_000, 'verifying');
  const alive = verifieds.reduce((a, v) => a + v.alive, 0);
  const dead = verifieds.reduce((a, v) => a + v.dead, 0);

  markFinishing();
  for (const w of workers) w.send({ type: 'finish' });
  await Promise.all(workers.map((w) => w.waitGone()));
  await stopServer(sut.server);

  const pingLatency = mergeHistograms(helds.map((h) => h.pingLatency)).summary();
  const perConnection = kbPerConnection({ nodeKB: base.rssKB, redisBytes: baseRedis }, { nodeKB: fullRss.rssKB, redisBytes: fullRedis }, openFull);
  const marginal = kbPerConnection({ nodeKB: halfRss.rssKB, redisBytes: halfRedis }, { nodeKB: fullRss.rssKB, redisBytes: fullRedis }, openFull - openHalf);
  const loadgenCpuMs = helds.reduce((a, h) => a + h.cpuMs, 0);
  const result = {
    workload: 'idle',
    offered_per_s: null,
    /** Connections + logins per second while connecting. */
    achieved_per_s: round(openFull / Math.max(0.001, connectMs / 1000), 1),
    // Heartbeat ping → answer during the hold.
    p50_ms: round(pingLatency.p50),
    p95_ms: round(pingLatency.p95),
    p99_ms: round(pingLatency.p99),
    max_ms: round(pingLatency.max),
    lost: dead,
    duplicated: 0,
    out_of_order: 0,
    server_cpu_s: serverCpuMs !== null ? round(serverCpuMs / 1000, 2) : null,
    server_rss_mb: endRssKB !== null ? round(endRssKB / 1024, 1) : null,
    loadgen_cpu_s: round(loadgenCpuMs / 1000, 2),
    ...serverProcessFields(sut.server, {
      processCount: pid !== undefined ? processesMeasured : null,
      redisCpuS: redisStart !== null && redisEnd !== null ? redisEnd.cpuS - redisStart.cpuS : null,
      redisRssMB: redisEnd !== null ? round(redisEnd.rssBytes / 2 ** 20, 1) : null,
    }),
    connections: alive,
    server_kb_per_connection: round(perConnection.total, 2),
    // Details.
    server_kb_per_connection_marginal: round(marginal.total, 2),
    /** The per-connection figures' parts: the node processes' RSS, and Redis's (multi-process servers; `null` otherwise). */
    server_kb_per_connection_parts: { node: round(perConnection.node, 2), redis: round(perConnection.redis, 2) },
    server_kb_per_connection_marginal_parts: { node: round(marginal.node, 2), redis: round(marginal.redis, 2) },
    note,
    requested_connections: opts.connections,
    attempted_connections: target,
    connect_failed: failed,
    failure_codes: failureCodes,
    server_fd_limit: fdLimit,
    server_fds: { baseline: baselineFds, full: fdsFull },
    /** Per server process, the primary first, then its workers. */
    server_fds_by_process: { baseline: baselineFdsByProcess, full: fdsFullByProcess },
    server_rss_kb: { baseline: base.rssKB, half: halfRss.rssKB, full: fullRss.rssKB, end_of_hold: endRssKB },
    server_rss_kb_by_process: { full: fullRssByProcess },
    redis_rss_kb: multi
      ? { baseline: kbOrNull(baseRedis), half: kbOrNull(halfRedis), full: kbOrNull(fullRedis), end_of_hold: kbOrNull(redisEnd?.rssBytes ?? null) }
      : null,
    rss_settled: { baseline: base.settled, half: halfRss.settled, full: fullRss.settled },
    connections_half: openHalf,
    connections_full: openFull,
    login_latency_ms: latencyFields(mergeHistograms([...first, ...second].map((r) => r.loginLatency)).summary()),
    connect_s: round(connectMs / 1000, 2),
    duration_s: opts.durationS,
    heartbeat_interval_ms: heartbeatMs,
    ping_interval_ms: pingIntervalMs,
    pings: helds.reduce((a, h) => a + h.pings, 0),
    ping_failures: helds.reduce((a, h) => a + h.pingFailures, 0),
    closes_during_hold: sumCounters(helds.map((h) => h.closes)),
    verify_ping_ms: latencyFields(mergeHistograms(verifieds.map((v) => v.pingLatency)).summary()),
    workers: workerCount,
    client: opts.client,
    source_addresses: sourceAddresses,
    window: opts.window,
    server: sut.server ? 'spawned' : 'external',
    server_cpu_pct: serverCpuMs !== null && opts.durationS > 0 ? round((100 * serverCpuMs) / (opts.durationS * 1000), 1) : null,
    loadgen_loop_delay_ms: { p99: round(Math.max(...helds.map((h) => h.loopDelayP99Ms))), max: round(Math.max(...helds.map((h) => h.loopDelayMaxMs))) },
    ...environmentFields(loadavgAtStart),
  };
  log(
    `${alive} connections held for ${opts.durationS} s (${dead} lost); server ${result.server_kb_per_connection ?? '?'} KB per connection ` +
      (multi ? `(node processes ${result.server_kb_per_connection_parts.node ?? '?'} + Redis ${result.server_kb_per_connection_parts.redis ?? '?'}) ` : '') +
      `(marginal ${result.server_kb_per_connection_marginal ?? '?'} KB), RSS ${result.server_rss_mb ?? '?'} MB; heartbeat p99 ${result.p99_ms ?? '?'} ms`,
  );
  await emitResult(result, opts.out);
  return dead > 0 ? 1 : 0;
}

/**
 * The `history` workload's parent: "the last 15 messages of a conversation" (`msg.list`
 * without a cursor) against a server whose database already holds --messages messages.
 * Builds (or reuses) the dataset (history-preload.ts), starts the server on it, logs in
 * --users owners over --workers processes, has them fetch pages of random conversations of
 * theirs for --duration, checks every page, prints one JSON line.
 */
import { loadavg } from 'node:os';
import type { ClientKind } from './endpoints.js';
import type { HistoryDoneMsg, HistoryParentMsg, HistoryWorkerMsg } from './history-ipc.js';
import { validateDataset, type HistoryDataset } from './history-logic.js';
import { defaultCacheRoot, ensureDataset } from './history-preload.js';
import {
  abort,
  clientOption,
  armHardTimeout,
  emitResult,
  environmentFields,
  finishPacedRun,
  log,
  numOption,
  parseFlags,
  rateOption,
  serverProcessesOption,
  serverProcessFields,
  serverUnderTest,
  ServerProbe,
  sumProgress,
  UsageError,
  withTimeout,
  WorkerProc,
} from './proc.js';
import { latencyFields, mergeHistograms, round, sumCounters } from './stats.js';

export const HISTORY_USAGE = `Usage: node bench/dist/cli.js history [options]     (npm run bench -- history [options])

"The last 15 messages of a conversation": msg.list without a cursor, against a
server whose SQLite database holds --messages C2C messages in --conversations
conversations. The database is written directly with the server's own schema
before the server starts (about a minute for 10 million) and cached for later
runs. --users owners log in and fetch the newest page of random conversations of
theirs (then --pages − 1 older pages); every page is checked. One JSON line on stdout.

Options:
  --messages M             messages stored, default 1000000 (10000000 works)
  --conversations C        conversations they are spread over, default 10000
  --owners O               distinct conversation owners in the dataset, default 50
                           (conversation i belongs to owner i % O)
  --users K                owners that log in and fetch (≤ O), default O
  --pages P                pages per fetch: the newest, then older ones, default 1
  --rate R | max           target fetches/s over all users (open loop); max = closed loop, default max
  --window W               fetches in flight per user, default 1
  --duration S             measured seconds, default 10
  --warmup S               unmeasured seconds before that, default 2
  --workers K              load-generator processes, default 1
  --server-processes N     node processes of the spawned server, default 1; N > 1 runs it in
                           cluster mode (Redis: PARLEY_BENCH_REDIS_URL, default
                           redis://127.0.0.1:6379), all sharing the dataset's SQLite file
  --cache-dir DIR          where datasets are cached, default <tmp>/parley-bench-history
  --rebuild                build the dataset again even if it is cached
  --request-timeout S      a page without an answer after S seconds is an error, default 10
  --client lean|sdk        lean raw-protocol client (default), or one @parley/sdk instance per
                           user: pages through getMessageList (nextReqMessageID for older
                           ones), so the figures include the SDK's Message objects and cache
  --out FILE               also append the JSON line to FILE

The server is always spawned here (its database must hold the dataset).
Exit code: 0 ok, 1 a page was wrong (missing, duplicated, out of order, foreign) or failed,
2 the run could not complete.`;

export interface HistoryOptions {
  dataset: HistoryDataset;
  users: number;
  pages: number;
  rate: number;
  window: number;
  durationS: number;
  warmupS: number;
  workers: number;
  serverProcesses: number;
  cacheDir: string;
  rebuild: boolean;
  requestTimeoutS: number;
  client: ClientKind;
  out: string | null;
}

export function parseHistoryArgs(rest: readonly string[]): HistoryOptions | 'help' {
  // --rebuild takes no value: normalise it to --rebuild=yes for the flag parser.
  const args = rest.map((a) => (a === '--rebuild' ? '--rebuild=yes' : a));
  const raw = parseFlags(
    args,
    new Set([
      '--messages',
      '--conversations',
      '--owners',
      '--users',
      '--pages',
      '--rate',
      '--window',
      '--duration',
      '--warmup',
      '--workers',
      '--server-processes',
      '--cache-dir',
      '--rebuild',
      '--request-timeout',
      '--client',
      '--out',
      '--url',
    ]),
  );
  if (raw === 'help') return 'help';
  if (raw.has('--url')) throw new UsageError('history needs a server whose database holds the dataset: it always spawns one (no --url)');
  const num = (name: string, def: number, min: number, max: number, integer: boolean) => numOption(raw, name, def, min, max, integer);
  const conversations = num('--conversations', 10_000, 1, 100_000_000, true);
  const dataset: HistoryDataset = {
    messages: num('--messages', 1_000_000, 1, 1_000_000_000, true),
    conversations,
    owners: num('--owners', Math.min(50, conversations), 1, 1_000_000, true),
  };
  try {
    validateDataset(dataset);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const users = num('--users', dataset.owners, 1, dataset.owners, true);
  return {
    dataset,
    users,
    pages: num('--pages', 1, 1, 1000, true),
    rate: rateOption(raw, 0),
    window: num('--window', 1, 1, 256, true),
    durationS: num('--duration', 10, 0.1, 86_400, false),
    warmupS: num('--warmup', 2, 0, 3600, false),
    workers: num('--workers', 1, 1, Math.min(64, users), true),
    serverProcesses: serverProcessesOption(raw),
    cacheDir: raw.get('--cache-dir') ?? defaultCacheRoot(),
    rebuild: raw.has('--rebuild'),
    requestTimeoutS: num('--request-timeout', 10, 0.1, 600, false),
    client: clientOption(raw),
    out: raw.get('--out') ?? null,
  };
}

const STATUS_TYPES = new Set(['progress']);

class HistoryWorker extends WorkerProc<HistoryParentMsg, HistoryWorkerMsg> {
  constructor(index: number) {
    super(index, './history-worker.js', STATUS_TYPES);
  }

  progress(): { requests: number; errors: number; inFlight: number } {
    const p = this.status.get('progress');
    return p?.type === 'progress' ? p : { requests: 0, errors: 0, inFlight: 0 };
  }
}

export async function runHistory(opts: HistoryOptions): Promise<number> {
  const loadavgAtStart = loadavg()[0] ?? 0;
  const warmupMs = opts.warmupS * 1000;
  const durationMs = opts.durationS * 1000;
  const requestTimeoutMs = opts.requestTimeoutS * 1000;
  // The preload runs first and is bounded by its size (generous: ~10 µs per message, 10 min floor).
  armHardTimeout(600_000 + opts.dataset.messages / 100 + 120_000 + warmupMs + durationMs + requestTimeoutMs);

  const dataset = await ensureDataset(opts.dataset, opts.cacheDir, { rebuild: opts.rebuild });
  const sut = await serverUnderTest({ url: null, sdkAppID: null, secretKey: null }, { dataDir: dataset.dir, processes: opts.serverProcesses });

  const workers = Array.from({ length: opts.workers }, (_, i) => new HistoryWorker(i));
  const seed = Date.now() % 1_000_000;
  for (const w of workers) {
    w.send({
      type: 'init',
      workerIndex: w.index,
      workers: opts.workers,
      users: opts.users,
      dataset: opts.dataset,
      url: sut.url,
      sdkAppID: sut.sdkAppID,
      secretKey: sut.secretKey,
      connectConcurrency: 50,
      connectTimeoutMs: 30_000,
      pages: opts.pages,
      seed,
      client: opts.client,
    });
  }
  const readies = await withTimeout(Promise.all(workers.map((w) => w.next('ready'))), 60_000 + opts.users * 20, 'logging in');
  const loggedIn = readies.reduce((a, r) => a + r.loggedIn, 0);
  log(`${loggedIn}/${opts.users} users logged in`);
  for (const sample of readies.flatMap((r) => r.failureSamples).slice(0, 5)) log(`  ${sample}`);
  if (loggedIn === 0) abort('no user could log in; nothing to measure');

  const t0 = Date.now() + 250 + 10 * opts.workers;
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + durationMs;
  for (const w of workers) w.send({ type: 'start', t0, warmupMs, durationMs, rate: opts.rate / opts.workers, window: opts.window, requestTimeoutMs });
  log(
    `fetching for ${opts.warmupS} s warmup + ${opts.durationS} s measured, ${opts.pages} page(s) per fetch, ` +
      (opts.rate === 0 ? `closed loop, ${opts.window} in flight per user` : `target ${opts.rate} fetches/s, at most ${opts.window} in flight per user`),
  );
  const probe = new ServerProbe(sut.server, windowStart, windowEnd);
  let lastRequests = 0;
  const dones = await finishPacedRun<HistoryDoneMsg>({
    workers,
    t0,
    windowStart,
    windowEnd,
    timeoutMs: t0 - Date.now() + warmupMs + durationMs + requestTimeoutMs + 20_000,
    what: 'fetching',
    probe,
    server: sut.server,
    progressLine: (dtS) => {
      const sum = sumProgress(workers.map((w) => w.progress()), ['requests', 'errors', 'inFlight']);
      const line = `pages ${Math.round((sum.requests - lastRequests) / dtS)}/s  in flight ${sum.inFlight}  errors ${sum.errors}`;
      lastRequests = sum.requests;
      return line;
    },
  });

  const sumOf = (f: (d: (typeof dones)[number]) => number) => dones.reduce((a, d) => a + f(d), 0);
  const lat = mergeHistograms(dones.map((d) => d.latency)).summary();
  const windowRequests = sumOf((d) => d.windowRequests);
  const windowOk = sumOf((d) => d.windowOk);
  const errors = sumCounters(dones.map((d) => d.errors));
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  const checks = { good: sumOf((d) => d.good), missing: sumOf((d) => d.missing), duplicated: sumOf((d) => d.duplicated), outOfOrder: sumOf((d) => d.outOfOrder), bad: sumOf((d) => d.bad) };
  const loadgenCpuMs = sumOf((d) => d.cpuMs);
  const result = {
    workload: 'history',
    offered_per_s: round(opts.rate > 0 ? opts.rate * opts.pages : windowRequests / opts.durationS, 1),
    /** Pages (msg.list answers) per second. */
    achieved_per_s: round(windowOk / opts.durationS, 1),
    p50_ms: round(lat.p50),
    p95_ms: round(lat.p95),
    p99_ms: round(lat.p99),
    max_ms: round(lat.max),
    lost: checks.missing,
    duplicated: checks.duplicated,
    out_of_order: checks.outOfOrder,
    server_cpu_s: probe.cpuMs !== null ? round(probe.cpuMs / 1000, 2) : null,
    server_rss_mb: probe.rssMB,
    loadgen_cpu_s: round(loadgenCpuMs / 1000, 2),
    ...serverProcessFields(sut.server, probe),
    messages: opts.dataset.messages,
    conversations: opts.dataset.conversations,
    owners: opts.dataset.owners,
    users: loggedIn,
    client: opts.client,
    pages_per_fetch: opts.pages,
    page_size: 15,
    target_rate: opts.rate,
    window: opts.window,
    workers: opts.workers,
    duration_s: opts.durationS,
    warmup_s: opts.warmupS,
    requests: windowRequests,
    ok: windowOk,
    good_pages: checks.good,
    bad_pages: checks.bad,
    errors: errorCount,
    error_codes: errors,
    latency_ms: latencyFields(lat),
    backlog: sumOf((d) => d.backlog),
    total_requests: sumOf((d) => d.totalRequests),
    dataset_dir: dataset.dir,
    dataset_cached: !dataset.built,
    preload_s: dataset.buildS,
    db_gb: round(dataset.dbBytes / 1e9, 2),
    server: 'spawned',
    server_cpu_pct: probe.cpuMs !== null ? round((100 * probe.cpuMs) / durationMs, 1) : null,
    loadgen_cpu_pct: round((100 * loadgenCpuMs) / durationMs, 1),
    loadgen_loop_delay_ms: { p99: round(Math.max(...dones.map((d) => d.loopDelayP99Ms))), max: round(Math.max(...dones.map((d) => d.loopDelayMaxMs))) },
    ...environmentFields(loadavgAtStart),
  };
  log(
    `${result.achieved_per_s} pages/s, latency p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms; pages: ${checks.good} good, ${checks.bad} bad, ` +
      `${checks.missing} messages missing, ${checks.duplicated} duplicated, ${checks.outOfOrder} out of order; ${errorCount} errors`,
  );
  await emitResult(result, opts.out);
  return checks.missing > 0 || checks.duplicated > 0 || checks.outOfOrder > 0 || checks.bad > 0 || errorCount > 0 ? 1 : 0;
}

/**
 * The `group` and `avchatroom` workloads' parent. Starts the server
 * (proc.ts), forks group-worker.js processes, has worker 0 create the group
 * (and fill it, for `group`), connects every member in batches, runs the
 * senders, drains, merges, and prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { LatencyHistogram, latencyFields, round } from './stats.js';
import {
  PRIORITIES,
  anonymousCount,
  formatPriorityMix,
  parsePriorityMix,
  workerOfMember,
  type Priority,
  type PriorityMix,
} from './group-logic.js';
import type {
  GroupDrainedMsg,
  GroupParentMsg,
  GroupReadyMsg,
  GroupSentMsg,
  GroupWorkerMsg,
  GroupWorkload,
  PriorityCounts,
} from './group-ipc.js';
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
  workersForSockets,
} from './proc.js';

export const GROUP_USAGE = `Usage: node bench/dist/cli.js group [options]     (npm run bench -- group [options])

One Work group ("Private") with N members online: member 0 creates it and adds
the others with group.add-members in batches of 500; then everyone logs in and
members 0 … S−1 send TIMTextElem messages to the group. Measures deliveries
(messages × receiving members) per second, end-to-end latency per delivery,
loss, duplicates and group-sequence order per member. One JSON line on stdout.

Options:
  --members N              members online, including the owner (≥ 2), default 1000
  --senders S              members that send (members 0 … S−1), default 1
  --rate R | max           target total msgs/s; max (or 0) = closed loop, default max
  --window W               messages each sender keeps in flight (1–256), default 1
  --duration S             measured seconds, default 10
  --warmup S               unmeasured seconds before that, default 2
  --drain S                max seconds to wait for deliveries after sending stops, default 5
  --workers K              load-generator processes, default ⌈members / 15000⌉ (each member
                           a socket; past ~26,000 members the sockets come from 127.0.0.2, …)
  --server-processes N     node processes of the spawned server, default 1 (one holds < 20,000
                           sockets); N > 1 runs it in cluster mode with Redis
                           (PARLEY_BENCH_REDIS_URL, default redis://127.0.0.1:6379)
  --connect-concurrency N  connections + logins in flight per worker, default 100
  --client lean|sdk        lean raw-protocol client (default) or the real @parley/sdk, one instance per member
  --ack-timeout S          an unacked message counts as timed out after S seconds, default 10
  --url ws://127.0.0.1:P/ws  bench a running server (loopback only); it needs
                           PARLEY_GROUP_MAX_MEMBERS='{"Private":N}' for N > 200
  --sdkappid N, --secret-key K   with --url: the server's identity
  --out FILE               also append the JSON line to FILE

Exit code: 0 ok, 1 loss, duplicates or out-of-order deliveries, 2 the run could not complete.`;

export const AVCHATROOM_USAGE = `Usage: node bench/dist/cli.js avchatroom [options]     (npm run bench -- avchatroom [options])

One AVChatRoom with N members online: member 0 creates it; a fraction of the
others join anonymously (group.join-anonymous on a fresh socket, no login),
the rest log in and group.join. Members 0 … S−1 (logged in) send at --rate with
priorities from --priority-mix. Measures deliveries per second, latency, and
per priority: sent, acked, shed by the room's rate limit (10023, not loss),
delivered, lost. One JSON line on stdout.

Options:
  --members N              members online (sockets), including the owner, default 10000
  --anonymous-fraction F   share of members joining anonymously (0–1), default 0.5
  --senders S              members that send (0 … S−1, always logged in), default 1
  --rate R | max           target total msgs/s; max (or 0) = closed loop, default 10
  --window W               messages each sender keeps in flight (1–256), default 1
  --priority-mix MIX       High:Normal:Low:Lowest weights (e.g. 1:8:1, 1:1:1:1,
                           High=1,Low=3 or Normal), default 1:1:1:1
  --group-send-rate N      spawned server's per-room send limit (PARLEY_GROUP_SEND_RATE),
                           default: the server's own (40/s); 0 = off
  --duration S             measured seconds, default 10
  --warmup S               unmeasured seconds before that, default 2
  --drain S                max seconds to wait for deliveries after sending stops, default 5
  --workers K              load-generator processes, default ⌈members / 15000⌉
  --server-processes N     node processes of the spawned server, default 1; 100,000 members
                           need 6 (cluster mode with Redis, as for group)
  --connect-concurrency N  new sockets (login, or anonymous join) in flight per worker, default 100
  --join-concurrency N     group.join requests in flight per worker on logged-in sockets, default 1000
  --client lean|sdk        lean raw-protocol client (default) or the real @parley/sdk
  --ack-timeout S          default 10
  --url, --sdkappid, --secret-key, --out   as for group

Exit code: 0 ok, 1 loss, duplicates, out-of-order deliveries or a shed High message,
2 the run could not complete.`;

export interface GroupOptions {
  workload: GroupWorkload;
  members: number;
  senders: number;
  anonymousFraction: number;
  rate: number;
  window: number;
  priorityMix: PriorityMix;
  groupSendRate: number | null;
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
  joinConcurrency: number;
  client: ClientKind;
}

export function parseGroupArgs(workload: GroupWorkload, rest: readonly string[]): GroupOptions | 'help' {
  const known = new Set([
    '--members',
    '--senders',
    '--rate',
    '--window',
    '--priority-mix',
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
  ]);
  if (workload === 'avchatroom') {
    known.add('--anonymous-fraction');
    known.add('--group-send-rate');
    known.add('--join-concurrency');
  }
  const raw = parseFlags(rest, known);
  if (raw === 'help') return 'help';
  const num = (name: string, def: number, min: number, max: number, integer: boolean) => numOption(raw, name, def, min, max, integer);
  const target = serverTarget(raw);
  const room = workload === 'avchatroom';
  const members = num('--members', room ? 10_000 : 1000, 2, 1_000_000, true);
  let priorityMix: PriorityMix;
  try {
    priorityMix = parsePriorityMix(raw.get('--priority-mix') ?? (room ? '1:1:1:1' : 'Normal'));
  } catch (err) {
    throw new UsageError(`--priority-mix: ${err instanceof Error ? err.message : String(err)}`);
  }
  const opts: GroupOptions = {
    workload,
    members,
    senders: num('--senders', 1, 1, members, true),
    anonymousFraction: room ? num('--anonymous-fraction', 0.5, 0, 1, false) : 0,
    rate: rateOption(raw, room ? 10 : 0),
    window: num('--window', 1, 1, 256, true),
    priorityMix,
    groupSendRate: room && raw.has('--group-send-rate') ? num('--group-send-rate', 40, 0, 1_000_000, true) : null,
    durationS: num('--duration', 10, 0.1, 86_400, false),
    warmupS: num('--warmup', 2, 0, 3600, false),
    drainS: num('--drain', 5, 0, 600, false),
    workers: num('--workers', workersForSockets(members), 1, 256, true),
    serverProcesses: serverProcessesOption(raw),
    url: target.url,
    sdkAppID: target.sdkAppID,
    secretKey: target.secretKey,
    out: raw.get('--out') ?? null,
    ackTimeoutS: num('--ack-timeout', 10, 0.1, 600, false),
    connectConcurrency: num('--connect-concurrency', 100, 1, 10_000, true),
    joinConcurrency: room ? num('--join-concurrency', 1000, 1, 100_000, true) : 0,
    client: clientOption(raw),
  };
  if (opts.workers > opts.members) throw new UsageError(`--workers (${opts.workers}) must not exceed --members (${opts.members})`);
  if (opts.groupSendRate !== null && opts.url !== null) throw new UsageError('--group-send-rate configures the spawned server; an external (--url) server keeps its own');
  return opts;
}

const STATUS_TYPES = new Set(['progress', 'connecting']);

class GroupWorker extends WorkerProc<GroupParentMsg, GroupWorkerMsg> {
  constructor(index: number) {
    super(index, './group-worker.js', STATUS_TYPES);
  }

  progress(): { sent: number; acked: number; shed: number; deliveries: number; errors: number; inFlight: number } {
    const p = this.status.get('progress');
    return p?.type === 'progress' ? p : { sent: 0, acked: 0, shed: 0, deliveries: 0, errors: 0, inFlight: 0 };
  }

  connecting(): { done: number; failed: number } {
    const c = this.status.get('connecting');
    return c?.type === 'connecting' ? c : { done: 0, failed: 0 };
  }
}

function sumCounts(items: PriorityCounts[]): PriorityCounts {
  const out: PriorityCounts = { High: 0, Normal: 0, Low: 0, Lowest: 0 };
  for (const c of items) for (const p of PRIORITIES) out[p] += c[p];
  return out;
}

export async function runGroup(opts: GroupOptions): Promise<number> {
  const room = opts.workload === 'avchatroom';
  const setupPhaseMs = 60_000 + opts.members * 2;
  const connectPhaseMs = 150_000 + opts.members * 10;
  const warmupMs = opts.warmupS * 1000;
  const durationMs = opts.durationS * 1000;
  const drainMs = opts.drainS * 1000;
  const ackTimeoutMs = opts.ackTimeoutS * 1000;
  armHardTimeout(20_000 + setupPhaseMs + connectPhaseMs + warmupMs + durationMs + ackTimeoutMs + drainMs + 30_000);

  const loadavgAtStart = loadavg()[0] ?? 0;
  const env: Record<string, string> = {};
  if (opts.url === null) {
    // Work groups hold 200 by default; the bench's group must fit.
    if (!room) env['PARLEY_GROUP_MAX_MEMBERS'] = JSON.stringify({ Private: Math.max(200, opts.members) });
    if (opts.groupSendRate !== null) env['PARLEY_GROUP_SEND_RATE'] = String(opts.groupSendRate);
  }
  const { server, url, sdkAppID, secretKey } = await serverUnderTest(opts, { env, processes: opts.serverProcesses });
  warnSocketLimits(opts.members, opts.workers, server);
  const perSourceAddress = connectionsPerSourceAddress();

  const anonymous = room ? anonymousCount(opts.members, opts.senders, opts.anonymousFraction) : 0;
  const prefix = `b${randomBytes(3).toString('hex')}u`;
  const workers = Array.from({ length: opts.workers }, (_, i) => new GroupWorker(i));
  for (const w of workers) {
    w.send({
      type: 'init',
      workload: opts.workload,
      workerIndex: w.index,
      workers: opts.workers,
      members: opts.members,
      senders: opts.senders,
      anonymous,
      url,
      sdkAppID,
      secretKey,
      prefix,
      window: opts.window,
      priorityMix: opts.priorityMix,
      connectConcurrency: opts.connectConcurrency,
      joinConcurrency: opts.joinConcurrency,
      connectTimeoutMs: 30_000,
      groupType: room ? 'AVChatRoom' : 'Private',
      client: opts.client,
      perSourceAddress,
    });
  }

  // Setup: member 0 (on worker 0) creates the group and, for `group`, adds everyone.
  log(room ? 'creating the AVChatRoom…' : `creating a Work group and adding ${opts.members - 1} members in batches of 500…`);
  const ownerWorker = workers[workerOfMember(0, opts.workers)]!;
  ownerWorker.send({ type: 'setup' });
  const setup = await withTimeout(ownerWorker.next('setupDone'), setupPhaseMs, 'group setup');
  log(
    `group ${setup.groupID} ready in ${(setup.setupMs / 1000).toFixed(1)} s` +
      (room ? '' : `: ${setup.added} members added${setup.notAdded > 0 ? `, ${setup.notAdded} refused` : ''}`),
  );
  if (!room && setup.added + 1 < opts.members) abort(`only ${setup.added + 1} of ${opts.members} members are in the group`);

  // Connect everyone, in batches of --connect-concurrency per worker.
  log(
    `connecting ${opts.members} members over ${opts.workers} worker(s)` +
      (room ? ` (${anonymous} anonymous, ${opts.members - anonymous} logged in + group.join)` : '') +
      `, ${opts.connectConcurrency} in flight per worker…`,
  );
  for (const w of workers) w.send({ type: 'connect', groupID: setup.groupID });
  const connectTicker = setInterval(() => {
    const done = workers.reduce((n, w) => n + w.connecting().done, 0);
    const failed = workers.reduce((n, w) => n + w.connecting().failed, 0);
    log(`connecting: ${done}/${opts.members} done, ${failed} failed`);
  }, 2000);
  let readies: GroupReadyMsg[];
  try {
    readies = await withTimeout(Promise.all(workers.map((w) => w.next('ready'))), connectPhaseMs, 'connecting');
  } finally {
    clearInterval(connectTicker);
  }
  const failedMembers = readies.flatMap((r) => r.failedMembers);
  const connectMs = Math.max(...readies.map((r) => r.connectMs));
  const online = opts.members - failedMembers.length;
  const loggedIn = readies.reduce((a, r) => a + r.loggedIn, 0);
  const anonymousOnline = readies.reduce((a, r) => a + r.anonymous, 0);
  const connectGroupFrames = readies.reduce((a, r) => a + r.groupFramesWhileConnecting, 0);
  log(
    `connected ${online}/${opts.members} members in ${(connectMs / 1000).toFixed(1)} s (${Math.round(online / Math.max(0.001, connectMs / 1000))}/s)` +
      (connectGroupFrames > 0 ? `; meanwhile the members received ${connectGroupFrames} group frames (join tips, …)` : ''),
  );
  if (failedMembers.length > 0) {
    log(`${failedMembers.length} connection(s) failed, e.g.:`);
    for (const sample of readies.flatMap((r) => r.failureSamples).slice(0, 5)) log(`  ${sample}`);
  }
  const failedSet = new Set(failedMembers);
  const activePerWorker = workers.map((w) => {
    let n = 0;
    for (let u = 0; u < opts.senders; u++) if (workerOfMember(u, opts.workers) === w.index && !failedSet.has(u)) n++;
    return n;
  });
  const activeSenders = activePerWorker.reduce((a, b) => a + b, 0);
  if (activeSenders === 0) abort('no sender could connect; nothing to measure');
  if (online < 2) abort('fewer than two members are online; nothing to measure');
  /** Every message goes to every online member but its sender. */
  const receiversPerMessage = online - 1;

  // Send.
  const t0 = Date.now() + 250 + 2 * opts.workers;
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + durationMs;
  for (const w of workers) {
    const share = opts.rate === 0 ? 0 : (opts.rate * activePerWorker[w.index]!) / activeSenders;
    w.send({ type: 'start', t0, warmupMs, durationMs, rate: share, ackTimeoutMs });
  }
  log(
    `running: ${opts.warmupS} s warmup + ${opts.durationS} s measured, ${activeSenders} sender(s), ` +
      (opts.rate === 0 ? `closed loop, window ${opts.window}` : `target ${opts.rate} msgs/s, window ${opts.window}`) +
      (room ? `, priorities ${formatPriorityMix(opts.priorityMix)}` : ''),
  );
  const probe = new ServerProbe(server, windowStart, windowEnd);
  let last = { at: t0, sent: 0, acked: 0, deliveries: 0 };
  const progressTicker = setInterval(() => {
    const now = Date.now();
    if (now < t0) return;
    const sum = { sent: 0, acked: 0, shed: 0, deliveries: 0, errors: 0, inFlight: 0 };
    for (const w of workers) {
      const p = w.progress();
      for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += p[k];
    }
    const dt = Math.max(0.001, (now - last.at) / 1000);
    const phase = now < windowStart ? 'warmup' : now < windowEnd ? 'measure' : 'drain';
    log(
      `${phase.padEnd(7)} t=${((now - t0) / 1000).toFixed(0).padStart(3)}s  ` +
        `sent ${Math.round((sum.sent - last.sent) / dt)}/s  acked ${Math.round((sum.acked - last.acked) / dt)}/s  ` +
        `deliveries ${Math.round((sum.deliveries - last.deliveries) / dt)}/s  in-flight ${sum.inFlight}  shed ${sum.shed}  errors ${sum.errors}`,
    );
    last = { at: now, sent: sum.sent, acked: sum.acked, deliveries: sum.deliveries };
  }, 1000);

  let sents: GroupSentMsg[];
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

  // Drain: every worker learns every sender's acked messages and waits until its members have them.
  const acked = sents.flatMap((s) => s.acked);
  const deadline = Date.now() + drainMs;
  for (const w of workers) w.send({ type: 'drain', acked, deadline });
  let drains: GroupDrainedMsg[];
  try {
    drains = await withTimeout(Promise.all(workers.map((w) => w.next('drained'))), drainMs + 30_000, 'draining');
  } finally {
    clearInterval(progressTicker);
  }

  markFinishing();
  for (const w of workers) w.send({ type: 'finish' });
  await Promise.all(workers.map((w) => w.waitGone()));
  await stopServer(server);

  // Merge.
  const sumOf = <T>(items: T[], f: (x: T) => number) => items.reduce((a, x) => a + f(x), 0);
  const latency = new LatencyHistogram();
  const ackLatency = new LatencyHistogram();
  const latencyBy: Record<Priority, LatencyHistogram> = {
    High: new LatencyHistogram(),
    Normal: new LatencyHistogram(),
    Low: new LatencyHistogram(),
    Lowest: new LatencyHistogram(),
  };
  for (const d of drains) {
    latency.merge(d.latency);
    for (const p of PRIORITIES) latencyBy[p].merge(d.latencyByPriority[p]);
  }
  for (const s of sents) ackLatency.merge(s.ackLatency);
  const errorCodes: Record<string, number> = {};
  for (const s of sents) for (const [code, n] of Object.entries(s.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  const errors = sumOf(Object.values(errorCodes), (n) => n) + sumOf(sents, (s) => s.errorFrames);
  const sentBy = sumCounts(sents.map((s) => s.sentByPriority));
  const ackedBy = sumCounts(sents.map((s) => s.ackedByPriority));
  const shedBy = sumCounts(sents.map((s) => s.shedByPriority));
  const lostBy = sumCounts(drains.map((d) => d.lostByPriority));
  const deliveredBy = sumCounts(drains.map((d) => d.deliveredByPriority));
  const lost = sumOf(PRIORITIES.slice(), (p) => lostBy[p]);
  const shed = sumOf(PRIORITIES.slice(), (p) => shedBy[p]);
  const duplicated = sumOf(drains, (d) => d.duplicates);
  const outOfOrder = sumOf(drains, (d) => d.outOfOrder);
  const windowSent = sumOf(sents, (s) => s.windowSent);
  const windowAcked = sumOf(sents, (s) => s.windowAcked);
  const windowDeliveries = sumOf(drains, (d) => d.windowDeliveries);
  const loadgenCpuMs = sumOf(sents, (s) => s.cpuMs);
  const lat = latency.summary();
  const offeredMsgsPerS = opts.rate > 0 ? opts.rate : windowSent / opts.durationS;
  const serverCpuMs = probe.cpuMs;

  const byPriority: Record<string, object> = {};
  for (const p of PRIORITIES) {
    if (sentBy[p] === 0) continue;
    const l = latencyBy[p].summary();
    byPriority[p] = {
      sent: sentBy[p],
      acked: ackedBy[p],
      shed: shedBy[p],
      delivered: deliveredBy[p],
      lost: lostBy[p],
      p50_ms: round(l.p50),
      p99_ms: round(l.p99),
      max_ms: round(l.max),
    };
  }

  const result = {
    // The common fields of every workload (issue 6).
    workload: opts.workload,
    offered_per_s: round(offeredMsgsPerS * receiversPerMessage, 1),
    achieved_per_s: round(windowDeliveries / opts.durationS, 1),
    p50_ms: round(lat.p50),
    p95_ms: round(lat.p95),
    p99_ms: round(lat.p99),
    max_ms: round(lat.max),
    lost,
    duplicated,
    out_of_order: outOfOrder,
    server_cpu_s: serverCpuMs !== null ? round(serverCpuMs / 1000, 2) : null,
    server_rss_mb: probe.rssMB,
    loadgen_cpu_s: round(loadgenCpuMs / 1000, 2),
    ...serverProcessFields(server, probe),
    // Workload details.
    client: opts.client,
    members: opts.members,
    online,
    ...(room ? { logged_in: loggedIn, anonymous: anonymousOnline, anonymous_fraction: opts.anonymousFraction } : { group_type: 'Private' }),
    senders: activeSenders,
    receivers_per_message: receiversPerMessage,
    workers: opts.workers,
    source_addresses: Math.max(1, Math.ceil(opts.members / perSourceAddress)),
    duration_s: opts.durationS,
    warmup_s: opts.warmupS,
    target_rate: opts.rate,
    window: opts.window,
    ...(room ? { priority_mix: formatPriorityMix(opts.priorityMix), group_send_rate: opts.groupSendRate } : {}),
    offered_msgs_per_s: round(offeredMsgsPerS, 1),
    sent: windowSent,
    acked: windowAcked,
    acked_per_s: round(windowAcked / opts.durationS, 1),
    deliveries: windowDeliveries,
    latency_ms: latencyFields(lat),
    ack_latency_ms: latencyFields(ackLatency.summary()),
    shed,
    ...(room ? { by_priority: byPriority } : {}),
    expected_deliveries: sumOf(drains, (d) => d.expected),
    incomplete_members: sumOf(drains, (d) => d.incompleteMembers),
    errors,
    error_codes: errorCodes,
    connect_failed: failedMembers.length,
    disconnects: sumOf(drains, (d) => d.disconnects),
    kicked: sumOf(drains, (d) => d.kicked),
    ack_timeouts: sumOf(sents, (s) => s.ackTimeouts),
    unexpected: sumOf(drains, (d) => d.unexpected),
    other_group_frames: sumOf(drains, (d) => d.otherGroupFrames),
    backlog: sumOf(sents, (s) => s.backlog),
    total: {
      sent: sumOf(sents, (s) => s.totalSent),
      acked: sumOf(sents, (s) => s.totalAcked),
      deliveries: sumOf(drains, (d) => d.totalDeliveries),
    },
    setup_s: round(setup.setupMs / 1000, 2),
    connect_s: round(connectMs / 1000, 2),
    connects_per_s: round(online / Math.max(0.001, connectMs / 1000), 1),
    connect_stages_s: room
      ? {
          login: round(Math.max(...readies.map((r) => r.loginMs)) / 1000, 2),
          join: round(Math.max(...readies.map((r) => r.joinMs)) / 1000, 2),
          anonymous: round(Math.max(...readies.map((r) => r.anonymousMs)) / 1000, 2),
          settle: round(Math.max(...readies.map((r) => r.settleMs)) / 1000, 2),
        }
      : { login: round(Math.max(...readies.map((r) => r.loginMs)) / 1000, 2), settle: round(Math.max(...readies.map((r) => r.settleMs)) / 1000, 2) },
    connect_group_frames: connectGroupFrames,
    drain_s: round(Math.max(...drains.map((d) => d.drainMs)) / 1000, 2),
    server: server ? 'spawned' : 'external',
    server_cpu_pct: serverCpuMs !== null ? round((100 * serverCpuMs) / durationMs, 1) : null,
    server_disk_write_mb: probe.writeBytes !== null ? round(probe.writeBytes / 1e6, 1) : null,
    loadgen_cpu_pct: round((100 * loadgenCpuMs) / durationMs, 1),
    loadgen_loop_delay_ms: {
      p99: round(Math.max(...sents.map((s) => s.loopDelayP99Ms))),
      max: round(Math.max(...sents.map((s) => s.loopDelayMaxMs))),
    },
    loadgen_frames_per_s: round(sumOf(drains, (d) => d.framesInWindow) / opts.durationS, 1),
    parse_cache_hit_ratio: round(sumOf(drains, (d) => d.parseCacheHits) / drains.length, 4),
    loadavg1: round(loadavgAtStart, 2),
    node: process.version,
    cpus: cpus().length,
    date: new Date().toISOString(),
  };
  log(
    `${result.achieved_per_s} deliveries/s (${result.acked_per_s} msgs/s acked × ${receiversPerMessage} receivers), ` +
      `latency p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms, lost ${lost}, shed ${shed}, duplicated ${duplicated}, ` +
      `out of order ${outOfOrder}, errors ${errors}, connect failures ${failedMembers.length}`,
  );
  await emitResult(result, opts.out);
  const highBroken = shedBy.High > 0 || lostBy.High > 0;
  if (highBroken) log(`High priority was shed (${shedBy.High}) or lost (${lostBy.High}): the server must never drop High`);
  return lost > 0 || duplicated > 0 || outOfOrder > 0 || highBroken ? 1 : 0;
}

/**
 * c2c load-generator worker: a child process forked by c2c-run.ts. Hosts the
 * users u with u % workers === workerIndex, each with its own connection —
 * the lean raw-protocol client (conn.ts) or, with `--client sdk`, an instance
 * of the real @parley/sdk (sdk-endpoints.ts) — logs them in, sends TIMTextElem
 * messages to each user's peer (closed loop or at a target rate), and records
 * acks and pushes. Everything it learns goes back to the parent over IPC
 * (see c2c-ipc.ts); it prints nothing on stdout.
 */
import { performance } from 'node:perf_hooks';
import { Bitset, LatencyHistogram } from './stats.js';
import { peerOf, userID, workerOf, type DrainMsg, type InitMsg, type ParentMsg, type StartMsg, type WorkerMsg } from './c2c-ipc.js';
import { runPool, sourceAddressFor, type ConnTarget } from './conn.js';
import { benchText, parseBenchText, type C2CEndpoint, type C2CEvents } from './endpoints.js';
import { LeanC2CEndpoint } from './lean-endpoints.js';
import { SdkC2CEndpoint } from './sdk-endpoints.js';
import { countErrors, fatal, installWorkerGuards, paceOpenLoop, postToParent, sleep, WindowMeter } from './worker-runtime.js';

/** Pause before a user sends again after an error response (keeps a failing server from being hammered in a hot loop). */
const ERROR_BACKOFF_MS = 10;
const PROGRESS_INTERVAL_MS = 250;

interface Pending {
  sentPerf: number;
  inWindow: boolean;
}

interface User {
  index: number;
  id: string;
  endpoint: C2CEndpoint;
  nextN: number;
  /** Messages in flight, by number. */
  pending: Map<number, Pending>;
  acked: Bitset;
  retryTimer: NodeJS.Timeout | null;
}

type Phase = 'idle' | 'connecting' | 'ready' | 'running' | 'draining' | 'finishing';

let init: InitMsg | null = null;
let phase: Phase = 'idle';
const users: User[] = [];
let prefix = '';

// Sender-side counters.
let totalSent = 0;
let totalAcked = 0;
let windowSent = 0;
let windowAcked = 0;
let errorFrames = 0;
let ackTimeouts = 0;
let serverDuplicates = 0;
let backlog = 0;
const errorCodes: Record<string, number> = {};
const ackLatency = new LatencyHistogram();
let inFlight = 0;

// Receiver-side state: every sender has exactly one receiver, so key by sender.
const receivedBySender = new Map<number, Bitset>();
let totalReceived = 0;
let windowReceived = 0;
let duplicates = 0;
/** Pushes whose conversation seq was not above the previous one from the same sender (C2C seqs rise per conversation). */
let outOfOrder = 0;
const lastSeqBySender = new Map<number, number>();
let unexpected = 0;
let disconnects = 0;
let kicked = 0;
const latency = new LatencyHistogram();

// Measured window, epoch ms (due times are compared against it).
let windowStart = Infinity;
let windowEnd = -Infinity;
let sending = false;
/** The current run's parameters (set by `start`). */
let start: StartMsg | null = null;

const post: (msg: WorkerMsg) => void = postToParent;

function errorCount(): number {
  return countErrors(errorFrames, errorCodes);
}

// ---------------------------------------------------------------- what the endpoints report

function onAck(user: User, n: number, code: number, duplicate: boolean, recvEpoch: number): void {
  const entry = user.pending.get(n);
  if (!entry) return; // timed out earlier
  user.pending.delete(n);
  inFlight--;
  if (code === 0) {
    user.acked.add(n);
    totalAcked++;
    if (duplicate) serverDuplicates++;
    if (entry.inWindow) {
      windowAcked++;
      ackLatency.record(recvEpoch - performance.timeOrigin - entry.sentPerf);
    }
  } else {
    errorCodes[String(code)] = (errorCodes[String(code)] ?? 0) + 1;
  }
  if (sending && start !== null && start.rate === 0) {
    if (code === 0) sendOne(user, null);
    else scheduleRetry(user);
  }
}

function onReceived(receiver: User, from: string, text: unknown, seq: number, recvEpoch: number): void {
  const bench = parseBenchText(text);
  if (!init || !from.startsWith(prefix) || bench === null) {
    unexpected++;
    return;
  }
  const sender = Number(from.slice(prefix.length));
  if (!Number.isInteger(sender) || sender < 0 || sender >= init.users || peerOf(sender, init.users) !== receiver.index) {
    unexpected++;
    return;
  }
  let set = receivedBySender.get(sender);
  if (!set) {
    set = new Bitset();
    receivedBySender.set(sender, set);
  }
  if (!set.add(bench.n)) {
    duplicates++;
    return;
  }
  totalReceived++;
  // Every sender has exactly one receiver, so the sender's conversation seq must rise with every new push.
  if (seq > 0) {
    const last = lastSeqBySender.get(sender) ?? 0;
    if (seq <= last) outOfOrder++;
    else lastSeqBySender.set(sender, seq);
  }
  if (bench.dueEpoch >= windowStart && bench.dueEpoch < windowEnd) {
    windowReceived++;
    latency.record(recvEpoch - bench.dueEpoch);
  }
}

function onClosed(user: User): void {
  if (phase === 'ready' || phase === 'running' || phase === 'draining') disconnects++;
  // Whatever was in flight on this socket will never be acked.
  ackTimeouts += user.pending.size;
  inFlight -= user.pending.size;
  user.pending.clear();
}

function eventsFor(user: User): C2CEvents {
  return {
    acked: (n, code, duplicate, recvEpoch) => onAck(user, n, code, duplicate, recvEpoch),
    received: (from, text, seq, recvEpoch) => onReceived(user, from, text, seq, recvEpoch),
    closed: () => onClosed(user),
    kicked: () => void kicked++,
    errorFrame: () => void errorFrames++,
    unexpected: () => void unexpected++,
  };
}

// ---------------------------------------------------------------- connecting

async function connectAll(msg: InitMsg): Promise<void> {
  phase = 'connecting';
  const target: ConnTarget = { url: msg.url, sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, connectTimeoutMs: msg.connectTimeoutMs };
  for (let u = 0; u < msg.users; u++) {
    if (workerOf(u, msg.workers) !== msg.workerIndex) continue;
    const id = userID(prefix, u);
    const peerID = userID(prefix, peerOf(u, msg.users));
    const user = { index: u, id, nextN: 0, pending: new Map(), acked: new Bitset(), retryTimer: null } as Omit<User, 'endpoint'> as User;
    const events = eventsFor(user);
    user.endpoint =
      msg.client === 'sdk'
        ? new SdkC2CEndpoint(id, peerID, target, events)
        : new LeanC2CEndpoint(id, peerID, target, sourceAddressFor(u, msg.perSourceAddress, msg.users), events);
    users.push(user);
  }
  const failed: number[] = [];
  const failureSamples: string[] = [];
  let done = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < 500) return;
    lastReport = now;
    post({ type: 'connecting', done, failed: failed.length, total: users.length });
  };
  const connectMs = await runPool(
    users,
    msg.connectConcurrency,
    (user) => user.endpoint.connect(),
    (user, error) => {
      done++;
      if (error !== null) {
        failed.push(user.index);
        if (failureSamples.length < 5) failureSamples.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
      }
      report();
    },
  );
  report(true);
  phase = 'ready';
  post({ type: 'ready', failedUsers: failed, failureSamples, connectMs });
}

// ---------------------------------------------------------------- sending

/** Sends the user's next message; `dueEpoch` is its intended time in open loop (latency is measured from it). */
function sendOne(user: User, dueEpoch: number | null): void {
  if (!user.endpoint.open) return;
  const n = user.nextN++;
  const sentPerf = performance.now();
  const sentEpoch = performance.timeOrigin + sentPerf;
  const refEpoch = dueEpoch ?? sentEpoch;
  const inWindow = refEpoch >= windowStart && refEpoch < windowEnd;
  user.pending.set(n, { sentPerf, inWindow });
  inFlight++;
  totalSent++;
  if (inWindow) windowSent++;
  user.endpoint.send(n, benchText(sentEpoch, refEpoch, n), sentEpoch);
}

function scheduleRetry(user: User): void {
  if (user.retryTimer) return;
  user.retryTimer = setTimeout(() => {
    user.retryTimer = null;
    if (sending && start?.rate === 0 && user.pending.size < (init?.window ?? 1)) sendOne(user, null);
  }, ERROR_BACKOFF_MS);
}

function sweepTimeouts(timeoutMs: number): void {
  const now = performance.now();
  for (const user of users) {
    if (user.pending.size === 0) continue;
    for (const [n, entry] of user.pending) {
      if (now - entry.sentPerf <= timeoutMs) continue;
      user.pending.delete(n);
      inFlight--;
      ackTimeouts++;
      if (sending && start?.rate === 0) sendOne(user, null);
    }
  }
}

async function run(msg: StartMsg): Promise<void> {
  if (!init) throw new Error('start before init');
  const cfg = init;
  start = msg;
  phase = 'running';
  const failed = new Set(msg.failedUsers);
  // Senders: connected users whose partner connected too.
  const senders = users.filter((u) => u.endpoint.open && !failed.has(u.index) && !failed.has(peerOf(u.index, cfg.users)));
  windowStart = msg.t0 + msg.warmupMs;
  windowEnd = windowStart + msg.durationMs;
  const toPerf = (epoch: number) => epoch - performance.timeOrigin;

  const progress = setInterval(() => {
    post({ type: 'progress', sent: totalSent, acked: totalAcked, received: totalReceived, errors: errorCount(), inFlight });
  }, PROGRESS_INTERVAL_MS);
  const sweeper = setInterval(() => sweepTimeouts(msg.ackTimeoutMs), 250);
  const meter = new WindowMeter(windowStart, windowEnd);

  await sleep(Math.max(0, toPerf(msg.t0) - performance.now()));
  sending = true;
  const sendEndPerf = toPerf(windowEnd);

  if (msg.rate === 0) {
    // Closed loop: every sender keeps `window` messages in flight; each ack sends the next.
    for (let k = 0; k < cfg.window; k++) for (const u of senders) sendOne(u, null);
    await sleep(Math.max(0, sendEndPerf - performance.now()));
  } else {
    // Open loop at `rate` msgs/s, round-robin over the senders, each capped at `window` in flight.
    let cursor = 0;
    const paced = await paceOpenLoop({
      ratePerS: msg.rate,
      startPerf: performance.now(),
      endPerf: sendEndPerf,
      maxBacklog: Math.max(1, Math.ceil(msg.rate)), // at most one second of catch-up
      issue: (dueEpoch) => {
        for (let scanned = 0; scanned < senders.length; scanned++) {
          const u = senders[cursor]!;
          cursor = (cursor + 1) % senders.length;
          if (u.endpoint.open && u.pending.size < cfg.window) {
            sendOne(u, dueEpoch);
            return true;
          }
        }
        return false;
      },
    });
    backlog += paced.backlog;
  }
  sending = false;
  for (const u of users) {
    if (u.retryTimer) clearTimeout(u.retryTimer);
    u.retryTimer = null;
  }

  // Wait for the last acks (bounded by the ack timeout).
  const ackDeadline = performance.now() + msg.ackTimeoutMs;
  while (inFlight > 0 && performance.now() < ackDeadline) await sleep(5);
  sweepTimeouts(-1); // whatever is still pending now counts as timed out
  clearInterval(sweeper);
  clearInterval(progress);
  const load = meter.result();
  post({ type: 'progress', sent: totalSent, acked: totalAcked, received: totalReceived, errors: errorCount(), inFlight });

  post({
    type: 'sent',
    acked: users.filter((u) => u.acked.count > 0).map((u) => [u.index, u.acked.toBase64()]),
    totalSent,
    totalAcked,
    windowSent,
    windowAcked,
    ackLatency: ackLatency.toJSON(),
    errorCodes,
    errorFrames,
    ackTimeouts,
    serverDuplicates,
    backlog,
    ...load,
  });
}

async function drain(msg: DrainMsg): Promise<void> {
  phase = 'draining';
  const started = performance.now();
  const complete = () => msg.expected.every(([sender, count]) => (receivedBySender.get(sender)?.count ?? 0) >= count);
  while (!complete() && Date.now() < msg.deadline) await sleep(10);
  post({
    type: 'drained',
    received: [...receivedBySender].map(([sender, set]) => [sender, set.toBase64()]),
    windowReceived,
    totalReceived,
    duplicates,
    outOfOrder,
    unexpected,
    latency: latency.toJSON(),
    disconnects,
    kicked,
    drainMs: performance.now() - started,
  });
}

async function finish(): Promise<void> {
  phase = 'finishing';
  await Promise.race([Promise.all(users.map((u) => u.endpoint.close())), sleep(3000)]);
  process.exit(0);
}

installWorkerGuards();

process.on('message', (raw: unknown) => {
  const msg = raw as ParentMsg;
  switch (msg.type) {
    case 'init':
      if (init) return;
      init = msg;
      prefix = msg.prefix;
      connectAll(msg).catch(fatal);
      return;
    case 'start':
      run(msg).catch(fatal);
      return;
    case 'drain':
      drain(msg).catch(fatal);
      return;
    case 'finish':
      finish().catch(fatal);
      return;
  }
});

/**
 * group / avchatroom load-generator worker: a child process forked by
 * group-run.ts. Hosts the members u with u % workers === workerIndex, each on
 * its own raw-protocol WebSocket (logged in, or anonymous for part of an
 * AVChatRoom); members 0 … senders−1 also send. Worker 0 sets the group up
 * (member 0 is the owner). Everything it learns goes back to the parent over
 * IPC (group-ipc.ts); it prints nothing on stdout.
 *
 * The server serialises a fan-out message once and writes the same bytes to
 * every member, so this worker parses each distinct frame once (a small cache
 * keyed by the exact bytes) and then does the per-member bookkeeping —
 * duplicates, order, latency — for every socket that received it.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCode } from '@parley/protocol';
import { Bitset, LatencyHistogram } from './stats.js';
import {
  MemberReceipts,
  PRIORITIES,
  batches,
  isAnonymousMember,
  membersOfWorker,
  priorityCycle,
  splitByPriority,
  type Priority,
} from './group-logic.js';
import type {
  ConnectMsg,
  GroupDrainMsg,
  GroupInitMsg,
  GroupParentMsg,
  GroupStartMsg,
  GroupWorkerMsg,
  PriorityCounts,
} from './group-ipc.js';
import { runPool, sourceAddressFor, type ConnTarget } from './conn.js';
import { EndpointError, benchText, type BenchDelivery, type GroupEndpoint, type GroupEvents, type GroupPush } from './endpoints.js';
import { LeanGroupEndpoint, parseCacheHitRatio, type GroupContext } from './lean-endpoints.js';
import { SdkGroupEndpoint } from './sdk-endpoints.js';
import { countErrors, fatal, installWorkerGuards, paceOpenLoop, postToParent, sleep, WindowMeter } from './worker-runtime.js';

const ERROR_BACKOFF_MS = 10;
const PROGRESS_INTERVAL_MS = 250;
const ADD_MEMBERS_BATCH = 500;

interface Pending {
  priority: Priority;
  sentPerf: number;
  inWindow: boolean;
}

interface Member {
  index: number;
  /** userID; anonymous members have one too (for messages), but never log in with it. */
  id: string;
  anonymous: boolean;
  isSender: boolean;
  endpoint: GroupEndpoint;
  /** Gave up on while connecting. */
  failed: boolean;
  receipts: MemberReceipts;
  complete: boolean;
  // Sender side.
  nextN: number;
  /** Messages in flight, by number. */
  pending: Map<number, Pending>;
  acked: Bitset;
  retryTimer: NodeJS.Timeout | null;
}

type Phase = 'idle' | 'setup' | 'connecting' | 'ready' | 'running' | 'draining' | 'finishing';

let init: GroupInitMsg | null = null;
let phase: Phase = 'idle';
const ctx: GroupContext = { groupID: '', prefix: '', senders: 0 };
const members: Member[] = [];
const byIndex = new Map<number, Member>();
let cycle: Priority[] = ['Normal'];

const zeroCounts = (): PriorityCounts => ({ High: 0, Normal: 0, Low: 0, Lowest: 0 });

// Sender-side counters.
let totalSent = 0;
let totalAcked = 0;
let windowSent = 0;
let windowAcked = 0;
let errorFrames = 0;
let ackTimeouts = 0;
let backlog = 0;
let inFlight = 0;
const errorCodes: Record<string, number> = {};
const shedByPriority = zeroCounts();
const sentByPriority = zeroCounts();
const ackedByPriority = zeroCounts();
const ackLatency = new LatencyHistogram();

// Receiver-side counters.
let totalDeliveries = 0;
let windowDeliveries = 0;
let otherGroupFrames = 0;
/** Group frames other than bench messages (join tips, …) received while members were connecting. */
let setupGroupFrames = 0;
/** performance.now() of the last non-bench group frame (join tips …). */
let lastGroupFrameAt = 0;
/** After connecting, wait until no join tip etc. has arrived for this long … */
const SETTLE_QUIET_MS = 1000;
/** … but at most this long. */
const SETTLE_MAX_MS = 120_000;
let unexpected = 0;
let disconnects = 0;
let kicked = 0;
let framesInWindow = 0;
const latency = new LatencyHistogram();
const latencyByPriority: Record<Priority, LatencyHistogram> = {
  High: new LatencyHistogram(),
  Normal: new LatencyHistogram(),
  Low: new LatencyHistogram(),
  Lowest: new LatencyHistogram(),
};
const deliveredByPriority = zeroCounts();

let windowStart = Infinity;
let windowEnd = -Infinity;
let sending = false;
let start: GroupStartMsg | null = null;

const post: (msg: GroupWorkerMsg) => void = postToParent;

function errorCount(): number {
  return countErrors(errorFrames, errorCodes);
}

function shedCount(): number {
  return PRIORITIES.reduce((a, p) => a + shedByPriority[p], 0);
}

// ---------------------------------------------------------------- members

function makeMembers(msg: GroupInitMsg): void {
  ctx.prefix = msg.prefix;
  ctx.senders = msg.senders;
  const target: ConnTarget = { url: msg.url, sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, connectTimeoutMs: msg.connectTimeoutMs };
  for (const u of membersOfWorker(msg.workerIndex, msg.workers, msg.members)) {
    const anonymous = msg.workload === 'avchatroom' && isAnonymousMember(u, msg.members, msg.senders, msg.anonymous);
    const id = `${msg.prefix}${u}`;
    const member = {
      index: u,
      id,
      anonymous,
      isSender: u < msg.senders,
      failed: false,
      receipts: new MemberReceipts(),
      complete: false,
      nextN: 0,
      pending: new Map(),
      acked: new Bitset(),
      retryTimer: null,
    } as Omit<Member, 'endpoint'> as Member;
    const events = eventsFor(member);
    member.endpoint =
      msg.client === 'sdk'
        ? new SdkGroupEndpoint(id, ctx, target, events)
        : new LeanGroupEndpoint(id, ctx, target, sourceAddressFor(u, msg.perSourceAddress, msg.members), events, msg.connectTimeoutMs);
    members.push(member);
    byIndex.set(u, member);
  }
}

function eventsFor(m: Member): GroupEvents {
  return {
    frame: (recvEpoch) => {
      if (recvEpoch >= windowStart && recvEpoch < windowEnd) framesInWindow++;
    },
    acked: (n, code, recvEpoch) => onSendResponse(m, n, code, recvEpoch),
    push: (push, recvEpoch) => onPush(m, push, recvEpoch),
    closed: (wasReady) => onClosed(m, wasReady),
    kicked: () => void kicked++,
    errorFrame: () => void errorFrames++,
    unexpected: () => void unexpected++,
  };
}

function onClosed(m: Member, wasReady: boolean): void {
  if (!wasReady) return;
  if (phase === 'ready' || phase === 'running' || phase === 'draining') disconnects++;
  ackTimeouts += m.pending.size;
  inFlight -= m.pending.size;
  m.pending.clear();
}

// ---------------------------------------------------------------- setup (worker 0)

async function setup(): Promise<void> {
  const msg = init!;
  phase = 'setup';
  const started = performance.now();
  const owner = byIndex.get(0);
  if (!owner) throw new Error('setup runs on the worker that hosts member 0');
  await owner.endpoint.login();
  ctx.groupID = await owner.endpoint.createGroup(msg.groupType, msg.workload === 'group' ? 'parley-bench' : 'parley-bench-room');
  let added = 0;
  let notAdded = 0;
  if (msg.workload === 'group') {
    const others = Array.from({ length: msg.members - 1 }, (_, i) => `${msg.prefix}${i + 1}`);
    for (const batch of batches(others, ADD_MEMBERS_BATCH)) {
      try {
        const result = await owner.endpoint.addMembers(ctx.groupID, batch);
        added += result.added;
        notAdded += result.notAdded;
      } catch (err) {
        const hint =
          err instanceof EndpointError && err.code === ErrorCode.GroupFull
            ? ` (the server's Work-group limit is too small: set PARLEY_GROUP_MAX_MEMBERS='{"Private":${msg.members}}' on an external server)`
            : '';
        throw new Error(`group.add-members failed after ${added} members: ${err instanceof Error ? err.message : String(err)}${hint}`);
      }
    }
    owner.endpoint.markReady();
  }
  post({ type: 'setupDone', groupID: ctx.groupID, setupMs: performance.now() - started, added, notAdded });
}

// ---------------------------------------------------------------- connecting

/**
 * Connects this worker's members in stages, each with `connectConcurrency`
 * requests in flight: (1) open + log in every logged-in member; (2) AVChatRoom:
 * group.join for them, as fast as the server answers; (3) AVChatRoom: anonymous
 * sockets. Each logged-in AVChatRoom join makes the server send a join tip to
 * the whole room (admitted by the room's rate limiter as Low priority), so the
 * joins go in one burst while the room holds only logged-in members, and the
 * anonymous sockets (no tips) come last.
 */
async function connectAll(msg: ConnectMsg): Promise<void> {
  const cfg = init!;
  ctx.groupID = msg.groupID;
  phase = 'connecting';
  const started = performance.now();
  const failed: number[] = [];
  const failureSamples: string[] = [];
  let done = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < 500) return;
    lastReport = now;
    post({ type: 'connecting', done, failed: failed.length, total: members.length });
  };
  /** Runs `step` over `items`, `concurrency` in flight; `last` = this step completes a member. */
  const stage = (items: Member[], step: (m: Member) => Promise<void>, last: boolean, concurrency = cfg.connectConcurrency): Promise<number> =>
    runPool(items, concurrency, step, (m, error) => {
      if (error !== null) {
        m.failed = true;
        m.endpoint.drop();
        failed.push(m.index);
        if (failureSamples.length < 5) failureSamples.push(`member ${m.index}${m.anonymous ? ' (anonymous)' : ''}: ${error instanceof Error ? error.message : String(error)}`);
        done++;
      } else if (last) {
        done++;
      }
      report();
    });
  const room = cfg.workload === 'avchatroom';
  const loggedInMembers = members.filter((m) => !m.anonymous);
  const loginMs = await stage(
    loggedInMembers,
    async (m) => {
      if (!m.endpoint.loggedIn) await m.endpoint.login();
      if (!room) m.endpoint.markReady();
    },
    !room,
  );
  const joinMs = room ? await stage(loggedInMembers.filter((m) => !m.failed), (m) => m.endpoint.join(ctx.groupID), true, cfg.joinConcurrency) : 0;
  const anonymousMs = room ? await stage(members.filter((m) => m.anonymous), (m) => m.endpoint.joinAnonymously(ctx.groupID), true) : 0;
  report(true);
  const connectedMs = performance.now() - started;
  // Settle: the join tips the server sent may still be queued in its socket buffers or ours;
  // measuring while they drain would charge their cost to the first messages.
  const settleStart = performance.now();
  while (performance.now() - lastGroupFrameAt < SETTLE_QUIET_MS && performance.now() - settleStart < SETTLE_MAX_MS) await sleep(50);
  const settleMs = performance.now() - settleStart;
  phase = 'ready';
  const ready = members.filter((m) => m.endpoint.ready);
  post({
    type: 'ready',
    failedMembers: failed,
    failureSamples,
    connectMs: connectedMs,
    loginMs,
    joinMs,
    anonymousMs,
    settleMs,
    groupFramesWhileConnecting: setupGroupFrames,
    loggedIn: ready.filter((m) => !m.anonymous).length,
    anonymous: ready.filter((m) => m.anonymous).length,
  });
}

// ---------------------------------------------------------------- deliveries

function onPush(m: Member, push: GroupPush, recvEpoch: number): void {
  if (push.kind === 'bench') onDelivery(m, push, recvEpoch);
  else if (push.kind === 'group-other') {
    lastGroupFrameAt = performance.now();
    if (phase === 'connecting' || phase === 'setup') setupGroupFrames++;
    else otherGroupFrames++;
  } else unexpected++;
}

function onDelivery(m: Member, info: BenchDelivery, recvEpoch: number): void {
  if (info.sender === m.index) {
    unexpected++; // the server must not echo a message to the sending connection
    return;
  }
  if (m.receipts.record(info.sender, info.n, info.seq) === 'duplicate') return;
  totalDeliveries++;
  deliveredByPriority[info.priority]++;
  if (info.refEpoch >= windowStart && info.refEpoch < windowEnd) {
    windowDeliveries++;
    const ms = recvEpoch - info.refEpoch;
    latency.record(ms);
    latencyByPriority[info.priority].record(ms);
  }
}

// ---------------------------------------------------------------- sending

function sendOne(m: Member, dueEpoch: number | null): void {
  if (!m.endpoint.ready) return;
  const n = m.nextN++;
  const priority = cycle[n % cycle.length]!;
  const sentPerf = performance.now();
  const sentEpoch = performance.timeOrigin + sentPerf;
  const refEpoch = dueEpoch ?? sentEpoch;
  const inWindow = refEpoch >= windowStart && refEpoch < windowEnd;
  m.pending.set(n, { priority, sentPerf, inWindow });
  inFlight++;
  totalSent++;
  sentByPriority[priority]++;
  if (inWindow) windowSent++;
  m.endpoint.send(n, priority, benchText(sentEpoch, refEpoch, n), sentEpoch);
}

function onSendResponse(m: Member, n: number, code: number, recvEpoch: number): void {
  const entry = m.pending.get(n);
  if (!entry) return; // timed out earlier
  m.pending.delete(n);
  inFlight--;
  if (code === 0) {
    m.acked.add(n);
    totalAcked++;
    ackedByPriority[entry.priority]++;
    if (entry.inWindow) {
      windowAcked++;
      ackLatency.record(recvEpoch - performance.timeOrigin - entry.sentPerf);
    }
  } else if (code === ErrorCode.GroupSendFrequencyLimit) {
    shedByPriority[entry.priority]++;
  } else {
    errorCodes[String(code)] = (errorCodes[String(code)] ?? 0) + 1;
  }
  if (sending && start !== null && start.rate === 0) {
    if (code === 0) sendOne(m, null);
    else scheduleRetry(m);
  }
}

function scheduleRetry(m: Member): void {
  if (m.retryTimer) return;
  m.retryTimer = setTimeout(() => {
    m.retryTimer = null;
    if (sending && start?.rate === 0 && m.pending.size < (init?.window ?? 1)) sendOne(m, null);
  }, ERROR_BACKOFF_MS);
}

function sweepTimeouts(timeoutMs: number): void {
  const now = performance.now();
  for (const m of members) {
    if (!m.isSender || m.pending.size === 0) continue;
    for (const [n, entry] of m.pending) {
      if (now - entry.sentPerf <= timeoutMs) continue;
      m.pending.delete(n);
      inFlight--;
      ackTimeouts++;
      if (sending && start?.rate === 0) sendOne(m, null);
    }
  }
}

async function run(msg: GroupStartMsg): Promise<void> {
  const cfg = init!;
  start = msg;
  phase = 'running';
  const senders = members.filter((m) => m.isSender && m.endpoint.ready);
  windowStart = msg.t0 + msg.warmupMs;
  windowEnd = windowStart + msg.durationMs;
  const toPerf = (epoch: number) => epoch - performance.timeOrigin;

  const progress = setInterval(() => {
    post({ type: 'progress', sent: totalSent, acked: totalAcked, shed: shedCount(), deliveries: totalDeliveries, errors: errorCount(), inFlight });
  }, PROGRESS_INTERVAL_MS);
  const sweeper = setInterval(() => sweepTimeouts(msg.ackTimeoutMs), 250);
  // Receivers keep working after sending stops, so the window's CPU is taken at its end, not when sending stops.
  const meter = new WindowMeter(windowStart, windowEnd);

  await sleep(Math.max(0, toPerf(msg.t0) - performance.now()));
  sending = true;
  const sendEndPerf = toPerf(windowEnd);

  if (senders.length === 0) {
    await sleep(Math.max(0, sendEndPerf - performance.now()));
  } else if (msg.rate === 0) {
    for (let k = 0; k < cfg.window; k++) for (const m of senders) sendOne(m, null);
    await sleep(Math.max(0, sendEndPerf - performance.now()));
  } else {
    let cursor = 0;
    const paced = await paceOpenLoop({
      ratePerS: msg.rate,
      startPerf: performance.now(),
      endPerf: sendEndPerf,
      maxBacklog: Math.max(1, Math.ceil(msg.rate)),
      issue: (dueEpoch) => {
        for (let scanned = 0; scanned < senders.length; scanned++) {
          const m = senders[cursor]!;
          cursor = (cursor + 1) % senders.length;
          if (m.endpoint.ready && m.pending.size < cfg.window) {
            sendOne(m, dueEpoch);
            return true;
          }
        }
        return false;
      },
    });
    backlog += paced.backlog;
  }
  sending = false;
  for (const m of members) {
    if (m.retryTimer) clearTimeout(m.retryTimer);
    m.retryTimer = null;
  }

  const ackDeadline = performance.now() + msg.ackTimeoutMs;
  while (inFlight > 0 && performance.now() < ackDeadline) await sleep(5);
  sweepTimeouts(-1);
  clearInterval(sweeper);
  clearInterval(progress);
  // The window's CPU end is at windowEnd, which has passed by now.
  await sleep(Math.max(0, toPerf(windowEnd) - performance.now()) + 1);
  const load = meter.result();
  post({ type: 'progress', sent: totalSent, acked: totalAcked, shed: shedCount(), deliveries: totalDeliveries, errors: errorCount(), inFlight });
  post({
    type: 'sent',
    acked: members.filter((m) => m.isSender && m.acked.count > 0).map((m) => [m.index, m.acked.toBase64()]),
    totalSent,
    totalAcked,
    windowSent,
    windowAcked,
    shedByPriority,
    sentByPriority,
    ackedByPriority,
    ackLatency: ackLatency.toJSON(),
    errorCodes,
    errorFrames,
    ackTimeouts,
    backlog,
    ...load,
  });
}

// ---------------------------------------------------------------- drain

async function drain(msg: GroupDrainMsg): Promise<void> {
  phase = 'draining';
  const started = performance.now();
  const acked = msg.acked.map(([sender, text]) => [sender, Bitset.fromBase64(text)] as const);
  // Members that were online at the start are expected to get everything (one that disconnected shows up as loss).
  const online = members.filter((m) => !m.failed);
  const memberComplete = (m: Member): boolean => {
    if (m.complete) return true;
    for (const [sender, set] of acked) if (sender !== m.index && !m.receipts.hasAll(sender, set)) return false;
    m.complete = true;
    return true;
  };
  const allComplete = () => {
    let ok = true;
    for (const m of online) if (!memberComplete(m)) ok = false;
    return ok;
  };
  while (!allComplete() && Date.now() < msg.deadline) await sleep(20);

  const lostByPriority = zeroCounts();
  let expected = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let incompleteMembers = 0;
  const split = acked.map(([sender, set]) => [sender, set.count, splitByPriority(set, cycle)] as const);
  for (const m of online) {
    if (!m.complete) incompleteMembers++;
    for (const [sender, count, byPriority] of split) {
      if (sender === m.index) continue;
      expected += count;
      if (m.complete) continue;
      for (const p of PRIORITIES) if (byPriority[p].count > 0) lostByPriority[p] += m.receipts.missing(sender, byPriority[p]);
    }
  }
  for (const m of members) {
    duplicates += m.receipts.duplicates;
    outOfOrder += m.receipts.outOfOrder;
  }
  post({
    type: 'drained',
    windowDeliveries,
    totalDeliveries,
    lostByPriority,
    deliveredByPriority,
    expected,
    duplicates,
    outOfOrder,
    otherGroupFrames,
    unexpected,
    latency: latency.toJSON(),
    latencyByPriority: {
      High: latencyByPriority.High.toJSON(),
      Normal: latencyByPriority.Normal.toJSON(),
      Low: latencyByPriority.Low.toJSON(),
      Lowest: latencyByPriority.Lowest.toJSON(),
    },
    disconnects,
    kicked,
    incompleteMembers,
    drainMs: performance.now() - started,
    framesInWindow,
    parseCacheHits: parseCacheHitRatio(),
  });
}

async function finish(): Promise<void> {
  phase = 'finishing';
  await Promise.race([Promise.all(members.map((m) => m.endpoint.close())), sleep(3000)]);
  process.exit(0);
}

installWorkerGuards();

process.on('message', (raw: unknown) => {
  const msg = raw as GroupParentMsg;
  switch (msg.type) {
    case 'init':
      if (init) return;
      init = msg;
      cycle = priorityCycle(msg.priorityMix);
      makeMembers(msg);
      return;
    case 'setup':
      setup().catch(fatal);
      return;
    case 'connect':
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

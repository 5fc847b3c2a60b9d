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
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import { ErrorCode, PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientFrame, type ResponseFrame } from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { Bitset, LatencyHistogram } from './stats.js';
import {
  MemberReceipts,
  PRIORITIES,
  batches,
  dueNow,
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
import { countErrors, epochNow, fatal, installWorkerGuards, postToParent, sleep } from './worker-runtime.js';

const ERROR_BACKOFF_MS = 10;
const PROGRESS_INTERVAL_MS = 250;
const RATE_TICK_MS = 2;
const PARSE_CACHE_SIZE = 64;
const ADD_MEMBERS_BATCH = 500;
const PUSH_PREFIX = Buffer.from('{"cmd":"push.message",');

interface Pending {
  n: number;
  priority: Priority;
  sentPerf: number;
  inWindow: boolean;
}

type MemberState = 'idle' | 'connecting' | 'ready' | 'failed' | 'closed';

interface Member {
  index: number;
  /** userID; anonymous members have one too (for messages), but never log in with it. */
  id: string;
  anonymous: boolean;
  isSender: boolean;
  ws: WebSocket | null;
  state: MemberState;
  /** The socket is open and logged in (not yet necessarily in the AVChatRoom). */
  loggedIn: boolean;
  nextRequestID: number;
  control: Map<number, (frame: ResponseFrame | null) => void>;
  receipts: MemberReceipts;
  complete: boolean;
  // Sender side.
  nextN: number;
  pending: Map<number, Pending>;
  acked: Bitset;
  retryTimer: NodeJS.Timeout | null;
}

type Phase = 'idle' | 'setup' | 'connecting' | 'ready' | 'running' | 'draining' | 'finishing';

let init: GroupInitMsg | null = null;
let phase: Phase = 'idle';
let groupID = '';
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
let parseCacheHits = 0;
let parseCacheLookups = 0;
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

// ---------------------------------------------------------------- sockets and requests

function makeMembers(msg: GroupInitMsg): void {
  for (const u of membersOfWorker(msg.workerIndex, msg.workers, msg.members)) {
    const anonymous = msg.workload === 'avchatroom' && isAnonymousMember(u, msg.members, msg.senders, msg.anonymous);
    const member: Member = {
      index: u,
      id: `${msg.prefix}${u}`,
      anonymous,
      isSender: u < msg.senders,
      ws: null,
      state: 'idle',
      loggedIn: false,
      nextRequestID: 1,
      control: new Map(),
      receipts: new MemberReceipts(),
      complete: false,
      nextN: 0,
      pending: new Map(),
      acked: new Bitset(),
      retryTimer: null,
    };
    members.push(member);
    byIndex.set(u, member);
  }
}

/** Opens the member's socket; resolves once it is open. */
function openSocket(m: Member): Promise<void> {
  const msg = init!;
  return new Promise((resolve, reject) => {
    let opened = false;
    const ws = new WebSocket(msg.url, { handshakeTimeout: msg.connectTimeoutMs, perMessageDeflate: false, skipUTF8Validation: true });
    m.ws = ws;
    m.state = 'connecting';
    ws.on('open', () => {
      opened = true;
      resolve();
    });
    ws.on('error', (err) => {
      if (!opened) reject(new Error(`socket error: ${err.message}`));
    });
    ws.on('close', (code, reason) => {
      if (!opened) reject(new Error(`closed before open: ${code} ${reason.toString()}`));
      onClosed(m);
    });
    ws.on('message', (data: RawData) => onData(m, data));
  });
}

/** One request/response on the member's socket (setup, login, joins). */
function request(m: Member, frame: Omit<ClientFrame, 'id'>, timeoutMs: number): Promise<ResponseFrame> {
  return new Promise((resolve, reject) => {
    const ws = m.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      reject(new Error(`socket not open for ${frame.cmd}`));
      return;
    }
    const id = m.nextRequestID++;
    const timer = setTimeout(() => {
      m.control.delete(id);
      reject(new Error(`no answer to ${frame.cmd} within ${timeoutMs} ms`));
    }, timeoutMs);
    m.control.set(id, (res) => {
      clearTimeout(timer);
      if (res === null) reject(new Error(`socket closed before the answer to ${frame.cmd}`));
      else resolve(res);
    });
    ws.send(encodeFrame({ ...frame, id } as ClientFrame));
  });
}

function describe(res: ResponseFrame): string {
  return `${res.code} ${'message' in res ? res.message : ''}`.trim();
}

async function login(m: Member): Promise<void> {
  const msg = init!;
  const res = await request(
    m,
    {
      cmd: 'login',
      body: {
        sdkAppID: msg.sdkAppID,
        userID: m.id,
        userSig: genUserSig({ sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, userID: m.id, expireSeconds: 86400 }),
        protocolVersion: PROTOCOL_VERSION,
        platform: 'web',
        instanceID: `bench-${m.id}`,
      },
    } as Omit<ClientFrame, 'id'>,
    msg.connectTimeoutMs,
  );
  if (res.code !== 0) throw new Error(`login failed: ${describe(res)}`);
}

/** Stage 1: open + log in (logged-in members; the owner already is). For `group` that is all. */
async function loginMember(m: Member): Promise<void> {
  if (!m.loggedIn) {
    await openSocket(m);
    await login(m);
    m.loggedIn = true;
  }
  if (init!.workload === 'group') m.state = 'ready';
}

/** Stage 2 (avchatroom): group.join on the logged-in socket. */
async function joinMember(m: Member): Promise<void> {
  const res = await request(m, { cmd: 'group.join', body: { groupID } } as Omit<ClientFrame, 'id'>, init!.connectTimeoutMs);
  if (res.code !== 0) throw new Error(`group.join failed: ${describe(res)}`);
  m.state = 'ready';
}

/** Stage 3 (avchatroom): a fresh socket that joins anonymously, without logging in. */
async function joinAnonymously(m: Member): Promise<void> {
  await openSocket(m);
  const res = await request(m, { cmd: 'group.join-anonymous', body: { sdkAppID: init!.sdkAppID, groupID } } as Omit<ClientFrame, 'id'>, init!.connectTimeoutMs);
  if (res.code !== 0) throw new Error(`group.join-anonymous failed: ${describe(res)}`);
  m.state = 'ready';
}

function dropSocket(m: Member): void {
  m.state = 'failed';
  const ws = m.ws;
  m.ws = null;
  if (ws) {
    ws.removeAllListeners();
    ws.on('error', () => undefined);
    ws.terminate();
  }
  for (const resolve of m.control.values()) resolve(null);
  m.control.clear();
}

function onClosed(m: Member): void {
  const wasReady = m.state === 'ready';
  if (m.state !== 'failed') m.state = 'closed';
  for (const resolve of m.control.values()) resolve(null);
  m.control.clear();
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
  await openSocket(owner);
  await login(owner);
  owner.loggedIn = true;
  const created = await request(
    owner,
    { cmd: 'group.create', body: { type: msg.groupType, name: msg.workload === 'group' ? 'parley-bench' : 'parley-bench-room' } } as Omit<ClientFrame, 'id'>,
    30_000,
  );
  if (created.code !== 0) throw new Error(`group.create (${msg.groupType}) failed: ${describe(created)}`);
  groupID = (created as { data: { group: { groupID: string } } }).data.group.groupID;
  let added = 0;
  let notAdded = 0;
  if (msg.workload === 'group') {
    const others = Array.from({ length: msg.members - 1 }, (_, i) => `${msg.prefix}${i + 1}`);
    for (const batch of batches(others, ADD_MEMBERS_BATCH)) {
      const res = await request(owner, { cmd: 'group.add-members', body: { groupID, userIDList: batch } } as Omit<ClientFrame, 'id'>, 60_000);
      if (res.code !== 0) {
        const hint =
          res.code === ErrorCode.GroupFull
            ? ` (the server's Work-group limit is too small: set PARLEY_GROUP_MAX_MEMBERS='{"Private":${msg.members}}' on an external server)`
            : '';
        throw new Error(`group.add-members failed after ${added} members: ${describe(res)}${hint}`);
      }
      const data = (res as { data: { successUserIDList: string[]; existedUserIDList: string[]; failureUserIDList: string[]; overLimitUserIDList: string[] } }).data;
      added += data.successUserIDList.length + data.existedUserIDList.length;
      notAdded += data.failureUserIDList.length + data.overLimitUserIDList.length;
    }
  }
  post({ type: 'setupDone', groupID, setupMs: performance.now() - started, added, notAdded });
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
  groupID = msg.groupID;
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
  const fail = (m: Member, err: unknown) => {
    dropSocket(m);
    failed.push(m.index);
    if (failureSamples.length < 5) failureSamples.push(`member ${m.index}${m.anonymous ? ' (anonymous)' : ''}: ${err instanceof Error ? err.message : String(err)}`);
  };
  /** Runs `step` over `items` with `connectConcurrency` in flight; `last` = this step completes a member. */
  const stage = async (items: Member[], step: (m: Member) => Promise<void>, last: boolean, concurrency = cfg.connectConcurrency): Promise<number> => {
    const t = performance.now();
    let cursor = 0;
    const runOne = async (): Promise<void> => {
      while (cursor < items.length) {
        const m = items[cursor++]!;
        try {
          await step(m);
          if (last) done++;
        } catch (err) {
          fail(m, err);
          done++;
        }
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, runOne));
    return performance.now() - t;
  };
  const room = cfg.workload === 'avchatroom';
  const loggedInMembers = members.filter((m) => !m.anonymous);
  const loginMs = await stage(loggedInMembers, loginMember, !room);
  const joinMs = room ? await stage(loggedInMembers.filter((m) => m.loggedIn && m.state !== 'failed'), joinMember, true, cfg.joinConcurrency) : 0;
  const anonymousMs = room ? await stage(members.filter((m) => m.anonymous), joinAnonymously, true) : 0;
  report(true);
  const connectedMs = performance.now() - started;
  // Settle: the join tips the server sent may still be queued in its socket buffers or ours;
  // measuring while they drain would charge their cost to the first messages.
  const settleStart = performance.now();
  while (performance.now() - lastGroupFrameAt < SETTLE_QUIET_MS && performance.now() - settleStart < SETTLE_MAX_MS) await sleep(50);
  const settleMs = performance.now() - settleStart;
  phase = 'ready';
  const ready = members.filter((m) => m.state === 'ready');
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

// ---------------------------------------------------------------- frames

interface BenchInfo {
  kind: 'bench';
  sender: number;
  n: number;
  seq: number;
  /** Epoch ms the latency is measured from: the due time (open loop) or the send time. */
  refEpoch: number;
  priority: Priority;
}

type Parsed = BenchInfo | { kind: 'group-other' } | { kind: 'unexpected' };

const parseCache: Array<{ buf: Buffer; parsed: Parsed }> = [];
let parseCacheNext = 0;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function parsePush(buf: Buffer): Parsed {
  const frame = decodeServerFrame(buf.toString('utf8'));
  if (frame?.cmd !== 'push.message') return { kind: 'unexpected' };
  const m = frame.data as Partial<typeof frame.data> | undefined;
  if (!m || m.conversationType !== 'GROUP' || m.to !== groupID) return { kind: 'unexpected' };
  const cfg = init!;
  if (m.type !== 'TIMTextElem' || typeof m.from !== 'string' || !m.from.startsWith(cfg.prefix)) return { kind: 'group-other' };
  const sender = Number(m.from.slice(cfg.prefix.length));
  const text = (m.payload as { text?: unknown } | undefined)?.text;
  const match = typeof text === 'string' ? /ts=(\d+(?:\.\d+)?) due=(\d+(?:\.\d+)?) n=(\d+)/.exec(text) : null;
  if (!Number.isInteger(sender) || sender < 0 || sender >= cfg.senders || !match?.[2] || !match[3]) return { kind: 'unexpected' };
  const n = Number(match[3]);
  if (m.ID !== `${m.from}-${n}`) return { kind: 'unexpected' };
  const priority = PRIORITIES.includes(m.priority as Priority) ? (m.priority as Priority) : 'Normal';
  return { kind: 'bench', sender, n, seq: typeof m.seq === 'number' ? m.seq : 0, refEpoch: Number(match[2]), priority };
}

/** Parses a push.message frame once per distinct byte string. */
function parseCached(buf: Buffer): Parsed {
  parseCacheLookups++;
  const len = buf.length;
  // Most recent first: fan-out frames arrive on many sockets in a row.
  for (let k = 0; k < parseCache.length; k++) {
    const entry = parseCache[(parseCacheNext - 1 - k + PARSE_CACHE_SIZE * 2) % PARSE_CACHE_SIZE];
    if (entry && entry.buf.length === len && entry.buf.equals(buf)) {
      parseCacheHits++;
      return entry.parsed;
    }
  }
  const parsed = parsePush(buf);
  // Copy: the cache must not pin or alias a socket's receive buffer.
  parseCache[parseCacheNext] = { buf: Buffer.from(buf), parsed };
  parseCacheNext = (parseCacheNext + 1) % PARSE_CACHE_SIZE;
  return parsed;
}

function onData(m: Member, data: RawData): void {
  const recvEpoch = epochNow();
  if (recvEpoch >= windowStart && recvEpoch < windowEnd) framesInWindow++;
  const buf = toBuffer(data);
  if (buf.length > PUSH_PREFIX.length && buf.compare(PUSH_PREFIX, 0, PUSH_PREFIX.length, 0, PUSH_PREFIX.length) === 0) {
    const parsed = parseCached(buf);
    if (parsed.kind === 'bench') onDelivery(m, parsed, recvEpoch);
    else if (parsed.kind === 'group-other') {
      lastGroupFrameAt = performance.now();
      if (phase === 'connecting' || phase === 'setup') setupGroupFrames++;
      else otherGroupFrames++;
    }
    else unexpected++;
    return;
  }
  const frame = decodeServerFrame(buf.toString('utf8'));
  if (frame === null) {
    unexpected++;
    return;
  }
  switch (frame.cmd) {
    case 'res': {
      const resolve = m.control.get(frame.id);
      if (resolve) {
        m.control.delete(frame.id);
        resolve(frame);
        return;
      }
      onSendResponse(m, frame.id, frame.code, recvEpoch);
      return;
    }
    case 'push.kicked':
      kicked++;
      return;
    case 'error':
      errorFrames++;
      return;
    default:
      return; // push.group-updated, push.system-notice, … from the setup: not part of the measurement
  }
}

function onDelivery(m: Member, info: BenchInfo, recvEpoch: number): void {
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
  if (m.state !== 'ready' || !m.ws) return;
  const n = m.nextN++;
  const priority = cycle[n % cycle.length]!;
  const id = m.nextRequestID++;
  const sentPerf = performance.now();
  const sentEpoch = performance.timeOrigin + sentPerf;
  const refEpoch = dueEpoch ?? sentEpoch;
  const inWindow = refEpoch >= windowStart && refEpoch < windowEnd;
  const frame: ClientFrame = {
    cmd: 'msg.send',
    id,
    body: {
      message: {
        ID: `${m.id}-${n}`,
        conversationType: 'GROUP',
        to: groupID,
        type: 'TIMTextElem',
        payload: { text: `parley-bench ts=${sentEpoch.toFixed(3)} due=${refEpoch.toFixed(3)} n=${n}` },
        clientTime: Math.floor(sentEpoch / 1000),
        random: Math.floor(Math.random() * 100_000_000),
        priority,
      },
    },
  };
  m.pending.set(id, { n, priority, sentPerf, inWindow });
  inFlight++;
  totalSent++;
  sentByPriority[priority]++;
  if (inWindow) windowSent++;
  m.ws.send(encodeFrame(frame));
}

function onSendResponse(m: Member, id: number, code: number, recvEpoch: number): void {
  const entry = m.pending.get(id);
  if (!entry) return; // timed out earlier, or not ours
  m.pending.delete(id);
  inFlight--;
  if (code === 0) {
    m.acked.add(entry.n);
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
    for (const [id, entry] of m.pending) {
      if (now - entry.sentPerf <= timeoutMs) continue;
      m.pending.delete(id);
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
  const senders = members.filter((m) => m.isSender && m.state === 'ready');
  windowStart = msg.t0 + msg.warmupMs;
  windowEnd = windowStart + msg.durationMs;
  const toPerf = (epoch: number) => epoch - performance.timeOrigin;

  const progress = setInterval(() => {
    post({ type: 'progress', sent: totalSent, acked: totalAcked, shed: shedCount(), deliveries: totalDeliveries, errors: errorCount(), inFlight });
  }, PROGRESS_INTERVAL_MS);
  const sweeper = setInterval(() => sweepTimeouts(msg.ackTimeoutMs), 250);

  let cpuAtStart: NodeJS.CpuUsage | null = null;
  let cpuMs = 0;
  const LOOP_SAMPLE_MS = 2;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  const cpuStartTimer = setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    loopDelay.enable();
  }, Math.max(0, toPerf(windowStart) - performance.now()));
  const cpuEndTimer = setTimeout(() => takeCpu(), Math.max(0, toPerf(windowEnd) - performance.now()));
  // Receivers keep working after sending stops, so the window's CPU is taken at its end, not when sending stops.
  const takeCpu = () => {
    loopDelay.disable();
    if (cpuAtStart === null) return;
    const d = process.cpuUsage(cpuAtStart);
    cpuMs = (d.user + d.system) / 1000;
    cpuAtStart = null;
  };

  await sleep(Math.max(0, toPerf(msg.t0) - performance.now()));
  sending = true;
  const sendStartPerf = performance.now();
  const sendEndPerf = toPerf(windowEnd);

  if (senders.length === 0) {
    await sleep(Math.max(0, sendEndPerf - performance.now()));
  } else if (msg.rate === 0) {
    for (let k = 0; k < cfg.window; k++) for (const m of senders) sendOne(m, null);
    await sleep(Math.max(0, sendEndPerf - performance.now()));
  } else {
    const rate = msg.rate;
    const maxBacklog = Math.max(1, Math.ceil(rate));
    const startEpoch = performance.timeOrigin + sendStartPerf;
    let issued = 0;
    let cursor = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const step = dueNow(rate, Math.min(now, sendEndPerf) - sendStartPerf, issued, maxBacklog);
        backlog += step.dropped;
        issued += step.dropped;
        let due = step.due;
        let scanned = 0;
        while (due > 0 && scanned < senders.length) {
          const m = senders[cursor]!;
          cursor = (cursor + 1) % senders.length;
          if (m.state === 'ready' && m.pending.size < cfg.window) {
            // The message's intended time: latency is measured from it (no coordinated omission).
            sendOne(m, startEpoch + (issued * 1000) / rate);
            issued++;
            due--;
            scanned = 0;
          } else {
            scanned++;
          }
        }
        if (now >= sendEndPerf) {
          backlog += Math.max(0, due);
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, RATE_TICK_MS);
    });
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
  clearTimeout(cpuStartTimer);
  clearTimeout(cpuEndTimer);
  takeCpu();
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
    cpuMs,
    loopDelayP99Ms: loopDelay.count > 0 ? Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_SAMPLE_MS) : 0,
    loopDelayMaxMs: loopDelay.count > 0 ? Math.max(0, loopDelay.max / 1e6 - LOOP_SAMPLE_MS) : 0,
  });
}

// ---------------------------------------------------------------- drain

async function drain(msg: GroupDrainMsg): Promise<void> {
  phase = 'draining';
  const started = performance.now();
  const acked = msg.acked.map(([sender, text]) => [sender, Bitset.fromBase64(text)] as const);
  // Members that were online at the start are expected to get everything (one that disconnected shows up as loss).
  const online = members.filter((m) => m.state === 'ready' || m.state === 'closed');
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
    parseCacheHits: parseCacheLookups > 0 ? parseCacheHits / parseCacheLookups : 0,
  });
}

async function finish(): Promise<void> {
  phase = 'finishing';
  const closing: Array<Promise<void>> = [];
  for (const m of members) {
    const ws = m.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) continue;
    closing.push(new Promise<void>((resolve) => ws.once('close', () => resolve())));
    ws.close(1000, 'bench done');
  }
  await Promise.race([Promise.all(closing), sleep(2000)]);
  for (const m of members) m.ws?.terminate();
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

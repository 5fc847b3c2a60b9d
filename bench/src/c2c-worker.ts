/**
 * c2c load-generator worker: a child process forked by cli.ts. Opens one raw
 * protocol WebSocket per user it owns, logs them in, sends TIMTextElem
 * messages to each user's peer (closed loop or at a target rate), and records
 * acks and pushes. Everything it learns goes back to the parent over IPC
 * (see c2c-ipc.ts); it prints nothing on stdout.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import { PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientFrame } from '@parley/protocol';
import { genUserSig } from '@parley/server';
import { Bitset, LatencyHistogram } from './stats.js';
import {
  peerOf,
  userID,
  workerOf,
  type DrainMsg,
  type InitMsg,
  type ParentMsg,
  type StartMsg,
  type WorkerMsg,
} from './c2c-ipc.js';
import { countErrors, epochNow, fatal, installWorkerGuards, postToParent, sleep } from './worker-runtime.js';

/** Pause before a user sends again after an error response (keeps a failing server from being hammered in a hot loop). */
const ERROR_BACKOFF_MS = 10;
const PROGRESS_INTERVAL_MS = 250;
const RATE_TICK_MS = 2;

interface Pending {
  n: number;
  sentPerf: number;
  inWindow: boolean;
}

interface User {
  index: number;
  id: string;
  peerID: string;
  ws: WebSocket | null;
  open: boolean;
  nextRequestID: number;
  nextN: number;
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

// Measured window, epoch ms (send timestamps are compared against it).
let windowStart = Infinity;
let windowEnd = -Infinity;
let sending = false;
/** The current run's parameters (set by `start`). */
let start: StartMsg | null = null;

const post: (msg: WorkerMsg) => void = postToParent;

function errorCount(): number {
  return countErrors(errorFrames, errorCodes);
}

// ---------------------------------------------------------------- connecting

async function connectAll(msg: InitMsg): Promise<void> {
  phase = 'connecting';
  const started = performance.now();
  const mine: number[] = [];
  for (let u = 0; u < msg.users; u++) if (workerOf(u, msg.workers) === msg.workerIndex) mine.push(u);
  for (const u of mine) {
    users.push({
      index: u,
      id: userID(prefix, u),
      peerID: userID(prefix, peerOf(u, msg.users)),
      ws: null,
      open: false,
      nextRequestID: 2, // 1 is the login
      nextN: 0,
      pending: new Map(),
      acked: new Bitset(),
      retryTimer: null,
    });
  }
  const failed: number[] = [];
  const failureSamples: string[] = [];
  let done = 0;
  let cursor = 0;
  const lastReport = { at: 0 };
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport.at < 500) return;
    lastReport.at = now;
    post({ type: 'connecting', done, failed: failed.length, total: users.length });
  };
  const runOne = async (): Promise<void> => {
    while (cursor < users.length) {
      const user = users[cursor++]!;
      const error = await connectUser(user, msg);
      done++;
      if (error !== null) {
        failed.push(user.index);
        if (failureSamples.length < 5) failureSamples.push(`${user.id}: ${error}`);
      }
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(msg.connectConcurrency, users.length)) }, runOne));
  report(true);
  phase = 'ready';
  post({ type: 'ready', failedUsers: failed, failureSamples, connectMs: performance.now() - started });
}

/** Opens and logs in one user's socket; resolves with `null` or a failure reason. */
function connectUser(user: User, msg: InitMsg): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const ws = new WebSocket(msg.url, { handshakeTimeout: msg.connectTimeoutMs, perMessageDeflate: false });
    user.ws = ws;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== null) {
        user.ws = null;
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
      }
      resolve(error);
    };
    const timer = setTimeout(() => finish(`no login response within ${msg.connectTimeoutMs} ms`), msg.connectTimeoutMs);
    ws.on('error', (err) => finish(`socket error: ${err.message}`));
    ws.on('close', (code, reason) => {
      if (!settled) {
        finish(`closed during login: ${code} ${reason.toString()}`);
        return;
      }
      onClosed(user);
    });
    ws.on('open', () => {
      const login: ClientFrame = {
        cmd: 'login',
        id: 1,
        body: {
          sdkAppID: msg.sdkAppID,
          userID: user.id,
          userSig: genUserSig({ sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, userID: user.id, expireSeconds: 86400 }),
          protocolVersion: PROTOCOL_VERSION,
          platform: 'web',
          instanceID: `bench-${user.id}`,
        },
      };
      ws.send(encodeFrame(login));
    });
    ws.on('message', (data: RawData) => {
      if (settled) {
        onFrame(user, data);
        return;
      }
      const frame = decodeServerFrame(rawText(data));
      if (frame?.cmd === 'res' && frame.id === 1) {
        if (frame.code === 0) {
          user.open = true;
          finish(null);
        } else {
          finish(`login failed: ${frame.code} ${'message' in frame ? frame.message : ''}`);
        }
      }
    });
  });
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function onClosed(user: User): void {
  if (!user.open) return;
  user.open = false;
  if (phase === 'ready' || phase === 'running' || phase === 'draining') disconnects++;
  // Whatever was in flight on this socket will never be acked.
  ackTimeouts += user.pending.size;
  inFlight -= user.pending.size;
  user.pending.clear();
}

// ---------------------------------------------------------------- frames

function onFrame(user: User, data: RawData): void {
  const recvEpoch = epochNow();
  const frame = decodeServerFrame(rawText(data));
  if (frame === null) {
    unexpected++;
    return;
  }
  switch (frame.cmd) {
    case 'res':
      onResponse(user, frame.id, frame.code, 'data' in frame && (frame.data as { duplicate?: unknown } | undefined)?.duplicate === true, recvEpoch);
      return;
    case 'push.message': {
      const m = frame.data as Partial<typeof frame.data> | undefined;
      if (typeof m?.from !== 'string' || typeof m.ID !== 'string' || typeof m.payload !== 'object' || m.payload === null) {
        unexpected++;
        return;
      }
      onPush(user, m.from, m.ID, m.payload, typeof m.seq === 'number' ? m.seq : 0, recvEpoch);
      return;
    }
    case 'push.kicked':
      kicked++;
      return;
    case 'error':
      errorFrames++;
      return;
    default:
      return; // push.read etc. are not expected in this scenario; ignore
  }
}

function onResponse(user: User, id: number, code: number, duplicate: boolean, recvEpoch: number): void {
  const entry = user.pending.get(id);
  if (!entry) return; // timed out earlier, or not ours
  user.pending.delete(id);
  inFlight--;
  if (code === 0) {
    user.acked.add(entry.n);
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
    if (code === 0) sendOne(user);
    else scheduleRetry(user);
  }
}

function onPush(receiver: User, from: string, id: string, payload: Record<string, unknown>, seq: number, recvEpoch: number): void {
  if (!init || !from.startsWith(prefix)) {
    unexpected++;
    return;
  }
  const sender = Number(from.slice(prefix.length));
  if (!Number.isInteger(sender) || sender < 0 || sender >= init.users || peerOf(sender, init.users) !== receiver.index || !id.startsWith(`${from}-`)) {
    unexpected++;
    return;
  }
  const n = Number(id.slice(from.length + 1));
  const text = payload['text'];
  const match = typeof text === 'string' ? /ts=(\d+(?:\.\d+)?)/.exec(text) : null;
  if (!Number.isInteger(n) || n < 0 || !match?.[1]) {
    unexpected++;
    return;
  }
  let set = receivedBySender.get(sender);
  if (!set) {
    set = new Bitset();
    receivedBySender.set(sender, set);
  }
  if (!set.add(n)) {
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
  const sentEpoch = Number(match[1]);
  if (sentEpoch >= windowStart && sentEpoch < windowEnd) {
    windowReceived++;
    latency.record(recvEpoch - sentEpoch);
  }
}

// ---------------------------------------------------------------- sending

function sendOne(user: User): void {
  if (!user.open || !user.ws) return;
  const n = user.nextN++;
  const id = user.nextRequestID++;
  const sentPerf = performance.now();
  const sentEpoch = performance.timeOrigin + sentPerf;
  const inWindow = sentEpoch >= windowStart && sentEpoch < windowEnd;
  const frame: ClientFrame = {
    cmd: 'msg.send',
    id,
    body: {
      message: {
        ID: `${user.id}-${n}`,
        conversationType: 'C2C',
        to: user.peerID,
        type: 'TIMTextElem',
        payload: { text: `parley-bench ts=${sentEpoch.toFixed(3)} n=${n}` },
        clientTime: Math.floor(sentEpoch / 1000),
        random: Math.floor(Math.random() * 100_000_000),
      },
    },
  };
  user.pending.set(id, { n, sentPerf, inWindow });
  inFlight++;
  totalSent++;
  if (inWindow) windowSent++;
  user.ws.send(encodeFrame(frame));
}

function scheduleRetry(user: User): void {
  if (user.retryTimer) return;
  user.retryTimer = setTimeout(() => {
    user.retryTimer = null;
    if (sending && start?.rate === 0 && user.pending.size < (init?.window ?? 1)) sendOne(user);
  }, ERROR_BACKOFF_MS);
}

function sweepTimeouts(timeoutMs: number): void {
  const now = performance.now();
  for (const user of users) {
    if (user.pending.size === 0) continue;
    for (const [id, entry] of user.pending) {
      if (now - entry.sentPerf <= timeoutMs) continue;
      user.pending.delete(id);
      inFlight--;
      ackTimeouts++;
      if (sending && start?.rate === 0) sendOne(user);
    }
  }
}

async function run(msg: StartMsg): Promise<void> {
  if (!init) throw new Error('start before init');
  start = msg;
  phase = 'running';
  const failed = new Set(msg.failedUsers);
  // Senders: connected users whose partner connected too.
  const userCount = init.users;
  const senders = users.filter((u) => u.open && !failed.has(u.index) && !failed.has(peerOf(u.index, userCount)));
  windowStart = msg.t0 + msg.warmupMs;
  windowEnd = windowStart + msg.durationMs;
  const sendEnd = windowEnd;
  const toPerf = (epoch: number) => epoch - performance.timeOrigin;

  const progress = setInterval(() => {
    post({ type: 'progress', sent: totalSent, acked: totalAcked, received: totalReceived, errors: errorCount(), inFlight });
  }, PROGRESS_INTERVAL_MS);
  const sweeper = setInterval(() => sweepTimeouts(msg.ackTimeoutMs), 250);

  // This process's CPU time and event-loop delay over the measured window: if the
  // load generator itself is saturated, the latencies it reports include its own queueing.
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  let cpuMs = 0;
  // The histogram records whole sampling intervals; the delay is what exceeds the interval.
  const LOOP_SAMPLE_MS = 2;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  const cpuStartTimer = setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    loopDelay.enable();
  }, Math.max(0, toPerf(windowStart) - performance.now()));
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
  const sendEndPerf = toPerf(sendEnd);

  if (msg.rate === 0) {
    // Closed loop: every sender keeps `window` messages in flight; each ack sends the next.
    const window = init.window;
    for (let k = 0; k < window; k++) for (const u of senders) sendOne(u);
    await sleep(Math.max(0, sendEndPerf - performance.now()));
  } else {
    // Open loop at `rate` msgs/s, spread round-robin over the senders, each capped at `window` in flight.
    const rate = msg.rate;
    const window = init.window;
    const maxBacklog = Math.max(1, Math.ceil(rate)); // at most one second of catch-up
    let issued = 0;
    let cursor = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const target = Math.floor((rate * (Math.min(now, sendEndPerf) - sendStartPerf)) / 1000);
        let due = target - issued;
        if (due > maxBacklog) {
          backlog += due - maxBacklog;
          issued += due - maxBacklog;
          due = maxBacklog;
        }
        let scanned = 0;
        while (due > 0 && scanned < senders.length && senders.length > 0) {
          const u = senders[cursor]!;
          cursor = (cursor + 1) % senders.length;
          if (u.open && u.pending.size < window) {
            sendOne(u);
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
  takeCpu();
  clearTimeout(cpuStartTimer);
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
    cpuMs,
    loopDelayP99Ms: loopDelay.count > 0 ? Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_SAMPLE_MS) : 0,
    loopDelayMaxMs: loopDelay.count > 0 ? Math.max(0, loopDelay.max / 1e6 - LOOP_SAMPLE_MS) : 0,
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
  const closing: Array<Promise<void>> = [];
  for (const u of users) {
    const ws = u.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) continue;
    closing.push(new Promise<void>((resolve) => ws.once('close', () => resolve())));
    ws.close(1000, 'bench done');
  }
  await Promise.race([Promise.all(closing), sleep(1500)]);
  for (const u of users) u.ws?.terminate();
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

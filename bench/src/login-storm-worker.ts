/**
 * login-storm load-generator worker: a child process forked by login-storm-run.ts. Opens a
 * socket and logs in a user the server has never seen (or one of a pool of users, `--users`),
 * again and again — closed loop with `window` logins in flight, or open loop at `rate` — with
 * the lean client (conn.ts), and closes each connection as soon as its
 * login is answered (closing handshake; the server closes the TCP connection first, so
 * TIME_WAIT stays on its side and the load generator's ports come back at once). With
 * `--client sdk` each login is a fresh @parley/sdk instance, destroyed once ready. Reports
 * over IPC (login-storm-ipc.ts).
 */
import { performance } from 'node:perf_hooks';
import { Conn, failureReason, type ConnTarget } from './conn.js';
import { EndpointError } from './endpoints.js';
import type { StormParentMsg, StormStartMsg, StormWorkerMsg } from './login-storm-ipc.js';
import { sdkLogin } from './sdk-endpoints.js';
import { LatencyHistogram } from './stats.js';
import { fatal, installWorkerGuards, paceOpenLoop, postToParent, sleep, WindowMeter } from './worker-runtime.js';

const PROGRESS_INTERVAL_MS = 250;
const CLOSE_WAIT_MS = 5000;

const post: (msg: StormWorkerMsg) => void = postToParent;
const sdkClosing = new Set<Promise<void>>();
let started = false;

async function run(msg: StormStartMsg): Promise<void> {
  const target: ConnTarget = { url: msg.url, sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, connectTimeoutMs: msg.loginTimeoutMs };
  const windowStart = msg.t0 + msg.warmupMs;
  const windowEnd = windowStart + msg.durationMs;
  const toPerf = (epoch: number) => epoch - performance.timeOrigin;
  const latency = new LatencyHistogram();
  const failures: Record<string, number> = {};
  const failureSamples: string[] = [];
  let next = 0;
  let inFlight = 0;
  let totalAttempted = 0;
  let totalOk = 0;
  let totalFailed = 0;
  let windowAttempted = 0;
  let windowOk = 0;
  let windowFailed = 0;
  let sending = false;

  /** One login of a fresh user; `dueEpoch` is its intended start in open loop (latency counts from it). */
  const attempt = (dueEpoch: number | null): void => {
    const k = next++;
    const userID = `${msg.prefix}${msg.pool > 0 ? k % msg.pool : k}`;
    const startPerf = performance.now();
    const refEpoch = dueEpoch ?? performance.timeOrigin + startPerf;
    const inWindow = refEpoch >= windowStart && refEpoch < windowEnd;
    inFlight++;
    totalAttempted++;
    if (inWindow) windowAttempted++;
    const succeeded = () => {
      const doneEpoch = performance.timeOrigin + performance.now();
      totalOk++;
      if (inWindow) {
        windowOk++;
        latency.record(doneEpoch - refEpoch);
      }
    };
    const failedWith = (reason: string, err: unknown) => {
      totalFailed++;
      if (inWindow) windowFailed++;
      failures[reason] = (failures[reason] ?? 0) + 1;
      if (failureSamples.length < 5) failureSamples.push(`${userID}: ${err instanceof Error ? err.message : String(err)}`);
    };
    const settled = () => {
      inFlight--;
      if (sending && msg.rate === 0) attempt(null);
    };
    if (msg.client === 'sdk') {
      sdkLogin(target, userID).then(
        (destroy) => {
          succeeded();
          const closing = destroy();
          sdkClosing.add(closing);
          void closing.finally(() => sdkClosing.delete(closing));
        },
        (err: unknown) => failedWith(err instanceof EndpointError && err.code !== null && err.code >= 0 ? String(err.code) : 'other', err),
      ).finally(settled);
      return;
    }
    const conn = new Conn(userID);
    const localAddress = msg.sourceAddresses > 1 ? `127.0.0.${1 + (k % msg.sourceAddresses)}` : undefined;
    // The handshake has a timeout of its own; this one bounds connect + login together.
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      conn.drop();
    }, msg.loginTimeoutMs);
    conn.connect(target, localAddress).then(
      () => {
        succeeded();
        // Closing handshake: the server then ends the TCP connection.
        void conn.close();
      },
      (err: unknown) => {
        const reason = timedOut ? 'timeout' : failureReason(err);
        conn.drop();
        failedWith(reason, err);
      },
    ).finally(() => {
      clearTimeout(deadline);
      settled();
    });
  };

  const progress = setInterval(() => post({ type: 'progress', attempted: totalAttempted, ok: totalOk, failed: totalFailed, inFlight }), PROGRESS_INTERVAL_MS);
  const meter = new WindowMeter(windowStart, windowEnd);
  await sleep(Math.max(0, toPerf(msg.t0) - performance.now()));
  sending = true;
  let backlog = 0;
  if (msg.rate === 0) {
    for (let i = 0; i < msg.window; i++) attempt(null);
    await sleep(Math.max(0, toPerf(windowEnd) - performance.now()));
  } else {
    const paced = await paceOpenLoop({
      ratePerS: msg.rate,
      startPerf: performance.now(),
      endPerf: toPerf(windowEnd),
      maxBacklog: Math.max(1, Math.ceil(msg.rate)),
      issue: (dueEpoch) => {
        if (inFlight >= msg.window) return false;
        attempt(dueEpoch);
        return true;
      },
    });
    backlog = paced.backlog;
  }
  sending = false;
  const load = meter.result();
  const drainUntil = performance.now() + msg.loginTimeoutMs + 1000;
  while (inFlight > 0 && performance.now() < drainUntil) await sleep(10);
  clearInterval(progress);
  post({ type: 'progress', attempted: totalAttempted, ok: totalOk, failed: totalFailed, inFlight });
  post({
    type: 'done',
    windowAttempted,
    windowOk,
    windowFailed,
    latency: latency.toJSON(),
    failures,
    failureSamples,
    totalAttempted,
    totalOk,
    backlog,
    ...load,
  });
}

async function finish(): Promise<void> {
  const deadline = performance.now() + CLOSE_WAIT_MS;
  // Lean logins close themselves (the server ends each TCP connection after the close frame).
  await sleep(200);
  while (sdkClosing.size > 0 && performance.now() < deadline) await sleep(20);
  process.exit(0);
}

installWorkerGuards();

process.on('message', (raw: unknown) => {
  const msg = raw as StormParentMsg;
  if (msg.type === 'start') {
    if (started) return;
    started = true;
    run(msg).catch(fatal);
  } else if (msg.type === 'finish') {
    finish().catch(fatal);
  }
});

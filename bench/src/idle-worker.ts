/**
 * idle load-generator worker: a child process forked by idle-run.ts. Holds logged-in
 * connections that do nothing but keep alive: the server's WebSocket pings are answered
 * by `ws` automatically, and each connection sends the `ping` request the SDK sends once
 * per heartbeat interval (docs/protocol.md §10). At the end every connection is pinged
 * once more to prove it is still there. Reports over IPC (idle-ipc.ts).
 */
import { performance } from 'node:perf_hooks';
import { Conn, closeAll, failureReason, runPool, sourceAddressFor, type ConnTarget } from './conn.js';
import type { IdleConnectMsg, IdleHoldMsg, IdleInitMsg, IdleParentMsg, IdleVerifyMsg, IdleWorkerMsg } from './idle-ipc.js';
import { LatencyHistogram } from './stats.js';
import { fatal, installWorkerGuards, postToParent, sleep, WindowMeter } from './worker-runtime.js';

const PING_TICK_MS = 10;
const PING_TIMEOUT_MS = 10_000;

let init: IdleInitMsg | null = null;
/** Logged-in connections (closed ones stay here; `state` tells). */
const conns: Conn[] = [];
const failureCodes: Record<string, number> = {};
const failureSamples: string[] = [];
let failed = 0;
let heartbeatIntervalMs: number | null = null;
let holding = false;
const closes: Record<string, number> = {};

const post: (msg: IdleWorkerMsg) => void = postToParent;

async function connect(msg: IdleConnectMsg): Promise<void> {
  const cfg = init!;
  const target: ConnTarget = { url: cfg.url, sdkAppID: cfg.sdkAppID, secretKey: cfg.secretKey, connectTimeoutMs: cfg.connectTimeoutMs };
  const mine: number[] = [];
  for (let i = msg.from; i < msg.to; i++) if (i % cfg.workers === cfg.workerIndex) mine.push(i);
  const loginLatency = new LatencyHistogram();
  let done = 0;
  let phaseFailed = 0;
  let lastReport = 0;
  const connectMs = await runPool(
    mine,
    cfg.connectConcurrency,
    async (i) => {
      const conn = new Conn(`${cfg.prefix}${i}`, {
        onClose: (code) => {
          if (holding) closes[String(code)] = (closes[String(code)] ?? 0) + 1;
        },
      });
      const started = performance.now();
      try {
        const login = await conn.connect(target, sourceAddressFor(i, cfg.perSourceAddress, cfg.total));
        heartbeatIntervalMs ??= login.heartbeatIntervalMs;
      } catch (err) {
        conn.drop();
        throw err;
      }
      loginLatency.record(performance.now() - started);
      conns.push(conn);
    },
    (i, error) => {
      done++;
      if (error !== null) {
        failed++;
        phaseFailed++;
        const reason = failureReason(error);
        failureCodes[reason] = (failureCodes[reason] ?? 0) + 1;
        if (failureSamples.length < 5) failureSamples.push(`connection ${i}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const now = performance.now();
      if (now - lastReport >= 500) {
        lastReport = now;
        post({ type: 'connecting', done, failed: phaseFailed });
      }
    },
  );
  post({ type: 'connecting', done, failed: phaseFailed });
  post({
    type: 'connected',
    open: conns.filter((c) => c.state === 'ready').length,
    failed,
    failureCodes,
    failureSamples,
    connectMs,
    loginLatency: loginLatency.toJSON(),
    heartbeatIntervalMs,
  });
}

/** Keeps the connections; pings are spread evenly: each connection once per interval. */
async function hold(msg: IdleHoldMsg): Promise<void> {
  holding = true;
  const meter = new WindowMeter(Date.now(), msg.until);
  const latency = new LatencyHistogram();
  let pings = 0;
  let pingFailures = 0;
  const ping = (conn: Conn) => {
    const sent = performance.now();
    pings++;
    conn.request({ cmd: 'ping', body: {} }, PING_TIMEOUT_MS).then(
      () => latency.record(performance.now() - sent),
      () => void pingFailures++,
    );
  };
  if (msg.pingIntervalMs > 0 && conns.length > 0) {
    const started = performance.now();
    let issued = 0;
    let cursor = 0;
    // Random start offset per worker, so the workers' rounds do not line up.
    const offset = Math.floor(Math.random() * conns.length);
    const timer = setInterval(() => {
      const due = Math.floor((conns.length * (performance.now() - started)) / msg.pingIntervalMs);
      for (; issued < due; issued++) {
        const conn = conns[(offset + cursor++) % conns.length]!;
        if (conn.state === 'ready') ping(conn);
      }
    }, PING_TICK_MS);
    await sleep(Math.max(0, msg.until - Date.now()));
    clearInterval(timer);
  } else {
    await sleep(Math.max(0, msg.until - Date.now()));
  }
  // Let the last pings come back.
  const deadline = performance.now() + PING_TIMEOUT_MS;
  while (latency.count + pingFailures < pings && performance.now() < deadline) await sleep(20);
  holding = false;
  post({ type: 'held', pings, pingFailures, pingLatency: latency.toJSON(), closes, ...meter.result() });
}

async function verify(msg: IdleVerifyMsg): Promise<void> {
  const latency = new LatencyHistogram();
  let alive = 0;
  await Promise.all(
    conns.map(async (conn) => {
      if (conn.state !== 'ready') return;
      const sent = performance.now();
      try {
        await conn.request({ cmd: 'ping', body: {} }, msg.timeoutMs);
        latency.record(performance.now() - sent);
        alive++;
      } catch {
        // counted as dead below
      }
    }),
  );
  post({ type: 'verified', alive, dead: conns.length - alive, pingLatency: latency.toJSON() });
}

async function finish(): Promise<void> {
  await closeAll(conns, 3000);
  process.exit(0);
}

installWorkerGuards();

process.on('message', (raw: unknown) => {
  const msg = raw as IdleParentMsg;
  switch (msg.type) {
    case 'init':
      init ??= msg;
      return;
    case 'connect':
      connect(msg).catch(fatal);
      return;
    case 'hold':
      hold(msg).catch(fatal);
      return;
    case 'verify':
      verify(msg).catch(fatal);
      return;
    case 'finish':
      finish().catch(fatal);
      return;
  }
});

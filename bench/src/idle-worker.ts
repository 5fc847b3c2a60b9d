/**
 * idle load-generator worker: a child process forked by idle-run.ts. Holds logged-in
 * connections that do nothing but keep alive: the server's WebSocket pings are answered
 * by `ws` automatically, and each connection sends the `ping` request the SDK sends once
 * per heartbeat interval (docs/protocol.md §10). At the end every connection is pinged
 * once more to prove it is still there. Reports over IPC (idle-ipc.ts).
 * With `--client sdk` each connection is a logged-in @parley/sdk instance: it sends its own
 * heartbeat, so the worker adds no pings, and the final check is one `getUserProfile` each.
 */
import { performance } from 'node:perf_hooks';
import { Conn, closeAll, failureReason, runPool, sourceAddressFor, type ConnTarget } from './conn.js';
import { EndpointError } from './endpoints.js';
import type { IdleConnectMsg, IdleHoldMsg, IdleInitMsg, IdleParentMsg, IdleVerifyMsg, IdleWorkerMsg } from './idle-ipc.js';
import { LatencyHistogram } from './stats.js';
import { fatal, installWorkerGuards, postToParent, sleep, WindowMeter } from './worker-runtime.js';

const PING_TICK_MS = 10;
const PING_TIMEOUT_MS = 10_000;

/** A held connection, whichever client holds it. */
interface Held {
  readonly ready: boolean;
  /** One request the server must answer: `ping` (lean) or the user's profile (SDK). */
  request(timeoutMs: number): Promise<void>;
}

let init: IdleInitMsg | null = null;
/** Logged-in connections (closed ones stay here; `ready` tells). */
const conns: Held[] = [];
/** The lean ones' sockets, and the SDK instances' close functions (for `finish`). */
const leanConns: Conn[] = [];
const sdkCloses: Array<() => Promise<void>> = [];
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
      const userID = `${cfg.prefix}${i}`;
      const started = performance.now();
      if (cfg.client === 'sdk') {
        const { SdkIdleEndpoint } = await import('./sdk-endpoints.js');
        const endpoint = new SdkIdleEndpoint(userID, target, () => {
          if (holding) closes['sdk-disconnected'] = (closes['sdk-disconnected'] ?? 0) + 1;
        });
        await endpoint.connect();
        loginLatency.record(performance.now() - started);
        conns.push(endpoint);
        sdkCloses.push(() => endpoint.close());
        return;
      }
      const conn = new Conn(userID, {
        onClose: (code) => {
          if (holding) closes[String(code)] = (closes[String(code)] ?? 0) + 1;
        },
      });
      try {
        const login = await conn.connect(target, sourceAddressFor(i, cfg.perSourceAddress, cfg.total));
        heartbeatIntervalMs ??= login.heartbeatIntervalMs;
      } catch (err) {
        conn.drop();
        throw err;
      }
      loginLatency.record(performance.now() - started);
      leanConns.push(conn);
      conns.push({
        get ready() {
          return conn.state === 'ready';
        },
        request: async (timeoutMs) => {
          await conn.request({ cmd: 'ping', body: {} }, timeoutMs);
        },
      });
    },
    (i, error) => {
      done++;
      if (error !== null) {
        failed++;
        phaseFailed++;
        const reason = error instanceof EndpointError && error.code !== null ? String(error.code) : failureReason(error);
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
    open: conns.filter((c) => c.ready).length,
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
  const ping = (conn: Held) => {
    const sent = performance.now();
    pings++;
    conn.request(PING_TIMEOUT_MS).then(
      () => latency.record(performance.now() - sent),
      () => void pingFailures++,
    );
  };
  // SDK instances keep their own heartbeat: nothing to add.
  if (msg.pingIntervalMs > 0 && conns.length > 0 && init?.client !== 'sdk') {
    const started = performance.now();
    let issued = 0;
    let cursor = 0;
    // Random start offset per worker, so the workers' rounds do not line up.
    const offset = Math.floor(Math.random() * conns.length);
    const timer = setInterval(() => {
      const due = Math.floor((conns.length * (performance.now() - started)) / msg.pingIntervalMs);
      for (; issued < due; issued++) {
        const conn = conns[(offset + cursor++) % conns.length]!;
        if (conn.ready) ping(conn);
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
      if (!conn.ready) return;
      const sent = performance.now();
      try {
        await conn.request(msg.timeoutMs);
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
  await Promise.all([closeAll(leanConns, 3000), Promise.race([Promise.all(sdkCloses.map((close) => close())), new Promise((r) => setTimeout(r, 3000))])]);
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

/**
 * history load-generator worker: a child process forked by history-run.ts. Logs in its
 * owners (u % workers = workerIndex) and has them fetch "the last 15 messages" of random
 * conversations of theirs — `msg.list` without `beforeSeq`, then `--pages − 1` older pages
 * with `beforeSeq` — closed loop (`window` fetches in flight per user) or at a rate. Every
 * page is checked against the dataset's layout (history-logic.ts). Reports over IPC.
 */
import { performance } from 'node:perf_hooks';
import type { ListMessagesResult } from '@parley/protocol';
import { Conn, closeAll, describeResponse, failureReason, runPool, type ConnTarget } from './conn.js';
import type { HistoryInitMsg, HistoryParentMsg, HistoryStartMsg, HistoryWorkerMsg, PageChecks } from './history-ipc.js';
import { checkPage, conversationsOf, expectedPage, messagesIn, ownerID, peerID, prng } from './history-logic.js';
import { LatencyHistogram } from './stats.js';
import { fatal, installWorkerGuards, paceOpenLoop, postToParent, sleep, WindowMeter } from './worker-runtime.js';

/** The server's `msg.list` page size (docs/protocol.md §14). */
const PAGE_SIZE = 15;
const PROGRESS_INTERVAL_MS = 250;

interface User {
  owner: number;
  id: string;
  conn: Conn;
  conversations: number[];
  inFlight: number;
}

let init: HistoryInitMsg | null = null;
const users: User[] = [];
const post: (msg: HistoryWorkerMsg) => void = postToParent;

async function connect(msg: HistoryInitMsg): Promise<void> {
  const target: ConnTarget = { url: msg.url, sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, connectTimeoutMs: msg.connectTimeoutMs };
  const mine: User[] = [];
  for (let u = msg.workerIndex; u < msg.users; u += msg.workers) {
    const id = ownerID(u);
    mine.push({ owner: u, id, conn: new Conn(id), conversations: conversationsOf(u, msg.dataset), inFlight: 0 });
  }
  const failureSamples: string[] = [];
  const connectMs = await runPool(
    mine,
    msg.connectConcurrency,
    (user) => user.conn.connect(target),
    (user, error) => {
      if (error === null) users.push(user);
      else {
        user.conn.drop();
        if (failureSamples.length < 5) failureSamples.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  );
  post({ type: 'ready', loggedIn: users.length, failureSamples, connectMs });
}

async function run(msg: HistoryStartMsg): Promise<void> {
  const cfg = init!;
  const d = cfg.dataset;
  const windowStart = msg.t0 + msg.warmupMs;
  const windowEnd = windowStart + msg.durationMs;
  const toPerf = (epoch: number) => epoch - performance.timeOrigin;
  const random = prng(cfg.seed * 1000 + cfg.workerIndex);
  const latency = new LatencyHistogram();
  const errors: Record<string, number> = {};
  const checks: PageChecks = { good: 0, missing: 0, duplicated: 0, outOfOrder: 0, bad: 0 };
  let totalRequests = 0;
  let windowRequests = 0;
  let windowOk = 0;
  let inFlight = 0;
  let sending = false;

  /** One page request; resolves with the page's first seq, or null when the fetch cannot go on. */
  const page = async (user: User, conversation: number, beforeSeq: number | null, refEpoch: number): Promise<number | null> => {
    const inWindow = refEpoch >= windowStart && refEpoch < windowEnd;
    totalRequests++;
    if (inWindow) windowRequests++;
    let data: ListMessagesResult;
    try {
      const res = await user.conn.request(
        { cmd: 'msg.list', body: { conversationID: `C2C${peerID(conversation)}`, count: PAGE_SIZE, ...(beforeSeq !== null ? { beforeSeq } : {}) } },
        msg.requestTimeoutMs,
      );
      if (res.code !== 0) {
        errors[String(res.code)] = (errors[String(res.code)] ?? 0) + 1;
        if (Object.keys(errors).length === 1 && errors[String(res.code)] === 1) process.stderr.write(`[history worker ${cfg.workerIndex}] msg.list failed: ${describeResponse(res)}\n`);
        return null;
      }
      data = (res as { data: ListMessagesResult }).data;
    } catch (err) {
      const reason = failureReason(err);
      errors[reason] = (errors[reason] ?? 0) + 1;
      return null;
    }
    const doneEpoch = performance.timeOrigin + performance.now();
    if (inWindow) {
      windowOk++;
      latency.record(doneEpoch - refEpoch);
    }
    const owner = user.id;
    const peer = peerID(conversation);
    const check = checkPage(data.messages, data.isCompleted, expectedPage(messagesIn(conversation, d), beforeSeq, PAGE_SIZE), (seq) => (seq % 2 === 1 ? owner : peer));
    if (check.good) checks.good++;
    checks.missing += check.missing;
    checks.duplicated += check.duplicated;
    checks.outOfOrder += check.outOfOrder;
    if (check.bad) checks.bad++;
    return data.messages[0]?.seq ?? null;
  };

  /** A fetch: the newest page of a random conversation of the user's, then older pages. */
  const fetch = (user: User, dueEpoch: number | null): void => {
    const conversation = user.conversations[Math.floor(random() * user.conversations.length)]!;
    user.inFlight++;
    inFlight++;
    void (async () => {
      let ref = dueEpoch ?? performance.timeOrigin + performance.now();
      let before: number | null = null;
      for (let p = 0; p < cfg.pages; p++) {
        const first = await page(user, conversation, before, ref);
        if (first === null || first <= 1) break;
        before = first;
        // Older pages are sent when the previous one arrives: measured from their own send.
        ref = performance.timeOrigin + performance.now();
      }
    })().finally(() => {
      user.inFlight--;
      inFlight--;
      if (sending && msg.rate === 0) fetch(user, null);
    });
  };

  const progress = setInterval(() => post({ type: 'progress', requests: totalRequests, errors: Object.values(errors).reduce((a, b) => a + b, 0), inFlight }), PROGRESS_INTERVAL_MS);
  const meter = new WindowMeter(windowStart, windowEnd);
  await sleep(Math.max(0, toPerf(msg.t0) - performance.now()));
  sending = true;
  let backlog = 0;
  const active = users.filter((u) => u.conn.state === 'ready');
  if (active.length === 0) {
    await sleep(Math.max(0, toPerf(windowEnd) - performance.now()));
  } else if (msg.rate === 0) {
    for (let k = 0; k < msg.window; k++) for (const u of active) fetch(u, null);
    await sleep(Math.max(0, toPerf(windowEnd) - performance.now()));
  } else {
    let cursor = 0;
    const paced = await paceOpenLoop({
      ratePerS: msg.rate,
      startPerf: performance.now(),
      endPerf: toPerf(windowEnd),
      maxBacklog: Math.max(1, Math.ceil(msg.rate)),
      issue: (dueEpoch) => {
        for (let scanned = 0; scanned < active.length; scanned++) {
          const u = active[cursor]!;
          cursor = (cursor + 1) % active.length;
          if (u.conn.state === 'ready' && u.inFlight < msg.window) {
            fetch(u, dueEpoch);
            return true;
          }
        }
        return false;
      },
    });
    backlog = paced.backlog;
  }
  sending = false;
  const load = meter.result();
  const drainUntil = performance.now() + msg.requestTimeoutMs + 1000;
  while (inFlight > 0 && performance.now() < drainUntil) await sleep(5);
  clearInterval(progress);
  post({ type: 'progress', requests: totalRequests, errors: Object.values(errors).reduce((a, b) => a + b, 0), inFlight });
  post({ type: 'done', windowRequests, windowOk, latency: latency.toJSON(), errors, totalRequests, backlog, ...checks, ...load });
}

async function finish(): Promise<void> {
  await closeAll(
    users.map((u) => u.conn),
    2000,
  );
  process.exit(0);
}

installWorkerGuards();

process.on('message', (raw: unknown) => {
  const msg = raw as HistoryParentMsg;
  switch (msg.type) {
    case 'init':
      if (init) return;
      init = msg;
      connect(msg).catch(fatal);
      return;
    case 'start':
      run(msg).catch(fatal);
      return;
    case 'finish':
      finish().catch(fatal);
      return;
  }
});

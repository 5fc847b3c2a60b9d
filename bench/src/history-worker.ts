/**
 * history load-generator worker: a child process forked by history-run.ts. Logs in its
 * owners (u % workers = workerIndex) and has them fetch "the last 15 messages" of random
 * conversations of theirs — `msg.list` without `beforeSeq`, then `--pages − 1` older pages
 * with `beforeSeq` — closed loop (`window` fetches in flight per user) or at a rate. Every
 * page is checked against the dataset's layout (history-logic.ts). Reports over IPC.
 * With `--client sdk` each user is an @parley/sdk instance and pages go through
 * `getMessageList` (older pages by `nextReqMessageID`).
 */
import { performance } from 'node:perf_hooks';
import type { ListMessagesResult } from '@parley/protocol';
import { Conn, closeAll, describeResponse, failureReason, runPool, type ConnTarget } from './conn.js';
import { EndpointError, type HistoryPage } from './endpoints.js';
import type { HistoryInitMsg, HistoryParentMsg, HistoryStartMsg, HistoryWorkerMsg, PageChecks } from './history-ipc.js';
import { checkPage, conversationsOf, expectedPage, messagesIn, ownerID, peerID, prng } from './history-logic.js';
import { LatencyHistogram } from './stats.js';
import { fatal, installWorkerGuards, paceOpenLoop, postToParent, sleep, WindowMeter } from './worker-runtime.js';

/** The server's `msg.list` page size (docs/protocol.md §14). */
const PAGE_SIZE = 15;
const PROGRESS_INTERVAL_MS = 250;

/** How one user fetches pages, whichever client does it. */
interface PageClient {
  readonly ready: boolean;
  connect(): Promise<void>;
  /** The newest page (`before` null) or the one before the previous page; rejects on any failure. */
  page(conversationID: string, before: { seq: number; cursor: string } | null, timeoutMs: number): Promise<HistoryPage>;
  close(): Promise<void>;
}

/** The lean raw-protocol client: `msg.list` with `beforeSeq`. */
class LeanPageClient implements PageClient {
  private readonly conn: Conn;

  constructor(
    id: string,
    private readonly target: ConnTarget,
  ) {
    this.conn = new Conn(id);
  }

  get ready(): boolean {
    return this.conn.state === 'ready';
  }

  async connect(): Promise<void> {
    try {
      await this.conn.connect(this.target);
    } catch (err) {
      this.conn.drop();
      throw err;
    }
  }

  async page(conversationID: string, before: { seq: number } | null, timeoutMs: number): Promise<HistoryPage> {
    const res = await this.conn.request({ cmd: 'msg.list', body: { conversationID, count: PAGE_SIZE, ...(before !== null ? { beforeSeq: before.seq } : {}) } }, timeoutMs);
    if (res.code !== 0) throw new EndpointError(`msg.list failed: ${describeResponse(res)}`, res.code);
    const data = (res as { data: ListMessagesResult }).data;
    return { messages: data.messages, isCompleted: data.isCompleted, cursor: '' };
  }

  close(): Promise<void> {
    return closeAll([this.conn], 2000);
  }
}

interface User {
  owner: number;
  id: string;
  client: PageClient;
  conversations: number[];
  inFlight: number;
}

/** The SDK endpoint, loaded only by `--client sdk` workers. */
async function sdkPageClient(id: string, target: ConnTarget): Promise<PageClient> {
  const { SdkHistoryEndpoint } = await import('./sdk-endpoints.js');
  const endpoint = new SdkHistoryEndpoint(id, target);
  return {
    get ready() {
      return endpoint.ready;
    },
    connect: () => endpoint.connect(),
    page: (conversationID, before) => endpoint.page(conversationID, PAGE_SIZE, before?.cursor ?? null),
    close: () => endpoint.close(),
  };
}

let init: HistoryInitMsg | null = null;
const users: User[] = [];
const post: (msg: HistoryWorkerMsg) => void = postToParent;

async function connect(msg: HistoryInitMsg): Promise<void> {
  const target: ConnTarget = { url: msg.url, sdkAppID: msg.sdkAppID, secretKey: msg.secretKey, connectTimeoutMs: msg.connectTimeoutMs };
  const mine: User[] = [];
  for (let u = msg.workerIndex; u < msg.users; u += msg.workers) {
    const id = ownerID(u);
    const client = msg.client === 'sdk' ? await sdkPageClient(id, target) : new LeanPageClient(id, target);
    mine.push({ owner: u, id, client, conversations: conversationsOf(u, msg.dataset), inFlight: 0 });
  }
  const failureSamples: string[] = [];
  const connectMs = await runPool(
    mine,
    msg.connectConcurrency,
    (user) => user.client.connect(),
    (user, error) => {
      if (error === null) users.push(user);
      else if (failureSamples.length < 5) failureSamples.push(`${user.id}: ${error instanceof Error ? error.message : String(error)}`);
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

  /** One page request; resolves with the page's first seq and the cursor past it, or null when the fetch cannot go on. */
  const page = async (user: User, conversation: number, before: { seq: number; cursor: string } | null, refEpoch: number): Promise<{ seq: number; cursor: string } | null> => {
    const inWindow = refEpoch >= windowStart && refEpoch < windowEnd;
    const beforeSeq = before?.seq ?? null;
    totalRequests++;
    if (inWindow) windowRequests++;
    let data: HistoryPage;
    try {
      data = await user.client.page(`C2C${peerID(conversation)}`, before, msg.requestTimeoutMs);
    } catch (err) {
      const reason = err instanceof EndpointError && err.code !== null ? String(err.code) : failureReason(err);
      errors[reason] = (errors[reason] ?? 0) + 1;
      if (Object.values(errors).reduce((a, b) => a + b, 0) === 1) process.stderr.write(`[history worker ${cfg.workerIndex}] ${err instanceof Error ? err.message : String(err)}\n`);
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
    const first = data.messages[0]?.seq;
    return first === undefined ? null : { seq: first, cursor: data.cursor };
  };

  /** A fetch: the newest page of a random conversation of the user's, then older pages. */
  const fetch = (user: User, dueEpoch: number | null): void => {
    const conversation = user.conversations[Math.floor(random() * user.conversations.length)]!;
    user.inFlight++;
    inFlight++;
    void (async () => {
      let ref = dueEpoch ?? performance.timeOrigin + performance.now();
      let before: { seq: number; cursor: string } | null = null;
      for (let p = 0; p < cfg.pages; p++) {
        const first = await page(user, conversation, before, ref);
        if (first === null || first.seq <= 1) break;
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
  const active = users.filter((u) => u.client.ready);
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
          if (u.client.ready && u.inFlight < msg.window) {
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
  await Promise.race([Promise.all(users.map((u) => u.client.close())), new Promise((r) => setTimeout(r, 3000))]);
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

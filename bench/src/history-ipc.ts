/**
 * Messages between the history parent (history-run.ts) and its workers (history-worker.js).
 *
 *   parent → init     log in this worker's users (owners u with u % workers = index)   → ready
 *   parent → start    fetch history from t0 until the window ends                      → progress*, done
 *   parent → finish   close and exit
 */
import type { ClientKind } from './endpoints.js';
import type { HistoryDataset } from './history-logic.js';
import type { HistogramJSON } from './stats.js';
import type { WindowLoad } from './worker-runtime.js';

export interface HistoryInitMsg {
  type: 'init';
  workerIndex: number;
  workers: number;
  users: number;
  dataset: HistoryDataset;
  url: string;
  sdkAppID: number;
  secretKey: string;
  connectConcurrency: number;
  connectTimeoutMs: number;
  /** Pages per fetch: the newest page, then older ones with beforeSeq. */
  pages: number;
  /** Seed of the conversation choice (runs are repeatable). */
  seed: number;
  /** Lean raw-protocol connections, or one @parley/sdk instance per user (getMessageList). */
  client: ClientKind;
}

export interface HistoryStartMsg {
  type: 'start';
  t0: number;
  warmupMs: number;
  durationMs: number;
  /** This worker's share of the target rate, fetches/s; 0 = closed loop. */
  rate: number;
  /** Fetches in flight per user. */
  window: number;
  requestTimeoutMs: number;
}

export interface HistoryFinishMsg {
  type: 'finish';
}

export type HistoryParentMsg = HistoryInitMsg | HistoryStartMsg | HistoryFinishMsg;

export interface HistoryReadyMsg {
  type: 'ready';
  loggedIn: number;
  failureSamples: string[];
  connectMs: number;
}

export interface HistoryProgressMsg {
  type: 'progress';
  requests: number;
  errors: number;
  inFlight: number;
}

/** Counts of what the pages held, against what the dataset says they must hold. */
export interface PageChecks {
  /** Pages whose messages were exactly the expected seqs, in order. */
  good: number;
  /** Expected messages a page did not have. */
  missing: number;
  /** Messages that appeared twice in a page. */
  duplicated: number;
  /** Messages not in ascending seq order within a page. */
  outOfOrder: number;
  /** Pages with anything else wrong (foreign messages, wrong isCompleted, too many). */
  bad: number;
}

export interface HistoryDoneMsg extends WindowLoad, PageChecks {
  type: 'done';
  /** Requests (pages) whose (intended) send time is in the window, and of those answered with code 0. */
  windowRequests: number;
  windowOk: number;
  /** msg.list send (intended, for a fetch's first page in open loop) → answer, window pages. */
  latency: HistogramJSON;
  /** Non-zero answer codes and `timeout` / `closed`, whole run. */
  errors: Record<string, number>;
  totalRequests: number;
  backlog: number;
}

export interface HistoryFatalMsg {
  type: 'fatal';
  message: string;
}

export type HistoryWorkerMsg = HistoryReadyMsg | HistoryProgressMsg | HistoryDoneMsg | HistoryFatalMsg;

/**
 * Messages between the c2c bench parent (cli.ts) and its load-generator
 * workers (c2c-worker.js), over the child_process IPC channel.
 *
 * Run phases:
 *   parent → init      worker connects + logs in its users      → connecting*, ready
 *   parent → start     worker sends from t0 until t0+warmup+dur → progress*, sent
 *   parent → drain     worker waits for the expected pushes     → drained
 *   parent → finish    worker closes its sockets and exits
 */
import type { ClientKind } from './endpoints.js';
import type { HistogramJSON } from './stats.js';
import type { WindowLoad } from './worker-runtime.js';

/** Users are spread round-robin: user u lives on worker u % workers. */
export function workerOf(user: number, workers: number): number {
  return user % workers;
}

/**
 * The user `user` sends to: its pair partner `user ^ 1` (so 0↔1, 2↔3, …, and
 * with several workers the partner always lives on another worker). With an
 * odd user count the last user sends to user 0.
 */
export function peerOf(user: number, users: number): number {
  const peer = user ^ 1;
  return peer < users ? peer : 0;
}

export function userID(prefix: string, user: number): string {
  return `${prefix}${user}`;
}

export interface InitMsg {
  type: 'init';
  workerIndex: number;
  workers: number;
  users: number;
  url: string;
  sdkAppID: number;
  secretKey: string;
  /** userID prefix, unique per run so message IDs never collide with an earlier run on the same server. */
  prefix: string;
  window: number;
  connectConcurrency: number;
  /** Give up on one connection + login after this long. */
  connectTimeoutMs: number;
  /** Lean raw-protocol client, or the real SDK. */
  client: ClientKind;
  /** Connections per source address 127.0.0.x (see conn.ts sourceAddressFor). */
  perSourceAddress: number;
}

export interface StartMsg {
  type: 'start';
  /** Epoch ms at which sending starts (same instant on every worker). */
  t0: number;
  warmupMs: number;
  durationMs: number;
  /** This worker's share of the target rate, msgs/s; 0 = closed loop (window-limited). */
  rate: number;
  /** Users that failed to connect anywhere: nobody sends to them, and they send nothing. */
  failedUsers: number[];
  ackTimeoutMs: number;
}

export interface DrainMsg {
  type: 'drain';
  /** For each sender whose receiver lives on this worker: how many of its messages the server acked. */
  expected: Array<[sender: number, acked: number]>;
  /** Epoch ms: report by then even if pushes are still missing. */
  deadline: number;
}

export interface FinishMsg {
  type: 'finish';
}

export type ParentMsg = InitMsg | StartMsg | DrainMsg | FinishMsg;

export interface ConnectingMsg {
  type: 'connecting';
  done: number;
  failed: number;
  total: number;
}

export interface ReadyMsg {
  type: 'ready';
  failedUsers: number[];
  /** First failure reasons (a few), for the operator. */
  failureSamples: string[];
  connectMs: number;
}

export interface ProgressMsg {
  type: 'progress';
  /** Cumulative counters since start. */
  sent: number;
  acked: number;
  received: number;
  errors: number;
  inFlight: number;
}

export interface SentMsg extends WindowLoad {
  type: 'sent';
  /** Per sender: base64 Bitset of acked message numbers. */
  acked: Array<[sender: number, bitset: string]>;
  totalSent: number;
  totalAcked: number;
  /** Sent / acked with a send time inside the measured window. */
  windowSent: number;
  windowAcked: number;
  ackLatency: HistogramJSON;
  /** Non-zero `res` codes → count. */
  errorCodes: Record<string, number>;
  /** Stand-alone `error` frames. */
  errorFrames: number;
  ackTimeouts: number;
  /** Acks that said `duplicate: true` (the server saw the ID before). */
  serverDuplicates: number;
  /** Rate mode: messages that were due but never sent (every sender's window was full). */
  backlog: number;
}

export interface DrainedMsg {
  type: 'drained';
  /** Per sender: base64 Bitset of message numbers its receiver got. */
  received: Array<[sender: number, bitset: string]>;
  /** Distinct pushes received whose send time was inside the measured window. */
  windowReceived: number;
  totalReceived: number;
  duplicates: number;
  /** New pushes whose C2C seq was not above the previous push from the same sender. */
  outOfOrder: number;
  /** Pushes from someone other than the receiver's assigned sender, or unparsable. */
  unexpected: number;
  latency: HistogramJSON;
  disconnects: number;
  kicked: number;
  drainMs: number;
}

export interface FatalMsg {
  type: 'fatal';
  message: string;
}

export type WorkerMsg = ConnectingMsg | ReadyMsg | ProgressMsg | SentMsg | DrainedMsg | FatalMsg;

/**
 * Messages between the idle bench parent (idle-run.ts) and its workers (idle-worker.js).
 *
 *   parent → init      the run's parameters
 *   parent → connect   connect + log in connections [from, to) that live on this worker   → connecting*, connected
 *   parent → hold      keep them, each pinging once per interval, until `until`           → held
 *   parent → verify    one more ping on every connection, all at once                      → verified
 *   parent → finish    close and exit
 *
 * Connection i (numbered across all workers) lives on worker i % workers.
 */
import type { ClientKind } from './endpoints.js';
import type { HistogramJSON } from './stats.js';
import type { WindowLoad } from './worker-runtime.js';

export interface IdleInitMsg {
  type: 'init';
  workerIndex: number;
  workers: number;
  /** Connections in the whole run (for the source address of each). */
  total: number;
  url: string;
  sdkAppID: number;
  secretKey: string;
  prefix: string;
  connectConcurrency: number;
  connectTimeoutMs: number;
  perSourceAddress: number;
  /** Lean raw-protocol connections, or one logged-in @parley/sdk instance per connection. */
  client: ClientKind;
}

export interface IdleConnectMsg {
  type: 'connect';
  from: number;
  to: number;
}

export interface IdleHoldMsg {
  type: 'hold';
  /** Epoch ms the hold ends. */
  until: number;
  /** Each connection sends a `ping` request this often, ms (the SDK's heartbeat); 0 = none. */
  pingIntervalMs: number;
}

export interface IdleVerifyMsg {
  type: 'verify';
  timeoutMs: number;
}

export interface IdleFinishMsg {
  type: 'finish';
}

export type IdleParentMsg = IdleInitMsg | IdleConnectMsg | IdleHoldMsg | IdleVerifyMsg | IdleFinishMsg;

export interface IdleConnectingMsg {
  type: 'connecting';
  done: number;
  failed: number;
}

export interface IdleConnectedMsg {
  type: 'connected';
  /** Open and logged in on this worker now (all phases). */
  open: number;
  failed: number;
  /** Failures by reason: a login error code, or `socket`, `timeout`, `closed`. */
  failureCodes: Record<string, number>;
  failureSamples: string[];
  connectMs: number;
  /** connect start → login answer, this phase. */
  loginLatency: HistogramJSON;
  /** The server's heartbeat interval from the login answer, ms. */
  heartbeatIntervalMs: number | null;
}

export interface IdleHeldMsg extends WindowLoad {
  type: 'held';
  pings: number;
  pingFailures: number;
  /** ping → answer during the hold. */
  pingLatency: HistogramJSON;
  /** Connections that closed during the hold, by close code. */
  closes: Record<string, number>;
}

export interface IdleVerifiedMsg {
  type: 'verified';
  /** Connections that answered the final ping. */
  alive: number;
  /** Logged in after connecting but closed or silent at the end. */
  dead: number;
  pingLatency: HistogramJSON;
}

export interface IdleFatalMsg {
  type: 'fatal';
  message: string;
}

export type IdleWorkerMsg = IdleConnectingMsg | IdleConnectedMsg | IdleHeldMsg | IdleVerifiedMsg | IdleFatalMsg;

/**
 * Messages between the login-storm parent (login-storm-run.ts) and its workers (login-storm-worker.js).
 *
 *   parent → start    log in fresh users from t0 until the window ends   → progress*, done
 *   parent → finish   close what is left and exit
 */
import type { ClientKind } from './endpoints.js';
import type { HistogramJSON } from './stats.js';
import type { WindowLoad } from './worker-runtime.js';

export interface StormStartMsg {
  type: 'start';
  workerIndex: number;
  url: string;
  sdkAppID: number;
  secretKey: string;
  /** userID prefix, unique per run and worker: every login is a user the server has never seen … */
  prefix: string;
  /** … unless a pool is given: login k uses user k % pool (known to the server after its first login). 0 = no pool. */
  pool: number;
  /** This worker's share of the target rate, logins/s; 0 = closed loop. */
  rate: number;
  /** Logins in flight at most (closed loop: exactly). */
  window: number;
  t0: number;
  warmupMs: number;
  durationMs: number;
  /** Give up on one connect + login after this long, ms. */
  loginTimeoutMs: number;
  /** Source addresses 127.0.0.1 … 127.0.0.k, used in turn (lean client). */
  sourceAddresses: number;
  /** Lean raw-protocol client, or a fresh @parley/sdk instance per login. */
  client: ClientKind;
}

export interface StormFinishMsg {
  type: 'finish';
}

export type StormParentMsg = StormStartMsg | StormFinishMsg;

export interface StormProgressMsg {
  type: 'progress';
  attempted: number;
  ok: number;
  failed: number;
  inFlight: number;
}

export interface StormDoneMsg extends WindowLoad {
  type: 'done';
  /** Attempts whose (intended) start is in the measured window, and how they ended. */
  windowAttempted: number;
  windowOk: number;
  windowFailed: number;
  /** connect start (intended, in open loop) → login answer, successful window logins. */
  latency: HistogramJSON;
  /** Failures by reason (login error code, errno code, `timeout`, `closed`), whole run. */
  failures: Record<string, number>;
  failureSamples: string[];
  totalAttempted: number;
  totalOk: number;
  /** Open loop: logins that were due but dropped because more than a second's worth were waiting. */
  backlog: number;
}

export interface StormFatalMsg {
  type: 'fatal';
  message: string;
}

export type StormWorkerMsg = StormProgressMsg | StormDoneMsg | StormFatalMsg;

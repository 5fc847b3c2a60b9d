/**
 * Messages between the group/avchatroom bench parent (group-run.ts) and its
 * load-generator workers (group-worker.js), over the child_process IPC channel.
 *
 *   parent → init      worker remembers the run's parameters
 *   parent → setup     (worker 0 only) owner logs in, creates the group,
 *                      group: adds the members in batches of 500   → setupDone
 *   parent → connect   worker connects its members: log in (group) / log in +
 *                      group.join or group.join-anonymous (avchatroom)   → connecting*, ready
 *   parent → start     senders send from t0 until t0+warmup+duration     → progress*, sent
 *   parent → drain     acked messages of every sender; the worker waits until
 *                      its members have them (or the deadline), then counts   → drained
 *   parent → finish    worker closes its sockets and exits
 */
import type { ClientKind } from './endpoints.js';
import type { HistogramJSON } from './stats.js';
import type { WindowLoad } from './worker-runtime.js';
import type { Priority, PriorityMix } from './group-logic.js';

export type GroupWorkload = 'group' | 'avchatroom';

export interface GroupInitMsg {
  type: 'init';
  workload: GroupWorkload;
  workerIndex: number;
  workers: number;
  members: number;
  /** Members 0 … senders−1 send (member 0 is the owner). */
  senders: number;
  /** AVChatRoom: this many of the non-senders join anonymously (see isAnonymousMember). */
  anonymous: number;
  url: string;
  sdkAppID: number;
  secretKey: string;
  /** userID prefix, unique per run. */
  prefix: string;
  window: number;
  priorityMix: PriorityMix;
  connectConcurrency: number;
  /** AVChatRoom: group.join requests in flight per worker (on sockets already logged in). */
  joinConcurrency: number;
  connectTimeoutMs: number;
  /** Work group type for `group` ('Private'); 'AVChatRoom' for avchatroom. */
  groupType: 'Private' | 'AVChatRoom';
  /** Lean raw-protocol client, or the real SDK. */
  client: ClientKind;
  /** Connections per source address 127.0.0.x (see conn.ts sourceAddressFor). */
  perSourceAddress: number;
}

export interface SetupMsg {
  type: 'setup';
}

export interface ConnectMsg {
  type: 'connect';
  groupID: string;
}

export interface GroupStartMsg {
  type: 'start';
  t0: number;
  warmupMs: number;
  durationMs: number;
  /** This worker's share of the target rate, msgs/s; 0 = closed loop (window-limited). */
  rate: number;
  ackTimeoutMs: number;
}

export interface GroupDrainMsg {
  type: 'drain';
  /** Every sender's acked message numbers (base64 Bitset). */
  acked: Array<[sender: number, bitset: string]>;
  /** Epoch ms: report by then even if deliveries are still missing. */
  deadline: number;
}

export interface GroupFinishMsg {
  type: 'finish';
}

export type GroupParentMsg = GroupInitMsg | SetupMsg | ConnectMsg | GroupStartMsg | GroupDrainMsg | GroupFinishMsg;

export interface SetupDoneMsg {
  type: 'setupDone';
  groupID: string;
  setupMs: number;
  /** Members the server added (group workload; 0 for avchatroom). */
  added: number;
  /** Members the server refused to add (`overLimitUserIDList`, failures). */
  notAdded: number;
}

export interface GroupConnectingMsg {
  type: 'connecting';
  done: number;
  failed: number;
  total: number;
}

export interface GroupReadyMsg {
  type: 'ready';
  failedMembers: number[];
  failureSamples: string[];
  connectMs: number;
  /** Stage times: open + login of the logged-in members; AVChatRoom group.join of them; anonymous sockets. */
  loginMs: number;
  joinMs: number;
  anonymousMs: number;
  /** Then waiting until no join tip (or other group frame) had arrived for 1 s (at most 120 s). */
  settleMs: number;
  /** Non-bench group frames (AVChatRoom join tips, …) this worker's members received while connecting. */
  groupFramesWhileConnecting: number;
  loggedIn: number;
  anonymous: number;
}

export interface GroupProgressMsg {
  type: 'progress';
  sent: number;
  acked: number;
  shed: number;
  deliveries: number;
  errors: number;
  inFlight: number;
}

export type PriorityCounts = Record<Priority, number>;

export interface GroupSentMsg extends WindowLoad {
  type: 'sent';
  /** Per sender: base64 Bitset of acked message numbers (whole run). */
  acked: Array<[sender: number, bitset: string]>;
  totalSent: number;
  totalAcked: number;
  /** Messages whose (due) send time is inside the measured window. */
  windowSent: number;
  windowAcked: number;
  /** 10023 answers (the room's rate limit shed the message), whole run. */
  shedByPriority: PriorityCounts;
  sentByPriority: PriorityCounts;
  ackedByPriority: PriorityCounts;
  ackLatency: HistogramJSON;
  /** Non-zero `res` codes other than 10023 → count. */
  errorCodes: Record<string, number>;
  errorFrames: number;
  ackTimeouts: number;
  backlog: number;
}

export interface GroupDrainedMsg {
  type: 'drained';
  /** Distinct deliveries of window messages. */
  windowDeliveries: number;
  totalDeliveries: number;
  /** Member × acked message pairs that never arrived (whole run), by priority. */
  lostByPriority: PriorityCounts;
  /** Distinct deliveries by priority (whole run). */
  deliveredByPriority: PriorityCounts;
  /** Deliveries expected (acked messages × members other than the sender), whole run. */
  expected: number;
  duplicates: number;
  outOfOrder: number;
  /** push.message frames of the group that are not bench messages (tips, …), after connecting. */
  otherGroupFrames: number;
  /** Unparsable frames or bench messages from unknown senders. */
  unexpected: number;
  latency: HistogramJSON;
  latencyByPriority: Record<Priority, HistogramJSON>;
  /** Members whose socket closed during the run. */
  disconnects: number;
  kicked: number;
  /** Members that did not have everything by the deadline. */
  incompleteMembers: number;
  drainMs: number;
  /** Frames received by this worker's sockets per second of the window (all kinds). */
  framesInWindow: number;
  /** Parse-cache hit ratio (identical fan-out frames parsed once per worker). */
  parseCacheHits: number;
}

export interface GroupFatalMsg {
  type: 'fatal';
  message: string;
}

export type GroupWorkerMsg = SetupDoneMsg | GroupConnectingMsg | GroupReadyMsg | GroupProgressMsg | GroupSentMsg | GroupDrainedMsg | GroupFatalMsg;

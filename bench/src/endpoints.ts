/**
 * How a messaging worker (c2c-worker, group-worker) talks to the server, whichever client does
 * it: the lean raw-protocol client (lean-endpoints.ts) or the real @parley/sdk
 * (sdk-endpoints.ts, `--client sdk`). The worker does the bookkeeping (what was sent, acked,
 * received, in which order, how late); an endpoint only moves messages and reports events.
 *
 * Every bench message is a TIMTextElem whose text carries its send time, its due time (the
 * intended send time in open loop; latency is measured from it) and its number per sender.
 */
import type { Priority } from './group-logic.js';

export type ClientKind = 'lean' | 'sdk';

const TEXT_PATTERN = /ts=(\d+(?:\.\d+)?) due=(\d+(?:\.\d+)?) n=(\d+)/;

export function benchText(sentEpoch: number, dueEpoch: number, n: number): string {
  return `parley-bench ts=${sentEpoch.toFixed(3)} due=${dueEpoch.toFixed(3)} n=${n}`;
}

/** The due time (epoch ms) and number a bench text carries; `null` for any other text. */
export function parseBenchText(text: unknown): { dueEpoch: number; n: number } | null {
  const match = typeof text === 'string' ? TEXT_PATTERN.exec(text) : null;
  if (!match?.[2] || !match[3]) return null;
  return { dueEpoch: Number(match[2]), n: Number(match[3]) };
}

// ---------------------------------------------------------------- history

/** One page of a conversation's history as the history worker checks it. */
export interface HistoryPage {
  /** Oldest first. */
  messages: ReadonlyArray<{ seq: number; from: string }>;
  isCompleted: boolean;
  /** What asks for the next older page: the SDK's nextReqMessageID ('' for the lean client, which pages by seq). */
  cursor: string;
}

// ---------------------------------------------------------------- c2c

export interface C2CEndpoint {
  /** Logged in and not closed since. */
  readonly open: boolean;
  /** Opens and logs in. */
  connect(): Promise<void>;
  /** Sends message `n` to the user's peer; the answer comes back as `events.acked(n, …)`. */
  send(n: number, text: string, sentEpoch: number): void;
  close(): Promise<void>;
}

/** What a c2c endpoint reports (closures bound to its user). */
export interface C2CEvents {
  acked(n: number, code: number, duplicate: boolean, recvEpoch: number): void;
  received(from: string, text: unknown, seq: number, recvEpoch: number): void;
  /** The connection was lost after login. */
  closed(): void;
  kicked(): void;
  errorFrame(): void;
  unexpected(): void;
}

// ---------------------------------------------------------------- group / avchatroom

/** A bench message as one member received it. */
export interface BenchDelivery {
  kind: 'bench';
  sender: number;
  n: number;
  /** Group sequence (0 in an AVChatRoom). */
  seq: number;
  /** Epoch ms the latency is measured from: the due time (open loop) or the send time. */
  refEpoch: number;
  priority: Priority;
}

/** A push.message of the group: a bench message, another group message (tips…), or nonsense. */
export type GroupPush = BenchDelivery | { kind: 'group-other' } | { kind: 'unexpected' };

export interface GroupEndpoint {
  /** In the group, able to send and receive (logged in, or joined anonymously), and not closed since. */
  readonly ready: boolean;
  /** Logged in (AVChatRoom members log in before they join). */
  readonly loggedIn: boolean;
  login(): Promise<void>;
  /** `group.join` (AVChatRoom) on the logged-in connection. */
  join(groupID: string): Promise<void>;
  /** A fresh connection that joins an AVChatRoom without logging in. */
  joinAnonymously(groupID: string): Promise<void>;
  /** Owner only: creates the group, resolves with its ID. */
  createGroup(type: 'Private' | 'AVChatRoom', name: string): Promise<string>;
  /** Owner only: adds members (at most 500 per call). */
  addMembers(groupID: string, userIDs: string[]): Promise<{ added: number; notAdded: number }>;
  /** A logged-in member who is in the group (the owner after setup). */
  markReady(): void;
  send(n: number, priority: Priority, text: string, sentEpoch: number): void;
  close(): Promise<void>;
  /** Gives up on the connection (failed to connect or join). */
  drop(): void;
}

/** What a group endpoint reports (closures bound to its member). */
export interface GroupEvents {
  /** Any frame arrived (for the load generator's frame rate). */
  frame(recvEpoch: number): void;
  acked(n: number, code: number, recvEpoch: number): void;
  push(push: GroupPush, recvEpoch: number): void;
  /** The connection was lost; `wasReady`: it was in the group. */
  closed(wasReady: boolean): void;
  kicked(): void;
  errorFrame(): void;
  unexpected(): void;
}

/** A failed request, with the server's code when there was one (e.g. 10014: the group is full). */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly code: number | null = null,
  ) {
    super(message);
  }
}

/**
 * Pure logic of the `group` and `avchatroom` workloads (tested in
 * test/group-logic.test.ts): who lives where, who is anonymous, which
 * priority a message has, and what one member saw (duplicates, order, loss).
 */
import { Bitset } from './stats.js';

export const PRIORITIES = ['High', 'Normal', 'Low', 'Lowest'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Relative weights per priority (whole numbers ≥ 0, at least one > 0). */
export type PriorityMix = Record<Priority, number>;

/**
 * Parses `--priority-mix`:
 * - positional weights in the order High:Normal:Low:Lowest, missing ones 0 — `1:8:1`, `1:1:1:1`;
 * - named weights — `High=1,Low=2` (also `High:1,Low:2`, case-insensitive);
 * - a single priority name — `Normal` (all messages that priority).
 */
export function parsePriorityMix(text: string): PriorityMix {
  const mix: PriorityMix = { High: 0, Normal: 0, Low: 0, Lowest: 0 };
  const trimmed = text.trim();
  if (trimmed === '') throw new RangeError('priority mix is empty');
  const byName = (name: string): Priority => {
    const p = PRIORITIES.find((x) => x.toLowerCase() === name.trim().toLowerCase());
    if (!p) throw new RangeError(`unknown priority "${name.trim()}" (use High, Normal, Low, Lowest)`);
    return p;
  };
  const weight = (value: string): number => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 1000) throw new RangeError(`priority weight "${value.trim()}" must be a whole number 0–1000`);
    return n;
  };
  if (/^[a-z]+$/i.test(trimmed)) {
    mix[byName(trimmed)] = 1;
  } else if (/^[\d\s:]+$/.test(trimmed)) {
    const parts = trimmed.split(':');
    if (parts.length > PRIORITIES.length) throw new RangeError(`at most ${PRIORITIES.length} positional weights (High:Normal:Low:Lowest)`);
    parts.forEach((part, i) => {
      mix[PRIORITIES[i]!] = weight(part);
    });
  } else {
    for (const item of trimmed.split(',')) {
      const m = /^\s*([a-z]+)\s*[=:]\s*(\S+)\s*$/i.exec(item);
      if (!m?.[1] || m[2] === undefined) throw new RangeError(`cannot read "${item}" (expected Name=weight)`);
      mix[byName(m[1])] = weight(m[2]);
    }
  }
  if (PRIORITIES.every((p) => mix[p] === 0)) throw new RangeError('every priority weight is 0');
  return mix;
}

/** `High:Normal:Low:Lowest=1:1:1:0` — the canonical form shown in results. */
export function formatPriorityMix(mix: PriorityMix): string {
  return `High:Normal:Low:Lowest=${PRIORITIES.map((p) => mix[p]).join(':')}`;
}

/**
 * A deterministic cycle of priorities with the mix's proportions, spread out
 * evenly (smooth weighted round robin), e.g. 1:2:1 → Normal, High, Low, Normal.
 * A sender's message n has priority `cycle[n % cycle.length]`, so anyone who
 * knows the mix knows every message's priority without it crossing IPC.
 */
export function priorityCycle(mix: PriorityMix): Priority[] {
  const total = PRIORITIES.reduce((a, p) => a + mix[p], 0);
  if (total <= 0) throw new RangeError('every priority weight is 0');
  const current: Record<Priority, number> = { High: 0, Normal: 0, Low: 0, Lowest: 0 };
  const out: Priority[] = [];
  for (let i = 0; i < total; i++) {
    let best: Priority | null = null;
    for (const p of PRIORITIES) {
      if (mix[p] === 0) continue;
      current[p] += mix[p];
      if (best === null || current[p] > current[best]) best = p;
    }
    current[best!] -= total;
    out.push(best!);
  }
  return out;
}

/** Members are spread round-robin: member u lives on worker u % workers. */
export function workerOfMember(member: number, workers: number): number {
  return member % workers;
}

/** The members a worker hosts, ascending. */
export function membersOfWorker(worker: number, workers: number, members: number): number[] {
  const out: number[] = [];
  for (let u = worker; u < members; u += workers) out.push(u);
  return out;
}

/** How many members join anonymously: round(fraction × members), but senders (0 … senders−1) always log in. */
export function anonymousCount(members: number, senders: number, fraction: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`anonymous fraction must be within [0, 1] (got ${fraction})`);
  return Math.max(0, Math.min(members - senders, Math.round(fraction * members)));
}

/**
 * Whether member u joins anonymously: exactly `anonymous` of the non-senders
 * (u ≥ senders). They are picked through a multiplicative permutation of the
 * pool, not every k-th member, so they do not line up with the round-robin
 * worker placement (u % workers) and every worker gets its share.
 */
export function isAnonymousMember(u: number, members: number, senders: number, anonymous: number): boolean {
  if (u < senders || u >= members || anonymous <= 0) return false;
  const pool = members - senders;
  return ((u - senders) * permutationFactor(pool)) % pool < anonymous;
}

const factorCache = new Map<number, number>();

/** A multiplier coprime with `pool` (so j ↦ j·f mod pool is a permutation), near pool × 0.618. */
function permutationFactor(pool: number): number {
  let f = factorCache.get(pool);
  if (f === undefined) {
    f = Math.max(1, Math.floor(pool * 0.6180339887));
    while (gcd(f, pool) !== 1) f++;
    factorCache.set(pool, f);
  }
  return f;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Splits `items` into consecutive batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new RangeError('batch size must be ≥ 1');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Splits one sender's acked message numbers by priority (message n has `cycle[n % cycle.length]`). */
export function splitByPriority(acked: Bitset, cycle: readonly Priority[]): Record<Priority, Bitset> {
  const out: Record<Priority, Bitset> = { High: new Bitset(), Normal: new Bitset(), Low: new Bitset(), Lowest: new Bitset() };
  for (const n of acked.values()) out[cycle[n % cycle.length]!].add(n);
  return out;
}

export type Delivery = 'new' | 'duplicate';

/**
 * What one member received from the senders. Messages are identified by
 * (sender, n) — n counts up per sender. Ordering:
 * - stored groups: every message has the group's sequence, which must be
 *   strictly increasing in arrival order (one counter for all senders);
 * - AVChatRoom (seq 0): a sender's message numbers must arrive in increasing
 *   order (gaps are fine: shed messages never arrive).
 * Duplicates are counted and otherwise ignored (not also out of order).
 */
export class MemberReceipts {
  private readonly bySender: Array<Bitset | undefined> = [];
  private readonly lastNBySender: number[] = [];
  private lastSeq = 0;
  duplicates = 0;
  outOfOrder = 0;
  distinct = 0;

  record(sender: number, n: number, seq: number): Delivery {
    let set = this.bySender[sender];
    if (!set) {
      set = new Bitset(64);
      this.bySender[sender] = set;
    }
    if (!set.add(n)) {
      this.duplicates++;
      return 'duplicate';
    }
    this.distinct++;
    if (seq > 0) {
      if (seq <= this.lastSeq) this.outOfOrder++;
      else this.lastSeq = seq;
    } else {
      const last = this.lastNBySender[sender] ?? -1;
      if (n <= last) this.outOfOrder++;
      else this.lastNBySender[sender] = n;
    }
    return 'new';
  }

  /** Received (distinct) message numbers from `sender`. */
  from(sender: number): Bitset | undefined {
    return this.bySender[sender];
  }

  /** How many of `acked` (one sender's acked messages) this member is missing. */
  missing(sender: number, acked: Bitset): number {
    return acked.countMissingFrom(this.bySender[sender] ?? EMPTY);
  }

  /** Whether the member has every message of `acked` from `sender` (cheap check: counts first). */
  hasAll(sender: number, acked: Bitset): boolean {
    const got = this.bySender[sender];
    if (acked.count === 0) return true;
    if (!got || got.count < acked.count) return false;
    return acked.countMissingFrom(got) === 0;
  }
}

const EMPTY = new Bitset(8);

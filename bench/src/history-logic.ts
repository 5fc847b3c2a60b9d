/**
 * Pure logic of the `history` workload (tested in test/history-logic.test.ts): the dataset's
 * layout — who owns which conversation, how many messages each holds, who sent which — and
 * the check of one `msg.list` page against it.
 *
 * - conversation i (0 ≤ i < C) is between owner `ho<i % owners>` and peer `hp<i>`;
 * - it holds m_i = ⌊M / C⌋ messages (+1 for i < M mod C), seq 1 … m_i;
 * - odd seqs are sent by the owner, even ones by the peer.
 */
export interface HistoryDataset {
  messages: number;
  conversations: number;
  /** Distinct owners; conversation i belongs to owner i % owners. */
  owners: number;
}

export function ownerID(owner: number): string {
  return `ho${owner}`;
}

export function peerID(conversation: number): string {
  return `hp${conversation}`;
}

export function ownerOf(conversation: number, d: HistoryDataset): number {
  return conversation % d.owners;
}

/** Messages in conversation `i`: M spread as evenly as possible over C. */
export function messagesIn(conversation: number, d: HistoryDataset): number {
  return Math.floor(d.messages / d.conversations) + (conversation < d.messages % d.conversations ? 1 : 0);
}

/** The conversations owner `owner` has: owner, owner + owners, owner + 2·owners, … */
export function conversationsOf(owner: number, d: HistoryDataset): number[] {
  const out: number[] = [];
  for (let i = owner; i < d.conversations; i += d.owners) out.push(i);
  return out;
}

export function validateDataset(d: HistoryDataset): void {
  if (!(Number.isSafeInteger(d.conversations) && Number.isSafeInteger(d.owners) && Number.isSafeInteger(d.messages))) throw new RangeError('dataset sizes must be whole numbers');
  if (!(d.conversations >= 1 && d.owners >= 1 && d.messages >= d.conversations)) {
    throw new RangeError(`need messages ≥ conversations ≥ 1 and owners ≥ 1 (got ${d.messages} messages, ${d.conversations} conversations, ${d.owners} owners)`);
  }
  if (d.owners > d.conversations) throw new RangeError(`owners (${d.owners}) must not exceed conversations (${d.conversations})`);
}

/** The page `msg.list` must answer: seqs from … to (oldest first), and whether nothing older is left. */
export interface ExpectedPage {
  from: number;
  to: number;
  isCompleted: boolean;
}

/** The page before `beforeSeq` (null = the newest page) of a conversation holding `messages` messages. */
export function expectedPage(messages: number, beforeSeq: number | null, pageSize: number): ExpectedPage {
  const to = Math.min(messages, (beforeSeq ?? messages + 1) - 1);
  const from = Math.max(1, to - pageSize + 1);
  return { from, to, isCompleted: from <= 1 };
}

export interface PageCheck {
  good: boolean;
  missing: number;
  duplicated: number;
  outOfOrder: number;
  /** Something else is wrong: a seq outside the page, a wrong sender, a wrong isCompleted. */
  bad: boolean;
}

/**
 * Checks a page (messages oldest first, as the server sends them) against the expected one.
 * `senderOf(seq)` is who must have sent message `seq`.
 */
export function checkPage(
  messages: ReadonlyArray<{ seq: number; from: string }>,
  isCompleted: boolean,
  expected: ExpectedPage,
  senderOf: (seq: number) => string,
): PageCheck {
  const seen = new Set<number>();
  let duplicated = 0;
  let outOfOrder = 0;
  let bad = isCompleted !== expected.isCompleted;
  let last = -Infinity;
  for (const m of messages) {
    if (seen.has(m.seq)) {
      duplicated++;
      continue;
    }
    seen.add(m.seq);
    if (m.seq <= last) outOfOrder++;
    last = Math.max(last, m.seq);
    if (m.seq < expected.from || m.seq > expected.to || m.from !== senderOf(m.seq)) bad = true;
  }
  let missing = 0;
  for (let seq = expected.from; seq <= expected.to; seq++) if (!seen.has(seq)) missing++;
  return { good: !bad && missing === 0 && duplicated === 0 && outOfOrder === 0, missing, duplicated, outOfOrder, bad };
}

/** A small deterministic PRNG (mulberry32): repeatable conversation choices per seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

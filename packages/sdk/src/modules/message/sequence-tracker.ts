/**
 * Per-conversation delivery order and gap detection (spec: "fills every gap:
 * no message lost, none duplicated, order kept").
 *
 * `watermark` is the highest sequence up to which everything has been
 * delivered (or deliberately skipped). Live pushes above `watermark + 1` are
 * held until the gap closes, by a later push or by a pull from the server.
 * Sequences this instance sent itself are `seen`: they advance the watermark
 * but are never emitted as received.
 */
export class SequenceTracker<T> {
  private readonly held = new Map<number, T>();
  private readonly seen = new Set<number>();

  constructor(private mark: number) {}

  get watermark(): number {
    return this.mark;
  }

  /** True when something is waiting above a hole. */
  get hasGap(): boolean {
    return this.held.size > 0 || this.seen.size > 0;
  }

  /** Offers a delivered item; returns the items now deliverable, in order (empty for duplicates or while a gap is open). */
  offer(seq: number, item: T): T[] {
    if (seq <= this.mark || this.held.has(seq) || this.seen.has(seq)) return [];
    this.held.set(seq, item);
    return this.drain();
  }

  /** Marks a sequence as already known locally (own send acknowledged). */
  markSeen(seq: number): T[] {
    if (seq <= this.mark) return [];
    this.seen.add(seq);
    return this.drain();
  }

  /**
   * Applies a pull that covered (watermark, upToSeq]: `items` are what the
   * server has there, oldest first. Returns the ones to deliver.
   */
  fill(items: Array<{ seq: number; item: T }>, upToSeq: number): T[] {
    const out: T[] = [];
    for (const { seq, item } of items) {
      if (seq <= this.mark) continue;
      // Anything still unseen below this one does not exist for us (cleared or never stored).
      this.mark = seq - 1;
      this.dropAtOrBelow(this.mark);
      if (this.seen.has(seq)) {
        this.seen.delete(seq);
        this.mark = seq;
        continue;
      }
      this.held.delete(seq);
      out.push(item);
      this.mark = seq;
    }
    if (upToSeq > this.mark) {
      this.mark = upToSeq;
      this.dropAtOrBelow(upToSeq);
    }
    return out.concat(this.drain());
  }

  /** Raises the watermark without delivering (e.g. a sync baseline). */
  skipTo(seq: number): void {
    if (seq <= this.mark) return;
    this.mark = seq;
    this.dropAtOrBelow(seq);
  }

  private drain(): T[] {
    const out: T[] = [];
    for (;;) {
      const next = this.mark + 1;
      if (this.seen.delete(next)) {
        this.mark = next;
        continue;
      }
      const item = this.held.get(next);
      if (item === undefined) break;
      this.held.delete(next);
      out.push(item);
      this.mark = next;
    }
    return out;
  }

  private dropAtOrBelow(seq: number): void {
    for (const s of this.held.keys()) if (s <= seq) this.held.delete(s);
    for (const s of this.seen) if (s <= seq) this.seen.delete(s);
  }
}

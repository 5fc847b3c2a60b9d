/**
 * Many deadlines, one timer: a binary min-heap of (time, item) and a single
 * Timeout armed for the earliest. Used for UserSig expiry, where a timer per
 * connection would cost a Timeout object and a timer-list entry per socket.
 *
 * Entries are not removed one by one; the handler decides whether a due entry
 * still matters (e.g. the connection is gone), and `retain` drops the dead
 * ones in one pass when the owner knows many have piled up.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry<T> {
  at: number;
  item: T;
}

export class DeadlineQueue<T> {
  private readonly heap: Array<Entry<T>> = [];
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(
    private readonly nowMs: () => number,
    /** Called once per entry when its time has come (in time order). */
    private readonly onDue: (item: T, at: number) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T): void {
    const heap = this.heap;
    heap.push({ at, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
    if (at < this.armedFor) this.arm();
  }

  /** Keeps only the entries whose item passes `keep` (O(n log n)). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.heap.filter((e) => keep(e.item)).sort((a, b) => a.at - b.at);
    this.heap.length = 0;
    this.heap.push(...kept); // a sorted array is a valid min-heap
    this.arm();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.heap.length = 0;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    const first = this.heap[0];
    if (!first) return;
    const delay = Math.min(Math.max(0, first.at - this.nowMs()), MAX_TIMER_MS);
    this.armedFor = first.at;
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.nowMs();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { at, item } = this.pop();
      this.onDue(item, at);
    }
    this.arm();
  }

  private pop(): Entry<T> {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && heap[l]!.at < heap[smallest]!.at) smallest = l;
        if (r < heap.length && heap[r]!.at < heap[smallest]!.at) smallest = r;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}

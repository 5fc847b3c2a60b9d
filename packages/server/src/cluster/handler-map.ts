/** Handlers by key (a userID, a groupID), shared by the brokers. */
export class HandlerMap<H> {
  private readonly map = new Map<string, Set<H>>();

  /** Adds the handler; `first` is true when the key had none before (a networked broker subscribes then). */
  add(key: string, handler: H): { first: boolean } {
    let set = this.map.get(key);
    const first = set === undefined;
    if (!set) {
      set = new Set();
      this.map.set(key, set);
    }
    set.add(handler);
    return { first };
  }

  /** Removes the handler; `last` is true when the key has none left. */
  remove(key: string, handler: H): { last: boolean } {
    const set = this.map.get(key);
    if (!set || !set.delete(handler)) return { last: false };
    if (set.size > 0) return { last: false };
    this.map.delete(key);
    return { last: true };
  }

  get(key: string): ReadonlySet<H> | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * Durable commits without blocking the event loop.
 *
 * better-sqlite3 is synchronous: with `synchronous=FULL`, every COMMIT waits
 * for an fsync of the WAL on the event loop (0.3–3 ms on this disk), and
 * nothing else runs meanwhile. Instead the writer runs with
 * `synchronous=NORMAL` — COMMIT appends the transaction's frames to the WAL
 * (the OS page cache) and returns — and this class fdatasyncs the WAL file on
 * libuv's thread pool. A batch's transactions settle only after an fdatasync
 * that *started after their COMMIT returned* has completed, so an
 * acknowledged write is on disk exactly as with `synchronous=FULL`; the event
 * loop meanwhile runs the next batch (commits pipeline behind the sync).
 *
 * fsync works on the file, not the descriptor: syncing our own read-only
 * descriptor of `<db>-wal` flushes the frames SQLite wrote through its own.
 * Between checkpoints the WAL is append-only, so a power loss drops at most a
 * suffix of commits, none of them acknowledged. SQLite still syncs the WAL
 * itself before each checkpoint (NORMAL's contract), and WAL mode with NORMAL
 * never corrupts the database.
 *
 * One fdatasync runs at a time; commits that return while it runs share the
 * next one. After a failed fdatasync the kernel may have dropped the dirty
 * pages and a later fdatasync can succeed without them, so a failure is
 * permanent: every waiting and later commit is refused.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

/** Flushes a file's data to disk (default: fdatasync on the thread pool); tests inject their own. */
export type FileSync = (fd: number) => Promise<void>;

export const fdatasyncFile: FileSync = (fd) =>
  new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export class WalSync {
  private fd: number | null = null;
  private syncing: Promise<void> | null = null;
  private waiting: Array<(error: Error | null) => void> = [];
  private failure: Error | null = null;

  constructor(
    /** The WAL file: the database file's name plus `-wal`. */
    private readonly walPath: string,
    private readonly sync: FileSync = fdatasyncFile,
  ) {}

  /** Resolves once everything committed before the call is on disk; rejects if it cannot be made so. */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push((error) => (error ? reject(error) : resolve()));
      this.start();
    });
  }

  /** Waits for the syncs in flight and queued, then releases the descriptor. */
  async close(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private start(): void {
    if (this.syncing || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.syncing = this.syncOnce().then((error) => {
      this.syncing = null;
      for (const settle of batch) settle(error);
      this.start();
    });
  }

  private async syncOnce(): Promise<Error | null> {
    if (this.failure) return this.failure;
    try {
      // Opened on first use: SQLite creates the WAL with the first transaction.
      this.fd ??= openSync(this.walPath, 'r');
      await this.sync(this.fd);
      return null;
    } catch (err) {
      const cause = err instanceof Error ? err : new Error(String(err));
      this.failure = new Error(`writes cannot be made durable: syncing ${this.walPath} failed (${cause.message})`, { cause });
      return this.failure;
    }
  }
}

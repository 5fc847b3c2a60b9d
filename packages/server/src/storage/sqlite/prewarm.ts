/**
 * Warms the OS page cache with the database file when a server starts, in the
 * background (PostgreSQL's pg_prewarm does the same for its buffers).
 *
 * A history read whose B-tree pages are cached costs tens of microseconds; one
 * whose leaf page must come from the disk stops the event loop for
 * milliseconds, and a server restarted on a large database would otherwise pay
 * that on the first fetch of every conversation. The file is read
 * sequentially, 1 MiB at a time, one read in flight, on libuv's thread pool:
 * the event loop never waits for it, and sequential reads are the cheapest way
 * to the disk. Best effort: a read error ends it quietly.
 */
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 1024 * 1024;

/** Reads up to `maxBytes` of `path` from its start, until done or `signal` aborts; resolves with the bytes read. */
export async function prewarmFile(path: string, maxBytes: number, signal: AbortSignal): Promise<number> {
  if (maxBytes <= 0 || signal.aborted) return 0;
  let read = 0;
  let handle;
  try {
    handle = await open(path, 'r');
    const limit = Math.min(maxBytes, (await handle.stat()).size);
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    while (read < limit && !signal.aborted) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, limit - read), read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
  } catch {
    // The file went away or cannot be read: nothing to warm.
  } finally {
    await handle?.close().catch(() => undefined);
  }
  return read;
}

export interface PrewarmSummary {
  megabytes: number;
  ms: number;
  /** Ended early by `stop()`. */
  stopped: boolean;
}

/**
 * Starts warming `file` with up to `megabytes` MiB in the background; null when there is nothing
 * to do (`:memory:`, or 0). `stop()` ends it early and resolves once the file is closed.
 */
export function startPrewarm(file: string, megabytes: number, onDone: (summary: PrewarmSummary) => void): { stop(): Promise<void> } | null {
  if (file === ':memory:' || megabytes <= 0) return null;
  const abort = new AbortController();
  const startedAt = Date.now();
  const done = prewarmFile(file, megabytes * 2 ** 20, abort.signal).then((bytes) => {
    onDone({ megabytes: Math.round(bytes / 2 ** 20), ms: Date.now() - startedAt, stopped: abort.signal.aborted });
  });
  return {
    async stop() {
      abort.abort();
      await done;
    },
  };
}

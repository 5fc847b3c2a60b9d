/**
 * Two write connections of one process on one SQLite file (the event loop's and the storage
 * thread's) take turns at its write lock. SQLite arbitrates, but not fairly: a connection that
 * opens its next batch as soon as it commits would hold the lock nearly all the time. So each
 * side says when it is waiting, and the other, seeing that, commits at the end of its slice and
 * leaves the lock free for a moment before it begins again. The flags live in a SharedArrayBuffer.
 */

export interface WriteLockPeer {
  /** This connection found the write lock taken (true), or took it (false). */
  setWaiting(waiting: boolean): void;
  /** The other connection is waiting for the write lock. */
  otherWaiting(): boolean;
}

/** The flags two peers share: one Int32 each. */
export function createWriteLockFlags(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/** Side 0 or 1 of the flags. */
export function writeLockPeer(flags: SharedArrayBuffer, side: 0 | 1): WriteLockPeer {
  const cells = new Int32Array(flags);
  const other = side === 0 ? 1 : 0;
  return {
    setWaiting(waiting) {
      Atomics.store(cells, side, waiting ? 1 : 0);
    },
    otherWaiting() {
      return Atomics.load(cells, other) === 1;
    },
  };
}

/**
 * The storage thread: a worker thread with its own write connection to the SQLite file, which
 * runs storage procedures (storage.ts `Procedure`: the 1:1 send) with its own group commit and
 * WAL sync, so their SQLite work (statements, COMMIT's WAL writes, checkpoints) runs on the
 * second core instead of the event loop. Transactions given as closures still run on the event
 * loop's connection; the two take turns at the file's write lock (write-lock-peer.ts).
 *
 * Calls made in one event-loop turn cross in one message, and the results of one commit come
 * back in one: a send costs two structured clones (its arguments and its result), not a hop per
 * statement. Both messages are flat arrays (`CALL_FIELDS` and `RESULT_FIELDS` entries per call),
 * and a procedure with a codec (storage.ts `ProcedureCodec`) crosses as arrays too: structured
 * clone writes each property name of each object and rebuilds its shape on arrival. A call names
 * its procedure by a number, announced (with the module and export name) in the message of its
 * first call, so no strings cross or get hashed per call. A call
 * settles when its transaction is durable, exactly as `transaction()` does.
 * Calls keep their order: the thread starts them in the order they were made.
 *
 * If the thread dies, every call in flight and every later one rejects (the server cannot store
 * sends any more; what was acknowledged is on disk).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Procedure, ProcedureCodec } from '../storage.js';
import { runnableURL } from './runnable-url.js';

/**
 * The storage thread's young generation, in MB (V8 splits it in semi-spaces of a third each; Node's
 * default is 48). At full 1:1 load ≈ 10,000 sends are in flight for ≈ 0.35 s, longer than a 16 MB
 * semi-space lasts, so their arguments and results survived scavenges and were promoted; with 192
 * most die young (docs/performance.md, session 10). The space grows only under load: an idle
 * server's memory is unchanged.
 */
export const STORAGE_THREAD_YOUNG_GENERATION_MB = 192;

/** What the thread is started with (workerData). */
export interface ThreadData {
  filename: string;
  maxBatch: number;
  maxCommitJobs: number;
  checkpointWalBytes: number;
  /** write-lock-peer.ts flags; the thread is side 1. */
  lockFlags: SharedArrayBuffer;
}

/**
 * A message's calls, flat: per call its id, its procedure's number (as a `ProcedureRef` gave it)
 * and its arguments (as the procedure's codec packed them, if it has one).
 */
export type ThreadCalls = unknown[];
export const CALL_FIELDS = 3;

/** Introduces a procedure number: the module that exports the procedure and its export name. */
export interface ProcedureRef {
  proc: number;
  module: string;
  name: string;
}

/**
 * A message's results, flat: per call its id, 1 and the value (packed, if its procedure has a
 * codec), or its id, 0 and the error (`plainError`).
 */
export type ThreadResults = unknown[];
export const RESULT_FIELDS = 3;

/** `procedures`: the numbers first used by these calls, introduced before them. */
export type ToThread = { t: 'calls'; procedures: ProcedureRef[]; calls: ThreadCalls } | { t: 'close' };
export type FromThread = { t: 'ready' } | { t: 'failed'; error: { name: string; message: string } } | { t: 'results'; results: ThreadResults } | { t: 'closed' };

/** An error as it crosses threads: its name and message. */
export function plainError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function revive(error: { name: string; message: string }): Error {
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** The procedure's codec, if it has one (its `unpackResult` reads the value). */
  codec: Pick<ProcedureCodec<unknown, unknown>, 'unpackResult'> | undefined;
}

export class SqliteThread {
  private readonly pending = new Map<number, Pending>();
  private outgoing: ThreadCalls = [];
  /** Procedure numbers, and those not yet introduced to the thread. */
  private readonly procedureNumbers = new Map<object, number>();
  private introducing: ProcedureRef[] = [];
  private postScheduled = false;
  private nextID = 1;
  /** Set once the thread has stopped or failed: every call rejects with it. */
  private stopped: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: FromThread) => {
      if (msg.t === 'results') this.settle(msg.results);
    });
    worker.on('error', (error) => this.stop(new Error(`storage thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.stop(new Error(`storage thread stopped (exit code ${code})`)));
    // Only calls in flight keep the process alive (ref'd while there are any).
    worker.unref();
  }

  /** Starts the thread on an already migrated file; resolves once it can take calls. */
  static async start(data: ThreadData): Promise<SqliteThread> {
    const script = new URL('./sqlite-worker.js', runnableURL(import.meta.url));
    const worker = new Worker(script, {
      workerData: data,
      name: 'parley-storage',
      resourceLimits: { maxYoungGenerationSizeMb: STORAGE_THREAD_YOUNG_GENERATION_MB },
    });
    const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => Promise.reject(error))])) as [FromThread];
    if (first.t !== 'ready') {
      await worker.terminate();
      throw first.t === 'failed' ? revive(first.error) : new Error(`storage thread answered ${first.t} before ready`);
    }
    return new SqliteThread(worker);
  }

  call<A, R>(procedure: Procedure<A, R>, args: A): Promise<R> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.closing) return Promise.reject(new Error('storage is closed'));
    const codec = procedure.codec;
    let packed: unknown;
    try {
      packed = codec ? codec.packArgs(args) : args;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const id = this.nextID++;
    let proc = this.procedureNumbers.get(procedure);
    if (proc === undefined) {
      proc = this.procedureNumbers.size + 1;
      this.procedureNumbers.set(procedure, proc);
      this.introducing.push({ proc, module: runnableURL(procedure.module), name: procedure.name });
    }
    this.outgoing.push(id, proc, packed);
    if (this.pending.size === 0) this.worker.ref();
    const settled = new Promise<R>((resolve, reject) => this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, codec }));
    if (!this.postScheduled) {
      this.postScheduled = true;
      // Everything called in this turn crosses in one message.
      setImmediate(() => this.post());
    }
    return settled;
  }

  /** Lets the calls in flight finish, closes the thread's connection and waits for it to exit. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped) return;
      this.post();
      const exited = once(this.worker, 'exit');
      this.worker.ref();
      this.worker.postMessage({ t: 'close' } satisfies ToThread);
      await exited;
    })();
    return this.closing;
  }

  private post(): void {
    this.postScheduled = false;
    if (this.outgoing.length === 0 || this.stopped) return;
    const calls = this.outgoing;
    const procedures = this.introducing;
    this.outgoing = [];
    this.introducing = [];
    try {
      this.worker.postMessage({ t: 'calls', procedures, calls } satisfies ToThread);
    } catch (error) {
      // An argument that cannot be cloned fails its whole message: reject those calls, and
      // introduce their procedures again with the next.
      this.introducing = [...procedures, ...this.introducing];
      const failed: ThreadResults = [];
      for (let i = 0; i < calls.length; i += CALL_FIELDS) failed.push(calls[i], 0, plainError(error));
      this.settle(failed);
    }
  }

  private settle(results: ThreadResults): void {
    for (let i = 0; i < results.length; i += RESULT_FIELDS) {
      const id = results[i] as number;
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      this.pending.delete(id);
      const value = results[i + 2];
      if (results[i + 1] !== 1) waiter.reject(revive(value as { name: string; message: string }));
      else if (!waiter.codec) waiter.resolve(value);
      else {
        try {
          waiter.resolve(waiter.codec.unpackResult(value as unknown[]));
        } catch (error) {
          waiter.reject(error);
        }
      }
    }
    if (this.pending.size === 0 && !this.closing) this.worker.unref();
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = this.closing ? new Error('storage is closed') : error;
    this.outgoing = [];
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}

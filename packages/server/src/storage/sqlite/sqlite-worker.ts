/**
 * The storage thread's entry (sqlite-thread.ts): a write-only SqliteStorage on the same file,
 * running the procedures the event loop sends, in the order it sends them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Procedure } from '../storage.js';
import { CALL_FIELDS, plainError, type FromThread, type ProcedureRef, type ThreadCalls, type ThreadData, type ThreadResults, type ToThread } from './sqlite-thread.js';
import { SqliteStorage } from './sqlite-storage.js';
import { writeLockPeer } from './write-lock-peer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-worker.js runs as a worker thread (sqlite-thread.ts starts it)');
const data = workerData as ThreadData;

const send = (msg: FromThread): void => port.postMessage(msg);

let storage: SqliteStorage;
try {
  storage = new SqliteStorage({
    filename: data.filename,
    maxBatch: data.maxBatch,
    maxCommitJobs: data.maxCommitJobs,
    checkpointWalBytes: data.checkpointWalBytes,
    writeOnly: true,
    lockPeer: writeLockPeer(data.lockFlags, 1),
  });
  await storage.migrate();
} catch (error) {
  send({ t: 'failed', error: plainError(error) });
  process.exit(1);
}

/** What each procedure number stands for, and the procedures, imported on first use. */
const refs = new Map<number, ProcedureRef>();
const procedures = new Map<number, Procedure<unknown, unknown>>();

async function load(proc: number): Promise<Procedure<unknown, unknown>> {
  const ref = refs.get(proc);
  if (!ref) throw new Error(`procedure number ${proc} was never introduced`);
  const { module, name } = ref;
  const exported = ((await import(module)) as Record<string, unknown>)[name];
  const procedure = exported as Procedure<unknown, unknown> | undefined;
  if (typeof procedure?.run !== 'function' || procedure.name !== name) throw new Error(`${module} exports no procedure named ${name}`);
  procedures.set(proc, procedure);
  return procedure;
}

// Results settle a commit at a time; those of one turn go back in one message (flat: RESULT_FIELDS each).
let outbox: ThreadResults = [];
function reply(id: number, ok: boolean, value: unknown): void {
  if (outbox.length === 0) {
    setImmediate(() => {
      const results = outbox;
      outbox = [];
      send({ t: 'results', results });
    });
  }
  outbox.push(id, ok ? 1 : 0, value);
}

function start(id: number, packed: unknown, procedure: Procedure<unknown, unknown>): void {
  const codec = procedure.codec;
  let args: unknown;
  try {
    args = codec ? codec.unpackArgs(packed as unknown[]) : packed;
  } catch (error) {
    reply(id, false, plainError(error));
    return;
  }
  storage.transaction((tx) => procedure.run(tx, args)).then(
    (value) => {
      let result: unknown;
      try {
        result = codec ? codec.packResult(value) : value;
      } catch (error) {
        reply(id, false, plainError(error));
        return;
      }
      reply(id, true, result);
    },
    (error: unknown) => reply(id, false, plainError(error)),
  );
}

// Calls wait here, in order, while a procedure's module loads (flat: CALL_FIELDS each).
let backlog: ThreadCalls = [];
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  // By index, not shift(): a message brings thousands of calls.
  for (let i = 0; i < backlog.length; i += CALL_FIELDS) {
    const id = backlog[i] as number;
    const proc = backlog[i + 1] as number;
    let procedure = procedures.get(proc);
    if (!procedure) {
      try {
        procedure = await load(proc);
      } catch (error) {
        reply(id, false, plainError(error));
        continue;
      }
    }
    start(id, backlog[i + 2], procedure);
  }
  backlog = [];
  draining = false;
}

port.on('message', (msg: ToThread) => {
  if (msg.t === 'calls') {
    for (const ref of msg.procedures) refs.set(ref.proc, ref);
    if (backlog.length === 0) backlog = msg.calls;
    else for (const field of msg.calls) backlog.push(field);
    if (!draining) void drain();
  } else if (msg.t === 'close') {
    void (async () => {
      while (draining) await new Promise((resolve) => setImmediate(resolve));
      await storage.close().catch(() => undefined);
      // Results of the last commit leave before the thread does.
      await new Promise((resolve) => setImmediate(resolve));
      send({ t: 'closed' });
      port.close();
    })();
  }
});

send({ t: 'ready' });

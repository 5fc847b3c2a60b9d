/**
 * The storage thread's entry (sqlite-thread.ts): a write-only SqliteStorage on the same file,
 * running the procedures the event loop sends, in the order it sends them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Procedure } from '../storage.js';
import { plainError, type FromThread, type ProcedureRef, type ThreadCall, type ThreadData, type ThreadResult, type ToThread } from './sqlite-thread.js';
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

// Results settle a commit at a time; those of one turn go back in one message.
let outbox: ThreadResult[] = [];
function reply(result: ThreadResult): void {
  if (outbox.length === 0) {
    setImmediate(() => {
      const results = outbox;
      outbox = [];
      send({ t: 'results', results });
    });
  }
  outbox.push(result);
}

function start({ id, args }: ThreadCall, procedure: Procedure<unknown, unknown>): void {
  storage.transaction((tx) => procedure.run(tx, args)).then(
    (value) => reply({ id, ok: true, value }),
    (error: unknown) => reply({ id, ok: false, error: plainError(error) }),
  );
}

// Calls wait here, in order, while a procedure's module loads.
let backlog: ThreadCall[] = [];
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  // By index, not shift(): a message brings thousands of calls.
  for (let i = 0; i < backlog.length; i++) {
    const call = backlog[i] as ThreadCall;
    let procedure = procedures.get(call.proc);
    if (!procedure) {
      try {
        procedure = await load(call.proc);
      } catch (error) {
        reply({ id: call.id, ok: false, error: plainError(error) });
        continue;
      }
    }
    start(call, procedure);
  }
  backlog = [];
  draining = false;
}

port.on('message', (msg: ToThread) => {
  if (msg.t === 'calls') {
    for (const ref of msg.procedures) refs.set(ref.proc, ref);
    if (backlog.length === 0) backlog = msg.calls;
    else for (const call of msg.calls) backlog.push(call);
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

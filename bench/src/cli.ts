#!/usr/bin/env node
/**
 * Parley load generators.
 *
 *   node bench/dist/cli.js <workload> [options]          (npm run bench -- <workload> [options])
 *
 * The parent process only orchestrates: it starts a fresh server as a child
 * process (unless --url is given), forks the load-generator workers, drives
 * them over IPC, merges their results, and prints exactly one JSON line on
 * stdout. Progress and diagnostics go to stderr. `all` runs the set and writes
 * a report under bench/results/. See bench/README.md.
 */
import { ALL_USAGE, parseAllArgs, runAll } from './all-run.js';
import { C2C_USAGE, parseC2CArgs, runC2C } from './c2c-run.js';
import { C2C_STORE_USAGE, parseC2CStoreArgs, runC2CStore } from './c2c-store-run.js';
import { FLOOR_USAGE, parseFloorArgs, runFloor } from './floor-run.js';
import { AVCHATROOM_USAGE, GROUP_USAGE, parseGroupArgs, runGroup } from './group-run.js';
import { HISTORY_USAGE, parseHistoryArgs, runHistory } from './history-run.js';
import { IDLE_USAGE, parseIdleArgs, runIdle } from './idle-run.js';
import { LOGIN_STORM_USAGE, parseLoginStormArgs, runLoginStorm } from './login-storm-run.js';
import { abort, BenchError, installCleanupHandlers, markShuttingDown, UsageError } from './proc.js';

interface Workload {
  summary: string;
  usage: string;
  /** Parses the options; 'help' for --help; a function that runs the workload and resolves with the exit code. */
  prepare(rest: readonly string[]): 'help' | (() => Promise<number>);
}

function workload<O>(summary: string, usage: string, parse: (rest: readonly string[]) => O | 'help', run: (opts: O) => Promise<number>): Workload {
  return {
    summary,
    usage,
    prepare: (rest) => {
      const opts = parse(rest);
      return opts === 'help' ? 'help' : () => run(opts);
    },
  };
}

const WORKLOADS: Record<string, Workload> = {
  c2c: workload('one-to-one messages between paired users', C2C_USAGE, parseC2CArgs, runC2C),
  'c2c-store': workload('the storage alone: the 1:1 send procedure on its storage thread, no sockets', C2C_STORE_USAGE, parseC2CStoreArgs, runC2CStore),
  group: workload('one Work group, N members online, senders into it', GROUP_USAGE, (rest) => parseGroupArgs('group', rest), runGroup),
  avchatroom: workload('one AVChatRoom, N members online (part anonymous), prioritised senders', AVCHATROOM_USAGE, (rest) => parseGroupArgs('avchatroom', rest), runGroup),
  idle: workload('N authenticated connections held: server memory per connection', IDLE_USAGE, parseIdleArgs, runIdle),
  'login-storm': workload('fresh users connect and log in as fast as possible (or at --rate)', LOGIN_STORM_USAGE, parseLoginStormArgs, runLoginStorm),
  history: workload('last 15 messages of a conversation (msg.list) over a preloaded database', HISTORY_USAGE, parseHistoryArgs, runHistory),
  floor: workload("the machine's floor with no Parley code: fsync, a bare ws server's fan-out, a bare connect", FLOOR_USAGE, parseFloorArgs, runFloor),
  all: workload('runs the set, writes bench/results/<date>-all.md and .jsonl', ALL_USAGE, parseAllArgs, runAll),
};

const USAGE = `Usage: node bench/dist/cli.js <workload> [options]     (npm run bench -- <workload> [options])

Workloads:
${Object.entries(WORKLOADS)
  .map(([name, w]) => `  ${name.padEnd(12)} ${w.summary}`)
  .join('\n')}

node bench/dist/cli.js <workload> --help   shows a workload's options.`;

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stderr.write(USAGE + '\n');
    return;
  }
  const chosen = WORKLOADS[name];
  let run: 'help' | (() => Promise<number>);
  try {
    if (!chosen) throw new UsageError(`unknown workload "${name}" (available: ${Object.keys(WORKLOADS).join(', ')})`);
    run = chosen.prepare(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${chosen?.usage ?? USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (run === 'help') {
    process.stderr.write(chosen.usage + '\n');
    return;
  }
  installCleanupHandlers();
  const code = await run();
  markShuttingDown();
  process.exit(code);
}

main().catch((err: unknown) => abort(err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)));

#!/usr/bin/env node
/**
 * Parley load generators.
 *
 *   node bench/dist/cli.js c2c [options]          (npm run bench -- c2c [options])
 *   node bench/dist/cli.js group [options]
 *   node bench/dist/cli.js avchatroom [options]
 *
 * The parent process only orchestrates: it starts a fresh server as a child
 * process (unless --url is given), forks the load-generator workers, drives
 * them over IPC, merges their results, and prints exactly one JSON line on
 * stdout. Progress and diagnostics go to stderr. See bench/README.md.
 */
import { C2C_USAGE, parseC2CArgs, runC2C } from './c2c-run.js';
import { AVCHATROOM_USAGE, GROUP_USAGE, parseGroupArgs, runGroup } from './group-run.js';
import { abort, BenchError, installCleanupHandlers, markShuttingDown, UsageError } from './proc.js';

const WORKLOADS = ['c2c', 'group', 'avchatroom'] as const;

const USAGE = `Usage: node bench/dist/cli.js <workload> [options]     (npm run bench -- <workload> [options])

Workloads:
  c2c          one-to-one messages between paired users
  group        one Work group, N members online, senders into it
  avchatroom   one AVChatRoom, N members online (part anonymous), prioritised senders

node bench/dist/cli.js <workload> --help   shows a workload's options.`;

async function main(): Promise<void> {
  const [workload, ...rest] = process.argv.slice(2);
  if (workload === undefined || workload === 'help' || workload === '--help' || workload === '-h') {
    process.stderr.write(USAGE + '\n');
    return;
  }
  const usage = workload === 'c2c' ? C2C_USAGE : workload === 'group' ? GROUP_USAGE : workload === 'avchatroom' ? AVCHATROOM_USAGE : USAGE;
  let run: () => Promise<number>;
  try {
    if (workload === 'c2c') {
      const opts = parseC2CArgs(rest);
      if (opts === 'help') {
        process.stderr.write(usage + '\n');
        return;
      }
      run = () => runC2C(opts);
    } else if (workload === 'group' || workload === 'avchatroom') {
      const opts = parseGroupArgs(workload, rest);
      if (opts === 'help') {
        process.stderr.write(usage + '\n');
        return;
      }
      run = () => runGroup(opts);
    } else {
      throw new UsageError(`unknown workload "${workload}" (available: ${WORKLOADS.join(', ')})`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${usage}\n`);
      process.exit(2);
    }
    throw err;
  }
  installCleanupHandlers();
  const code = await run();
  markShuttingDown();
  process.exit(code);
}

main().catch((err: unknown) => abort(err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)));

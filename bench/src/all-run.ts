/**
 * `all`: runs the set of workloads the performance issue asks for, each --runs times (one
 * child `cli.js <workload>` per run, so every run has a fresh server and fresh workers),
 * and writes bench/results/<date>-all.md (a table of medians against the targets,
 * with a description of the machine) and bench/results/<date>-all.jsonl (the raw result
 * lines). Before each run it waits (at most --wait-idle seconds) for the CPUs to be quiet,
 * and records how busy they were.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hardFdLimit, log, numOption, parseFlags, trackChild, UsageError } from './proc.js';
import { renderMarkdown, summarizeRuns, TARGETS, type CommonResult, type MachineInfo, type ReportStep, type Target } from './results.js';

export const ALL_USAGE = `Usage: node bench/dist/cli.js all [options]     (npm run bench -- all [options])

Runs every workload with the sizes the performance issue asks for, with one server
process and, for c2c, group, AVChatRoom, idle and login-storm, also with several
(cluster mode: needs Redis, PARLEY_BENCH_REDIS_URL or redis://127.0.0.1:6379; the
first run also builds the 10-million-message history dataset, about 1.5 minutes,
cached afterwards): about 12 minutes on a 2-core machine for the single-process steps,
about 45 more for the multi-process ones (the 100,000-socket steps connect for
5–10 minutes per run) and about 3 for one run of each workload through @parley/sdk. It writes
bench/results/<date>-all.md (medians, targets, the machine) and <date>-all.jsonl
(every result line).

Options:
  --quick           the same set at smoke-test sizes, one run each (about 3.5 minutes)
  --runs N          runs per step (medians over them), default 3 (--quick: 1);
                    the SDK step and the 100,000-member AVChatRoom always run once
  --only LIST       only the steps whose workload is in LIST (comma-separated, e.g. c2c,idle)
  --wait-idle S     before each run wait up to S seconds for other processes to leave
                    the CPUs alone (< 20 % busy), default 30 (--quick: 5)
  --out-dir DIR     where to write the report, default bench/results
  --dry-run         print the plan and exit`;

export interface AllOptions {
  quick: boolean;
  runs: number;
  only: Set<string> | null;
  waitIdleS: number;
  outDir: string;
  dryRun: boolean;
}

const WORKLOAD_NAMES = ['c2c', 'group', 'avchatroom', 'idle', 'login-storm', 'history'];

export function parseAllArgs(rest: readonly string[]): AllOptions | 'help' {
  const args = rest.map((a) => (a === '--quick' || a === '--dry-run' ? `${a}=yes` : a));
  const raw = parseFlags(args, new Set(['--quick', '--runs', '--only', '--wait-idle', '--out-dir', '--dry-run']));
  if (raw === 'help') return 'help';
  const quick = raw.has('--quick');
  let only: Set<string> | null = null;
  if (raw.has('--only')) {
    only = new Set(
      raw
        .get('--only')!
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    );
    for (const name of only) if (!WORKLOAD_NAMES.includes(name)) throw new UsageError(`--only: unknown workload "${name}" (${WORKLOAD_NAMES.join(', ')})`);
  }
  return {
    quick,
    runs: numOption(raw, '--runs', quick ? 1 : 3, 1, 20, true),
    only,
    waitIdleS: numOption(raw, '--wait-idle', quick ? 5 : 30, 0, 3600, false),
    outDir: raw.get('--out-dir') ?? fileURLToPath(new URL('../results/', import.meta.url)),
    dryRun: raw.has('--dry-run'),
  };
}

interface Step {
  label: string;
  workload: string;
  args: string[];
  target: Target | null;
  runs: number;
  /** Workload fields whose medians the report shows besides the common ones. */
  extra: string[];
}

/** Sockets one server process can hold here, rounded down to a thousand (its open-files limit less a margin). */
export function serverSocketCap(fdLimit: number | null): number {
  return Math.max(1000, Math.floor(((fdLimit ?? 20_000) - 500) / 1000) * 1000);
}

/** Server processes (`--server-processes`) that hold `sockets` sockets: ⌈sockets / serverSocketCap⌉, at least 2 (a multi-process step). */
export function serverProcessesFor(sockets: number, fdLimit: number | null): number {
  return Math.min(64, Math.max(2, Math.ceil(sockets / serverSocketCap(fdLimit))));
}

const IDLE_EXTRA = ['connections', 'server_kb_per_connection', 'server_kb_per_connection_marginal'];
/** What a multi-process step reports besides: its Redis's CPU over the window and RSS. */
const REDIS_EXTRA = ['redis_cpu_s', 'redis_rss_mb'];

/**
 * One run of each workload through the real @parley/sdk (the c2c one is in the main list): what
 * the SDK costs next to the lean client, at sizes one load-generator process of SDK instances takes.
 */
function sdkSteps(quick: boolean): Step[] {
  const d = quick ? ['--duration', '3', '--warmup', '1'] : ['--duration', '10'];
  const members = quick ? 200 : 1000;
  const room = quick ? 500 : 2000;
  const idle = quick ? 500 : 5000;
  const messages = quick ? 1_000_000 : 10_000_000;
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    { label: `group through @parley/sdk, ${n(members)} members, window 10`, workload: 'group', args: ['--members', String(members), '--window', '10', ...d, '--client', 'sdk', '--workers', '2'], target: null, runs: 1, extra: [] },
    { label: `avchatroom through @parley/sdk, ${n(room)} members, 10 msgs/s`, workload: 'avchatroom', args: ['--members', String(room), '--rate', '10', ...d, '--client', 'sdk', '--workers', '2'], target: null, runs: 1, extra: ['online', 'acked_per_s'] },
    { label: `idle through @parley/sdk, ${n(idle)} connections`, workload: 'idle', args: ['--connections', String(idle), '--duration', quick ? '3' : '20', '--client', 'sdk'], target: null, runs: 1, extra: IDLE_EXTRA },
    { label: 'login-storm through @parley/sdk, fresh users', workload: 'login-storm', args: [...d, '--client', 'sdk'], target: null, runs: 1, extra: [] },
    { label: `history through @parley/sdk, ${quick ? '1 M' : '10 M'} messages, 1,000 fetches/s`, workload: 'history', args: ['--messages', String(messages), '--rate', '1000', ...d, '--client', 'sdk'], target: null, runs: 1, extra: ['messages'] },
  ];
}

/** The steps, full or quick. */
export function plan(opts: Pick<AllOptions, 'quick' | 'runs' | 'only'>, fdLimit: number | null): Step[] {
  const runs = opts.runs;
  const roomMembers = Math.min(100_000, serverSocketCap(fdLimit));
  const roomLabel = roomMembers < 100_000 ? `avchatroom, ${roomMembers.toLocaleString('en-US')} members (100,000 asked; one server process holds < ${fdLimit ?? '?'} sockets), 10 msgs/s` : 'avchatroom, 100,000 members, 10 msgs/s';
  // The 100,000 sockets over as many server processes as their open-files limits need.
  const bigProcesses = serverProcessesFor(100_000, fdLimit);
  const steps: Step[] = opts.quick
    ? [
        { label: 'c2c, 200 users, window 10', workload: 'c2c', args: ['--users', '200', '--window', '10', '--duration', '5', '--warmup', '1'], target: null, runs, extra: [] },
        { label: 'c2c, 200 users, window 10, 2 server processes', workload: 'c2c', args: ['--users', '200', '--window', '10', '--duration', '5', '--warmup', '1', '--server-processes', '2'], target: null, runs, extra: REDIS_EXTRA },
        { label: 'c2c, open loop 2,000 msgs/s', workload: 'c2c', args: ['--users', '200', '--rate', '2000', '--window', '10', '--duration', '5', '--warmup', '1'], target: null, runs, extra: ['backlog'] },
        { label: 'c2c through @parley/sdk', workload: 'c2c', args: ['--users', '100', '--window', '10', '--duration', '3', '--warmup', '1', '--client', 'sdk'], target: null, runs: 1, extra: [] },
        { label: 'group, 1,000 members', workload: 'group', args: ['--members', '1000', '--duration', '5', '--warmup', '1'], target: null, runs, extra: [] },
        { label: 'avchatroom, 2,000 members, 10 msgs/s', workload: 'avchatroom', args: ['--members', '2000', '--rate', '10', '--duration', '5', '--warmup', '1'], target: null, runs, extra: ['online', 'acked_per_s'] },
        { label: 'idle, 2,000 connections', workload: 'idle', args: ['--connections', '2000', '--duration', '5'], target: TARGETS.idle, runs, extra: IDLE_EXTRA },
        { label: 'idle, 2,000 connections, 2 server processes', workload: 'idle', args: ['--connections', '2000', '--duration', '5', '--server-processes', '2'], target: TARGETS.idle, runs, extra: [...IDLE_EXTRA, ...REDIS_EXTRA] },
        { label: 'login-storm, fresh users', workload: 'login-storm', args: ['--duration', '5', '--warmup', '1'], target: TARGETS.loginStorm, runs, extra: [] },
        { label: 'history, 1 M messages, 1,000 fetches/s', workload: 'history', args: ['--messages', '1000000', '--rate', '1000', '--duration', '5', '--warmup', '1'], target: TARGETS.history, runs, extra: ['messages'] },
        ...sdkSteps(true),
      ]
    : [
        { label: 'c2c, 1,000 users, window 10', workload: 'c2c', args: ['--users', '1000', '--window', '10', '--duration', '10'], target: TARGETS.c2cThroughput, runs, extra: [] },
        { label: 'c2c, 1,000 users, window 10, 2 server processes', workload: 'c2c', args: ['--users', '1000', '--window', '10', '--duration', '10', '--server-processes', '2'], target: TARGETS.c2cThroughput, runs, extra: REDIS_EXTRA },
        { label: 'c2c, open loop 10,000 msgs/s', workload: 'c2c', args: ['--users', '1000', '--rate', '10000', '--window', '10', '--duration', '10'], target: TARGETS.c2cLatency, runs, extra: ['backlog'] },
        { label: 'c2c through @parley/sdk, 1,000 users, window 10', workload: 'c2c', args: ['--users', '1000', '--window', '10', '--duration', '10', '--client', 'sdk', '--workers', '2'], target: null, runs: 1, extra: [] },
        { label: 'group, 1,000 members, one sender, window 10', workload: 'group', args: ['--members', '1000', '--window', '10', '--duration', '10'], target: TARGETS.group1000, runs, extra: [] },
        // Receiving a fan-out costs the load generator more than sending it costs the server: two workers.
        { label: 'group, 5,000 members, one sender, window 10', workload: 'group', args: ['--members', '5000', '--window', '10', '--duration', '10', '--workers', '2'], target: TARGETS.group5000, runs, extra: [] },
        { label: 'group, 5,000 members, one sender, window 10, 2 server processes', workload: 'group', args: ['--members', '5000', '--window', '10', '--duration', '10', '--workers', '2', '--server-processes', '2'], target: TARGETS.group5000, runs, extra: REDIS_EXTRA },
        // Small enough for the load generator to take 10 msgs/s on 2 cores (≈ 17 µs per delivery) …
        { label: 'avchatroom, 5,000 members, 10 msgs/s', workload: 'avchatroom', args: ['--members', '5000', '--rate', '10', '--duration', '10'], target: null, runs, extra: ['online', 'acked_per_s'] },
        // … the largest room one server process holds …
        { label: roomLabel, workload: 'avchatroom', args: ['--members', String(roomMembers), '--rate', '10', '--duration', '10'], target: TARGETS.avchatroom, runs, extra: ['online', 'acked_per_s'] },
        // … and the 100,000 over several server processes (and ⌈100,000 / 15,000⌉ load-generator workers, 4 source addresses).
        // One run: connecting 100,000 members takes about 10 minutes on 2 cores, and the deliveries/s
        // are bounded by the load generator (a lower bound), so medians of three add little.
        {
          label: `avchatroom, 100,000 members, 10 msgs/s, ${bigProcesses} server processes`,
          workload: 'avchatroom',
          args: ['--members', '100000', '--rate', '10', '--duration', '10', '--server-processes', String(bigProcesses)],
          target: TARGETS.avchatroom,
          runs: 1,
          extra: ['online', 'acked_per_s', ...REDIS_EXTRA],
        },
        { label: 'idle, 100,000 connections asked', workload: 'idle', args: ['--connections', '100000', '--duration', '20'], target: TARGETS.idle, runs, extra: IDLE_EXTRA },
        // 50 logins in flight per load-generator worker (7 × 50), not 200: a cluster logs fresh users in
        // more slowly than one process (~300/s on 2 cores), and 1,400 waiting logins would run into
        // the server's 10 s login deadline (close 4002). Idle measures held connections, not logins.
        {
          label: `idle, 100,000 connections, ${bigProcesses} server processes`,
          workload: 'idle',
          args: ['--connections', '100000', '--duration', '20', '--server-processes', String(bigProcesses), '--window', '50'],
          target: TARGETS.idle,
          runs,
          extra: [...IDLE_EXTRA, ...REDIS_EXTRA],
        },
        { label: 'login-storm, fresh users', workload: 'login-storm', args: ['--duration', '10'], target: TARGETS.loginStorm, runs, extra: [] },
        { label: 'login-storm, fresh users, 2 server processes', workload: 'login-storm', args: ['--duration', '10', '--server-processes', '2'], target: TARGETS.loginStorm, runs, extra: REDIS_EXTRA },
        { label: 'history, 10 M messages, 1,000 fetches/s', workload: 'history', args: ['--messages', '10000000', '--rate', '1000', '--duration', '10'], target: TARGETS.history, runs, extra: ['messages'] },
        ...sdkSteps(false),
      ];
  return opts.only === null ? steps : steps.filter((s) => opts.only!.has(s.workload));
}

// ---------------------------------------------------------------- the machine

function cpuBusySample(): { idle: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Share of all CPUs busy over `ms` (this process sleeps meanwhile), %. */
async function cpuBusyPct(ms: number): Promise<number | null> {
  const a = cpuBusySample();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuBusySample();
  if (a === null || b === null || b.total === a.total) return null;
  return (100 * (1 - (b.idle - a.idle) / (b.total - a.total)));
}

/** Waits until the CPUs are quiet (< 20 % busy over 2 s) or `maxS` passed; resolves with the last busy share. */
async function waitIdle(maxS: number): Promise<number> {
  const started = Date.now();
  let said = false;
  for (;;) {
    const busy = (await cpuBusyPct(2000)) ?? 0;
    if (busy < 20 || Date.now() - started >= maxS * 1000) return busy;
    if (!said) log(`the CPUs are ${Math.round(busy)} % busy with other work; waiting up to ${maxS} s for them to be quiet…`);
    said = true;
  }
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function describeMachine(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? '?';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // keep os.cpus()'s
  }
  let os = 'Linux';
  try {
    os = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // keep the default
  }
  let portRange = '?';
  try {
    portRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–');
  } catch {
    // not Linux
  }
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const commit = run('git', ['-C', root, 'rev-parse', '--short', 'HEAD']) || '?';
  const dirty = run('git', ['-C', root, 'status', '--porcelain', '--', 'packages'])
    .split('\n')
    .map((line) => /packages\/([^/]+)\//.exec(line)?.[1])
    .filter((p): p is string => p !== undefined);
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
  return {
    cpuModel,
    cores: cpus().length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    os,
    loadavgBefore: [l1, l5, l15],
    fdLimit: hardFdLimit(),
    portRange,
    gitCommit: commit,
    dirtyPackages: [...new Set(dirty)],
  };
}

// ---------------------------------------------------------------- running

/** One run of a workload in a child process: its result line, or null when it did not complete. */
function runOnce(workload: string, args: readonly string[]): Promise<{ line: string | null; code: number | null }> {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [cli, workload, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    trackChild(child);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{')) ?? null;
      resolvePromise({ line, code });
    });
  });
}

function reportPaths(outDir: string, quick: boolean): { md: string; jsonl: string } {
  const date = new Date().toISOString().slice(0, 10);
  const base = `${date}-all${quick ? '-quick' : ''}`;
  for (let n = 1; ; n++) {
    const stem = n === 1 ? base : `${base}-${n}`;
    const md = join(outDir, `${stem}.md`);
    if (!existsSync(md)) return { md, jsonl: join(outDir, `${stem}.jsonl`) };
  }
}

export async function runAll(opts: AllOptions): Promise<number> {
  const machine = describeMachine();
  const steps = plan(opts, machine.fdLimit);
  const totalRuns = steps.reduce((a, s) => a + s.runs, 0);
  log(`${steps.length} steps, ${totalRuns} runs:`);
  for (const s of steps) log(`  ${s.label}: ${s.workload} ${s.args.join(' ')} ×${s.runs}`);
  if (opts.dryRun) return 0;

  mkdirSync(opts.outDir, { recursive: true });
  const paths = reportPaths(resolve(opts.outDir), opts.quick);
  const startedAt = new Date().toISOString();
  const rawLines: string[] = [];
  const reportSteps: ReportStep[] = [];
  let done = 0;
  const write = () => {
    writeFileSync(paths.jsonl, rawLines.map((l) => l + '\n').join(''));
    writeFileSync(
      paths.md,
      renderMarkdown({
        title: `Parley benchmarks, ${startedAt.slice(0, 10)}${opts.quick ? ' (quick)' : ''}`,
        startedAt,
        finishedAt: new Date().toISOString(),
        jsonlName: basename(paths.jsonl),
        quick: opts.quick,
        runs: opts.runs,
        machine,
        steps: reportSteps,
      }),
    );
  };
  let anyBad = false;
  for (const step of steps) {
    const results: CommonResult[] = [];
    const lines: number[] = [];
    const busyBefore: number[] = [];
    let failed = 0;
    for (let r = 0; r < step.runs; r++) {
      busyBefore.push(opts.waitIdleS > 0 ? await waitIdle(opts.waitIdleS) : ((await cpuBusyPct(1000)) ?? 0));
      done++;
      log(`=== [${done}/${totalRuns}] ${step.label} (run ${r + 1}/${step.runs}): ${step.workload} ${step.args.join(' ')}`);
      const { line, code } = await runOnce(step.workload, step.args);
      if (line === null) {
        failed++;
        anyBad = true;
        log(`=== ${step.label}: run ${r + 1} did not complete (exit code ${code})`);
        continue;
      }
      if (code !== 0) anyBad = true;
      rawLines.push(line);
      lines.push(rawLines.length);
      results.push(JSON.parse(line) as CommonResult);
    }
    reportSteps.push({ label: step.label, workload: step.workload, args: step.args, target: step.target, summary: summarizeRuns(results, failed, step.extra), lines, busyBefore });
    write();
  }
  log(`wrote ${paths.md} and ${paths.jsonl}`);
  return anyBad ? 1 : 0;
}

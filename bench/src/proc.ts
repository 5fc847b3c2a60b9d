/**
 * Process plumbing shared by every workload's parent (cli.ts, group-run.ts):
 * the spawned server, the forked load-generator workers, cleanup on every
 * way out (normal end, error, hard timeout, SIGINT/SIGTERM/SIGHUP), /proc
 * probes for CPU, memory and disk writes, and the one JSON result line.
 */
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientKind } from './endpoints.js';
import { parseRedisUrl, pingRedis, removeKeysWithPrefix, sampleRedis, type RedisSample, type RedisTarget } from './redis-info.js';

export class UsageError extends Error {}
/** An expected way for a run to fail: reported by message, without a stack. */
export class BenchError extends Error {}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

// ---------------------------------------------------------------- child processes and cleanup

const children = new Set<ChildProcess>();
let tempDir: string | null = null;
let shuttingDown = false;
/** Set once a run is done with its workers: their exits are expected from then on. */
let finishing = false;

/** Kills `child` with every other child if the run is aborted or interrupted. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function isShuttingDown(): boolean {
  return shuttingDown;
}

export function markShuttingDown(): void {
  shuttingDown = true;
}

export function markFinishing(): void {
  finishing = true;
}

function killAllNow(): void {
  // A multi-process server's workers are the primary's children, not ours: kill them by pid first
  // (killing the primary alone could leave them behind).
  if (liveServer !== null) killServerTree(liveServer, 'SIGKILL');
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  removeTempDir();
}

function removeTempDir(): void {
  if (tempDir !== null) {
    try {
      rmSync(tempDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
    tempDir = null;
  }
}

export function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Aborts the run: message on stderr, every child killed, temp dir removed, exit code 2. */
export function abort(message: string): never {
  if (!shuttingDown) {
    shuttingDown = true;
    log(`error: ${message}`);
  }
  killAllNow();
  process.exit(2);
}

let handlersInstalled = false;

/** Cleanup on exit and on the usual signals (idempotent). */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!shuttingDown) log(`${signal} received, stopping`);
      shuttingDown = true;
      killAllNow();
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
    });
  }
}

/** Everything stops by itself; this is the backstop if something hangs anyway. */
export function armHardTimeout(ms: number): void {
  setTimeout(() => abort(`hard timeout: the run took longer than ${Math.round(ms / 1000)} s`), ms).unref();
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BenchError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

// ---------------------------------------------------------------- the server under test

export interface SpawnedServer {
  child: ChildProcess;
  wsUrl: string;
  sdkAppID: number;
  secretKey: string;
  dataDir: string;
  /** The server process's open-files limit (soft, raised to the hard limit at spawn); `null` if unreadable. */
  fdLimit: number | null;
  /** Node processes serving (`--processes`): 1, or N workers forked by the primary (`child`). */
  processes: number;
  /** With processes > 1: the Redis the nodes share, and this run's channel/key prefix. */
  redis: { url: string; target: RedisTarget; prefix: string } | null;
}

export interface StartServerOptions {
  /** Server settings (e.g. PARLEY_GROUP_MAX_MEMBERS). */
  env?: Record<string, string>;
  /** Use this data dir (kept afterwards) instead of a fresh temp dir (removed afterwards). */
  dataDir?: string;
  /**
   * Node processes (`--server-processes`): more than 1 starts the server in cluster mode
   * (`--processes N --redis-url … --redis-prefix bench-<random>:`). Default 1.
   */
  processes?: number;
}

/** The Redis a multi-process server is given: PARLEY_BENCH_REDIS_URL, or the local default. */
export function benchRedisUrl(): string {
  return process.env['PARLEY_BENCH_REDIS_URL'] || 'redis://127.0.0.1:6379';
}

function serverCliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@parley/server')), 'cli.js');
}

let serverStopping = false;
/** The spawned server's primary pid while it runs (for cleanup of its workers on abort). */
let liveServer: number | null = null;

/** This process's hard open-files limit (what a child may raise its soft limit to); `null` if unknown. */
export function hardFdLimit(): number | null {
  return readFdLimit('self', 'hard');
}

/** A process's open-files limit from /proc/<pid>/limits. */
export function readFdLimit(pid: number | 'self', which: 'soft' | 'hard' = 'soft'): number | null {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    const text = which === 'soft' ? m?.[1] : m?.[2];
    if (text === undefined) return null;
    return text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text);
  } catch {
    return null;
  }
}

/** How many file descriptors a process has open now; `null` if unreadable. */
export function openFdCount(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Starts `node packages/server/dist/cli.js start` on 127.0.0.1 with a random
 * port, a fresh temp data dir (or `options.dataDir`) and a random app identity.
 * The server runs under `sh -c 'ulimit -n <hard>; exec node …'`, so its soft
 * open-files limit is the hard one: every socket is a descriptor (the cluster
 * workers of a multi-process server inherit it).
 */
export async function startServer(options: StartServerOptions = {}): Promise<SpawnedServer> {
  const processes = options.processes ?? 1;
  let redis: SpawnedServer['redis'] = null;
  if (processes > 1) {
    const url = benchRedisUrl();
    let target: RedisTarget;
    try {
      target = parseRedisUrl(url);
    } catch (err) {
      throw new BenchError(`PARLEY_BENCH_REDIS_URL: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      await pingRedis(target);
    } catch (err) {
      throw new BenchError(
        `--server-processes ${processes} needs a Redis for the server's nodes, and ${url} did not answer (${err instanceof Error ? err.message : String(err)}); ` +
          'start one (redis-server) or set PARLEY_BENCH_REDIS_URL',
      );
    }
    redis = { url, target, prefix: `bench-${randomBytes(4).toString('hex')}:` };
  }
  const sdkAppID = 1_400_000_000 + randomInt(0, 100_000_000);
  const secretKey = randomBytes(32).toString('hex');
  let dataDir: string;
  if (options.dataDir !== undefined) {
    dataDir = options.dataDir;
  } else {
    tempDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
    dataDir = tempDir;
  }
  const hard = hardFdLimit();
  // PARLEY_BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.PARLEY_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const command = [process.execPath, ...nodeArgs, serverCliPath(), 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
  if (redis !== null) command.push('--processes', String(processes), '--redis-url', redis.url, '--redis-prefix', redis.prefix);
  const child = spawn('/bin/sh', ['-c', `${hard !== null && hard < Number.MAX_SAFE_INTEGER ? `ulimit -n ${hard}; ` : ''}exec "$@"`, 'parley-server', ...command], {
    env: {
      ...process.env,
      PARLEY_SDKAPPID: String(sdkAppID),
      PARLEY_SECRET_KEY: secretKey,
      PARLEY_MAX_WEB_INSTANCES: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  serverStopping = false;
  liveServer = child.pid ?? null;
  let out = '';
  let port: number | null = null;
  const forward = (prefix: string) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (port === null) {
      out += text;
      return;
    }
    for (const line of text.split('\n')) if (line.trim() !== '') process.stderr.write(`[server${prefix}] ${line}\n`);
  };
  child.stdout?.on('data', forward(''));
  child.stderr?.on('data', forward(':err'));
  child.once('exit', (code, signal) => {
    if (!shuttingDown && !serverStopping) abort(`the server exited unexpectedly (code ${code}, signal ${signal})\n${out}`);
  });
  port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new BenchError(`the server did not report its port within 60 s:\n${out}`)), 60_000);
    const onData = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
  });
  if (processes > 1 && child.pid !== undefined) {
    const workers = childPids(child.pid);
    if (workers.length !== processes) log(`warning: asked for ${processes} server processes; the primary (pid ${child.pid}) has ${workers.length} child process(es): ${workers.join(', ')}`);
  }
  return { child, wsUrl: `ws://127.0.0.1:${port}/ws`, sdkAppID, secretKey, dataDir, fdLimit: child.pid !== undefined ? readFdLimit(child.pid) : null, processes, redis };
}

/** Whether `pid` is still a live node process (not reaped, not a zombie, not reused by another program). */
function isLiveNode(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(process.execPath);
  } catch {
    return false;
  }
}

/** Sends `signal` to the server's descendants (its cluster workers), deepest first; returns their pids. */
function killServerTree(primary: number, signal: NodeJS.Signals): number[] {
  const pids = processTree(primary, childPids).slice(1).reverse();
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
  return pids;
}

/**
 * SIGTERM to the server (a multi-process server's primary stops its workers), then SIGKILL after
 * 10 s (20 s for a multi-process server: its primary gives its workers 10 s itself); workers still
 * alive 5 s after the primary are killed; removes the temp data dir and, for a multi-process
 * server, the run's Redis keys (its unique prefix).
 */
export async function stopServer(server: SpawnedServer | null): Promise<void> {
  if (server) {
    serverStopping = true;
    const primary = server.child.pid;
    const descendants = primary !== undefined ? processTree(primary, childPids).slice(1) : [];
    const graceS = server.processes > 1 ? 20 : 10;
    server.child.kill('SIGTERM');
    if (!(await waitExit(server.child, graceS * 1000))) {
      log(`the server did not stop within ${graceS} s of SIGTERM; killing it`);
      if (primary !== undefined) killServerTree(primary, 'SIGKILL');
      server.child.kill('SIGKILL');
      await waitExit(server.child, 2000);
    }
    children.delete(server.child);
    liveServer = null;
    const deadline = Date.now() + 5000;
    let left = descendants.filter(isLiveNode);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      left = left.filter(isLiveNode);
    }
    if (left.length > 0) {
      log(`${left.length} server worker process(es) outlived the primary (${left.join(', ')}); killing them`);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (server.redis !== null) {
      try {
        const n = await removeKeysWithPrefix(server.redis.target, server.redis.prefix);
        if (n > 0) log(`removed ${n} Redis key(s) with the run's prefix ${server.redis.prefix}`);
      } catch (err) {
        log(`could not remove the run's Redis keys (${server.redis.prefix}*): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  removeTempDir();
}

/** The server a run talks to: spawned (with its process) or external (`--url`). */
export interface ServerUnderTest {
  server: SpawnedServer | null;
  url: string;
  sdkAppID: number;
  secretKey: string;
}

/** Starts a server, or uses the `--url` one with the given identity. */
export async function serverUnderTest(
  target: { url: string | null; sdkAppID: number | null; secretKey: string | null },
  options: StartServerOptions = {},
): Promise<ServerUnderTest> {
  if (target.url !== null) {
    log(`benchmarking the running server at ${target.url}`);
    return { server: null, url: target.url, sdkAppID: target.sdkAppID!, secretKey: target.secretKey! };
  }
  const server = await startServer(options);
  const env = Object.entries(options.env ?? {});
  const pid = server.child.pid;
  log(
    `server started (pid ${pid}, open-files limit ${server.fdLimit ?? '?'}) at ${server.wsUrl}, data dir ${server.dataDir}` +
      (server.redis !== null
        ? `, ${server.processes} processes (worker pids ${pid !== undefined ? childPids(pid).join(' ') : '?'}), Redis ${server.redis.url} prefix ${server.redis.prefix}`
        : '') +
      (env.length > 0 ? `, ${env.map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
  );
  return { server, url: server.wsUrl, sdkAppID: server.sdkAppID, secretKey: server.secretKey };
}

/** The environment fields at the end of every result line. */
export function environmentFields(loadavgAtStart: number): { loadavg1: number | null; node: string; cpus: number; date: string } {
  return { loadavg1: Math.round(loadavgAtStart * 100) / 100, node: process.version, cpus: cpus().length, date: new Date().toISOString() };
}

/** The bench only ever talks to this machine. */
export function assertLoopbackUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url "${text}" is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`--url must be ws:// or wss:// (got "${url.protocol}")`);
  const host = url.hostname;
  const loopback = host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) throw new UsageError(`--url must point at a loopback address (127.0.0.1, localhost, [::1]); got "${host}"`);
}

// ---------------------------------------------------------------- /proc probes

let clockTicks: number | null = null;

/** CPU time (user + system) a process has used, ms; `null` where /proc is unavailable. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    if (clockTicks === null) {
      try {
        clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
      } catch {
        clockTicks = 100;
      }
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return ((utime + stime) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** Bytes a process caused to be written to storage so far (/proc/<pid>/io write_bytes); `null` where unavailable. */
export function processWriteBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^write_bytes:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function processRssMB(pid: number | undefined): number | null {
  const kb = processRssKB(pid);
  return kb === null ? null : Math.round(kb / 1024);
}

/** Resident memory (VmRSS), KB; `null` where unavailable. */
export function processRssKB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- process trees

/**
 * `root` and all its descendants, parents before children (breadth first), given a function
 * that lists a process's direct children. A pid seen twice is visited once.
 */
export function processTree(root: number, childrenOf: (pid: number) => readonly number[]): number[] {
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const child of childrenOf(out[i]!)) {
      if (!seen.has(child)) {
        seen.add(child);
        out.push(child);
      }
    }
  }
  return out;
}

/** The pids of a /proc/<pid>/task/<tid>/children file ("123 456 "). */
export function parseChildrenList(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((t) => t !== '')
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0);
}

/** The parent pid from the text of /proc/<pid>/stat (the field after the state, past the `(comm)`). */
export function parentPidFromStat(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isSafeInteger(ppid) ? ppid : null;
}

/** Whether /proc/<pid>/task/<tid>/children exists here (CONFIG_PROC_CHILDREN); checked once. */
let childrenFilesWork: boolean | null = null;

/**
 * A process's direct children: the union of /proc/<pid>/task/<tid>/children over its threads
 * (a child belongs to the thread that forked it). Where the kernel lacks those files, every
 * /proc/<n>/stat is scanned for the parent pid instead. `[]` when the process is gone.
 */
export function childPids(pid: number): number[] {
  if (childrenFilesWork === null) childrenFilesWork = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
  if (childrenFilesWork) {
    const out: number[] = [];
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
    for (const tid of tids) {
      try {
        out.push(...parseChildrenList(readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')));
      } catch {
        // the thread ended meanwhile
      }
    }
    return [...new Set(out)];
  }
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (parentPidFromStat(readFileSync(`/proc/${name}/stat`, 'utf8')) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A process and its descendants now (a multi-process server: the primary and its workers); `[]` without a pid. */
export function serverPids(pid: number | undefined): number[] {
  return pid === undefined ? [] : processTree(pid, childPids);
}

/** Sum of a per-process reading over `pids`; `null` when none of them could be read. */
function sumOver(pids: readonly number[], read: (pid: number) => number | null): number | null {
  let sum: number | null = null;
  for (const pid of pids) {
    const v = read(pid);
    if (v !== null) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** Resident memory (VmRSS) of a process and all its descendants, KB; `null` where unavailable. */
export function treeRssKB(pid: number | undefined): number | null {
  return sumOver(serverPids(pid), processRssKB);
}

/**
 * A reading per process of a tree, to take differences over a window: CPU ms and written bytes
 * by pid. A process that appears later counts from 0 (it started inside the window); one that
 * is gone by the end drops out (its CPU in the window is lost — server processes live for the run).
 */
export interface TreeSample {
  cpuMs: Map<number, number>;
  writeBytes: Map<number, number>;
}

export function sampleTree(pid: number | undefined): TreeSample {
  const cpuMs = new Map<number, number>();
  const writeBytes = new Map<number, number>();
  for (const p of serverPids(pid)) {
    const cpu = processCpuMs(p);
    if (cpu !== null) cpuMs.set(p, cpu);
    const w = processWriteBytes(p);
    if (w !== null) writeBytes.set(p, w);
  }
  return { cpuMs, writeBytes };
}

/** Σ over the end sample's processes of (end − start, or end when the process is new); `null` if the end has none. */
export function treeDelta(start: ReadonlyMap<number, number>, end: ReadonlyMap<number, number>): number | null {
  if (end.size === 0) return null;
  let sum = 0;
  for (const [pid, v] of end) sum += v - (start.get(pid) ?? 0);
  return sum;
}

/**
 * Waits until the RSS of a process and its descendants (a multi-process server: all of them) has
 * settled: the last `quietMs` of samples (every 500 ms) span less than 1 MB or 0.5 %, or `maxMs`
 * passed. Resolves with the last RSS (KB, summed) and the wait.
 */
export async function waitRssSettled(pid: number | undefined, maxMs: number, quietMs = 3000): Promise<{ rssKB: number | null; settled: boolean; waitedMs: number }> {
  const started = Date.now();
  const samples: number[] = [];
  const window = Math.max(2, Math.ceil(quietMs / 500) + 1);
  for (;;) {
    const kb = treeRssKB(pid);
    if (kb === null) return { rssKB: null, settled: false, waitedMs: Date.now() - started };
    samples.push(kb);
    if (samples.length >= window) {
      const recent = samples.slice(-window);
      const span = Math.max(...recent) - Math.min(...recent);
      if (span < Math.max(1024, kb * 0.005)) return { rssKB: kb, settled: true, waitedMs: Date.now() - started };
    }
    if (Date.now() - started >= maxMs) return { rssKB: kb, settled: false, waitedMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One Redis sample, or `null` (logged once per run) when Redis cannot be read. */
let redisWarned = false;
export async function trySampleRedis(server: SpawnedServer | null): Promise<RedisSample | null> {
  if (!server || server.redis === null) return null;
  try {
    return await sampleRedis(server.redis.target);
  } catch (err) {
    if (!redisWarned) log(`could not read Redis INFO: ${err instanceof Error ? err.message : String(err)}`);
    redisWarned = true;
    return null;
  }
}

/**
 * Server CPU, disk writes and RSS over the measured window [startAt, endAt] (epoch ms), summed
 * over the spawned process and all its descendants (a multi-process server's primary and
 * workers), and for a multi-process server the CPU and RSS of its Redis (from INFO) apart.
 * Sampled by timers; `end()` takes the end sample early; read the fields after `await collect()`.
 */
export class ServerProbe {
  private start: TreeSample | null = null;
  private redisStart: Promise<RedisSample | null> | null = null;
  private redisEnd: Promise<RedisSample | null> | null = null;
  cpuMs: number | null = null;
  writeBytes: number | null = null;
  rssMB: number | null = null;
  /** Processes measured at the end (primary included). */
  processCount: number | null = null;
  /** Redis CPU over the window, s, and its RSS at the end, MB (multi-process servers only). */
  redisCpuS: number | null = null;
  redisRssMB: number | null = null;
  private readonly timers: NodeJS.Timeout[];
  private readonly pid: number | undefined;

  constructor(
    private readonly server: SpawnedServer | null,
    startAt: number,
    endAt: number,
  ) {
    this.pid = server?.child.pid;
    this.timers = [
      setTimeout(() => {
        this.start = this.pid !== undefined ? sampleTree(this.pid) : null;
        this.redisStart = trySampleRedis(this.server);
      }, Math.max(0, startAt - Date.now())),
      setTimeout(() => this.takeEnd(), Math.max(0, endAt - Date.now())),
    ];
  }

  private ended = false;

  private takeEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pid === undefined) return;
    this.redisEnd = this.redisStart !== null ? trySampleRedis(this.server) : null;
    const pids = serverPids(this.pid);
    const end = sampleTree(this.pid);
    if (this.start !== null) {
      this.cpuMs = treeDelta(this.start.cpuMs, end.cpuMs);
      this.writeBytes = treeDelta(this.start.writeBytes, end.writeBytes);
    }
    const rssKB = sumOver(pids, processRssKB);
    this.rssMB = rssKB === null ? null : Math.round(rssKB / 1024);
    this.processCount = pids.length;
  }

  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  /**
   * Takes the end sample now if its timer has not fired yet: the workers' clocks and this
   * process's timers differ by a few ms, so a worker may report before the window's end here.
   */
  end(): void {
    this.cancel();
    this.takeEnd();
  }

  /** Waits for the Redis samples (asynchronous) and fills `redisCpuS` / `redisRssMB`. */
  async collect(): Promise<void> {
    const [a, b] = await Promise.all([this.redisStart, this.redisEnd]);
    if (a && b) this.redisCpuS = b.cpuS - a.cpuS;
    if (b) this.redisRssMB = Math.round((b.rssBytes / 2 ** 20) * 10) / 10;
  }
}

/**
 * The fields every result line carries about the server's processes and Redis, after the
 * common ones: `server_processes` (configured; `null` for an external server),
 * `server_processes_measured` (processes summed at the end, the primary included), and for a
 * multi-process server `redis_cpu_s` / `redis_rss_mb` (`null` otherwise).
 */
export function serverProcessFields(server: SpawnedServer | null, probe: { processCount: number | null; redisCpuS: number | null; redisRssMB: number | null }): {
  server_processes: number | null;
  server_processes_measured: number | null;
  redis_cpu_s: number | null;
  redis_rss_mb: number | null;
} {
  return {
    server_processes: server?.processes ?? null,
    server_processes_measured: probe.processCount,
    redis_cpu_s: probe.redisCpuS !== null ? Math.round(probe.redisCpuS * 100) / 100 : null,
    redis_rss_mb: probe.redisRssMB,
  };
}

// ---------------------------------------------------------------- workers

interface Typed {
  type: string;
}

/**
 * One forked load-generator process. Messages whose type is in `statusTypes`
 * (progress counters) only replace `status[type]`; the others are queued for
 * `next(type)`. A `fatal` message, an `error` or an unexpected exit aborts the run.
 */
export class WorkerProc<P extends Typed, W extends Typed> {
  readonly child: ChildProcess;
  private readonly inbox: W[] = [];
  private readonly waiters: Array<{ type: string; resolve: (msg: W) => void }> = [];
  readonly status = new Map<string, W>();

  constructor(
    readonly index: number,
    script: string,
    private readonly statusTypes: ReadonlySet<string>,
  ) {
    const path = fileURLToPath(new URL(script, import.meta.url));
    // The worker's stdout goes to our stderr: stdout carries only the result line.
    this.child = fork(path, [], { stdio: ['ignore', 2, 2, 'ipc'] });
    children.add(this.child);
    this.child.on('message', (raw: unknown) => this.onMessage(raw as W));
    this.child.on('error', (err) => {
      if (!shuttingDown && !finishing) abort(`worker ${index}: ${err.message}`);
    });
    this.child.once('exit', (code, signal) => {
      if (!shuttingDown && !finishing) abort(`worker ${index} exited unexpectedly (code ${code}, signal ${signal})`);
    });
  }

  send(msg: P): void {
    this.child.send(msg);
  }

  private onMessage(msg: W): void {
    if (msg.type === 'fatal') abort(`worker ${this.index} failed: ${(msg as unknown as { message?: string }).message ?? '?'}`);
    if (this.statusTypes.has(msg.type)) {
      this.status.set(msg.type, msg);
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === msg.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg);
    else this.inbox.push(msg);
  }

  next<T extends W['type']>(type: T): Promise<Extract<W, { type: T }>> {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<W, { type: T }>);
    return new Promise((resolve) => this.waiters.push({ type, resolve: resolve as (msg: W) => void }));
  }

  /** Asks the worker to finish (the caller sends the finish message) and waits for it; SIGKILL after 5 s. */
  async waitGone(): Promise<void> {
    if (!(await waitExit(this.child, 5000))) this.child.kill('SIGKILL');
    children.delete(this.child);
  }
}

// ---------------------------------------------------------------- output

/** Prints the result line on stdout (and appends it to `out` when given). */
export async function emitResult(result: object, out: string | null): Promise<void> {
  const line = JSON.stringify(result);
  if (out !== null) {
    const file = resolve(out);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, line + '\n');
    log(`appended the result to ${file}`);
  }
  await new Promise<void>((r) => process.stdout.write(line + '\n', () => r()));
}

/** Minimal `--name value` / `--name=value` parser with a known-option list. */
export function parseFlags(rest: readonly string[], known: ReadonlySet<string>): Map<string, string> | 'help' {
  const raw = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!known.has(name)) throw new UsageError(`unknown option ${name}`);
    const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`option ${name} needs a value`);
    raw.set(name, value);
  }
  return raw;
}

/** A numeric option in [min, max] (whole when `integer`), or `def` when absent. */
export function numOption(raw: ReadonlyMap<string, string>, name: string, def: number, min: number, max: number, integer: boolean): number {
  const text = raw.get(name);
  if (text === undefined) return def;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`${name} must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max} (got "${text}")`);
  }
  return n;
}

/** `--url` + identity for an external server, or nothing for a spawned one. */
export function serverTarget(raw: ReadonlyMap<string, string>): { url: string | null; sdkAppID: number | null; secretKey: string | null } {
  const url = raw.get('--url') ?? null;
  if (url === null) {
    if (raw.has('--sdkappid') || raw.has('--secret-key')) {
      throw new UsageError('--sdkappid / --secret-key only apply with --url (a spawned server gets a fresh identity)');
    }
    return { url: null, sdkAppID: null, secretKey: null };
  }
  assertLoopbackUrl(url);
  const appText = raw.get('--sdkappid') ?? process.env['PARLEY_SDKAPPID'];
  const key = raw.get('--secret-key') ?? process.env['PARLEY_SECRET_KEY'];
  if (!appText || !key) throw new UsageError('--url needs the server identity: --sdkappid and --secret-key (or PARLEY_SDKAPPID / PARLEY_SECRET_KEY)');
  const app = Number(appText);
  if (!Number.isSafeInteger(app) || app < 1) throw new UsageError(`--sdkappid must be a positive integer (got "${appText}")`);
  return { url, sdkAppID: app, secretKey: key };
}

/** `--server-processes N` (default 1): node processes of the spawned server (cluster mode past 1); not with `--url`. */
export function serverProcessesOption(raw: ReadonlyMap<string, string>): number {
  if (!raw.has('--server-processes')) return 1;
  if (raw.has('--url')) throw new UsageError('--server-processes configures the spawned server; an external (--url) server keeps its own processes');
  return numOption(raw, '--server-processes', 1, 1, 64, true);
}

/** Sockets one load-generator process keeps at most by default (the open-files limit here is 20,000 per process). */
export const SOCKETS_PER_WORKER = 15_000;

/** Load-generator processes for `sockets` sockets: ⌈sockets / SOCKETS_PER_WORKER⌉. */
export function workersForSockets(sockets: number): number {
  return Math.max(1, Math.ceil(sockets / SOCKETS_PER_WORKER));
}

/** Warns when `sockets` over `workers` load-generator processes, or over the server's processes, come close to a process's open-files limit. */
export function warnSocketLimits(sockets: number, workers: number, server: SpawnedServer | null): void {
  const perWorker = Math.ceil(sockets / workers);
  if (perWorker > SOCKETS_PER_WORKER) {
    log(`warning: ${perWorker} sockets per worker is close to the open-files limit; use --workers ${workersForSockets(sockets)} or more`);
  }
  // The server holds one descriptor per socket; a multi-process server spreads them over its workers.
  if (server !== null && server.fdLimit !== null && sockets > server.processes * (server.fdLimit - 100)) {
    const needed = Math.ceil(sockets / (server.fdLimit - 100));
    log(
      `warning: each server process may open ${server.fdLimit} files; ${sockets} sockets will not all fit in ${server.processes} process(es)` +
        (needed <= 64 ? ` (use --server-processes ${needed} or more)` : ''),
    );
  }
}

/**
 * `--rate R | max`: operations per second, or closed loop (`max`, any case, or 0) as 0.
 * `def` applies when the option is absent.
 */
export function rateOption(raw: ReadonlyMap<string, string>, def: number): number {
  const text = raw.get('--rate');
  if (text === undefined) return def;
  if (text.trim().toLowerCase() === 'max') return 0;
  return numOption(raw, '--rate', def, 0, 10_000_000, false);
}

/** `--client lean | sdk`: the raw-protocol load generator (default) or the real @parley/sdk. */
export function clientOption(raw: ReadonlyMap<string, string>): ClientKind {
  const text = raw.get('--client') ?? 'lean';
  if (text !== 'lean' && text !== 'sdk') throw new UsageError(`--client must be lean or sdk (got "${text}")`);
  return text;
}

/**
 * Connections one source address can open to one server port: the kernel's ephemeral port range
 * (/proc/sys/net/ipv4/ip_local_port_range, ~28k by default) less a margin for other sockets.
 */
export function connectionsPerSourceAddress(): number {
  let ports = 28_232;
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && high > low) ports = high - low + 1;
  } catch {
    // not Linux: keep the default
  }
  return Math.max(1000, ports - 2000);
}

// ---------------------------------------------------------------- paced runs

/** Sums one progress snapshot per worker, field by field. */
export function sumProgress<K extends string>(snapshots: ReadonlyArray<Record<K, number>>, fields: readonly K[]): Record<K, number> {
  const sum = Object.fromEntries(fields.map((f) => [f, 0])) as Record<K, number>;
  for (const s of snapshots) for (const f of fields) sum[f] += s[f];
  return sum;
}

/**
 * The end of a paced run, shared by the workloads: a progress line a second
 * (`progressLine` gets the seconds since the last line and returns the
 * workload's part), every worker's `done` within `timeoutMs`, then the
 * workers and the server stopped. Resolves with the `done` messages.
 */
export async function finishPacedRun<D>(run: {
  workers: ReadonlyArray<{ next(type: 'done'): Promise<D>; send(msg: { type: 'finish' }): void; waitGone(): Promise<void> }>;
  t0: number;
  windowStart: number;
  windowEnd: number;
  timeoutMs: number;
  /** What the workers are doing, for the timeout message. */
  what: string;
  probe: ServerProbe;
  server: SpawnedServer | null;
  progressLine: (dtS: number) => string;
}): Promise<D[]> {
  let lastAt = run.t0;
  const ticker = setInterval(() => {
    const now = Date.now();
    if (now < run.t0) return;
    const phase = now < run.windowStart ? 'warmup' : now < run.windowEnd ? 'measure' : 'drain';
    log(`${phase.padEnd(7)} t=${((now - run.t0) / 1000).toFixed(0).padStart(3)}s  ${run.progressLine(Math.max(0.001, (now - lastAt) / 1000))}`);
    lastAt = now;
  }, 1000);
  let dones: D[];
  try {
    dones = await withTimeout(Promise.all(run.workers.map((w) => w.next('done'))), run.timeoutMs, run.what);
  } finally {
    clearInterval(ticker);
    run.probe.end();
  }
  await run.probe.collect();
  markFinishing();
  for (const w of run.workers) w.send({ type: 'finish' });
  await Promise.all(run.workers.map((w) => w.waitGone()));
  await stopServer(run.server);
  return dones;
}

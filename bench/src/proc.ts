/**
 * Process plumbing shared by every workload's parent (cli.ts, group-run.ts):
 * the spawned server, the forked load-generator workers, cleanup on every
 * way out (normal end, error, hard timeout, SIGINT/SIGTERM/SIGHUP), /proc
 * probes for CPU, memory and disk writes, and the one JSON result line.
 */
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientKind } from './endpoints.js';

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
}

export interface StartServerOptions {
  /** Server settings (e.g. PARLEY_GROUP_MAX_MEMBERS). */
  env?: Record<string, string>;
  /** Use this data dir (kept afterwards) instead of a fresh temp dir (removed afterwards). */
  dataDir?: string;
}

function serverCliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@parley/server')), 'cli.js');
}

let serverStopping = false;

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
 * open-files limit is the hard one: every socket is a descriptor.
 */
export async function startServer(options: StartServerOptions = {}): Promise<SpawnedServer> {
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
  const command = [process.execPath, serverCliPath(), 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
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
  return { child, wsUrl: `ws://127.0.0.1:${port}/ws`, sdkAppID, secretKey, dataDir, fdLimit: child.pid !== undefined ? readFdLimit(child.pid) : null };
}

/** SIGTERM, then SIGKILL after 10 s; removes the temp data dir. */
export async function stopServer(server: SpawnedServer | null): Promise<void> {
  if (server) {
    serverStopping = true;
    server.child.kill('SIGTERM');
    if (!(await waitExit(server.child, 10_000))) {
      log('the server did not stop within 10 s of SIGTERM; killing it');
      server.child.kill('SIGKILL');
      await waitExit(server.child, 2000);
    }
    children.delete(server.child);
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
  log(
    `server started (pid ${server.child.pid}, open-files limit ${server.fdLimit ?? '?'}) at ${server.wsUrl}, data dir ${server.dataDir}` +
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

/**
 * Waits until a process's RSS has settled: the last `quietMs` of samples (every 500 ms) span
 * less than 1 MB or 0.5 %, or `maxMs` passed. Resolves with the last RSS (KB) and the wait.
 */
export async function waitRssSettled(pid: number | undefined, maxMs: number, quietMs = 3000): Promise<{ rssKB: number | null; settled: boolean; waitedMs: number }> {
  const started = Date.now();
  const samples: number[] = [];
  const window = Math.max(2, Math.ceil(quietMs / 500) + 1);
  for (;;) {
    const kb = processRssKB(pid);
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

/**
 * Server CPU, disk writes and RSS over the measured window [startAt, endAt]
 * (epoch ms): sampled by timers, read with `result()` after the window.
 */
export class ServerProbe {
  private cpuStart: number | null = null;
  private writeStart: number | null = null;
  cpuMs: number | null = null;
  writeBytes: number | null = null;
  rssMB: number | null = null;
  private readonly timers: NodeJS.Timeout[];

  constructor(
    private readonly pid: number | undefined,
    startAt: number,
    endAt: number,
  ) {
    this.timers = [
      setTimeout(() => {
        this.cpuStart = processCpuMs(pid);
        this.writeStart = processWriteBytes(pid);
      }, Math.max(0, startAt - Date.now())),
      setTimeout(() => this.takeEnd(), Math.max(0, endAt - Date.now())),
    ];
  }

  private ended = false;

  private takeEnd(): void {
    if (this.ended) return;
    this.ended = true;
    const cpuEnd = processCpuMs(this.pid);
    if (cpuEnd !== null && this.cpuStart !== null) this.cpuMs = cpuEnd - this.cpuStart;
    const writeEnd = processWriteBytes(this.pid);
    if (writeEnd !== null && this.writeStart !== null) this.writeBytes = writeEnd - this.writeStart;
    this.rssMB = processRssMB(this.pid);
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
  markFinishing();
  for (const w of run.workers) w.send({ type: 'finish' });
  await Promise.all(run.workers.map((w) => w.waitGone()));
  await stopServer(run.server);
  return dones;
}

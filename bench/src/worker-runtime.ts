/**
 * What every load-generator worker process shares: IPC to the parent, clocks, crash handling,
 * the load generator's own CPU and event-loop delay over the window, and open-loop pacing.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Sends a message to the parent process if it is still there. */
export function postToParent(msg: unknown): void {
  if (process.send && process.connected) process.send(msg);
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Error frames plus every non-zero response code counted so far. */
export function countErrors(errorFrames: number, errorCodes: Record<string, number>): number {
  let n = errorFrames;
  for (const c of Object.values(errorCodes)) n += c;
  return n;
}

/** Reports `err` to the parent as `{type: 'fatal'}` and exits shortly after. */
export function fatal(err: unknown): void {
  postToParent({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  setTimeout(() => process.exit(1), 100).unref();
}

/**
 * Reports any uncaught error to the parent as `{type: 'fatal'}` and exits; exits at once when
 * the parent goes away (crash, kill), so a worker never lingers with open sockets.
 */
export function installWorkerGuards(): void {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.on('disconnect', () => process.exit(0));
}

/** What a worker's own CPU and event loop did over the measured window. */
export interface WindowLoad {
  /** CPU (user + system) this process used in the window, ms. */
  cpuMs: number;
  /** Event-loop delay in the window beyond the sampling interval, ms (high = the load generator is the bottleneck). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const LOOP_SAMPLE_MS = 2;

/**
 * This process's CPU time and event-loop delay between two epoch instants: if the load generator
 * itself is saturated, the latencies it reports include its own queueing. Timers take both ends;
 * `result()` takes the end early if the window has not closed yet.
 */
export class WindowMeter {
  private cpuAtStart: NodeJS.CpuUsage | null = null;
  private cpuMs = 0;
  private ended = false;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  private readonly timers: NodeJS.Timeout[];

  constructor(startEpoch: number, endEpoch: number) {
    this.timers = [
      setTimeout(() => {
        this.cpuAtStart = process.cpuUsage();
        this.loopDelay.enable();
      }, Math.max(0, startEpoch - epochNow())),
      setTimeout(() => this.end(), Math.max(0, endEpoch - epochNow())),
    ];
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.loopDelay.disable();
    if (this.cpuAtStart === null) return;
    const d = process.cpuUsage(this.cpuAtStart);
    this.cpuMs = (d.user + d.system) / 1000;
  }

  result(): WindowLoad {
    for (const t of this.timers) clearTimeout(t);
    this.end();
    // The histogram records whole sampling intervals; the delay is what exceeds the interval.
    const has = this.loopDelay.count > 0;
    return {
      cpuMs: this.cpuMs,
      loopDelayP99Ms: has ? Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_SAMPLE_MS) : 0,
      loopDelayMaxMs: has ? Math.max(0, this.loopDelay.max / 1e6 - LOOP_SAMPLE_MS) : 0,
    };
  }
}

/**
 * Which open-loop operations are due, and since when. Operation k (1, 2, …) falls due at
 * k / rate after the start; the pacer looks every few ms (`tick`), and an operation's
 * reference time — what its latency is measured from — is the tick at which it was first
 * found due. Operations that cannot go out yet (every window full) wait in a FIFO with their
 * reference time, so waiting for a slow server counts in their latency (no coordinated
 * omission); the pacer's own tick granularity does not. More than `maxBacklog` waiting are
 * dropped, oldest first, and counted in `backlog`, so a slow server is not hit with a burst
 * later. A late tick (a busy load generator) shows in the worker's event-loop delay.
 */
export class DueQueue {
  /** Operations that fell due so far (issued, waiting or dropped). */
  private scheduled = 0;
  private refs: number[] = [];
  private head = 0;
  backlog = 0;

  constructor(
    private readonly ratePerS: number,
    private readonly maxBacklog: number,
  ) {}

  /** Marks what fell due by `elapsedMs` after the start, with reference time `nowEpoch`. */
  tick(elapsedMs: number, nowEpoch: number): void {
    const target = Math.floor((this.ratePerS * Math.max(0, elapsedMs)) / 1000);
    for (; this.scheduled < target; this.scheduled++) this.refs.push(nowEpoch);
    const excess = this.waiting - this.maxBacklog;
    if (excess > 0) {
      this.head += excess;
      this.backlog += excess;
    }
    if (this.head > 4096 && this.head * 2 > this.refs.length) {
      this.refs = this.refs.slice(this.head);
      this.head = 0;
    }
  }

  get waiting(): number {
    return this.refs.length - this.head;
  }

  /** The oldest waiting operation's reference time, without taking it. */
  peek(): number | undefined {
    return this.head < this.refs.length ? this.refs[this.head] : undefined;
  }

  take(): void {
    if (this.head < this.refs.length) this.head++;
  }

  /** At the end: whatever still waits was never sent. */
  abandon(): void {
    this.backlog += this.waiting;
    this.head = this.refs.length;
  }
}

/**
 * Open loop: issues operations at `ratePerS` from `startPerf` until `endPerf` (performance.now()
 * ms), looking every `tickMs` (see DueQueue). `issue(refEpoch)` sends one and returns true, or
 * returns false when nothing can take it now; it then waits for the next tick.
 */
export function paceOpenLoop(options: {
  ratePerS: number;
  startPerf: number;
  endPerf: number;
  maxBacklog: number;
  issue: (refEpoch: number) => boolean;
  tickMs?: number;
}): Promise<{ backlog: number }> {
  const { ratePerS, startPerf, endPerf, maxBacklog, issue } = options;
  const due = new DueQueue(ratePerS, maxBacklog);
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      due.tick(Math.min(now, endPerf) - startPerf, performance.timeOrigin + now);
      for (let ref = due.peek(); ref !== undefined && issue(ref); ref = due.peek()) due.take();
      if (now >= endPerf) {
        due.abandon();
        clearInterval(timer);
        resolve({ backlog: due.backlog });
      }
    };
    const timer = setInterval(tick, options.tickMs ?? 1);
  });
}

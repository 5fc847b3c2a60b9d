/**
 * What every load-generator worker process shares: IPC to the parent, clocks, crash handling,
 * the load generator's own CPU and event-loop delay over the window, and open-loop pacing.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { dueNow } from './group-logic.js';

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
 * Open loop: issues operations at `ratePerS` from `startPerf` until `endPerf` (performance.now()
 * ms). Operation k (1, 2, …) is due at startEpoch + k / rate; `issue(dueEpoch)` sends it and returns true, or
 * returns false when nothing can take it now (every window full): it stays due and is retried on
 * the next tick. More than `maxBacklog` due operations are dropped and counted (`backlog`), so a
 * slow server is not hit with a burst later. Latency is measured from `dueEpoch`, not from the
 * moment of sending, so waiting for a window counts (no coordinated omission).
 */
export function paceOpenLoop(options: {
  ratePerS: number;
  startPerf: number;
  endPerf: number;
  maxBacklog: number;
  issue: (dueEpoch: number) => boolean;
  tickMs?: number;
}): Promise<{ issued: number; backlog: number }> {
  const { ratePerS, startPerf, endPerf, maxBacklog, issue } = options;
  const startEpoch = performance.timeOrigin + startPerf;
  let issued = 0;
  let backlog = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const step = dueNow(ratePerS, Math.min(now, endPerf) - startPerf, issued, maxBacklog);
      backlog += step.dropped;
      issued += step.dropped;
      let due = step.due;
      // Operation number `issued + 1` becomes due when the target count reaches it: at (issued + 1) / rate.
      while (due > 0 && issue(startEpoch + ((issued + 1) * 1000) / ratePerS)) {
        issued++;
        due--;
      }
      if (now >= endPerf) {
        backlog += due;
        clearInterval(timer);
        resolve({ issued, backlog });
      }
    };
    const timer = setInterval(tick, options.tickMs ?? 2);
  });
}

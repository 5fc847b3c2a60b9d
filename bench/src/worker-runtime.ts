/** What every load-generator worker process shares: IPC to the parent, clocks, crash handling. */

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

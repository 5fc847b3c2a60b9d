/** Console logger with TIM's levels: 0 all, 1 info, 2 warn, 3 error, 4 none. */
export type LogLevel = 0 | 1 | 2 | 3 | 4;

export class Logger {
  level: LogLevel = 1;

  debug(...args: unknown[]): void {
    if (this.level <= 0) console.debug('[parley]', ...args);
  }
  info(...args: unknown[]): void {
    if (this.level <= 1) console.info('[parley]', ...args);
  }
  warn(...args: unknown[]): void {
    if (this.level <= 2) console.warn('[parley]', ...args);
  }
  error(...args: unknown[]): void {
    if (this.level <= 3) console.error('[parley]', ...args);
  }
}

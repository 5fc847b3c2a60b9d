/** Reconnect policy (style guide practice 18): full-jitter exponential backoff with a cap. */
export interface ReconnectContext {
  /** 0 for the first retry. */
  attempt: number;
  elapsedMs: number;
}

export interface ReconnectPolicy {
  /** Delay before the next attempt, ms; `null` stops reconnecting. */
  nextDelayMs(context: ReconnectContext): number | null;
}

export interface BackoffOptions {
  /** First delay cap, ms. Default 500. */
  minDelayMs?: number;
  /** Largest delay, ms. Default 20000. */
  maxDelayMs?: number;
}

export class FullJitterBackoff implements ReconnectPolicy {
  private readonly min: number;
  private readonly max: number;
  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.min = options.minDelayMs ?? 500;
    this.max = options.maxDelayMs ?? 20_000;
  }
  nextDelayMs({ attempt }: ReconnectContext): number {
    const cap = Math.min(this.max, this.min * 2 ** Math.min(attempt, 20));
    return Math.floor(this.random() * cap);
  }
}

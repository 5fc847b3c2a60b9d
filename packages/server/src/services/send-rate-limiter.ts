/**
 * Per-group send rate limit with priorities (AVChatRoom, spec §4.3 error 10023).
 * A token bucket per group holds up to `ratePerSecond` tokens and refills at that
 * rate. What a send needs:
 *
 *   High    always passes (takes a token when there is one): never shed
 *   Normal  ≥ 1 token
 *   Low     more than half the bucket left
 *   Lowest  more than three quarters of the bucket left
 *
 * so under load Lowest is shed first, then Low, then Normal, and High never.
 */
import type { WirePriority } from '@parley/protocol';
import type { Clock } from './clock.js';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const RESERVE: Record<WirePriority, number> = { High: 0, Normal: 0, Low: 0.5, Lowest: 0.75 };

export class SendRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private calls = 0;

  constructor(
    /** Sends per second per group; 0 disables the limit. */
    private readonly ratePerSecond: number,
    private readonly clock: Clock,
  ) {}

  /** Takes a token for a send of `priority` to `groupID`; false when the send must be shed. */
  tryAcquire(groupID: string, priority: WirePriority): boolean {
    if (this.ratePerSecond <= 0) return true;
    const now = this.clock.nowMs();
    if (++this.calls % 1024 === 0) this.prune(now);
    let bucket = this.buckets.get(groupID);
    if (!bucket) {
      bucket = { tokens: this.ratePerSecond, updatedMs: now };
      this.buckets.set(groupID, bucket);
    }
    const elapsed = Math.max(0, now - bucket.updatedMs);
    bucket.tokens = Math.min(this.ratePerSecond, bucket.tokens + (elapsed * this.ratePerSecond) / 1000);
    bucket.updatedMs = now;
    if (priority === 'High') {
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      return true;
    }
    const floor = RESERVE[priority] * this.ratePerSecond;
    if (bucket.tokens >= 1 && bucket.tokens - 1 >= floor) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Forgets buckets that have refilled (idle groups). */
  private prune(now: number): void {
    for (const [groupID, bucket] of this.buckets) {
      if (now - bucket.updatedMs > 2000) this.buckets.delete(groupID);
    }
  }
}

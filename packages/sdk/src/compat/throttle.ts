/**
 * TIM's list-event throttle (spec §6.2): the first change fires at once;
 * further changes within the window cancel any pending timer and schedule one
 * trailing emission a window later. The payload is computed at emission time.
 */
export class Throttle {
  private lastFiredAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly fire: () => void,
  ) {}

  trigger(): void {
    const now = Date.now();
    if (this.windowMs <= 0 || (now - this.lastFiredAt >= this.windowMs && !this.timer)) {
      this.lastFiredAt = now;
      this.fire();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastFiredAt = Date.now();
      this.fire();
    }, this.windowMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

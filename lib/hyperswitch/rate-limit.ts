/**
 * A token bucket per process: at most `perSecond` requests start per second (bursts up to one
 * second's worth), so that bursts wait here instead of drawing 429s from Hyperswitch (80 requests/s
 * by default per merchant, shared by every worker container).
 */
export class RateLimiter {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.tokens = perSecond;
    this.updatedAt = clock();
  }

  /** Resolves when a request may start, with how long it waited in ms (queued and throttled); callers are served in order. */
  acquire(): Promise<number> {
    const requested = this.clock();
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn.then(() => this.clock() - requested);
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.clock();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(((1 - this.tokens) / this.perSecond) * 1000);
    }
  }
}

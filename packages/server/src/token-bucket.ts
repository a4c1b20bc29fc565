/**
 * A token bucket: `rate` tokens a second, holding at most `capacity`. Starts full, so a burst up
 * to `capacity` passes at once; after that, takes are limited to `rate` a second.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = capacity
    this.last = now()
  }

  /** Takes `count` tokens; returns false, taking none, when there are not enough. */
  take(count: number): boolean {
    const now = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
    if (this.tokens < count) return false
    this.tokens -= count
    return true
  }
}

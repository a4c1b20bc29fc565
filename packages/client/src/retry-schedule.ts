import type { Backoff } from "./backoff.js"
import type { Timers } from "./socket.js"

/**
 * When the client's next connection attempt starts: the {@link Backoff} that picks each delay,
 * and the one timer that waits it out. `at` is what the status shows as `retryAt`. It knows
 * nothing of sockets; the client decides when to retry and what an attempt does.
 */
export class RetrySchedule {
  private timer: number | null = null
  private startsAt: number | null = null

  constructor(
    private readonly backoff: Backoff,
    private readonly timers: Timers,
  ) {}

  /** When the waiting attempt starts (the clock's milliseconds), or `null` with none waiting. */
  get at(): number | null {
    return this.startsAt
  }

  /** An attempt is waiting for its delay to pass. */
  get pending(): boolean {
    return this.timer !== null
  }

  /** Waits the backoff's next delay, then calls `attempt`; by then `pending` is false again. */
  schedule(attempt: () => void): void {
    const delay = this.backoff.next()
    this.startsAt = this.timers.now() + delay
    this.timer = this.timers.setTimeout(() => {
      this.timer = null
      this.startsAt = null
      attempt()
    }, delay)
  }

  /** Drops the waiting attempt, if any. */
  cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    this.startsAt = null
  }

  /** Starts the delays over, for a deliberate `connect()`. */
  reset(): void {
    this.backoff.reset()
  }

  /** A connection that was open for `openMs` ended: one that stayed up long enough starts the delays over. */
  closedAfter(openMs: number): void {
    this.backoff.closedAfter(openMs)
  }
}

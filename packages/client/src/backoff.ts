/** How long to wait between connection attempts; see {@link Backoff}. */
export interface BackoffOptions {
  /** The ceiling of the first delay, in milliseconds. Default 500. */
  readonly initialMs?: number
  /** No delay is shorter than this, so a flapping network is not hammered. Default 250. */
  readonly minMs?: number
  /** No delay is longer than this. Default 30,000. */
  readonly maxMs?: number
  /** A connection that stayed open this long resets the delays to the start. Default 10,000. */
  readonly resetAfterMs?: number
}

/** The defaults of {@link BackoffOptions}, in one place. */
export const backoffDefaults = { initialMs: 500, minMs: 250, maxMs: 30_000, resetAfterMs: 10_000 } as const

/**
 * Exponential backoff with full jitter: the n-th delay in a row is uniform between `minMs` and
 * `min(maxMs, initialMs · 2ⁿ)`. The jitter spreads out the reconnects of every client of a
 * server that restarted, which would otherwise all arrive in the same millisecond.
 */
export class Backoff {
  private readonly options: Required<BackoffOptions>
  private failures = 0

  /** `random` returns a number in [0, 1), like `Math.random`; tests pass a fixed one. */
  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.options = { ...backoffDefaults, ...options }
    const { initialMs, minMs, maxMs } = this.options
    if (!(minMs >= 0 && initialMs >= minMs && maxMs >= initialMs)) {
      throw new RangeError(`Backoff: need 0 ≤ minMs ≤ initialMs ≤ maxMs, got ${minMs}, ${initialMs}, ${maxMs}`)
    }
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { initialMs, minMs, maxMs } = this.options
    // 2ⁿ overflows to Infinity long after the cap, so Math.min keeps it finite.
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.failures)
    this.failures++
    return Math.round(minMs + this.random() * (ceiling - minMs))
  }

  /** A connection that was open for `openMs` closed: if it stayed up long enough, start over. */
  closedAfter(openMs: number): void {
    if (openMs >= this.options.resetAfterMs) this.failures = 0
  }

  /** Starts over, for a deliberate `connect()`. */
  reset(): void {
    this.failures = 0
  }
}

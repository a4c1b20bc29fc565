/** A timer made by a {@link Clock}; opaque to everyone but that clock. */
export type ClockTimer = unknown

/**
 * Time as the server reads it: what it is now, and timers. The server takes one so tests (and
 * simulations) can move time on by hand instead of waiting; see `systemClock`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Calls `fn` once after `ms` milliseconds. The timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): ClockTimer
  clearTimeout(timer: ClockTimer): void
}

/** The real clock: `Date.now` and unreferenced Node timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer = setTimeout(fn, ms)
    timer.unref()
    return timer
  },
  clearTimeout(timer: ClockTimer): void {
    clearTimeout(timer as NodeJS.Timeout)
  },
})

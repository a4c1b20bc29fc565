import type { Awareness } from "y-protocols/awareness"
import type { Connection } from "./connection.js"
import type { Timers } from "./socket.js"

/** What {@link SilenceWatchdog} asks of the client that owns the connections. */
export interface SilenceWatchdogHost {
  /** How long a connection may stay silent, in milliseconds; asked at each arming, like the client's other options. */
  silenceTimeoutMs(): number
  /** Whether `connection` is still the client's current one. */
  isCurrent(connection: Connection): boolean
  /** `connection` has been silent too long: give up on it and retry. */
  silent(connection: Connection): void
}

/**
 * Replaces a connection the server has been silent on for `silenceTimeoutMs`. Only while this
 * client shares a presence: the server's echo of its renewal is what a quiet room hears.
 * Each connection carries its own timer (`watchdog`) and the time of its last frame
 * (`lastMessageAt`, kept by the client), so nothing of an old connection outlives it.
 */
export class SilenceWatchdog {
  constructor(
    private readonly timers: Timers,
    private readonly awareness: Awareness,
    private readonly host: SilenceWatchdogHost,
  ) {}

  /** Watches `connection` from its last frame on; the client arms it when the socket opens. */
  arm(connection: Connection): void {
    const limit = this.host.silenceTimeoutMs()
    const wait = connection.lastMessageAt + limit - this.timers.now()
    connection.watchdog = this.timers.setTimeout(
      () => {
        connection.watchdog = null
        const silent = this.timers.now() - connection.lastMessageAt >= limit
        if (silent && this.awareness.getLocalState() !== null) this.host.silent(connection)
        else if (this.host.isCurrent(connection)) this.arm(connection)
      },
      wait > 0 ? wait : limit,
    )
  }

  /** Stops watching `connection`, which the client is dropping. */
  disarm(connection: Connection): void {
    if (connection.watchdog !== null) this.timers.clearTimeout(connection.watchdog)
  }
}

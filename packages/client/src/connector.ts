import { CloseCode, decodeMessages, type Message } from "@tandem/protocol"
import type { Awareness } from "y-protocols/awareness"
import { describeClose, judgeClose, judgeHttpStatus, type ClientError } from "./close-reason.js"
import { Connection } from "./connection.js"
import type { DocSync } from "./doc-sync.js"
import { clientDefaults, type ClientOptions, type ConnectionState } from "./options.js"
import type { RetrySchedule } from "./retry-schedule.js"
import { SilenceWatchdog } from "./silence-watchdog.js"
import { frameBytes, refusedStatus, socketUrl, type Timers, type WebSocketClass } from "./socket.js"
import type { TokenSource } from "./token-source.js"

/**
 * Owns the socket and its lifecycle, and is the state machine behind `status.connection`: opens
 * each socket with the current token, hands it to {@link DocSync} once open and, when it ends,
 * judges the close code to retry (when, {@link RetrySchedule} says), refresh the token or stop.
 * {@link SilenceWatchdog} replaces connections gone silent. `TandemClient` builds the status and
 * events on top of it.
 */
export class Connector {
  private readonly watchdog: SilenceWatchdog
  private connection: Connection | null = null
  private currentState: ConnectionState = "offline"
  private stopReason: ClientError | null = null
  /** The app wants a connection: set by `connect()`, cleared by `disconnect()` and `stop()`; retries and refreshes check it. */
  private wanted = false
  private isDestroyed = false

  /**
   * `changed` is called whenever `state`, `error`, `retryAt` or `synced` may have changed. The
   * client builds `retry` before `sync`, so bad backoff options throw before anything listens
   * to the document.
   */
  constructor(
    private readonly options: ClientOptions,
    private readonly WebSocket: WebSocketClass,
    private readonly timers: Timers,
    private readonly retry: RetrySchedule,
    private readonly tokens: TokenSource,
    private readonly sync: DocSync,
    awareness: Awareness,
    private readonly changed: () => void,
  ) {
    this.watchdog = new SilenceWatchdog(timers, awareness, {
      silenceTimeoutMs: () => this.options.silenceTimeoutMs ?? clientDefaults.silenceTimeoutMs,
      isCurrent: (connection) => this.connection === connection,
      silent: (connection) => this.lose(connection),
    })
  }

  /** How the client stands with the server; see {@link ConnectionState}. */
  get state(): ConnectionState {
    return this.currentState
  }

  /** Why it stopped, in the `unauthorized` and `error` states; otherwise `null`. */
  get error(): ClientError | null {
    return this.stopReason
  }

  /** When the next attempt starts, while one is waiting; otherwise `null`. */
  get retryAt(): number | null {
    return this.retry.at
  }

  /** The server's state arrived on the current connection. */
  get synced(): boolean {
    return this.connection?.synced ?? false
  }

  /** `destroy()` was called: it never connects again. */
  get destroyed(): boolean {
    return this.isDestroyed
  }

  /**
   * Starts connecting, unless already trying; see `TandemClient.connect`.
   *
   * @throws {Error} after `destroy()`.
   */
  connect(): void {
    if (this.isDestroyed) throw new Error("TandemClient: connect() after destroy()")
    if (this.wanted && this.currentState !== "unauthorized" && this.currentState !== "error") return
    this.wanted = true
    this.retry.reset()
    this.tokens.resetRefreshes()
    this.retry.cancel()
    this.setState("connecting")
    void this.open()
  }

  /** Closes the connection, telling others this user left, and stops reconnecting. */
  disconnect(): void {
    this.wanted = false
    this.retry.cancel()
    this.dropConnection(true)
    this.setState("offline")
  }

  /** Disconnects for good: `connect()` throws from now on. */
  destroy(): void {
    this.disconnect()
    this.isDestroyed = true
  }

  /**
   * Stops for good (until `connect()`), in `unauthorized` or `error`. The client calls it too,
   * when {@link DocSync} will not send an update the server would refuse.
   */
  stop(state: "unauthorized" | "error", error: ClientError): void {
    this.wanted = false
    this.retry.cancel()
    this.dropConnection(false)
    this.stopReason = error
    this.setState(state)
  }

  private async open(): Promise<void> {
    await this.sync.restored
    const token = await this.tokens.beforeConnecting()
    if (!this.wanted || this.isDestroyed || this.connection || this.retry.pending) return
    let socket
    try {
      socket = new this.WebSocket(socketUrl(this.options.url, this.options.doc, token))
    } catch (error) {
      this.stop("error", { code: CloseCode.Malformed, message: `Could not open a connection to ${this.options.url}: ${String(error)}` })
      return
    }
    const connection = new Connection(socket)
    this.connection = connection
    socket.binaryType = "arraybuffer"
    socket.onopen = () => {
      if (this.connection === connection) this.opened(connection)
    }
    socket.onmessage = (event) => {
      if (this.connection === connection) this.received(connection, event.data)
    }
    socket.onerror = (event) => {
      connection.refusedStatus ??= refusedStatus(event)
    }
    socket.onclose = (event) => {
      if (this.connection === connection) this.closed(connection, event.code)
    }
  }

  private opened(connection: Connection): void {
    connection.opened = true
    connection.openedAt = connection.lastMessageAt = this.timers.now()
    this.sync.attach(connection)
    this.watchdog.arm(connection)
    this.setState("connected")
  }

  private received(connection: Connection, data: unknown): void {
    connection.lastMessageAt = this.timers.now()
    const bytes = frameBytes(data)
    let messages: Message[]
    try {
      if (!bytes) throw new Error("text frame")
      messages = decodeMessages(bytes)
    } catch {
      // The server (or a proxy) sent something this client cannot read: start over.
      this.lose(connection)
      return
    }
    try {
      for (const message of messages) {
        if (this.connection !== connection) return
        this.sync.receive(connection, message)
      }
    } catch {
      // Yjs refused what the server sent (the decoder checked it, so this should not happen).
      // Nothing may escape a socket callback; a fresh connection resyncs from scratch.
      this.lose(connection)
    }
  }

  private closed(connection: Connection, code: number): void {
    this.forget(connection)
    const verdict = !connection.opened && connection.refusedStatus !== null ? judgeHttpStatus(connection.refusedStatus) : judgeClose(code)
    if (verdict.action === "stop") this.stop("error", verdict.error)
    else if (verdict.action === "refresh-token") void this.refreshToken()
    // Never opened: maybe an upgrade refused for an expired token the runtime does not reveal.
    else this.scheduleRetry(!connection.opened)
  }

  private async refreshToken(): Promise<void> {
    this.setState("connecting")
    if (!(await this.tokens.refresh())) {
      this.stop("unauthorized", { code: CloseCode.Unauthorized, message: describeClose(CloseCode.Unauthorized) })
      return
    }
    if (this.wanted && !this.isDestroyed) await this.open()
  }

  /** Gives up on a connection from this side (unreadable or silent) and retries. */
  private lose(connection: Connection): void {
    if (this.connection !== connection) return
    this.forget(connection)
    this.scheduleRetry(false)
  }

  /** Drops a connection that ended, and lets the backoff know how long it lasted. */
  private forget(connection: Connection): void {
    this.dropConnection(false)
    this.retry.closedAfter(connection.opened ? this.timers.now() - connection.openedAt : 0)
  }

  private scheduleRetry(refreshToken: boolean): void {
    if (!this.wanted || this.isDestroyed) return
    this.retry.schedule(() => {
      if (refreshToken) this.tokens.refreshQuietly()
      void this.open()
    })
    this.setState("offline")
  }

  /** Closes the current socket, if any, and forgets what peers said through it. */
  private dropConnection(leaving: boolean): void {
    const connection = this.connection
    if (!connection) return
    this.connection = null
    this.watchdog.disarm(connection)
    this.sync.detach(leaving && connection.opened)
    connection.close()
  }

  private setState(state: ConnectionState): void {
    if (state !== "unauthorized" && state !== "error") this.stopReason = null
    this.currentState = state
    this.changed()
  }
}

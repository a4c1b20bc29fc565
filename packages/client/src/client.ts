import { CloseCode, decodeMessages, type Message } from "@tandem/protocol"
import { Awareness } from "y-protocols/awareness"
import * as Y from "yjs"
import { Backoff } from "./backoff.js"
import { describeClose, judgeClose, judgeHttpStatus, type ClientError } from "./close-reason.js"
import { Connection } from "./connection.js"
import { DocSync } from "./doc-sync.js"
import { Emitter } from "./emitter.js"
import { limitDefaults } from "./limits.js"
import type { ClientEvents, ClientOptions, ClientStatus, ConnectionState } from "./options.js"
import { frameBytes, globalWebSocket, refusedStatus, socketUrl, systemTimers, type Timers, type WebSocketClass } from "./socket.js"
import { TokenSource } from "./token-source.js"

/** The defaults of {@link ClientOptions}, in one place (limits and backoff have their own). */
export const clientDefaults = { connect: true, silenceTimeoutMs: 30_000 } as const

/** Normal closure, for sockets this client closes itself. */
const closedByClient = 1000

/**
 * Connects a Y.Doc to one document on a Tandem server (or any y-websocket server) and keeps it
 * connected: this class owns the socket and its lifecycle (reconnects, tokens, close codes, the
 * silence watchdog); {@link DocSync} speaks the protocol on whichever connection is current.
 * Built by {@link createClient}; the package README has the contract.
 */
export class TandemClient {
  /** The synced document. */
  readonly ydoc: Y.Doc
  /** Presence shared with everyone on the document. */
  readonly awareness: Awareness
  private readonly events = new Emitter<ClientEvents>()
  private readonly sync: DocSync
  private readonly backoff: Backoff
  private readonly timers: Timers
  private readonly tokens: TokenSource
  private readonly WebSocket: WebSocketClass
  private readonly ownsAwareness: boolean
  private connection: Connection | null = null
  private state: ConnectionState = "offline"
  private error: ClientError | null = null
  private retryTimer: number | null = null
  private retryAt: number | null = null
  private wanted = false
  private destroyed = false

  constructor(private readonly options: ClientOptions) {
    if (!options.url || !options.doc) throw new TypeError("createClient: url and doc are required")
    this.WebSocket = options.WebSocket ?? globalWebSocket()
    this.ydoc = options.ydoc ?? new Y.Doc()
    this.ownsAwareness = !options.awareness
    this.awareness = options.awareness ?? new Awareness(this.ydoc)
    this.timers = options.timers ?? systemTimers()
    this.backoff = new Backoff(options.backoff, options.random)
    this.tokens = new TokenSource(options.token ?? null, options.getToken ?? null, (error) => this.callbackFailed("getToken", error))
    const limits = { ...limitDefaults, ...options.limits }
    this.sync = new DocSync(this.ydoc, this.awareness, limits, new Set(options.ignoreOrigins ?? []), options.unsavedStore ?? null, {
      changed: () => this.changed(),
      synced: () => {
        this.tokens.resetRefreshes()
        this.events.emit("synced", this.status)
        this.changed()
      },
      saved: () => {
        this.events.emit("saved", this.status)
        this.changed()
      },
      refused: (error) => this.stop("error", error),
      storeFailed: (error) => this.callbackFailed("unsavedStore", error),
    })
    if (options.connect ?? clientDefaults.connect) this.connect()
  }

  /** The current status, as the last `status` event carried it. */
  get status(): ClientStatus {
    return {
      connection: this.state,
      synced: this.connection?.synced ?? false,
      unsaved: this.sync.unsaved,
      savesConfirmed: this.sync.savesConfirmed,
      readOnly: this.sync.readOnly,
      error: this.error,
      retryAt: this.retryAt,
    }
  }

  /** Calls `listener` on every `event` until the returned function is called. */
  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.events.on(event, listener)
  }

  /**
   * Why an edit inserting `bytes` bytes (the UTF-8 of pasted text, say) could never be accepted
   * by the server, as a sentence to show; `null` when it could. Call it before applying an edit:
   * an update over the frame limit that reaches the document is never sent, and stops the client.
   */
  check(bytes: number): string | null {
    return this.sync.check(bytes)
  }

  /** Uses `token` from the next connection on (after a sign-in, say). `null` sends none. */
  setToken(token: string | null): void {
    this.tokens.set(token)
    // Another token may grant other access; the server says "read-only" again on the next write.
    this.sync.readOnly = false
  }

  /** Resolves once the server's state has arrived on the current connection. */
  whenSynced(): Promise<void> {
    if (this.connection?.synced) return Promise.resolve()
    return new Promise((resolve) => {
      const stop = this.events.on("synced", () => {
        stop()
        resolve()
      })
    })
  }

  /**
   * Starts connecting, and keeps reconnecting until `disconnect()` or a close code retrying
   * cannot change. Also the way out of `unauthorized` and `error`, once the cause is dealt with.
   * With an `unsavedStore`, the first socket opens only after the stored count is read.
   *
   * @throws {Error} after `destroy()`.
   */
  connect(): void {
    if (this.destroyed) throw new Error("TandemClient: connect() after destroy()")
    if (this.wanted && this.state !== "unauthorized" && this.state !== "error") return
    this.wanted = true
    this.backoff.reset()
    this.tokens.resetRefreshes()
    this.cancelRetry()
    this.setState("connecting")
    void this.open()
  }

  /** Closes the connection, telling others this user left, and stops reconnecting. Edits keep counting as unsaved. */
  disconnect(): void {
    this.wanted = false
    this.cancelRetry()
    this.dropConnection(true)
    this.setState("offline")
  }

  /** Disconnects and releases every listener and timer; also destroys the awareness it created. */
  destroy(): void {
    if (this.destroyed) return
    this.disconnect()
    this.destroyed = true
    this.sync.destroy()
    if (this.ownsAwareness) this.awareness.destroy()
    this.events.clear()
  }

  private async open(): Promise<void> {
    await this.sync.restored
    const token = await this.tokens.beforeConnecting()
    if (!this.wanted || this.destroyed || this.connection || this.retryTimer !== null) return
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
    this.armWatchdog(connection)
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
    if (this.wanted && !this.destroyed) await this.open()
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
    this.backoff.closedAfter(connection.opened ? this.timers.now() - connection.openedAt : 0)
  }

  private scheduleRetry(refreshToken: boolean): void {
    if (!this.wanted || this.destroyed) return
    const delay = this.backoff.next()
    this.retryAt = this.timers.now() + delay
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null
      this.retryAt = null
      if (refreshToken) this.tokens.refreshQuietly()
      void this.open()
    }, delay)
    this.setState("offline")
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.retryAt = null
  }

  /** Stops for good (until `connect()`), in `unauthorized` or `error`. */
  private stop(state: "unauthorized" | "error", error: ClientError): void {
    this.wanted = false
    this.cancelRetry()
    this.dropConnection(false)
    this.error = error
    this.setState(state)
  }

  /** Closes the current socket, if any, and forgets what peers said through it. */
  private dropConnection(leaving: boolean): void {
    const connection = this.connection
    if (!connection) return
    this.connection = null
    if (connection.watchdog !== null) this.timers.clearTimeout(connection.watchdog)
    this.sync.detach(leaving && connection.opened)
    const socket = connection.socket
    socket.onopen = socket.onmessage = socket.onclose = null
    // Closing a socket that is still connecting reports an error; Node rethrows unhandled ones.
    socket.onerror = () => {}
    try {
      socket.close(closedByClient, "client closed")
    } catch {
      // Already closed.
    }
  }

  /**
   * Replaces a connection the server has been silent on for `silenceTimeoutMs`. Only while this
   * client shares a presence: the server's echo of its renewal is what a quiet room hears.
   */
  private armWatchdog(connection: Connection): void {
    const limit = this.options.silenceTimeoutMs ?? clientDefaults.silenceTimeoutMs
    const wait = connection.lastMessageAt + limit - this.timers.now()
    connection.watchdog = this.timers.setTimeout(
      () => {
        connection.watchdog = null
        const silent = this.timers.now() - connection.lastMessageAt >= limit
        if (silent && this.awareness.getLocalState() !== null) this.lose(connection)
        else if (this.connection === connection) this.armWatchdog(connection)
      },
      wait > 0 ? wait : limit,
    )
  }

  private callbackFailed(callback: "getToken" | "unsavedStore", error: unknown): void {
    this.events.emit("callback-failed", { callback, error })
  }

  private setState(state: ConnectionState): void {
    if (state !== "unauthorized" && state !== "error") this.error = null
    this.state = state
    this.changed()
  }

  private changed(): void {
    if (!this.destroyed) this.events.emit("status", this.status)
  }
}

/**
 * Creates a client for one document and, unless `connect: false`, starts connecting.
 *
 * @throws {TypeError} without `url` or `doc`, or without a WebSocket class in a runtime that has
 *   no global one.
 */
export function createClient(options: ClientOptions): TandemClient {
  return new TandemClient(options)
}

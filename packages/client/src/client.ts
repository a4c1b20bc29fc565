import { Awareness } from "y-protocols/awareness"
import * as Y from "yjs"
import { Backoff } from "./backoff.js"
import { Connector } from "./connector.js"
import { DocSync } from "./doc-sync.js"
import { Emitter } from "./emitter.js"
import { limitDefaults } from "./limits.js"
import { clientDefaults, type ClientEvents, type ClientOptions, type ClientStatus } from "./options.js"
import { RetrySchedule } from "./retry-schedule.js"
import { globalWebSocket, systemTimers } from "./socket.js"
import { TokenSource } from "./token-source.js"

/**
 * Connects a Y.Doc to one document on a Tandem server (or any y-websocket server) and keeps it
 * connected. This class is what the app holds: it builds the parts and reports their status and
 * events. {@link Connector} owns the socket and its lifecycle (reconnects, tokens, close codes,
 * the silence watchdog); {@link DocSync} speaks the protocol on whichever connection is current.
 * Built by {@link createClient}; the package README has the contract.
 */
export class TandemClient {
  /** The synced document. */
  readonly ydoc: Y.Doc
  /** Presence shared with everyone on the document. */
  readonly awareness: Awareness
  private readonly events = new Emitter<ClientEvents>()
  private readonly sync: DocSync
  private readonly connector: Connector
  private readonly tokens: TokenSource
  private readonly ownsAwareness: boolean

  constructor(options: ClientOptions) {
    if (!options.url || !options.doc) throw new TypeError("createClient: url and doc are required")
    const WebSocket = options.WebSocket ?? globalWebSocket()
    this.ydoc = options.ydoc ?? new Y.Doc()
    this.ownsAwareness = !options.awareness
    this.awareness = options.awareness ?? new Awareness(this.ydoc)
    const timers = options.timers ?? systemTimers()
    // Built before DocSync, so bad backoff options throw before anything listens to the document.
    const retry = new RetrySchedule(new Backoff(options.backoff, options.random), timers)
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
      refused: (error) => this.connector.stop("error", error),
      storeFailed: (error) => this.callbackFailed("unsavedStore", error),
    })
    this.connector = new Connector(options, WebSocket, timers, retry, this.tokens, this.sync, this.awareness, () => this.changed())
    if (options.connect ?? clientDefaults.connect) this.connect()
  }

  /** The current status, as the last `status` event carried it. */
  get status(): ClientStatus {
    return {
      connection: this.connector.state,
      synced: this.connector.synced,
      unsaved: this.sync.unsaved,
      savesConfirmed: this.sync.savesConfirmed,
      readOnly: this.sync.readOnly,
      error: this.connector.error,
      retryAt: this.connector.retryAt,
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
    if (this.connector.synced) return Promise.resolve()
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
    this.connector.connect()
  }

  /** Closes the connection, telling others this user left, and stops reconnecting. Edits keep counting as unsaved. */
  disconnect(): void {
    this.connector.disconnect()
  }

  /** Disconnects and releases every listener and timer; also destroys the awareness it created. */
  destroy(): void {
    if (this.connector.destroyed) return
    this.connector.destroy()
    this.sync.destroy()
    if (this.ownsAwareness) this.awareness.destroy()
    this.events.clear()
  }

  private callbackFailed(callback: "getToken" | "unsavedStore", error: unknown): void {
    this.events.emit("callback-failed", { callback, error })
  }

  private changed(): void {
    if (!this.connector.destroyed) this.events.emit("status", this.status)
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

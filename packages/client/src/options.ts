import type { Awareness } from "y-protocols/awareness"
import type * as Y from "yjs"
import type { BackoffOptions } from "./backoff.js"
import type { ClientError } from "./close-reason.js"
import type { ClientLimits } from "./limits.js"
import type { Timers, WebSocketClass } from "./socket.js"

/**
 * Where the unsaved count is kept across reloads. The shape of y-indexeddb's
 * `IndexeddbPersistence` (`get(key)`, `set(key, value)`), so the browser copy can be passed as is.
 */
export interface UnsavedStore {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<unknown>
}

/** Options of {@link createClient}. Defaults are declared in one place, {@link clientDefaults}. */
export interface ClientOptions {
  /** The server's sync URL, without the document: `wss://example.com/sync`. */
  readonly url: string
  /** The document name, as the server names it (`team/notes`); `/` is kept as a path separator. */
  readonly doc: string
  /** The document to sync. Default: a new `Y.Doc`. */
  readonly ydoc?: Y.Doc
  /** Presence to share. Default: a new `Awareness` of `ydoc`, destroyed with the client. */
  readonly awareness?: Awareness
  /** A token for servers with auth; sent as the `token` query parameter. */
  readonly token?: string
  /**
   * Gives a fresh token. Called when the server closes with 4401 (expired or missing sign-in),
   * before the first connection when there is no `token`, and, when an attempt failed before the
   * socket opened, before retrying (browsers hide an upgrade's 401, so the client cannot tell an
   * expired token from a network failure; return the same token if it is still good). On 4401,
   * a failure or an empty answer puts the client in the `unauthorized` state.
   */
  readonly getToken?: () => Promise<string | null | undefined> | string | null | undefined
  /** The WebSocket class. Default `globalThis.WebSocket`; in Node pass `ws`'s default export. */
  readonly WebSocket?: WebSocketClass
  /** Connect right away. Default `true`; pass `false` to load a local copy first, then call `connect()`. */
  readonly connect?: boolean
  /** Keeps the unsaved count across reloads; restored before the first connection opens. */
  readonly unsavedStore?: UnsavedStore | null
  /**
   * Transaction origins whose changes are sent but are not edits of this session: loading the
   * browser copy, for one (its edits are counted through `unsavedStore` instead).
   */
  readonly ignoreOrigins?: readonly unknown[]
  /** The server's size limits. Default: the server's defaults. */
  readonly limits?: ClientLimits
  /** Reconnect delays. */
  readonly backoff?: BackoffOptions
  /**
   * With no frame from the server for this long, the connection is taken as dead and replaced.
   * The server relays each client's awareness renewal (every 15 s) back to it, so a live
   * connection is never this quiet while this client shares a presence. Default 30,000.
   */
  readonly silenceTimeoutMs?: number
  /** Timers and clock. Default: the host's. */
  readonly timers?: Timers
  /** A number in [0, 1) for the backoff's jitter. Default `Math.random`. */
  readonly random?: () => number
}

/** The defaults of {@link ClientOptions}, in one place (limits and backoff have their own). */
export const clientDefaults = { connect: true, silenceTimeoutMs: 30_000 } as const

/**
 * How the client stands with the server:
 * - `connecting`: the first attempt after `connect()` is under way;
 * - `connected`: a socket is open (see `synced` for the handshake);
 * - `offline`: a connection was lost or failed, or `disconnect()` was called; with `retryAt` set,
 *   the client retries then;
 * - `unauthorized`: the server wants a new sign-in and `getToken` gave none (call `setToken` and `connect`);
 * - `error`: the server said retrying cannot help; `error` says why.
 */
export type ConnectionState = "connecting" | "connected" | "offline" | "unauthorized" | "error"

/** Everything the client knows about its sync, as one object; see `client.status`. */
export interface ClientStatus {
  readonly connection: ConnectionState
  /** The server's state arrived on the current connection (its sync step 2). */
  readonly synced: boolean
  /** Local edits (changing transactions, not characters) the server has not confirmed as stored. */
  readonly unsaved: number
  /** The server confirms saves (Tandem's ack extension); a stock y-websocket server does not, and `unsaved` then never falls. */
  readonly savesConfirmed: boolean
  /** The server refused a change because this connection may only read. It says so only on a write. */
  readonly readOnly: boolean
  /** Why the client stopped, in the `error` and `unauthorized` states; otherwise `null`. */
  readonly error: ClientError | null
  /** When the next attempt starts (the clock's milliseconds) while offline and retrying; otherwise `null`. */
  readonly retryAt: number | null
}

/** Events of a client, by name. */
export interface ClientEvents {
  /** Any field of the status changed; the payload is the whole new status. */
  status: ClientStatus
  /** The server's state arrived on a new connection. */
  synced: ClientStatus
  /** The server confirmed more edits as stored. */
  saved: ClientStatus
  /** A caller-supplied callback (`getToken`, the `unsavedStore`) failed; the client carried on as documented. */
  "callback-failed": { readonly callback: "getToken" | "unsavedStore"; readonly error: unknown }
}

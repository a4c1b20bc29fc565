import { CloseCode, type Message } from "@tandem/protocol"
import { AuthError, openAuthorizer, type Authorizer, type Grant } from "./auth.js"
import { systemClock, type Clock } from "./clock.js"
import { Connection, type ConnectionHandler, type Socket } from "./connection.js"
import { StorageError, type DocumentStore, type Quarantine, type VersionInfo } from "./document-store.js"
import { Emitter } from "./emitter.js"
import { History, type HistoryOptions } from "./history.js"
import { defaultRetention, type RetentionPolicy } from "./retention.js"
import { createConsoleLogger, type Logger } from "./logger.js"
import { localBus, type RoomBus } from "./room-bus.js"
import { RoomManager } from "./room-manager.js"
import type { Room } from "./room.js"
import { Traffic } from "./traffic.js"
import { CollabGateway } from "./collab/collab-gateway.js"
import { Webhooks, type WebhookOptions } from "./webhooks/webhooks.js"

/**
 * Limits on what one peer may do, so no one can hurt anyone else. The defaults leave room for a
 * fast typist, a paste of a large file, a client replaying its offline edits and an office of
 * people behind one IP address.
 */
export interface Limits {
  /** Largest frame a client may send; a larger one closes the connection with 1009. */
  readonly maxFrameBytes: number
  /** Largest document (estimated from stored and accepted updates); an update that would pass it is refused with 1009. */
  readonly maxDocumentBytes: number
  /** Largest awareness state of one client, as JSON; a larger one closes with 1009. */
  readonly maxAwarenessStateBytes: number
  /** Messages a connection may send per second on average (bursts up to ten times that pass); more closes with 1008. */
  readonly maxMessagesPerSecond: number
  /** Bytes a connection may send per second on average (bursts up to two frames of the maximum size pass); more closes with 1008. */
  readonly maxBytesPerSecond: number
  /** Bytes of updates a document may hold waiting on missing dependencies; the update that passes it closes with 1008. */
  readonly maxPendingBytes: number
  /** Open connections in all; more are refused with HTTP 503. */
  readonly maxConnections: number
  /** Open connections from one IP address; more are refused with HTTP 503. */
  readonly maxConnectionsPerIp: number
  /** Bytes waiting to be sent to one peer; a peer that does not read past this is dropped. */
  readonly maxBufferedBytes: number
  /** Frames a connection may send before its document has loaded; more closes with 1008. */
  readonly maxQueuedFrames: number
}

/** Options of {@link createSyncServer}. Only `store` is required. */
export interface SyncServerOptions {
  /** Where documents are kept. The server never closes it; its owner does, after `close()`. */
  readonly store: DocumentStore
  readonly logger?: Logger
  /** Decides who may open which document; by default everyone may read and write everything. */
  readonly authorizer?: Authorizer
  /** Cross-instance fan-out; a server running alone needs none. */
  readonly bus?: RoomBus
  readonly limits?: Partial<Limits>
  /** Each room compacts at between 0.75 and 1.25 times these, so rooms do not compact together. */
  readonly compaction?: {
    /** Fold the update log into a snapshot once it holds this many updates. Default 1,000. */
    readonly afterUpdates?: number
    /** ... or this many bytes. Default 1 MiB. */
    readonly afterBytes?: number
  }
  readonly storageRetry?: {
    /** Delay before the first retry of a failed write. Default 100 ms, doubling each time. */
    readonly initialDelayMs?: number
    /** Longest delay between retries. Default 5 s. */
    readonly maxDelayMs?: number
  }
  /**
   * Automatic versions and their retention, when the store keeps versions; `false` takes none
   * automatically (versions can still be named through the API).
   */
  readonly history?: false | { readonly idleMs?: number; readonly maxIntervalMs?: number; readonly retention?: Partial<RetentionPolicy> }
  /** Time as the server reads it, for versions and their schedule. Default: the system clock. */
  readonly clock?: Clock
  /**
   * With a bus: how long a gap in a document's numbering (another instance's update that has not
   * arrived, though a later one has) may last before the room reads it from storage. Default 200 ms.
   */
  readonly gapDelayMs?: number
  /** The `/collab` endpoint for `@codemirror/collab` clients. */
  readonly collab?: {
    /** Updates each room keeps for collab clients that reconnect; one further behind is sent the document again. Default 1,000. */
    readonly maxLogUpdates?: number
  }
  /** Deliver events to a URL, signed, at least once; needs a store with an `outbox`. */
  readonly webhooks?: WebhookOptions
}

/** Defaults of every option, in one place. */
export const defaults = {
  limits: {
    maxFrameBytes: 16 << 20,
    maxDocumentBytes: 64 << 20,
    maxAwarenessStateBytes: 64 << 10,
    maxMessagesPerSecond: 1000,
    maxBytesPerSecond: 8 << 20,
    maxPendingBytes: 4 << 20,
    maxConnections: 10_000,
    maxConnectionsPerIp: 500,
    maxBufferedBytes: 32 << 20,
    maxQueuedFrames: 1000,
  } satisfies Limits,
  compaction: { afterUpdates: 1000, afterBytes: 1 << 20 },
  storageRetry: { initialDelayMs: 100, maxDelayMs: 5000 },
  history: { idleMs: 2 * 60_000, maxIntervalMs: 10 * 60_000, retention: defaultRetention },
  collab: { maxLogUpdates: 1000 },
} as const

/** Events of a {@link SyncServer}, by name. */
export interface ServerEvents {
  "room-loaded": { readonly doc: string; readonly ms: number }
  "room-unloaded": { readonly doc: string }
  "connection-opened": { readonly doc: string; readonly connection: number; readonly user: string | null }
  "connection-closed": { readonly doc: string; readonly connection: number; readonly user: string | null }
  "connection-failed": { readonly doc: string; readonly connection: number; readonly code: number; readonly error: unknown }
  "save-failed": { readonly doc: string; readonly error: StorageError; readonly attempt: number }
  compacted: { readonly doc: string; readonly head: number; readonly bytes: number }
  quarantined: { readonly doc: string; readonly parts: Quarantine }
  "version-created": { readonly doc: string; readonly version: VersionInfo }
  "document-deleted": { readonly doc: string }
  /**
   * Storage failed to load the document a connection was opening; it is closed with 1011. Each
   * connection waiting on the failed load gets one.
   */
  "load-failed": { readonly doc: string; readonly error: StorageError }
  /**
   * A storage transaction of accepted updates committed, after `ms` milliseconds. With a store
   * that has `appendMany`, the documents that wrote in one turn of the event loop share one.
   */
  "commit-finished": { readonly ms: number; readonly updates: number }
  /**
   * The transport refused an upgrade request before any socket existed: `status` is the HTTP
   * status it answered, `doc` the document asked for once the name was read.
   */
  "upgrade-refused": { readonly status: number; readonly reason: UpgradeRefusal; readonly doc: string | null }
  /**
   * The transport cut a peer off without a closing handshake: it stopped reading (`slow`, its
   * unsent frames passed `maxBufferedBytes`) or did not answer a ping (`ping`).
   */
  "peer-dropped": { readonly doc: string; readonly connection: number; readonly reason: "slow" | "ping" }
  /** With a bus: a room read from storage updates of other instances the bus had not brought. */
  "bus-gap-filled": { readonly doc: string }
}

/**
 * Why an upgrade request was refused, with the HTTP status each gets: `not-found` (404, not a
 * sync path), `bad-name` (400, not a valid document name), `bad-handshake` (400, not a valid
 * WebSocket handshake), `origin` (403, an origin not allowed), `connections` and
 * `connections-per-ip` (503, a connection limit), `unauthenticated` (401) and `forbidden` (403)
 * from the authorizer, `authorizer-failed` (500, the authorizer threw something else).
 */
export type UpgradeRefusal =
  | "not-found"
  | "bad-name"
  | "bad-handshake"
  | "origin"
  | "connections"
  | "connections-per-ip"
  | "unauthenticated"
  | "forbidden"
  | "authorizer-failed"

/** What a connection's client speaks: see {@link SyncServer.connect}. */
export type ClientProtocol = "y-websocket" | "collab"

/** A loaded room as operators see it; see {@link SyncServer.roomsOverview}. */
export interface RoomOverview {
  readonly name: string
  readonly connections: number
  /** Distinct connected users (tokens' `sub`); anonymous connections are not listed. */
  readonly users: readonly string[]
  /** Estimated size of the document in bytes. */
  readonly bytes: number
  /** Updates accepted and not yet committed. */
  readonly pendingWrites: number
  /** When the document last changed on this instance (milliseconds since the epoch), or `null`. */
  readonly lastChange: number | null
}

/** Counts since the server started, for monitoring. */
export interface ServerStats {
  /** Failed storage writes (each retry counts). */
  readonly saveFailures: number
  /** Documents storage failed to load. */
  readonly loadFailures: number
  /** Stored parts moved aside because they did not decode. */
  readonly quarantined: number
  readonly rooms: number
  readonly connections: number
  /** Updates appended in every room and not yet committed. */
  readonly pendingWrites: number
}

/** A Yjs document server, independent of any transport. Built by {@link createSyncServer}. */
export interface SyncServer {
  /**
   * What happens, as it happens: rooms, connections, commits, storage failures, and what the
   * transport refuses or drops (which it reports here too).
   */
  readonly events: Emitter<ServerEvents>
  /** Running totals of updates, deliveries, bytes and bus messages, which the transport adds to as well. */
  readonly traffic: Traffic
  /** Whether other instances serve the same documents (a bus other than `localBus` is configured). */
  readonly shared: boolean
  readonly rooms: RoomManager
  readonly limits: Limits
  readonly logger: Logger
  readonly authorizer: Authorizer
  readonly store: DocumentStore
  readonly clock: Clock
  /** Version history, or `null` when the store keeps no versions. */
  readonly history: History | null
  /**
   * Opens a connection on document `doc` (a valid name; the transport checks it) over `socket`,
   * with what the authorizer granted. The transport passes it every frame and tells it when the
   * socket closes. A grant that expires closes the connection with 4401. `protocol` is what the
   * client speaks: y-websocket (binary frames, the default) or the collab protocol of
   * `@codemirror/collab` clients (JSON text; see PROTOCOL.md), on the same rooms.
   */
  connect(socket: Socket, doc: string, grant?: Grant, protocol?: ClientProtocol): Connection
  /**
   * The text of `doc` once everything in it is stored, loading it if needed, or `null` when
   * nothing was ever stored under that name. Rejects with a StorageError when loading fails.
   */
  readText(doc: string): Promise<string | null>
  /**
   * Runs `fn` on the room of `doc` (loading it if needed) once everything in it is stored, and
   * gives the room back when what `fn` returns has settled. Every change the server makes to a
   * document goes through the room's write path from here. Rejects with a StorageError when
   * loading fails, and with whatever `fn` throws.
   */
  withRoom<T>(doc: string, fn: (room: Room) => T | Promise<T>): Promise<T>
  /**
   * Deletes a document and its history: its connections are closed with 4404 and the name loads
   * empty again. Resolves to whether anything was stored under it.
   */
  deleteDocument(doc: string): Promise<boolean>
  /** What operators see of each loaded room (the admin API). */
  roomsOverview(): RoomOverview[]
  /**
   * Closes every open connection of user `userId` at once with 4403: revocation that takes
   * effect now rather than when the token expires. Returns how many were closed.
   */
  disconnectUser(userId: string): number
  /**
   * Closes every connection on `doc` with 1001, so the room unloads once everything in it is
   * stored. Returns whether it was loaded.
   */
  unloadRoom(doc: string): boolean
  /** Counts since start: storage failures, quarantined parts; rooms, connections and pending writes now. */
  stats(): ServerStats
  /**
   * Stops: refuses new connections, closes open ones with 1001 and resolves once every room has
   * stored everything.
   */
  close(): Promise<void>
}

/**
 * Builds a sync server.
 *
 * @throws {TypeError} when `store` is missing, a limit is not a positive number, or webhooks are
 *   asked of a store without an outbox or with a bad URL or secret.
 */
export function createSyncServer(options: SyncServerOptions): SyncServer {
  if (!options?.store) throw new TypeError("createSyncServer: options.store is required")
  const limits: Limits = { ...defaults.limits, ...options.limits }
  for (const [name, value] of Object.entries(limits)) {
    if (!(typeof value === "number" && value > 0)) throw new TypeError(`createSyncServer: limits.${name} must be a positive number`)
  }
  if (options.webhooks && !options.store.outbox) throw new TypeError("createSyncServer: webhooks need a store with an outbox")
  return new Server(options, limits)
}

class Server implements SyncServer, ConnectionHandler {
  readonly events: Emitter<ServerEvents>
  readonly rooms: RoomManager
  readonly logger: Logger
  readonly authorizer: Authorizer
  readonly store: DocumentStore
  readonly clock: Clock
  readonly history: History | null
  readonly traffic = new Traffic()
  private readonly webhooks: Webhooks | null
  private readonly connections = new Set<Connection>()
  /** Serves the collab protocol's connections, on the same rooms. */
  private readonly collab: CollabGateway
  readonly shared: boolean
  private readonly counters = { saveFailures: 0, loadFailures: 0, quarantined: 0 }
  private nextConnectionId = 1
  private closing: Promise<void> | null = null

  constructor(
    options: SyncServerOptions,
    readonly limits: Limits,
  ) {
    const logger = (this.logger = options.logger ?? createConsoleLogger())
    this.authorizer = options.authorizer ?? openAuthorizer
    this.events = new Emitter((error, event) => logger.error("event listener failed", { event: String(event), error }))
    const compaction = { ...defaults.compaction, ...options.compaction }
    const retry = { ...defaults.storageRetry, ...options.storageRetry }
    this.store = options.store
    this.shared = options.bus !== undefined && options.bus !== localBus
    this.clock = options.clock ?? systemClock
    this.collab = new CollabGateway({ maxLogUpdates: options.collab?.maxLogUpdates ?? defaults.collab.maxLogUpdates })
    this.history = options.store.versions ? this.createHistory(options.store.versions, options.history ?? {}) : null
    this.webhooks =
      options.webhooks && options.store.outbox
        ? new Webhooks(options.webhooks, {
            outbox: options.store.outbox,
            clock: this.clock,
            logger,
            counters: this.traffic,
            sizeOf: (doc) => this.withRoom(doc, (room) => (room.exists ? room.encodeState().byteLength : null)),
          })
        : null
    this.rooms = new RoomManager({
      store: options.store,
      bus: options.bus ?? localBus,
      gapDelayMs: options.gapDelayMs ?? 200,
      now: () => this.clock.now(),
      compactAfterUpdates: compaction.afterUpdates,
      compactAfterBytes: compaction.afterBytes,
      retryDelayMs: retry.initialDelayMs,
      maxRetryDelayMs: retry.maxDelayMs,
      onLoaded: (room, ms) => this.events.emit("room-loaded", { doc: room.name, ms }),
      onUnloaded: (room) => this.events.emit("room-unloaded", { doc: room.name }),
      onStorageError: (error, attempt) => {
        this.counters.saveFailures++
        logger.error("storage write failed", { doc: error.doc, code: error.code, attempt, error })
        this.events.emit("save-failed", { doc: error.doc, error, attempt })
      },
      onCompacted: (doc, head, bytes) => this.events.emit("compacted", { doc, head, bytes }),
      onBusError: (doc, error) => logger.error("bad frame from the bus", { doc, error }),
      onQuarantined: (doc, parts) => {
        this.counters.quarantined += parts.seqs.length + (parts.snapshot ? 1 : 0)
        logger.error("stored parts of a document do not decode; moved aside", { doc, snapshot: parts.snapshot, seqs: parts.seqs.join(",") })
        this.events.emit("quarantined", { doc, parts })
      },
      onBroken: (doc, error) => logger.error("an update broke the document in memory; reloading it from storage", { doc, error }),
      onChanged: (room) => this.history?.changed(room),
      onDeletedElsewhere: (doc) => {
        this.history?.forget(doc)
        this.events.emit("document-deleted", { doc })
      },
      onGapFilled: (doc) => this.events.emit("bus-gap-filled", { doc }),
      onCommitted: (ms, updates) => this.events.emit("commit-finished", { ms, updates }),
      ...(this.webhooks ? { companion: this.webhooks } : {}),
      traffic: this.traffic,
      limits,
    })
  }

  private createHistory(versions: NonNullable<DocumentStore["versions"]>, options: NonNullable<SyncServerOptions["history"]>): History {
    const schedule: HistoryOptions = {
      automatic: options !== false,
      idleMs: (options && options.idleMs) || defaults.history.idleMs,
      maxIntervalMs: (options && options.maxIntervalMs) || defaults.history.maxIntervalMs,
      retention: { ...defaults.history.retention, ...(options ? options.retention : {}) },
    }
    const history = new History({
      versions,
      clock: this.clock,
      options: schedule,
      withRoom: (doc, fn) => this.withRoom(doc, fn),
      isLoaded: (doc) => this.rooms.peek(doc) !== null,
      onCreated: (doc, version) => {
        this.webhooks?.versionCreated(doc, version)
        this.events.emit("version-created", { doc, version })
      },
      onError: (error) => {
        this.counters.saveFailures++
        this.logger.error("could not store a version", { doc: error.doc, code: error.code, error })
        this.events.emit("save-failed", { doc: error.doc, error, attempt: 1 })
      },
    })
    return history
  }

  connect(socket: Socket, doc: string, grant: Grant = { userId: null, access: "write", expiresAt: null }, protocol: ClientProtocol = "y-websocket"): Connection {
    // The server itself handles every connection's messages, so an idle connection costs no
    // closures of its own.
    const gateway = protocol === "collab" ? this.collab : null
    const connection = new Connection(this.nextConnectionId++, doc, grant, socket, this, this.limits, gateway)
    if (this.closing) {
      connection.close(CloseCode.GoingAway, "server shutting down")
      return connection
    }
    if (grant.expiresAt !== null) {
      const expire = () => {
        const left = grant.expiresAt! - Date.now()
        // setTimeout fires at once for delays past 2^31 ms; wait in steps instead.
        if (left > 0) connection.expiry = setTimeout(expire, Math.min(left, 2 ** 30))
        else connection.fail(CloseCode.Unauthorized, new AuthError("unauthenticated", "token expired"))
      }
      expire()
      if (connection.closed) return connection
    }
    this.connections.add(connection)
    this.webhooks?.connection(true, doc, connection.id, grant.userId)
    this.events.emit("connection-opened", { doc, connection: connection.id, user: grant.userId })
    this.rooms.acquire(doc).then(
      (loaded) => {
        if (connection.closed) {
          this.rooms.release(loaded)
          return
        }
        loaded.join(connection)
        if (gateway) gateway.joined(connection, loaded)
        connection.ready()
      },
      (error: unknown) => {
        this.counters.loadFailures++
        this.logger.error("could not load document", { ...connection.logFields(), error })
        if (error instanceof StorageError) this.events.emit("load-failed", { doc, error })
        connection.fail(CloseCode.Internal, error)
      },
    )
    return connection
  }

  receive(connection: Connection, message: Message): void {
    connection.room?.receive(connection, message)
  }

  closed(connection: Connection): void {
    if (connection.expiry) {
      clearTimeout(connection.expiry)
      connection.expiry = null
    }
    this.connections.delete(connection)
    const room = connection.room
    if (room) {
      if (connection.gateway) this.collab.left(connection)
      room.leave(connection)
      this.rooms.release(room)
    }
    this.webhooks?.connection(false, connection.doc, connection.id, connection.grant.userId)
    this.events.emit("connection-closed", { doc: connection.doc, connection: connection.id, user: connection.grant.userId })
  }

  failed(connection: Connection, code: number, error: unknown): void {
    const { doc, id } = connection
    this.logger.warn("closing connection", { ...connection.logFields(), code, error })
    this.events.emit("connection-failed", { doc, connection: id, code, error })
  }

  stats(): ServerStats {
    return { ...this.counters, rooms: this.rooms.size, connections: this.connections.size, pendingWrites: this.rooms.pendingWrites() }
  }

  roomsOverview(): RoomOverview[] {
    return this.rooms.names().flatMap((name) => {
      const room = this.rooms.peek(name)
      if (!room) return []
      return [{ name, connections: room.connectionCount, users: room.users(), bytes: room.size, pendingWrites: room.log.pending, lastChange: room.lastChange }]
    })
  }

  disconnectUser(userId: string): number {
    let closed = 0
    for (const connection of [...this.connections]) {
      if (connection.grant.userId !== userId) continue
      connection.close(CloseCode.Forbidden, "access revoked")
      closed++
    }
    return closed
  }

  unloadRoom(doc: string): boolean {
    const room = this.rooms.peek(doc)
    if (!room) return false
    room.closeAll(CloseCode.GoingAway, "room unloading")
    return true
  }

  readText(doc: string): Promise<string | null> {
    return this.withRoom(doc, (room) => (room.exists ? room.text() : null))
  }

  async withRoom<T>(doc: string, fn: (room: Room) => T | Promise<T>): Promise<T> {
    const room = await this.rooms.acquire(doc)
    try {
      // With other instances writing too, what they committed and the bus has not brought yet is
      // read first: a write there followed by a read here sees the write.
      if (this.shared) await room.catchUp()
      await room.stored()
      return await fn(room)
    } finally {
      this.rooms.release(room)
    }
  }

  async deleteDocument(doc: string): Promise<boolean> {
    this.history?.forget(doc)
    const existed = await this.rooms.delete(doc, CloseCode.Deleted)
    // A version that was being saved as the deletion began may have landed after it.
    const versions = this.store.versions
    if (this.history && versions) {
      await this.history.idle()
      this.history.forget(doc)
      const late = await versions.list(doc, { before: null, limit: 1000 })
      if (late.length > 0) await versions.remove(doc, late.map((version) => version.id))
    }
    if (existed) {
      this.webhooks?.deleted(doc)
      this.events.emit("document-deleted", { doc })
    }
    return existed
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    for (const connection of [...this.connections]) connection.close(CloseCode.GoingAway, "server shutting down")
    // Edits not yet in a version get one now rather than at a time the server will not see.
    await this.history?.flush()
    await this.rooms.idle()
    this.rooms.stop()
    await this.webhooks?.close()
  }
}

import { CloseCode, type Message } from "@tandem/protocol"
import { openAuthorizer, type Authorizer, type Grant } from "./auth.js"
import { Connection, type ConnectionHandler, type Socket } from "./connection.js"
import type { DocumentStore, Quarantine, StorageError } from "./document-store.js"
import { Emitter } from "./emitter.js"
import { createConsoleLogger, type Logger } from "./logger.js"
import { localBus, type RoomBus } from "./room-bus.js"
import { RoomManager } from "./room-manager.js"
import type { Room } from "./room.js"

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
} as const

/** Events of a {@link SyncServer}, by name. */
export interface ServerEvents {
  "room-loaded": { readonly doc: string; readonly ms: number }
  "room-unloaded": { readonly doc: string }
  "connection-opened": { readonly doc: string; readonly connection: number }
  "connection-closed": { readonly doc: string; readonly connection: number }
  "connection-failed": { readonly doc: string; readonly connection: number; readonly code: number; readonly error: unknown }
  "save-failed": { readonly doc: string; readonly error: StorageError; readonly attempt: number }
  compacted: { readonly doc: string; readonly head: number; readonly bytes: number }
  quarantined: { readonly doc: string; readonly parts: Quarantine }
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
}

/** A Yjs document server, independent of any transport. Built by {@link createSyncServer}. */
export interface SyncServer {
  readonly events: Emitter<ServerEvents>
  readonly rooms: RoomManager
  readonly limits: Limits
  readonly logger: Logger
  readonly authorizer: Authorizer
  /**
   * Opens a connection on document `doc` (a valid name; the transport checks it) over `socket`,
   * with what the authorizer granted. The transport passes it every binary frame and tells it
   * when the socket closes. A grant that expires closes the connection with 4401.
   */
  connect(socket: Socket, doc: string, grant?: Grant): Connection
  /**
   * The text of `doc` once everything in it is stored, loading it if needed, or `null` when
   * nothing was ever stored under that name. Rejects with a StorageError when loading fails.
   */
  readText(doc: string): Promise<string | null>
  /** Counts since start: storage failures, quarantined parts, rooms and connections. */
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
 * @throws {TypeError} when `store` is missing or a limit is not a positive number.
 */
export function createSyncServer(options: SyncServerOptions): SyncServer {
  if (!options?.store) throw new TypeError("createSyncServer: options.store is required")
  const limits: Limits = { ...defaults.limits, ...options.limits }
  for (const [name, value] of Object.entries(limits)) {
    if (!(typeof value === "number" && value > 0)) throw new TypeError(`createSyncServer: limits.${name} must be a positive number`)
  }
  return new Server(options, limits)
}

class Server implements SyncServer, ConnectionHandler {
  readonly events: Emitter<ServerEvents>
  readonly rooms: RoomManager
  readonly logger: Logger
  readonly authorizer: Authorizer
  private readonly connections = new Set<Connection>()
  /** The room of each connection whose document has loaded. */
  private readonly roomOf = new Map<Connection, Room>()
  /** Timers that close connections whose grant expires. */
  private readonly expiries = new Map<Connection, NodeJS.Timeout>()
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
    this.rooms = new RoomManager({
      store: options.store,
      bus: options.bus ?? localBus,
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
      limits,
    })
  }

  connect(socket: Socket, doc: string, grant: Grant = { userId: null, access: "write", expiresAt: null }): Connection {
    // The server itself handles every connection's messages, so an idle connection costs no
    // closures of its own.
    const connection = new Connection(this.nextConnectionId++, doc, grant, socket, this, this.limits)
    if (this.closing) {
      connection.close(CloseCode.GoingAway, "server shutting down")
      return connection
    }
    if (grant.expiresAt !== null) {
      const expire = () => {
        const left = grant.expiresAt! - Date.now()
        // setTimeout fires at once for delays past 2^31 ms; wait in steps instead.
        if (left > 0) this.expiries.set(connection, setTimeout(expire, Math.min(left, 2 ** 30)))
        else connection.close(CloseCode.Unauthorized, "token expired")
      }
      expire()
      if (connection.closed) return connection
    }
    this.connections.add(connection)
    this.events.emit("connection-opened", { doc, connection: connection.id })
    this.rooms.acquire(doc).then(
      (loaded) => {
        if (connection.closed) {
          this.rooms.release(loaded)
          return
        }
        this.roomOf.set(connection, loaded)
        loaded.join(connection)
        connection.ready()
      },
      (error: unknown) => {
        this.counters.loadFailures++
        this.logger.error("could not load document", { doc, error })
        connection.fail(CloseCode.Internal, error)
      },
    )
    return connection
  }

  receive(connection: Connection, message: Message): void {
    this.roomOf.get(connection)?.receive(connection, message)
  }

  closed(connection: Connection): void {
    const expiry = this.expiries.get(connection)
    if (expiry) {
      clearTimeout(expiry)
      this.expiries.delete(connection)
    }
    this.connections.delete(connection)
    const room = this.roomOf.get(connection)
    if (room) {
      this.roomOf.delete(connection)
      room.leave(connection)
      this.rooms.release(room)
    }
    this.events.emit("connection-closed", { doc: connection.doc, connection: connection.id })
  }

  failed(connection: Connection, code: number, error: unknown): void {
    const { doc, id } = connection
    this.logger.warn("closing connection", { doc, connection: id, code, error })
    this.events.emit("connection-failed", { doc, connection: id, code, error })
  }

  stats(): ServerStats {
    return { ...this.counters, rooms: this.rooms.size, connections: this.connections.size }
  }

  async readText(doc: string): Promise<string | null> {
    const room = await this.rooms.acquire(doc)
    try {
      await new Promise<void>((resolve) => room.log.afterStored(resolve))
      return room.log.stored ? room.text() : null
    } finally {
      this.rooms.release(room)
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    for (const connection of [...this.connections]) connection.close(CloseCode.GoingAway, "server shutting down")
    await this.rooms.idle()
  }
}

import { CloseCode, type Message } from "@tandem/protocol"
import { AuthError, openAuthorizer, type Authorizer, type Grant } from "./auth.js"
import { systemClock, type Clock } from "./clock.js"
import { Connection, type ConnectionHandler, type Socket } from "./connection.js"
import { StorageError, type DocumentStore } from "./document-store.js"
import { Emitter } from "./emitter.js"
import { History, type HistoryOptions } from "./history.js"
import { createConsoleLogger, type Logger } from "./logger.js"
import { localBus, type RoomBus } from "./room-bus.js"
import { RoomManager } from "./room-manager.js"
import type { Room } from "./room.js"
import { Traffic } from "./traffic.js"
import { CollabGateway } from "./collab/collab-gateway.js"
import { Webhooks } from "./webhooks/webhooks.js"
import { defaults, type Limits, type SyncServerOptions } from "./server-options.js"
import type { ServerEvents, UpgradeRefusal } from "./server-events.js"
import type { ClientProtocol, RoomOverview, ServerStats, SyncServer } from "./sync-server-types.js"

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
      return [{ name, connections: room.peers.count, users: room.peers.users(), bytes: room.size, pendingWrites: room.log.pending, lastChange: room.lastChange }]
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
    room.peers.closeAll(CloseCode.GoingAway, "room unloading")
    return true
  }

  readText(doc: string): Promise<string | null> {
    return this.withRoom(doc, (room) => (room.exists ? room.text.toString() : null))
  }

  async withRoom<T>(doc: string, fn: (room: Room) => T | Promise<T>): Promise<T> {
    const room = await this.rooms.acquire(doc)
    try {
      // With other instances writing too, what they committed and the bus has not brought yet is
      // read first: a write there followed by a read here sees the write.
      if (this.shared) await room.cluster.catchUp()
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
    // Stored, and folded: a restarted server loads each document as one part.
    await this.rooms.fold()
    this.rooms.stop()
    await this.webhooks?.close()
  }
}

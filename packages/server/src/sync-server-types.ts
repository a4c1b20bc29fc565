import type { Authorizer, Grant } from "./auth.js"
import type { Clock } from "./clock.js"
import type { Connection, Socket } from "./connection.js"
import type { DocumentStore } from "./document-store.js"
import type { Emitter } from "./emitter.js"
import type { History } from "./history.js"
import type { Logger } from "./logger.js"
import type { RoomManager } from "./room-manager.js"
import type { Room } from "./room.js"
import type { Traffic } from "./traffic.js"
import type { Limits } from "./server-options.js"
import type { ServerEvents } from "./server-events.js"

// The sync server as its users and its transports see it; built by `createSyncServer`.

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

/** A Yjs document server, independent of any transport. Built by `createSyncServer` (sync-server.ts). */
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

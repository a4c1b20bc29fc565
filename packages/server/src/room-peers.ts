import { encodeSyncStep1, encodeSyncStep2, encodeUpdate, type Message, type UpdateSummary } from "@tandem/protocol"
import type { Connection } from "./connection.js"
import { isEmptyStateVector, type LazyDoc } from "./lazy-doc.js"
import type { Presence } from "./presence.js"
import type { Applied } from "./room-types.js"
import type { Traffic } from "./traffic.js"
import type { UpdateLog } from "./update-log.js"

/** What a room's {@link RoomPeers} is built from. */
export interface RoomPeersOptions {
  /** The room's connections: the set itself, which Presence reads too. */
  readonly connections: Set<Connection>
  readonly lazy: LazyDoc
  readonly presence: Presence
  readonly log: UpdateLog
  readonly traffic: Traffic
  /** The room's one write path (`Room.applyUpdate`), for the updates peers send. */
  readonly applyUpdate: (update: Uint8Array, summary: UpdateSummary, connection: Connection) => Applied
}

/**
 * The connections on a room and the y-websocket protocol with them: the sync handshake,
 * acknowledgements and awareness. Updates they send go to the room's write path; what the room
 * accepted comes back to the subscribed ones through {@link RoomPeers.relayWhenStored} and
 * {@link RoomPeers.relayStored}.
 */
export class RoomPeers {
  private readonly connections: Set<Connection>
  /** The connections that are {@link Connection.subscribed}, kept apart so a relay walks only them. */
  private readonly subscribers = new Set<Connection>()
  /**
   * The sync step 2 for a client that has nothing (an empty state vector), encoded once and
   * kept until the document changes: every fresh page load asks for exactly that.
   */
  private fullStateFrame: Uint8Array | null = null
  /** The sync step 1 every joining client is sent (the document's state vector), kept until the document changes. */
  private stepOneFrame: Uint8Array | null = null

  constructor(private readonly options: RoomPeersOptions) {
    this.connections = options.connections
  }

  /** The number of connections on the room. */
  get count(): number {
    return this.connections.size
  }

  /** The distinct users (grants' `userId`) connected, for operators. */
  users(): string[] {
    const users = new Set<string>()
    for (const connection of this.connections) if (connection.grant.userId !== null) users.add(connection.grant.userId)
    return [...users]
  }

  /** Adds a connection and starts the sync handshake with it. */
  join(connection: Connection): void {
    this.connections.add(connection)
    // A gateway's client speaks another protocol; the gateway greets it.
    if (connection.gateway) return
    // Ask for what the client has that we lack; it answers with sync step 2.
    connection.send((this.stepOneFrame ??= encodeSyncStep1(this.options.lazy.encodeStateVector())))
    this.options.presence.greet(connection)
  }

  /** Removes a connection and, for everyone else, the awareness states it had set. */
  leave(connection: Connection): void {
    this.connections.delete(connection)
    this.subscribers.delete(connection)
    connection.subscribed = false
    this.options.presence.leave(connection)
  }

  /** Handles one message from `connection`. Throws on input the room cannot apply. */
  receive(connection: Connection, message: Message): void {
    const { log, lazy, traffic, presence } = this.options
    switch (message.type) {
      case "sync-step-1": {
        // Encode now, send once everything in this state is stored: a peer never holds an edit
        // the server could still lose.
        const reply = isEmptyStateVector(message.stateVector)
          ? (this.fullStateFrame ??= encodeSyncStep2(lazy.encodeState()))
          : encodeSyncStep2(lazy.encodeState(message.stateVector))
        connection.subscribed = true
        this.subscribers.add(connection)
        log.afterStored(() => connection.send(reply))
        return
      }
      case "sync-step-2":
      case "update": {
        if (message.summary.clocks.size > 0 || message.summary.deletes.length > 0) traffic.updatesReceived++
        const count = connection.countUpdate()
        const applied = this.options.applyUpdate(message.update, message.summary, connection)
        if (applied === "refused" || applied === "pending") {
          // Refused, or waiting in Yjs on missing dependencies and so in no commit yet: neither
          // this update nor any later one on this connection may be reported stored.
          connection.blockAcks()
        } else if (connection.wantsAcks) {
          // Acknowledged once everything it holds is stored: its own content, or the same
          // content another connection sent that may still be waiting for its commit. Stock
          // clients never ask, and cost nothing here.
          log.afterStored(() => connection.acknowledge(count))
        }
        return
      }
      case "ack-request": {
        connection.requestAcks()
        // Answered even with nothing to acknowledge: ack(0) tells the client we confirm saves.
        const count = connection.received
        log.afterStored(() => connection.acknowledge(count))
        return
      }
      case "awareness":
        traffic.awarenessReceived++
        presence.receive(connection, message.entries, message.update)
        return
      case "query-awareness":
        presence.sendAll(connection)
        return
      case "permission-denied":
      case "ack":
        // Only servers send these; a client that does is ignored, as stock servers do.
        return
      default: {
        const unhandled: never = message
        throw new Error(`unhandled message ${(unhandled as Message).type}`)
      }
    }
  }

  /**
   * What relays an update the room accepted now, once it is stored: a function that sends it to
   * every subscriber as of now but `origin`. The state a subscriber was sent lacks that update;
   * a later subscriber's state will hold it.
   */
  relayWhenStored(update: Uint8Array, origin: unknown): () => void {
    // Encoded once; the same bytes go to every peer but the one it came from.
    const frame = encodeUpdate(update)
    const recipients = [...this.subscribers]
    const traffic = this.options.traffic
    return () => {
      let sent = 0
      for (const connection of recipients) {
        if (connection === origin || connection.closed) continue
        connection.send(frame)
        sent++
      }
      // Counted once per commit, not per send: the relay loop is the hot path.
      traffic.deliveries += sent
    }
  }

  /** Sends an update that is stored already (another instance's) to every subscriber. */
  relayStored(update: Uint8Array): void {
    const frame = encodeUpdate(update)
    for (const connection of this.subscribers) connection.send(frame)
    this.options.traffic.deliveries += this.subscribers.size
  }

  /** The document changed: the handshake frames kept for joins no longer describe it. */
  changed(): void {
    this.fullStateFrame = null
    this.stepOneFrame = null
  }

  /**
   * The document's full state as storage held it (one stored part, the document exactly), so
   * the first joins are answered without encoding the document again.
   */
  primeFullState(update: Uint8Array): void {
    this.fullStateFrame = encodeSyncStep2(update)
  }

  /** Closes every connection but `except` with `code`. */
  closeAll(code: number, reason: string, except?: unknown): void {
    for (const connection of [...this.connections]) if (connection !== except) connection.close(code, reason)
  }
}

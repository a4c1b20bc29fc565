import {
  CloseCode,
  ProtocolError,
  decodeMessages,
  encodeAwareness,
  encodeAwarenessEntries,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type AwarenessEntry,
  type Message,
  type UpdateSummary,
} from "@tandem/protocol"
import * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import type { Connection } from "./connection.js"
import type { RoomBus } from "./room-bus.js"
import type { UpdateLog } from "./update-log.js"
import { carriesNews } from "./carries-news.js"

/** The limits a Room enforces on what peers send. */
export interface RoomLimits {
  readonly maxDocumentBytes: number
  readonly maxAwarenessStateBytes: number
  readonly maxPendingBytes: number
}

/** Name of the shared text every Tandem client edits. */
export const contentKey = "content"

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

/**
 * One loaded document and the connections on it. Applies what peers send, has every change
 * stored by its {@link UpdateLog} before relaying it, and relays awareness.
 *
 * Built by the RoomManager once the document is loaded; the manager destroys it on unload.
 */
export class Room {
  readonly awareness: awarenessProtocol.Awareness
  private readonly connections = new Set<Connection>()
  /**
   * Connections that were sent the document state (sync step 2) and so receive every update
   * applied after it. A connection relayed updates before that would hold them as pending,
   * missing their dependencies, and Yjs re-merges pending updates on every arrival.
   */
  private readonly subscribers = new Set<Connection>()
  /**
   * Which live connection owns each awareness client id: the first to set it. Others may not
   * set or remove that state, nor write new content under that id.
   */
  private readonly owners = new Map<number, Connection>()
  /**
   * The sync step 2 for a client that has nothing (an empty state vector), encoded once and
   * kept until the document changes: every fresh page load asks for exactly that.
   */
  private fullStateFrame: Uint8Array | null = null
  private readonly unsubscribeBus: () => void

  constructor(
    readonly name: string,
    readonly doc: Y.Doc,
    readonly log: UpdateLog,
    private readonly bus: RoomBus,
    private readonly onBusError: (error: unknown) => void,
    /** Yjs threw while applying an update: the document in memory can no longer be trusted. */
    private readonly onBroken: (error: unknown) => void,
    private readonly limits: RoomLimits,
    /** Estimated size of the document: what storage held at load plus every update since. */
    private bytes: number,
  ) {
    this.awareness = new awarenessProtocol.Awareness(doc)
    // The server has no cursor of its own.
    this.awareness.setLocalState(null)
    this.awareness.on("update", this.onAwarenessUpdate)
    this.unsubscribeBus = bus.subscribe(name, this.onBusFrame)
  }

  /** The document's text. */
  text(): string {
    return this.doc.getText(contentKey).toString()
  }

  /** Adds a connection and starts the sync handshake with it. */
  join(connection: Connection): void {
    this.connections.add(connection)
    // Ask for what the client has that we lack; it answers with sync step 2.
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    if (this.awareness.getStates().size > 0) {
      connection.send(this.encodeAwarenessOf([...this.awareness.getStates().keys()]))
    }
  }

  /** Removes a connection and, for everyone else, the awareness states it had set. */
  leave(connection: Connection): void {
    this.connections.delete(connection)
    this.subscribers.delete(connection)
    if (connection.awarenessIds && connection.awarenessIds.size > 0) {
      const ids = [...connection.awarenessIds]
      for (const id of ids) this.owners.delete(id)
      awarenessProtocol.removeAwarenessStates(this.awareness, ids, connection)
    }
  }

  /** Handles one message from `connection`. Throws on input the room cannot apply. */
  receive(connection: Connection, message: Message): void {
    switch (message.type) {
      case "sync-step-1": {
        // Encode now, send once everything in this state is stored: a peer never holds an edit
        // the server could still lose.
        const empty = message.stateVector.length === 1 && message.stateVector[0] === 0
        const reply = empty
          ? (this.fullStateFrame ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc)))
          : encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector))
        this.subscribers.add(connection)
        this.log.afterStored(() => connection.send(reply))
        return
      }
      case "sync-step-2":
      case "update": {
        const count = ++connection.updatesReceived
        if (!this.applyUpdate(connection, message.update, message.summary) || !this.integrated(message.summary)) {
          // Refused, or waiting in Yjs on missing dependencies and so in no commit yet: neither
          // this update nor any later one on this connection may be reported stored.
          connection.ackBlocked = true
        } else if (connection.acknowledging && !connection.ackBlocked) {
          // Acknowledged once everything it holds is stored: its own content, or the same
          // content another connection sent that may still be waiting for its commit. Stock
          // clients never ask, and cost nothing here.
          this.log.afterStored(() => connection.acknowledge(count))
        }
        return
      }
      case "ack-request": {
        connection.acknowledging = true
        // Answered even with nothing to acknowledge: ack(0) tells the client we confirm saves.
        const count = connection.updatesReceived
        this.log.afterStored(() => connection.acknowledge(count))
        return
      }
      case "awareness":
        this.applyAwareness(connection, message.entries, message.update)
        return
      case "query-awareness":
        connection.send(this.encodeAwarenessOf([...this.awareness.getStates().keys()]))
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
   * Gives the room the document's full state as storage held it (one stored part, the document
   * exactly), so the first joins are answered without encoding the document again.
   */
  primeFullState(update: Uint8Array): void {
    this.fullStateFrame = encodeSyncStep2(update)
  }

  /** Whether everything an update carries is now in the document, none of it waiting on dependencies. */
  private integrated(summary: UpdateSummary): boolean {
    for (const [client, range] of summary.clocks) {
      if (Y.getState(this.doc.store, client) < range.to) return false
    }
    return summary.deletes.every(({ client, clock, length }) => Y.getState(this.doc.store, client) >= clock + length)
  }

  /** The compacted snapshot replaced the log: the size estimate starts again from it. */
  compacted(snapshotBytes: number): void {
    this.bytes = snapshotBytes
  }

  /**
   * Applies an update from `connection`; false when it was refused and the connection stays
   * open (news from a read-only connection). Throws a ProtocolError for updates that close it.
   */
  private applyUpdate(connection: Connection, update: Uint8Array, summary: UpdateSummary): boolean {
    if (connection.access === "read") {
      // A read-only client's handshake sends what it has; only news is refused. The connection
      // stays open for reading.
      if (!carriesNews(this.doc, summary)) return true
      connection.send(encodePermissionDenied("read-only access"))
      return false
    }
    for (const [client, range] of summary.clocks) {
      const owner = this.owners.get(client)
      // Writing new content under a client id another live connection owns would make that
      // user's own next edits collide and be dropped: the attack that silences a user.
      if (owner && owner !== connection && range.to > Y.getState(this.doc.store, client)) {
        throw new ProtocolError("policy", "update claims another connection's client id")
      }
    }
    if (this.bytes + update.byteLength > this.limits.maxDocumentBytes) {
      throw new ProtocolError("too-big", "document size limit reached")
    }
    const mark = this.log.mark()
    try {
      this.apply(update, summary, connection)
    } catch (error) {
      // The decoder refuses every update we know to make Yjs throw; should one still get
      // through, Yjs may have applied a part of it. That part is neither stored nor relayed, and
      // the room is reloaded from storage.
      this.log.discardSince(mark)
      this.log.stopCompacting()
      this.onBroken(error)
      // Everyone else reconnects to the reloaded document; the sender is closed with 1007.
      for (const other of [...this.connections]) {
        if (other !== connection) other.close(CloseCode.Internal, "document reloading")
      }
      throw new ProtocolError("malformed", "update could not be applied", { cause: error })
    }
    const { pendingStructs, pendingDs } = this.doc.store
    const pending = (pendingStructs?.update.byteLength ?? 0) + (pendingDs?.byteLength ?? 0)
    if (pending > this.limits.maxPendingBytes) {
      // Content waiting on dependencies is neither stored nor relayed; dropping it loses nothing
      // that was accepted, and the clients that hold it send it again when they resync.
      this.doc.store.pendingStructs = null
      this.doc.store.pendingDs = null
      throw new ProtocolError("policy", "too many updates waiting on missing dependencies")
    }
    return true
  }

  private applyAwareness(connection: Connection, entries: readonly AwarenessEntry[], update: Uint8Array): void {
    const accepted: AwarenessEntry[] = []
    for (const entry of entries) {
      if (entry.bytes > this.limits.maxAwarenessStateBytes) throw new ProtocolError("too-big", "awareness state too large")
      const owner = this.owners.get(entry.clientId)
      // The stock client re-sends states it heard from others: dropped quietly, never punished.
      if (owner && owner !== connection) continue
      accepted.push(entry)
    }
    if (accepted.length === 0) return
    const filtered = accepted.length === entries.length ? update : encodeAwarenessEntries(accepted)
    awarenessProtocol.applyAwarenessUpdate(this.awareness, filtered, connection)
  }

  /** Closes every connection with `code`. */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections]) connection.close(code, reason)
  }

  /** Releases the document, awareness and bus subscription. Called by the RoomManager. */
  destroy(): void {
    this.unsubscribeBus()
    this.awareness.off("update", this.onAwarenessUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }

  /**
   * Applies `update` from `origin`; whatever is new in it is stored and then relayed. When the
   * update follows on exactly from what the document holds, with nothing waiting on
   * dependencies, all of it integrates and its own bytes are stored and relayed: Yjs is then
   * spared encoding the change again, which it does only while someone listens for it. Any other
   * update is applied with a listener, and what Yjs reports as new is stored and relayed.
   */
  private apply(update: Uint8Array, summary: UpdateSummary, origin: unknown): void {
    if (this.followsOn(summary)) {
      Y.applyUpdate(this.doc, update, origin)
      this.accepted(update, origin)
      return
    }
    this.doc.on("update", this.accepted)
    try {
      Y.applyUpdate(this.doc, update, origin)
    } finally {
      this.doc.off("update", this.accepted)
    }
  }

  /** Whether every struct of an update is new and integrates now, with nothing pending in the document. */
  private followsOn(summary: UpdateSummary): boolean {
    const { store } = this.doc
    if (summary.gaps || summary.clocks.size === 0 || store.pendingStructs || store.pendingDs) return false
    for (const [client, range] of summary.clocks) {
      if (range.from !== Y.getState(store, client)) return false
    }
    return true
  }

  /** An update changed the document: it is stored, then relayed. */
  private readonly accepted = (update: Uint8Array, origin: unknown): void => {
    this.bytes += update.byteLength
    this.fullStateFrame = null
    // Encoded once; the same bytes go to every peer but the one it came from.
    const frame = encodeUpdate(update)
    // Recipients are fixed now: the state a subscriber was sent lacks this update; a later
    // subscriber's state will hold it.
    const recipients = [...this.subscribers]
    this.log.append(update, () => {
      for (const connection of recipients) {
        if (connection !== origin) connection.send(frame)
      }
      if (origin !== this.bus) this.bus.publish(this.name, frame)
    })
  }

  private readonly onAwarenessUpdate = (change: AwarenessChange, origin: unknown): void => {
    const changed = [...change.added, ...change.updated, ...change.removed]
    if (origin !== null && typeof origin === "object" && this.connections.has(origin as Connection)) {
      const owner = origin as Connection
      for (const id of [...change.added, ...change.updated]) {
        if (!this.owners.has(id)) {
          this.owners.set(id, owner)
          ;(owner.awarenessIds ??= new Set()).add(id)
        }
      }
      for (const id of change.removed) {
        if (this.owners.get(id) === owner) {
          this.owners.delete(id)
          owner.awarenessIds?.delete(id)
        }
      }
    }
    const frame = this.encodeAwarenessOf(changed)
    // Sent to the sender too: the stock client reconnects when it hears nothing for 30 seconds,
    // and its own awareness renewal coming back is what it hears in a quiet room.
    for (const connection of this.connections) connection.send(frame)
    if (origin !== this.bus) this.bus.publish(this.name, frame)
  }

  private readonly onBusFrame = (frame: Uint8Array): void => {
    // Another instance stored and relayed these; applying them with the bus as origin relays them
    // to local peers without publishing them back.
    try {
      for (const message of decodeMessages(frame)) {
        if (message.type === "update") this.apply(message.update, message.summary, this.bus)
        else if (message.type === "awareness") awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, this.bus)
      }
    } catch (error) {
      this.onBusError(error)
    }
  }

  private encodeAwarenessOf(clients: number[]): Uint8Array {
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients))
  }
}

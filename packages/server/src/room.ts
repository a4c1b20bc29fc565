import {
  decodeMessages,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
} from "@tandem/protocol"
import * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import type { Connection } from "./connection.js"
import type { RoomBus } from "./room-bus.js"
import type { UpdateLog } from "./update-log.js"

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
  private readonly unsubscribeBus: () => void

  constructor(
    readonly name: string,
    readonly doc: Y.Doc,
    readonly log: UpdateLog,
    private readonly bus: RoomBus,
    private readonly onBusError: (error: unknown) => void,
  ) {
    this.awareness = new awarenessProtocol.Awareness(doc)
    // The server has no cursor of its own.
    this.awareness.setLocalState(null)
    doc.on("update", this.onDocUpdate)
    this.awareness.on("update", this.onAwarenessUpdate)
    this.unsubscribeBus = bus.subscribe(name, this.onBusFrame)
  }

  /** Number of connections on this room. */
  get size(): number {
    return this.connections.size
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
    if (connection.awarenessIds.size > 0) {
      awarenessProtocol.removeAwarenessStates(this.awareness, [...connection.awarenessIds], connection)
    }
  }

  /** Handles one message from `connection`. Throws on input the room cannot apply. */
  receive(connection: Connection, message: Message): void {
    switch (message.type) {
      case "sync-step-1": {
        // Encode now, send once everything in this state is stored: a peer never holds an edit
        // the server could still lose.
        const reply = encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector))
        this.subscribers.add(connection)
        this.log.afterStored(() => connection.send(reply))
        return
      }
      case "sync-step-2":
      case "update":
        // What is new reaches onDocUpdate, which stores and then relays it.
        Y.applyUpdate(this.doc, message.update, connection)
        return
      case "awareness":
        awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, connection)
        return
      case "query-awareness":
        connection.send(this.encodeAwarenessOf([...this.awareness.getStates().keys()]))
        return
      case "permission-denied":
        // Only servers send this; a client that does is ignored, as stock servers do.
        return
      default: {
        const unhandled: never = message
        throw new Error(`unhandled message ${(unhandled as Message).type}`)
      }
    }
  }

  /** Closes every connection with `code`. */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections]) connection.close(code, reason)
  }

  /** Releases the document, awareness and bus subscription. Called by the RoomManager. */
  destroy(): void {
    this.unsubscribeBus()
    this.doc.off("update", this.onDocUpdate)
    this.awareness.off("update", this.onAwarenessUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
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
      for (const id of change.added) owner.awarenessIds.add(id)
      for (const id of change.updated) owner.awarenessIds.add(id)
      for (const id of change.removed) owner.awarenessIds.delete(id)
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
        if (message.type === "update") Y.applyUpdate(this.doc, message.update, this.bus)
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

import { CloseCode, encodeAckRequest, encodeAwareness, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate, type Message } from "@tandem/protocol"
import { applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates, type Awareness } from "y-protocols/awareness"
import * as Y from "yjs"
import type { ClientError } from "./close-reason.js"
import type { Connection } from "./connection.js"
import { checkEdit, oversizedUpdate, type ClientLimits } from "./limits.js"
import type { UnsavedStore } from "./options.js"
import { SaveCounter } from "./save-counter.js"

/** Key of the unsaved count in an {@link UnsavedStore}; the same key the editor used before this package. */
export const unsavedKey = "tandem:unsaved"

/** What {@link DocSync} tells the client that owns it (`TandemClient`). */
export interface DocSyncHost {
  /** Something in the status changed. */
  changed(): void
  /** The server's state arrived on this connection. */
  synced(): void
  /** More edits were confirmed as stored. */
  saved(): void
  /** An update could not be sent without breaking a limit: stop, do not retry. */
  refused(error: ClientError): void
  /** The unsaved store failed. */
  storeFailed(error: unknown): void
}

/**
 * The document side of the protocol, on whatever connection is current: the handshake, local
 * updates out, remote updates and awareness in, and the save count from the server's acks. It
 * knows nothing of reconnecting; the client's `Connector` attaches each new connection and
 * detaches it when it drops.
 */
export class DocSync {
  private readonly saves = new SaveCounter()
  private connection: Connection | null = null
  /** Resolves once the stored unsaved count is read (at once without a store). */
  readonly restored: Promise<void>
  private storeReady = false
  savesConfirmed = false
  readOnly = false
  /** Estimated size of the document as the server counts it: its state, plus every update since. */
  private documentBytes: number

  constructor(
    private readonly ydoc: Y.Doc,
    private readonly awareness: Awareness,
    private readonly limits: Required<ClientLimits>,
    private readonly ignored: ReadonlySet<unknown>,
    private readonly store: UnsavedStore | null,
    private readonly host: DocSyncHost,
  ) {
    this.documentBytes = Y.encodeStateAsUpdate(ydoc).byteLength
    this.restored = this.restore()
    ydoc.on("update", this.onDocUpdate)
    awareness.on("update", this.onAwarenessUpdate)
  }

  /** Local edits the server has not confirmed. */
  get unsaved(): number {
    return this.saves.unsaved
  }

  /** See `TandemClient.check`. */
  check(bytes: number): string | null {
    return checkEdit(this.limits, this.documentBytes, bytes)
  }

  /** A socket opened: starts the handshake on it. */
  attach(connection: Connection): void {
    this.connection = connection
    this.saves.connected()
    // The ack request first, so the server's counting and ours start together.
    connection.send(encodeAckRequest())
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.ydoc)))
    if (this.awareness.getLocalState() !== null) {
      connection.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, [this.ydoc.clientID])))
    }
    connection.send(encodeQueryAwareness())
  }

  /** The connection is going: with `leaving`, tells others this user left (a deliberate disconnect). */
  detach(leaving: boolean): void {
    const connection = this.connection
    if (!connection) return
    this.connection = null
    if (leaving) connection.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, [this.ydoc.clientID], new Map())))
    // What peers said through this connection is no longer known to be true.
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.ydoc.clientID)
    if (others.length > 0) removeAwarenessStates(this.awareness, others, this)
  }

  /** Handles one message from the server. Throws only if Yjs refuses an update. */
  receive(connection: Connection, message: Message): void {
    switch (message.type) {
      case "sync-step-1":
        // Our answer carries every local edit the server lacks, offline ones included; edits
        // made from now on go out one by one.
        connection.answeredStep1 = true
        this.sendUpdate(connection, encodeSyncStep2(Y.encodeStateAsUpdate(this.ydoc, message.stateVector)))
        return
      case "sync-step-2":
      case "update":
        Y.applyUpdate(this.ydoc, message.update, this)
        if (message.type === "sync-step-2" && !connection.synced) {
          connection.synced = true
          this.documentBytes = Y.encodeStateAsUpdate(this.ydoc).byteLength
          this.host.synced()
        }
        return
      case "awareness":
        applyAwarenessUpdate(this.awareness, message.update, this)
        return
      case "query-awareness":
        connection.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])))
        return
      case "permission-denied":
        this.readOnly = true
        this.host.changed()
        return
      case "ack": {
        const first = !this.savesConfirmed
        this.savesConfirmed = true
        if (this.saves.acknowledged(message.count)) {
          this.persist()
          this.host.saved()
        } else if (first) this.host.changed()
        return
      }
      case "ack-request":
        // Only clients ask; a server that echoes it is harmless.
        return
      default: {
        const unexpected: never = message
        throw new Error(`unhandled message ${String(unexpected)}`)
      }
    }
  }

  /** Stops listening to the document and awareness. */
  destroy(): void {
    this.ydoc.off("update", this.onDocUpdate)
    this.awareness.off("update", this.onAwarenessUpdate)
  }

  /** Sends a frame carrying a document update, unless the server would refuse it for its size. */
  private sendUpdate(connection: Connection, frame: Uint8Array): void {
    if (frame.byteLength > this.limits.maxFrameBytes) {
      // Sending would get 1009 and, on every reconnect, the same again: stop here instead.
      this.host.refused({ code: CloseCode.TooBig, message: oversizedUpdate(this.limits, frame.byteLength) })
      return
    }
    this.saves.sent(connection.send(frame))
  }

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    this.documentBytes += update.byteLength
    if (origin === this) return
    if (!this.ignored.has(origin)) {
      // Counted before sending, so the update's tag includes this edit.
      this.saves.edited()
      this.persist()
      this.host.changed()
    }
    const connection = this.connection
    if (connection?.answeredStep1) this.sendUpdate(connection, encodeUpdate(update))
  }

  private readonly onAwarenessUpdate = (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    if (origin === this || !this.connection) return
    // Only our own state: others' reach the server from their own clients.
    const own = this.ydoc.clientID
    if (![...changes.added, ...changes.updated, ...changes.removed].includes(own)) return
    this.connection.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, [own])))
  }

  private async restore(): Promise<void> {
    if (!this.store) return
    try {
      const stored = await this.store.get(unsavedKey)
      if (typeof stored === "number" && Number.isInteger(stored) && stored > 0) this.saves.restore(stored)
    } catch (error) {
      this.host.storeFailed(error)
    }
    this.storeReady = true
    this.persist()
    this.host.changed()
  }

  private persist(): void {
    // Before the stored count is read, writing would overwrite it.
    if (!this.store || !this.storeReady) return
    const store = this.store
    const unsaved = this.saves.unsaved
    // Through a promise, so a store that throws instead of rejecting is reported the same way.
    Promise.resolve()
      .then(() => store.set(unsavedKey, unsaved))
      .catch((error: unknown) => this.host.storeFailed(error))
  }
}

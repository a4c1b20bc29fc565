import { CloseCode, ProtocolError, encodePermissionDenied, type Message, type UpdateSummary } from "@tandem/protocol"
import type * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import { Connection, type JoinedRoom } from "./connection.js"
import type { UpdateLog } from "./update-log.js"
import { carriesNews } from "./carries-news.js"
import { LazyDoc } from "./lazy-doc.js"
import { Presence } from "./presence.js"
import { RoomCluster } from "./room-cluster.js"
import { RoomPeers } from "./room-peers.js"
import { RoomText } from "./room-text.js"
import { RoomGoneError, contentKey, type Applied, type RoomLimits, type RoomOptions, type ServerWrite, type WriteSource } from "./room-types.js"

/**
 * One loaded document and the connections on it. Every change to the document, whatever its
 * source, goes through one path here: checked against the limits, stored by the room's
 * {@link UpdateLog} before anyone sees it, then relayed to every subscribed peer and published
 * to the other instances. Nothing outside the room touches its `Y.Doc`.
 *
 * The room owns the write path and the document; its parts do the rest: {@link RoomPeers} the
 * connections and the sync protocol with them, {@link Presence} awareness and client-id
 * ownership, {@link RoomText} the text view, {@link RoomCluster} the bus and other instances'
 * commits. Built by the RoomLoader once the document is loaded; the RoomManager destroys it on
 * unload.
 */
export class Room implements JoinedRoom {
  readonly name: string
  readonly log: UpdateLog
  /** The connections on the room, and the sync protocol with them. */
  readonly peers: RoomPeers
  /** Awareness, and which connection owns each client id: others may not write under an owned id. */
  private readonly presence: Presence
  /** The bus: this room's commits going out, the other instances' coming in. */
  readonly cluster: RoomCluster
  /** The document and what it holds back; read through {@link Room.doc}, or `lazy.ydoc` for the document as it stands. */
  private readonly lazy: LazyDoc
  private readonly limits: RoomLimits
  /** Estimated size of the document: what storage held at load plus every update since. */
  private bytes: number
  private gone = false
  private changedAt: number | null = null
  /** The document read as text, and the gateway following it change by change, if any. */
  readonly text: RoomText

  constructor(private readonly options: RoomOptions) {
    this.name = options.name
    this.lazy = new LazyDoc(options.doc, options.deferred, options.onBroken)
    this.text = new RoomText(options.name, () => this.doc)
    this.log = options.log
    this.limits = options.limits
    this.bytes = options.bytes
    const connections = new Set<Connection>()
    // Awareness reads only the document's client id: it does not need the document's content.
    this.presence = new Presence(this.lazy.ydoc, {
      name: options.name,
      connections,
      bus: options.bus,
      maxAwarenessStateBytes: options.limits.maxAwarenessStateBytes,
      onBusError: options.onBusError,
      traffic: options.traffic,
    })
    this.peers = new RoomPeers({
      connections,
      lazy: this.lazy,
      presence: this.presence,
      log: this.log,
      traffic: options.traffic,
      applyUpdate: (update, summary, connection) => this.applyUpdate(update, summary, connection),
    })
    this.cluster = new RoomCluster({ room: options, presence: this.presence, doc: () => this.doc, relay: this.relayStored })
  }

  /** Everyone's presence on the document (Yjs awareness), here and on other instances. */
  get awareness(): awarenessProtocol.Awareness {
    return this.presence.awareness
  }

  private readonly stateOf = (client: number): number => this.lazy.stateOf(client)

  /** The document, holding everything accepted (see {@link LazyDoc.doc}). */
  private get doc(): Y.Doc {
    return this.lazy.doc
  }

  /** Whether the document exists: something of it was stored, here or by another instance. */
  get exists(): boolean {
    return this.log.stored || this.cluster.head > 0
  }

  /** Sequence number of the newest stored update this room holds, with all before it. */
  get head(): number {
    return this.cluster.head
  }

  /** The document as one Yjs update; with a state vector, only what that state lacks. */
  encodeState(stateVector?: Uint8Array): Uint8Array {
    return this.lazy.encodeState(stateVector)
  }

  /** When the document last changed here (milliseconds since the epoch), or `null` since it loaded. */
  get lastChange(): number | null {
    return this.changedAt
  }

  /** Estimated size of the document in bytes. */
  get size(): number {
    return this.bytes
  }

  /** Resolves once everything applied so far is stored. */
  stored(): Promise<void> {
    return new Promise((resolve) => this.log.afterStored(resolve))
  }

  /** Adds a connection and starts the sync handshake with it (see {@link RoomPeers}). */
  join(connection: Connection): void {
    connection.room = this
    this.peers.join(connection)
  }

  /** Removes a connection and, for everyone else, the awareness states it had set. */
  leave(connection: Connection): void {
    this.peers.leave(connection)
    connection.room = null
  }

  /** Handles one message from `connection`. Throws on input the room cannot apply. */
  receive(connection: Connection, message: Message): void {
    this.peers.receive(connection, message)
  }

  /**
   * The one write path for a Yjs update, from a peer or from the server on someone's behalf
   * (validated first with `validateUpdate`, which gives `summary`). Checks access, client-id
   * ownership and the limits; applies it; whatever is new is stored, then relayed to every
   * subscribed peer but its sender and published to the other instances.
   *
   * @throws {ProtocolError} for an update that must close its sender's connection (or that the
   *   HTTP API answers with an error status): `too-big` past the document size, `policy` for
   *   another connection's client id or too much waiting on dependencies, `malformed` when Yjs
   *   could not apply it.
   * @throws {RoomGoneError} when the room was deleted or unloaded.
   */
  applyUpdate(update: Uint8Array, summary: UpdateSummary, source: WriteSource): Applied {
    this.assertLive()
    /** Client ids the connection writes new content under that nobody owns yet. */
    let unowned: number[] | null = null
    if (source instanceof Connection) {
      if (source.access === "read") {
        // A read-only client's handshake sends what it has; only news is refused. The connection
        // stays open for reading.
        if (!carriesNews(this.doc, summary)) return "known"
        source.send(encodePermissionDenied("read-only access"))
        return "refused"
      }
      unowned = this.presence.unownedWrites(source, summary.clocks, this.stateOf)
    }
    this.checkSize(update.byteLength)
    const before = this.bytes
    const mark = this.log.mark()
    try {
      this.apply(update, summary, source)
    } catch (error) {
      this.breakDown(mark, source, error)
      throw new ProtocolError("malformed", "update could not be applied", { cause: error })
    }
    if (this.lazy.dropPendingPast(this.limits.maxPendingBytes)) throw new ProtocolError("policy", "too many updates waiting on missing dependencies")
    if (!this.lazy.integrated(summary)) return "pending"
    if (this.bytes === before) return "known"
    // A live connection that wrote new content under a client id owns that id from now on,
    // whether or not it ever set awareness: a stock client whose awareness state is still the
    // default would otherwise be open to impersonation.
    if (unowned && source instanceof Connection) {
      for (const client of unowned) this.presence.claim(client, source)
    }
    return "applied"
  }

  /**
   * The one write path for a change the server makes itself: runs `edit` on the document's text
   * in one Yjs transaction, then stores, relays and publishes the update it made, as
   * {@link Room.applyUpdate} does. `estimatedBytes` (what the change may add, e.g. the length of
   * inserted text in UTF-8) is checked against the document size limit before anything changes.
   *
   * @throws {ProtocolError} `too-big` when the change could pass the document size limit.
   * @throws {RoomGoneError} when the room was deleted or unloaded.
   */
  editText(source: ServerWrite, estimatedBytes: number, edit: (text: Y.Text) => void): void {
    this.assertLive()
    this.checkSize(estimatedBytes)
    const mark = this.log.mark()
    this.doc.on("update", this.accepted)
    try {
      this.doc.transact(() => edit(this.doc.getText(contentKey)), source)
    } catch (error) {
      this.breakDown(mark, source, error)
      throw error
    } finally {
      this.doc.off("update", this.accepted)
    }
  }

  /** The compacted snapshot replaced the log: the size estimate starts again from it. */
  compacted(snapshotBytes: number): void {
    this.bytes = snapshotBytes
  }

  /** Refuses every later write, and folds the log no more: the document is being deleted. */
  retire(): void {
    this.gone = true
    this.log.stopCompacting()
    this.cluster.retire()
  }

  /** Whether the room still takes writes: not deleted, not unloaded. */
  get live(): boolean {
    return !this.gone
  }

  /** Releases the document, awareness and bus subscription. Called by the RoomManager. */
  destroy(): void {
    this.gone = true
    this.lazy.stop()
    this.cluster.destroy()
    this.presence.destroy()
    this.lazy.ydoc.destroy()
  }

  private assertLive(): void {
    if (this.gone) throw new RoomGoneError(`document "${this.name}" was deleted or unloaded`)
  }

  private checkSize(bytes: number): void {
    if (this.bytes + bytes > this.limits.maxDocumentBytes) {
      throw new ProtocolError("too-big", "document size limit reached")
    }
  }

  /**
   * Yjs threw while applying a change. The decoder refuses every update we know to make Yjs
   * throw; should one still get through, Yjs may have applied a part of it. That part is neither
   * stored nor relayed, and the room is reloaded from storage: everyone but the sender (whose
   * connection closes with 1007) reconnects to the reloaded document.
   */
  private breakDown(mark: number, source: WriteSource, error: unknown): void {
    this.log.discardSince(mark)
    this.log.stopCompacting()
    this.options.onBroken(error)
    this.peers.closeAll(CloseCode.Internal, "document reloading", source)
  }

  /**
   * Applies `update` from `origin`; whatever is new in it is stored and then relayed. When the
   * update follows on exactly from what the document holds, with nothing waiting on
   * dependencies, all of it integrates and its own bytes are stored and relayed: Yjs is then
   * spared encoding the change again, which it does only while someone listens for it. Any other
   * update is applied with a listener, and what Yjs reports as new is stored and relayed.
   */
  private apply(update: Uint8Array, summary: UpdateSummary, origin: unknown): void {
    // A gateway following the text change by change needs every update in the document.
    if (!this.text.watched && this.lazy.canDefer(summary)) {
      this.lazy.defer(update, summary)
      this.accepted(update, origin)
      this.lazy.applySoonIfBatched()
      return
    }
    if (this.lazy.followsOn(summary)) {
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

  /** An update changed the document: it is stored, then relayed to peers and published. */
  private readonly accepted = (update: Uint8Array, origin: unknown): void => {
    this.bytes += update.byteLength
    this.peers.changed()
    this.log.append(update, this.peers.relayWhenStored(update, origin))
    this.text.queued()
    // Read once per change, here; the version history reads it from the room.
    this.changedAt = this.options.now()
    this.options.onChanged()
  }

  /** Sends an update that is stored already to every subscribed peer. */
  private readonly relayStored = (update: Uint8Array): void => {
    this.bytes += update.byteLength
    this.peers.changed()
    this.peers.relayStored(update)
    this.text.queued()
  }
}

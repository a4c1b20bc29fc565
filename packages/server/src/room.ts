import { CloseCode, ProtocolError, encodePermissionDenied, encodeSyncStep1, encodeSyncStep2, encodeUpdate, type Message, type UpdateSummary } from "@tandem/protocol"
import type * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import { Connection } from "./connection.js"
import type { DocumentStore, StoredDocument } from "./document-store.js"
import type { RoomBus } from "./room-bus.js"
import type { Traffic } from "./traffic.js"
import type { UpdateLog } from "./update-log.js"
import { carriesNews } from "./carries-news.js"
import type { DeferredState } from "./deferred-state.js"
import { LazyDoc, isEmptyStateVector } from "./lazy-doc.js"
import { LogFollower } from "./log-follower.js"
import { Presence } from "./presence.js"
import { RoomText } from "./room-text.js"
import { RoomGoneError, contentKey, type Applied, type RoomLimits, type ServerWrite, type WriteSource } from "./room-types.js"
import { applyStored } from "./stored-parts.js"

/** What a Room is built from; see {@link RoomManager}. */
export interface RoomOptions {
  readonly name: string
  readonly doc: Y.Doc
  /**
   * The document's full state as storage held it, not yet applied to `doc` (which is then
   * empty): applied at the first need, and until then the joins of clients that hold nothing
   * are answered from these bytes. See {@link DeferredState}.
   */
  readonly deferred?: DeferredState
  readonly log: UpdateLog
  readonly bus: RoomBus
  /** Where the room reads what it missed of other instances' updates. */
  readonly store: DocumentStore
  /** Sequence number of the newest update the loaded document holds. */
  readonly head: number
  /** How long a gap in the bus's numbering may last before the room reads it from storage. */
  readonly gapDelayMs: number
  readonly limits: RoomLimits
  /** Estimated size of the document as storage held it at load. */
  readonly bytes: number
  /** Reading what another instance stored, or applying it, failed; the room retries. */
  readonly onBusError: (error: unknown) => void
  /** Yjs threw while applying an update: the document in memory can no longer be trusted. */
  readonly onBroken: (error: unknown) => void
  /** The document changed, whoever changed it; called after the change is queued for storage. */
  readonly onChanged: (room: Room) => void
  /** The time, in milliseconds since the epoch: the server's clock. */
  readonly now: () => number
  /** Reading storage brought updates of other instances that the bus had not delivered. */
  readonly onGapFilled: () => void
  /** The server's running totals, which the room adds its messages and deliveries to. */
  readonly traffic: Traffic
}

/**
 * One loaded document and the connections on it. Every change to the document, whatever its
 * source, goes through one path here: checked against the limits, stored by the room's
 * {@link UpdateLog} before anyone sees it, then relayed to every subscribed peer and published
 * to the other instances. Nothing outside the room touches its `Y.Doc`.
 *
 * Built by the RoomManager once the document is loaded; the manager destroys it on unload.
 */
export class Room {
  readonly name: string
  readonly log: UpdateLog
  private readonly connections = new Set<Connection>()
  /** The connections that are {@link Connection.subscribed}, kept apart so a relay walks only them. */
  private readonly subscribers = new Set<Connection>()
  /** Awareness, and which connection owns each client id: others may not write under an owned id. */
  private readonly presence: Presence
  /**
   * The sync step 2 for a client that has nothing (an empty state vector), encoded once and
   * kept until the document changes: every fresh page load asks for exactly that.
   */
  private fullStateFrame: Uint8Array | null = null
  /** The sync step 1 every joining client is sent (the document's state vector), kept until the document changes. */
  private stepOneFrame: Uint8Array | null = null
  private unsubscribeBus: () => void = () => {}
  /** Orders what this and other instances committed by the store's numbers, and fills gaps from storage. */
  private readonly follower: LogFollower
  /** The document and what it holds back; read through {@link Room.doc}, or `lazy.ydoc` for the document as it stands. */
  private readonly lazy: LazyDoc
  private readonly bus: RoomBus
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
    this.bus = options.bus
    this.limits = options.limits
    this.bytes = options.bytes
    // Awareness reads only the document's client id: it does not need the document's content.
    this.presence = new Presence(this.lazy.ydoc, {
      name: options.name,
      connections: this.connections,
      bus: options.bus,
      maxAwarenessStateBytes: options.limits.maxAwarenessStateBytes,
      onBusError: options.onBusError,
      traffic: options.traffic,
    })
    this.follower = new LogFollower({
      name: options.name,
      store: options.store,
      head: options.head,
      gapDelayMs: options.gapDelayMs,
      apply: this.applyRemote,
      reload: this.reload,
      onGapFilled: options.onGapFilled,
      onError: options.onBusError,
    })
  }

  /** Everyone's presence on the document (Yjs awareness), here and on other instances. */
  get awareness(): awarenessProtocol.Awareness {
    return this.presence.awareness
  }

  /** The document, holding everything accepted (see {@link LazyDoc.doc}). */
  private get doc(): Y.Doc {
    return this.lazy.doc
  }

  /** Takes the bus subscription made for this room before it loaded; it ends when the room does. */
  subscribed(unsubscribe: () => void): void {
    if (this.gone) unsubscribe()
    else this.unsubscribeBus = unsubscribe
  }

  /** Whether the document exists: something of it was stored, here or by another instance. */
  get exists(): boolean {
    return this.log.stored || this.follower.head > 0
  }

  /** Sequence number of the newest stored update this room holds, with all before it. */
  get head(): number {
    return this.follower.head
  }

  /** The document as one Yjs update; with a state vector, only what that state lacks. */
  encodeState(stateVector?: Uint8Array): Uint8Array {
    return this.lazy.encodeState(stateVector)
  }

  /** The number of connections on the room. */
  get connectionCount(): number {
    return this.connections.size
  }

  /** The distinct users (grants' `userId`) connected, for operators. */
  users(): string[] {
    const users = new Set<string>()
    for (const connection of this.connections) if (connection.grant.userId !== null) users.add(connection.grant.userId)
    return [...users]
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

  /** Adds a connection and starts the sync handshake with it. */
  join(connection: Connection): void {
    this.connections.add(connection)
    connection.room = this
    // A gateway's client speaks another protocol; the gateway greets it.
    if (connection.gateway) return
    // Ask for what the client has that we lack; it answers with sync step 2.
    connection.send((this.stepOneFrame ??= encodeSyncStep1(this.lazy.encodeStateVector())))
    this.presence.greet(connection)
  }

  /** Removes a connection and, for everyone else, the awareness states it had set. */
  leave(connection: Connection): void {
    this.connections.delete(connection)
    this.subscribers.delete(connection)
    connection.room = null
    connection.subscribed = false
    this.presence.leave(connection)
  }

  /** Handles one message from `connection`. Throws on input the room cannot apply. */
  receive(connection: Connection, message: Message): void {
    switch (message.type) {
      case "sync-step-1": {
        // Encode now, send once everything in this state is stored: a peer never holds an edit
        // the server could still lose.
        const reply = isEmptyStateVector(message.stateVector)
          ? (this.fullStateFrame ??= encodeSyncStep2(this.encodeState()))
          : encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector))
        connection.subscribed = true
        this.subscribers.add(connection)
        this.log.afterStored(() => connection.send(reply))
        return
      }
      case "sync-step-2":
      case "update": {
        if (message.summary.clocks.size > 0 || message.summary.deletes.length > 0) this.options.traffic.updatesReceived++
        const count = connection.countUpdate()
        const applied = this.applyUpdate(message.update, message.summary, connection)
        if (applied === "refused" || applied === "pending") {
          // Refused, or waiting in Yjs on missing dependencies and so in no commit yet: neither
          // this update nor any later one on this connection may be reported stored.
          connection.blockAcks()
        } else if (connection.wantsAcks) {
          // Acknowledged once everything it holds is stored: its own content, or the same
          // content another connection sent that may still be waiting for its commit. Stock
          // clients never ask, and cost nothing here.
          this.log.afterStored(() => connection.acknowledge(count))
        }
        return
      }
      case "ack-request": {
        connection.requestAcks()
        // Answered even with nothing to acknowledge: ack(0) tells the client we confirm saves.
        const count = connection.received
        this.log.afterStored(() => connection.acknowledge(count))
        return
      }
      case "awareness":
        this.options.traffic.awarenessReceived++
        this.presence.receive(connection, message.entries, message.update)
        return
      case "query-awareness":
        this.presence.sendAll(connection)
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
    if (isConnection(source)) {
      if (source.access === "read") {
        // A read-only client's handshake sends what it has; only news is refused. The connection
        // stays open for reading.
        if (!carriesNews(this.doc, summary)) return "known"
        source.send(encodePermissionDenied("read-only access"))
        return "refused"
      }
      for (const [client, range] of summary.clocks) {
        if (range.to <= this.lazy.stateOf(client)) continue
        const owner = this.presence.ownerOf(client)
        // Writing new content under a client id another live connection owns would make that
        // user's own next edits collide and be dropped: the attack that silences a user.
        if (owner && owner !== source) throw new ProtocolError("policy", "update claims another connection's client id")
        if (!owner) (unowned ??= []).push(client)
      }
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
    // While updates wait in the lag, nothing waits on dependencies (see LazyDoc.canDefer).
    const { store } = this.lazy.ydoc
    const { pendingStructs, pendingDs } = store
    const pending = (pendingStructs?.update.byteLength ?? 0) + (pendingDs?.byteLength ?? 0)
    if (pending > this.limits.maxPendingBytes) {
      // Content waiting on dependencies is neither stored nor relayed; dropping it loses nothing
      // that was accepted, and the clients that hold it send it again when they resync.
      store.pendingStructs = null
      store.pendingDs = null
      throw new ProtocolError("policy", "too many updates waiting on missing dependencies")
    }
    if (!this.lazy.integrated(summary)) return "pending"
    if (this.bytes === before) return "known"
    // A live connection that wrote new content under a client id owns that id from now on,
    // whether or not it ever set awareness: a stock client whose awareness state is still the
    // default would otherwise be open to impersonation.
    if (unowned && isConnection(source)) {
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

  /**
   * Gives the room the document's full state as storage held it (one stored part, the document
   * exactly), so the first joins are answered without encoding the document again.
   */
  primeFullState(update: Uint8Array): void {
    this.fullStateFrame = encodeSyncStep2(update)
  }

  /** The compacted snapshot replaced the log: the size estimate starts again from it. */
  compacted(snapshotBytes: number): void {
    this.bytes = snapshotBytes
  }

  /** Closes every connection with `code`. */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections]) connection.close(code, reason)
  }

  /** Refuses every later write: the document is being deleted. */
  retire(): void {
    this.gone = true
    this.follower.stop()
  }

  /** Whether the room still takes writes: not deleted, not unloaded. */
  get live(): boolean {
    return !this.gone
  }

  /** Releases the document, awareness and bus subscription. Called by the RoomManager. */
  destroy(): void {
    this.gone = true
    this.lazy.stop()
    this.follower.stop()
    this.unsubscribeBus()
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
    for (const other of [...this.connections]) {
      if (other !== source) other.close(CloseCode.Internal, "document reloading")
    }
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
    this.fullStateFrame = null
    this.stepOneFrame = null
    // Encoded once; the same bytes go to every peer but the one it came from.
    const frame = encodeUpdate(update)
    // Recipients are fixed now: the state a subscriber was sent lacks this update; a later
    // subscriber's state will hold it.
    const recipients = [...this.subscribers]
    this.log.append(update, () => {
      let sent = 0
      for (const connection of recipients) {
        if (connection === origin || connection.closed) continue
        connection.send(frame)
        sent++
      }
      // Counted once per commit callback, not per send: the relay loop is the hot path.
      this.options.traffic.deliveries += sent
    })
    this.text.queued()
    // Read once per change, here; the version history reads it from the room.
    this.changedAt = this.options.now()
    this.options.onChanged(this)
  }

  /**
   * The update log committed `updates`, numbered from `fromSeq` by the store: they go to the
   * other instances now, never before. Called by the log before the relays of the same commit.
   */
  committed(fromSeq: number, updates: readonly Uint8Array[]): void {
    this.bus.publishUpdates(this.name, fromSeq, updates)
    this.options.traffic.busUpdatesPublished++
    this.follower.committed(fromSeq, updates.length)
  }

  /** Another instance's committed updates, from the bus: applied in log order, never stored again. */
  remoteUpdates(fromSeq: number, updates: readonly Uint8Array[]): void {
    if (!this.gone) this.follower.received(fromSeq, updates)
  }

  /** An awareness update from another instance. */
  remoteAwareness(update: Uint8Array, instance: string): void {
    if (!this.gone) this.presence.remote(update, instance)
  }

  /** Another instance stopped: the presence it relayed goes, for everyone here. */
  instanceLost(instance: string): void {
    if (!this.gone) this.presence.instanceLost(instance)
  }

  /** Sends the presence of this instance's own clients to the other instances again (see {@link Presence.republish}). */
  republishPresence(): void {
    if (!this.gone) this.presence.republish()
  }

  /** Reads what other instances stored since this room's head (the bus came back, say). */
  catchUp(): Promise<void> {
    return this.follower.catchUp()
  }

  /** Origin of what the room reads back from storage. */
  private readonly filler = Object.freeze({ instance: "storage" })

  /** Applies updates another instance stored, and relays them to this instance's peers. */
  private readonly applyRemote = (updates: readonly Uint8Array[]): void => {
    for (const update of updates) {
      try {
        Y.applyUpdate(this.doc, update, this.filler)
      } catch (error) {
        // Stored and relayed elsewhere already; a part Yjs cannot apply here is reported, and the
        // room still holds everything else.
        this.options.onBusError(error)
        continue
      }
      this.relayRemote(update)
    }
  }

  /** Applies the whole stored document; Yjs applies only what is new, and that is relayed. */
  private readonly reload = (stored: StoredDocument): void => {
    this.doc.on("update", this.relayRemote)
    try {
      applyStored(this.doc, stored, this.filler)
    } finally {
      this.doc.off("update", this.relayRemote)
    }
  }

  /** Sends an update that is stored already to every subscribed peer. */
  private readonly relayRemote = (update: Uint8Array): void => {
    this.bytes += update.byteLength
    this.fullStateFrame = null
    this.stepOneFrame = null
    const frame = encodeUpdate(update)
    for (const connection of this.subscribers) connection.send(frame)
    this.options.traffic.deliveries += this.subscribers.size
    this.text.queued()
  }
}

/** Whether a write's source (or a Yjs origin) is a connected peer rather than the server. */
function isConnection(source: unknown): source is Connection {
  return source instanceof Connection
}

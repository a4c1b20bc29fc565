import * as Y from "yjs"
import type { DocumentStore, Quarantine, StoredDocument } from "./document-store.js"
import { StorageError } from "./document-store.js"
import type { GroupCommit } from "./group-commit.js"
import { Room } from "./room.js"
import type { RoomCluster } from "./room-cluster.js"
import type { RoomLimits } from "./room-types.js"
import { localBus, type BusSubscriber, type RoomBus } from "./room-bus.js"
import type { Traffic } from "./traffic.js"
import { UpdateLog } from "./update-log.js"
import { applyStoredParts, foldStored, wholePart } from "./stored-parts.js"

/** What the RoomLoader needs to build rooms. */
export interface RoomLoaderOptions {
  readonly store: DocumentStore
  readonly bus: RoomBus
  /** Commits the writes of every room together, one transaction per turn of the event loop. */
  readonly commits: GroupCommit
  /** How long a gap in the bus's numbering may last before a room reads it from storage. */
  readonly gapDelayMs: number
  readonly compactAfterUpdates: number
  readonly compactAfterBytes: number
  readonly retryDelayMs: number
  readonly maxRetryDelayMs: number
  readonly onLoaded: (room: Room, ms: number) => void
  readonly onStorageError: (error: StorageError, attempt: number) => void
  readonly onCompacted: (doc: string, head: number, bytes: number) => void
  readonly onBusError: (doc: string, error: unknown) => void
  /** Stored parts of a document did not decode and were moved aside. */
  readonly onQuarantined: (doc: string, parts: Quarantine) => void
  /** Yjs threw while applying an update to `room`: its document can no longer be trusted. */
  readonly onBroken: (room: Room, error: unknown) => void
  /** The bus said another instance deleted `doc`. */
  readonly onDeleted: (doc: string) => void
  /** The server's clock. */
  readonly now: () => number
  /** A room's document changed through this instance. */
  readonly onChanged: (room: Room) => void
  /** A room read from storage updates of other instances that the bus had not delivered. */
  readonly onGapFilled: (doc: string) => void
  /** The server's running totals, which rooms and bus subscriptions add to. */
  readonly traffic: Traffic
  readonly limits: RoomLimits
}

/**
 * Builds a room from storage: its bus subscription, the `Y.Doc` restored from what storage holds
 * (parts that do not decode are quarantined), its {@link UpdateLog} and the {@link Room} itself.
 * The subscription is made before the document is read, so nothing another instance commits in
 * between is missed: what arrives before the room exists waits, then goes to it.
 *
 * Keeps no rooms: the RoomManager does, and makes sure one document is loaded once at a time.
 */
export class RoomLoader {
  constructor(private readonly options: RoomLoaderOptions) {}

  /**
   * Loads `name` and returns its room, subscribed to the bus; calls `onLoaded` with it. Rejects
   * with a StorageError (`load-failed`) when the store cannot read the document; the bus
   * subscription is then ended.
   */
  async load(name: string): Promise<Room> {
    const { store } = this.options
    const started = performance.now()
    const subscription = await this.subscribe(name)
    let stored: StoredDocument | null
    try {
      stored = await store.load(name)
    } catch (cause) {
      subscription.unsubscribe()
      throw new StorageError("load-failed", name, cause)
    }
    const doc = new Y.Doc()
    // A document stored as one part (a compacted snapshot, say) is that part exactly: when it
    // is whole, a fresh process answers its first joins from those bytes and decodes it into
    // the Y.Doc only when something needs the document itself.
    const parts = [...(stored?.snapshot ? [stored.snapshot] : []), ...(stored?.updates.map((u) => u.data) ?? [])]
    const deferred = parts.length === 1 ? wholePart(parts[0]!) : null
    const intact = deferred !== null || (stored ? await this.restore(name, doc, stored) : false)
    const log = new UpdateLog({
      store,
      commits: this.options.commits,
      doc: name,
      head: stored?.head ?? 0,
      logLength: stored?.updates.length ?? 0,
      snapshotBytes: stored?.snapshot?.byteLength ?? 0,
      compactAfterUpdates: this.options.compactAfterUpdates,
      compactAfterBytes: this.options.compactAfterBytes,
      retryDelayMs: this.options.retryDelayMs,
      maxRetryDelayMs: this.options.maxRetryDelayMs,
      snapshot: () => room.encodeState(),
      onError: this.options.onStorageError,
      onCompacted: (head, bytes) => {
        room.compacted(bytes)
        this.options.onCompacted(name, head, bytes)
      },
      onCommitted: (fromSeq, updates) => room.cluster.committed(fromSeq, updates),
      foldedHead: () => room.head,
      ...(this.options.bus === localBus ? {} : { readSnapshot: () => this.readSnapshot(name) }),
    })
    const storedBytes = (stored?.snapshot?.byteLength ?? 0) + (stored?.updates.reduce((sum, update) => sum + update.data.byteLength, 0) ?? 0)
    const room: Room = new Room({
      name,
      doc,
      ...(deferred ? { deferred } : {}),
      log,
      bus: this.options.bus,
      store,
      head: stored?.head ?? 0,
      gapDelayMs: this.options.gapDelayMs,
      limits: this.options.limits,
      bytes: storedBytes,
      onBusError: (error) => this.options.onBusError(name, error),
      onBroken: (error) => this.options.onBroken(room, error),
      onChanged: () => this.options.onChanged(room),
      now: this.options.now,
      onGapFilled: () => this.options.onGapFilled(name),
      traffic: this.options.traffic,
    })
    if (intact && parts.length === 1 && !doc.store.pendingStructs && !doc.store.pendingDs) room.peers.primeFullState(parts[0]!)
    subscription.attach(room.cluster)
    this.options.onLoaded(room, performance.now() - started)
    return room
  }

  /**
   * Builds the document from what storage holds. A part that does not decode is moved aside in
   * storage (kept, not deleted) and reported; the document loads from the rest.
   */
  private async restore(name: string, doc: Y.Doc, stored: StoredDocument): Promise<boolean> {
    const quarantine = applyStoredParts(doc, stored)
    if (!quarantine) return true
    this.options.onQuarantined(name, quarantine)
    try {
      await this.options.store.quarantine(name, quarantine)
    } catch (cause) {
      // Still loadable from the rest; the bad parts stay where they are and are skipped again.
      this.options.onStorageError(new StorageError("quarantine-failed", name, cause), 1)
    }
    return false
  }

  /**
   * Subscribes to the bus for `name` before its document is read, so nothing another instance
   * commits in between is missed: what arrives before the room exists waits, then goes to its
   * {@link RoomCluster}.
   */
  private async subscribe(name: string): Promise<{ attach: (cluster: RoomCluster) => void; unsubscribe: () => void }> {
    let target: RoomCluster | null = null
    const early: Array<(cluster: RoomCluster) => void> = []
    const { traffic } = this.options
    const subscriber: BusSubscriber = {
      updates: (fromSeq, updates) => {
        traffic.busUpdatesReceived++
        if (target) target.remoteUpdates(fromSeq, updates)
        else early.push((cluster) => cluster.remoteUpdates(fromSeq, updates))
      },
      awareness: (update, instance) => {
        traffic.busAwarenessReceived++
        if (target) target.remoteAwareness(update, instance)
        else early.push((cluster) => cluster.remoteAwareness(update, instance))
      },
      deleted: () => this.options.onDeleted(name),
      presenceRequested: () => target?.republishPresence(),
    }
    let unsubscribe: () => void
    try {
      unsubscribe = await this.options.bus.subscribe(name, subscriber)
    } catch (error) {
      // Served all the same; what the bus would have brought is read from storage when it is back.
      this.options.onBusError(name, error)
      unsubscribe = () => {}
    }
    return {
      attach: (cluster) => {
        target = cluster
        cluster.subscribed(unsubscribe)
        for (const deliver of early.splice(0)) deliver(cluster)
        // The others' clients set their presence before this room listened.
        this.options.bus.requestPresence(name)
      },
      unsubscribe,
    }
  }

  /**
   * Reads `name` from storage and folds it into one update, for compaction when other instances
   * write it too. A part that does not decode fails the compaction; the log stays as it is.
   */
  private async readSnapshot(name: string): Promise<{ snapshot: Uint8Array; upTo: number } | null> {
    const stored = await this.options.store.load(name)
    return stored ? { snapshot: foldStored(stored), upTo: stored.head } : null
  }
}

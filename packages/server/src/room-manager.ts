import * as Y from "yjs"
import { CloseCode } from "@tandem/protocol"
import type { DocumentStore, Quarantine, StoredDocument } from "./document-store.js"
import { StorageError } from "./document-store.js"
import { GroupCommit, type CommitCompanion } from "./group-commit.js"
import { Room } from "./room.js"
import type { RoomLimits } from "./room-types.js"
import { localBus, type BusSubscriber, type RoomBus } from "./room-bus.js"
import type { Traffic } from "./traffic.js"
import { UpdateLog } from "./update-log.js"
import { applyStoredParts, foldStored, wholePart } from "./stored-parts.js"

/** What the RoomManager needs to build rooms. */
export interface RoomManagerOptions {
  readonly store: DocumentStore
  readonly bus: RoomBus
  /** How long a gap in the bus's numbering may last before a room reads it from storage. */
  readonly gapDelayMs: number
  readonly compactAfterUpdates: number
  readonly compactAfterBytes: number
  readonly retryDelayMs: number
  readonly maxRetryDelayMs: number
  readonly onLoaded: (room: Room, ms: number) => void
  readonly onUnloaded: (room: Room) => void
  readonly onStorageError: (error: StorageError, attempt: number) => void
  readonly onCompacted: (doc: string, head: number, bytes: number) => void
  readonly onBusError: (doc: string, error: unknown) => void
  /** Stored parts of a document did not decode and were moved aside. */
  readonly onQuarantined: (doc: string, parts: Quarantine) => void
  /** A room was found broken and is being reloaded. */
  readonly onBroken: (doc: string, error: unknown) => void
  /** The server's clock. */
  readonly now: () => number
  /** A room's document changed through this instance. */
  readonly onChanged: (room: Room) => void
  /** Another instance deleted a document; its room here, if loaded, is closed and dropped. */
  readonly onDeletedElsewhere: (doc: string) => void
  /** A room read from storage updates of other instances that the bus had not delivered. */
  readonly onGapFilled: (doc: string) => void
  /** A storage transaction committed `updates` updates in `ms` milliseconds; must not throw. */
  readonly onCommitted: (ms: number, updates: number) => void
  /** Adds outbox messages (webhooks) to the commits of documents. */
  readonly companion?: CommitCompanion
  /** The server's running totals, which rooms and bus subscriptions add to. */
  readonly traffic: Traffic
  readonly limits: RoomLimits
}

interface Entry {
  readonly room: Promise<Room>
  /** The room once loaded, to tell it from a later room of the same name. */
  loaded: Room | null
  /** Connections and readers holding the room; it unloads when this reaches zero. */
  holders: number
  /** Set when the room's document cannot be trusted; new holders wait for it to unload. */
  broken: Promise<void> | null
  /** Called once the entry is gone. */
  unloaded: () => void
}

/**
 * Maps document names to loaded rooms. Concurrent first requests for a document share one
 * storage load; a room unloads once its last holder has released it and everything it holds is
 * stored.
 */
export class RoomManager {
  private readonly entries = new Map<string, Entry>()
  /** Documents being deleted; acquiring one waits until it is gone. */
  private readonly deleting = new Map<string, Promise<boolean>>()
  private readonly commits: GroupCommit

  private readonly unwatch: Array<() => void>

  constructor(private readonly options: RoomManagerOptions) {
    this.commits = new GroupCommit(options.store, options.onCommitted, options.companion ?? null)
    const { bus } = options
    this.unwatch = [
      // Messages sent while the bus was down are lost: every room reads what it missed, and
      // sends its own clients' presence again.
      bus.onHealth((healthy) => {
        if (!healthy) return
        for (const entry of this.entries.values()) {
          if (!entry.loaded) continue
          void entry.loaded.catchUp()
          entry.loaded.republishPresence()
          bus.requestPresence(entry.loaded.name)
        }
      }),
      bus.onInstanceLost((instance) => {
        for (const entry of this.entries.values()) entry.loaded?.instanceLost(instance)
      }),
    ]
  }

  /** Stops following the bus's health and instances. The rooms themselves unload as usual. */
  stop(): void {
    for (const unwatch of this.unwatch.splice(0)) unwatch()
  }

  /** Number of rooms loaded or loading. */
  get size(): number {
    return this.entries.size
  }

  /** Updates appended in every loaded room and not yet committed. Walks the rooms: for monitoring, not for hot paths. */
  pendingWrites(): number {
    let pending = 0
    for (const entry of this.entries.values()) pending += entry.loaded?.log.pending ?? 0
    return pending
  }

  /** The rooms loaded or loading, by name. */
  names(): string[] {
    return [...this.entries.keys()]
  }

  /**
   * Returns the room for `name`, loading it from storage if needed. Every successful acquire must
   * be paired with one {@link RoomManager.release}. Rejects with a StorageError when the load
   * fails; nothing is then held.
   */
  async acquire(name: string): Promise<Room> {
    const deleting = this.deleting.get(name)
    if (deleting) {
      await deleting.catch(() => {})
      return this.acquire(name)
    }
    let entry = this.entries.get(name)
    if (entry?.broken) {
      await entry.broken
      return this.acquire(name)
    }
    if (!entry) {
      entry = { room: this.load(name), loaded: null, holders: 0, broken: null, unloaded: () => {} }
      this.entries.set(name, entry)
      const created = entry
      // A failed load is forgotten at once, so the next request tries again.
      created.room.then(
        (room) => (created.loaded = room),
        () => {
          if (this.entries.get(name) === created) this.entries.delete(name)
        },
      )
    }
    entry.holders++
    try {
      return await entry.room
    } catch (error) {
      entry.holders--
      throw error
    }
  }

  /** Gives back a room taken with {@link RoomManager.acquire}. */
  release(held: { readonly name: string }): void {
    const entry = this.entries.get(held.name)
    // A room deleted while held has no entry any more, or a newer one of the same name.
    if (!entry || entry.loaded !== held) return
    const room = entry.loaded
    entry.holders--
    if (entry.holders > 0) return
    void room.log.idle().then(() => {
      // Someone may have joined while the last writes were committing: then the room stays.
      if (entry.holders > 0 || this.entries.get(room.name) !== entry) return
      this.entries.delete(room.name)
      room.destroy()
      entry.unloaded()
      this.options.onUnloaded(room)
    })
  }

  /** The room of `name` if it is loaded now, without loading it. */
  peek(name: string): Room | null {
    return this.entries.get(name)?.loaded ?? null
  }

  /**
   * Deletes a document: new acquires wait, the loaded room (if any) closes every connection with
   * `closeCode` and stores what it holds, then the store removes the document and the room is
   * dropped whoever still holds it; their later writes throw {@link RoomGoneError}. Resolves to
   * whether anything was stored under `name`. Rejects with a StorageError when the store fails;
   * the room is then dropped all the same and reloads from what storage kept.
   */
  delete(name: string, closeCode: number): Promise<boolean> {
    const previous = this.deleting.get(name)
    if (previous) return previous
    const deleting = this.deleteNow(name, closeCode).finally(() => this.deleting.delete(name))
    this.deleting.set(name, deleting)
    return deleting
  }

  private async deleteNow(name: string, closeCode: number): Promise<boolean> {
    const entry = this.entries.get(name)
    const room = entry ? await entry.room.catch(() => null) : null
    if (room) {
      room.closeAll(closeCode, "document deleted")
      room.retire()
      await room.log.idle()
    }
    try {
      const existed = await this.options.store.delete(name)
      this.options.bus.publishDeleted(name)
      return existed
    } catch (cause) {
      throw new StorageError("delete-failed", name, cause)
    } finally {
      if (entry && this.entries.get(name) === entry) {
        this.entries.delete(name)
        if (room) {
          room.destroy()
          this.options.onUnloaded(room)
        }
        entry.unloaded()
      }
    }
  }

  /** Resolves once every loaded room has stored everything it holds. */
  async idle(): Promise<void> {
    await Promise.all((await this.loadedRooms()).map((room) => room.log.idle()))
  }

  /** Loaded rooms, skipping those still loading. */
  async loadedRooms(): Promise<Room[]> {
    const rooms = await Promise.allSettled([...this.entries.values()].map((entry) => entry.room))
    return rooms.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []))
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

  /** Another instance deleted `name`: the room here goes the way a deletion here would take it. */
  private deletedElsewhere(name: string): void {
    const entry = this.entries.get(name)
    const room = entry?.loaded
    if (!entry || !room) return
    room.closeAll(CloseCode.Deleted, "document deleted")
    room.retire()
    this.entries.delete(name)
    room.destroy()
    entry.unloaded()
    this.options.onUnloaded(room)
    this.options.onDeletedElsewhere(name)
  }

  /**
   * Subscribes to the bus for `name` before its document is read, so nothing another instance
   * commits in between is missed: what arrives before the room exists waits, then goes to it.
   */
  private async subscribe(name: string): Promise<{ attach: (room: Room) => void; unsubscribe: () => void }> {
    let target: Room | null = null
    const early: Array<(room: Room) => void> = []
    const { traffic } = this.options
    const subscriber: BusSubscriber = {
      updates: (fromSeq, updates) => {
        traffic.busUpdatesReceived++
        if (target) target.remoteUpdates(fromSeq, updates)
        else early.push((room) => room.remoteUpdates(fromSeq, updates))
      },
      awareness: (update, instance) => {
        traffic.busAwarenessReceived++
        if (target) target.remoteAwareness(update, instance)
        else early.push((room) => room.remoteAwareness(update, instance))
      },
      deleted: () => this.deletedElsewhere(name),
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
      attach: (room) => {
        target = room
        room.subscribed(unsubscribe)
        for (const deliver of early.splice(0)) deliver(room)
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

  /** Empties a broken room: everyone reconnects to a fresh load of what storage holds. */
  private broken(room: Room, error: unknown): void {
    const entry = this.entries.get(room.name)
    if (!entry || entry.broken) return
    entry.broken = new Promise((resolve) => (entry.unloaded = resolve))
    this.options.onBroken(room.name, error)
  }

  private async load(name: string): Promise<Room> {
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
      commits: this.commits,
      doc: name,
      head: stored?.head ?? 0,
      logLength: stored?.updates.length ?? 0,
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
      onCommitted: (fromSeq, updates) => room.committed(fromSeq, updates),
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
      onBroken: (error) => this.broken(room, error),
      onChanged: this.options.onChanged,
      now: this.options.now,
      onGapFilled: () => this.options.onGapFilled(name),
      traffic: this.options.traffic,
    })
    if (intact && parts.length === 1 && !doc.store.pendingStructs && !doc.store.pendingDs) room.primeFullState(parts[0]!)
    subscription.attach(room)
    this.options.onLoaded(room, performance.now() - started)
    return room
  }
}

import { CloseCode } from "@tandem/protocol"
import { StorageError } from "./document-store.js"
import { GroupCommit, type CommitCompanion } from "./group-commit.js"
import type { Room } from "./room.js"
import { RoomLoader, type RoomLoaderOptions } from "./room-loader.js"

/** What the RoomManager needs to build rooms; its {@link RoomLoader} takes most of it. */
export interface RoomManagerOptions extends Omit<RoomLoaderOptions, "commits" | "onBroken" | "onDeleted"> {
  readonly onUnloaded: (room: Room) => void
  /** A room was found broken and is being reloaded. */
  readonly onBroken: (doc: string, error: unknown) => void
  /** Another instance deleted a document; its room here, if loaded, is closed and dropped. */
  readonly onDeletedElsewhere: (doc: string) => void
  /** A storage transaction committed `updates` updates in `ms` milliseconds; must not throw. */
  readonly onCommitted: (ms: number, updates: number) => void
  /** Adds outbox messages (webhooks) to the commits of documents. */
  readonly companion?: CommitCompanion
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
  private readonly loader: RoomLoader

  private readonly unwatch: Array<() => void>

  constructor(private readonly options: RoomManagerOptions) {
    this.loader = new RoomLoader({
      ...options,
      commits: new GroupCommit(options.store, options.onCommitted, options.companion ?? null),
      onBroken: (room, error) => this.broken(room, error),
      onDeleted: (name) => this.deletedElsewhere(name),
    })
    const { bus } = options
    this.unwatch = [
      // Messages sent while the bus was down are lost: every room reads what it missed, and
      // sends its own clients' presence again.
      bus.onHealth((healthy) => {
        if (!healthy) return
        for (const entry of this.entries.values()) {
          if (!entry.loaded) continue
          void entry.loaded.cluster.catchUp()
          entry.loaded.cluster.republishPresence()
          bus.requestPresence(entry.loaded.name)
        }
      }),
      bus.onInstanceLost((instance) => {
        for (const entry of this.entries.values()) entry.loaded?.cluster.instanceLost(instance)
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
      entry = { room: this.loader.load(name), loaded: null, holders: 0, broken: null, unloaded: () => {} }
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
    // Folded first, so the next load of the document reads one part.
    void room.log.fold().then(() => {
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
      room.peers.closeAll(closeCode, "document deleted")
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

  /** Resolves once every loaded room has stored everything it holds and folded its log. */
  async fold(): Promise<void> {
    await Promise.all((await this.loadedRooms()).map((room) => room.log.fold()))
  }

  /** Loaded rooms, skipping those still loading. */
  async loadedRooms(): Promise<Room[]> {
    const rooms = await Promise.allSettled([...this.entries.values()].map((entry) => entry.room))
    return rooms.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []))
  }

  /** Another instance deleted `name`: the room here goes the way a deletion here would take it. */
  private deletedElsewhere(name: string): void {
    const entry = this.entries.get(name)
    const room = entry?.loaded
    if (!entry || !room) return
    room.peers.closeAll(CloseCode.Deleted, "document deleted")
    room.retire()
    this.entries.delete(name)
    room.destroy()
    entry.unloaded()
    this.options.onUnloaded(room)
    this.options.onDeletedElsewhere(name)
  }

  /** Empties a broken room: everyone reconnects to a fresh load of what storage holds. */
  private broken(room: Room, error: unknown): void {
    const entry = this.entries.get(room.name)
    if (!entry || entry.broken) return
    entry.broken = new Promise((resolve) => (entry.unloaded = resolve))
    this.options.onBroken(room.name, error)
  }
}

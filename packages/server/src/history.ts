import type { Clock, ClockTimer } from "./clock.js"
import { StorageError, type VersionInfo, type VersionStore } from "./document-store.js"
import { versionsToThin, type RetentionPolicy } from "./retention.js"
import type { Room } from "./room.js"
import { RoomGoneError } from "./room-types.js"

/** When automatic versions are taken, and how long they are kept. */
export interface HistoryOptions {
  /** Whether versions are taken on the schedule at all; named versions and restores work either way. */
  readonly automatic: boolean
  /** A version is taken once a document was edited and then left alone this long. Default 2 minutes. */
  readonly idleMs: number
  /** ... and at least this often while editing goes on. Default 10 minutes. */
  readonly maxIntervalMs: number
  readonly retention: RetentionPolicy
}

/** What {@link History} needs from the server around it. */
export interface HistoryContext {
  readonly versions: VersionStore
  readonly clock: Clock
  readonly options: HistoryOptions
  /** Runs `fn` on the room of `doc`, loading it if needed, once everything in it is stored. */
  readonly withRoom: <T>(doc: string, fn: (room: Room) => Promise<T>) => Promise<T>
  /** Whether the room of `doc` is loaded now. */
  readonly isLoaded: (doc: string) => boolean
  readonly onCreated: (doc: string, version: VersionInfo) => void
  readonly onError: (error: StorageError) => void
}

/** Timers of one document edited since its last version. */
interface Dirty {
  /** When it last changed. */
  lastChange: number
  /** Fires when the pause may be long enough; it checks `lastChange` then, and waits on if not. */
  idle: ClockTimer
  /** Set at the first edit after a version; the version is due by then at the latest. */
  readonly latest: ClockTimer
}

/** Who asks for a version, and what to call it. */
export interface VersionRequest {
  readonly label: string | null
  readonly author: string | null
  /** `named` is kept until deleted; `auto` is thinned by the retention policy. */
  readonly kind: "auto" | "named"
}

/**
 * A document server's version history: takes automatic versions of edited documents on a
 * schedule (after a pause in editing, and at least every so often while it goes on), whether or
 * not the document is still loaded then, takes versions on request, and thins automatic versions
 * by the retention policy after each one it takes. Versions are full document states in the
 * store's {@link VersionStore}.
 */
export class History {
  private readonly dirty = new Map<string, Dirty>()
  private readonly saving = new Set<Promise<unknown>>()

  constructor(private readonly context: HistoryContext) {}

  /**
   * A document changed: notes when, and starts its timers at the first change after a version.
   * Called for every update, so it only writes a time; the pause timer checks it when it fires.
   */
  changed(room: Room): void {
    const { clock, options } = this.context
    if (!options.automatic) return
    const doc = room.name
    const dirty = this.dirty.get(doc)
    if (dirty) {
      dirty.lastChange = room.lastChange ?? clock.now()
      return
    }
    this.dirty.set(doc, {
      lastChange: room.lastChange ?? clock.now(),
      idle: clock.setTimeout(() => this.paused(doc), options.idleMs),
      latest: clock.setTimeout(() => this.due(doc), options.maxIntervalMs),
    })
  }

  /** The pause timer fired: a version is due if nothing changed for `idleMs`, else it waits the rest. */
  private paused(doc: string): void {
    const dirty = this.dirty.get(doc)
    if (!dirty) return
    const { clock, options } = this.context
    const quiet = clock.now() - dirty.lastChange
    if (quiet >= options.idleMs) this.due(doc)
    else dirty.idle = clock.setTimeout(() => this.paused(doc), options.idleMs - quiet)
  }

  /** The document was deleted: nothing of it is due any more. */
  forget(doc: string): void {
    this.clear(doc)
  }

  /**
   * Takes a version of a loaded room now, once everything in it is stored. An automatic version
   * that was due is then not needed. Rejects with a StorageError when the store fails.
   */
  async take(room: Room, request: VersionRequest): Promise<VersionInfo> {
    await room.stored()
    if (!room.live) throw new RoomGoneError(`document "${room.name}" was deleted or unloaded`)
    // Taken now: a version that was due later is not needed (an edit after this starts anew).
    this.clear(room.name)
    const saving = this.save(room.name, room.encodeState(), request)
    this.track(saving)
    return saving
  }

  /** Resolves once every version being saved is stored (or has failed and been reported). */
  async idle(): Promise<void> {
    while (this.saving.size > 0) await Promise.allSettled([...this.saving])
  }

  /**
   * For a shutdown: takes now the automatic versions due later of the documents still loaded
   * (their state is in memory), and forgets those of documents that unloaded meanwhile, rather
   * than load each again while the process is stopping. Resolves once they are stored or have
   * failed and been reported.
   */
  async flush(): Promise<void> {
    for (const doc of [...this.dirty.keys()]) {
      if (this.context.isLoaded(doc)) this.due(doc)
      else this.clear(doc)
    }
    await this.idle()
  }

  /** An automatic version is due: taken from the room, loaded again if it has unloaded meanwhile. */
  private due(doc: string): void {
    if (!this.dirty.has(doc)) return
    this.track(
      this.context
        // A document deleted meanwhile loads empty and unstored: it gets no version.
        .withRoom(doc, async (room) => (room.exists ? this.take(room, { kind: "auto", label: null, author: null }) : null))
        .catch(() => {
          // Reported by save (or the load failed, and was reported there); the next edit
          // schedules another try.
        }),
    )
  }

  private clear(doc: string): boolean {
    const dirty = this.dirty.get(doc)
    if (!dirty) return false
    this.context.clock.clearTimeout(dirty.idle)
    this.context.clock.clearTimeout(dirty.latest)
    this.dirty.delete(doc)
    return true
  }

  private async save(doc: string, state: Uint8Array, request: VersionRequest): Promise<VersionInfo> {
    const { versions, clock } = this.context
    let version: VersionInfo
    try {
      version = await versions.save(doc, { ...request, createdAt: clock.now(), state })
    } catch (cause) {
      const error = new StorageError("version-failed", doc, cause)
      this.context.onError(error)
      throw error
    }
    this.context.onCreated(doc, version)
    if (version.kind === "auto") await this.thin(doc)
    return version
  }

  /** Lets go of the automatic versions the retention policy no longer keeps. */
  private async thin(doc: string): Promise<void> {
    const { versions, clock, options } = this.context
    try {
      const all: VersionInfo[] = []
      let before: string | null = null
      // Bounded: pages of 1,000 until the oldest.
      for (;;) {
        const page: VersionInfo[] = await versions.list(doc, { before, limit: 1000 })
        all.push(...page)
        if (page.length < 1000) break
        before = page[page.length - 1]!.id
      }
      const drop = versionsToThin(all, clock.now(), options.retention)
      if (drop.length > 0) await versions.remove(doc, drop)
    } catch (cause) {
      // Thinning is tried again after the next automatic version; nothing is lost meanwhile.
      this.context.onError(new StorageError("version-failed", doc, cause))
    }
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.saving.delete(tracked))
    this.saving.add(tracked)
  }
}

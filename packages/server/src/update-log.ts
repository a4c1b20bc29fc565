import { StorageError, type DocumentStore } from "./document-store.js"
import type { GroupCommit } from "./group-commit.js"

/** How the update log of a room writes and compacts. */
export interface UpdateLogOptions {
  readonly store: DocumentStore
  /** Shared by every room, so the writes due in one turn commit together. */
  readonly commits: GroupCommit
  readonly doc: string
  /** Sequence number of the newest stored update, from the load. */
  readonly head: number
  /** Updates in the stored log after the snapshot, from the load. */
  readonly logLength: number
  /** Bytes of the stored snapshot, from the load (0 when there is none). */
  readonly snapshotBytes: number
  /**
   * Compact once the log holds this many updates; for a large document, once it holds one for
   * every {@link snapshotBytesPerUpdate} bytes of the last snapshot, if that is more.
   */
  readonly compactAfterUpdates: number
  /** Compact once the log holds this many bytes. */
  readonly compactAfterBytes: number
  /** First retry delay after a failed write, doubled on each failure up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number
  readonly maxRetryDelayMs: number
  /** The current document state, encoded as one update, for compaction. */
  readonly snapshot: () => Uint8Array
  /** A write or compaction failed; a failed write is retried. */
  readonly onError: (error: StorageError, attempt: number) => void
  readonly onCompacted: (head: number, bytes: number) => void
  /**
   * A write committed: `updates`, numbered from `fromSeq` by the store. Runs before the callbacks
   * of that write's updates.
   */
  readonly onCommitted: (fromSeq: number, updates: readonly Uint8Array[]) => void
  /**
   * The sequence number up to which the document in memory holds every stored update: with
   * other instances writing too, that can be below this log's own head. Compaction folds up to it.
   */
  readonly foldedHead: () => number
  /**
   * With other instances writing the same documents: reads the document from storage and folds
   * it, resolving with the snapshot and the sequence number it folds up to (or `null` when
   * nothing is stored). Compaction then folds exactly the stored rows, never this instance's
   * memory. Without it, the document in memory is folded up to {@link foldedHead}.
   */
  readonly readSnapshot?: () => Promise<{ readonly snapshot: Uint8Array; readonly upTo: number } | null>
}

/**
 * A compaction encodes and writes the whole document: about 30 µs for each KB of it. Replaying
 * a logged update at a load costs a few µs. Folding a log of a fixed length would make each
 * update of a large document pay more and more (a 1 MB document, 30 µs an update at 1,000); a
 * log of one update for every this many bytes of the snapshot caps that at about 6 µs, and its
 * replay adds at most about half the time decoding the snapshot takes to a load.
 */
const snapshotBytesPerUpdate = 192

interface Batch {
  /** Updates to store, each with what runs once it is stored; or a callback alone. Kept in order. */
  readonly entries: Array<{ readonly update: Uint8Array | null; readonly done: () => void }>
}

/**
 * The write side of one room. Updates appended in one turn of the event loop are written to the
 * store in one transaction, shared with the other rooms through a {@link GroupCommit}; whatever has to wait for them (relaying them, answering a sync
 * request) is queued behind that commit. Writes never overlap: while one is in flight, new
 * updates gather in the next batch.
 */
export class UpdateLog {
  private head: number
  private logLength: number
  private logBytes = 0
  /** Bytes of the last snapshot: from the load, then from each compaction. */
  private snapshotBytes: number
  /** Updates appended and not yet committed, for monitoring. */
  private waiting = 0
  private next: Batch | null = null
  private writing = false
  private idleWaiters: Array<() => void> = []
  private compacting = true
  /** {@link UpdateLog.fold} was asked for: the drain folds the log once it is written. */
  private foldWanted = false
  private readonly inFlight: Array<() => void> = []
  /**
   * Each compaction falls due somewhere between 0.75 and 1.25 times the thresholds, drawn again
   * after each one. Rooms under the same load would otherwise all compact in the same turn:
   * the benchmark's ten rooms did, stalling the server for tens of milliseconds at once.
   */
  private spread = drawSpread()

  constructor(private readonly options: UpdateLogOptions) {
    this.head = options.head
    this.logLength = options.logLength
    this.snapshotBytes = options.snapshotBytes
  }

  /** Updates appended and not yet committed: waiting for their turn, or in the write under way. */
  get pending(): number {
    return this.waiting
  }

  /** Whether anything has ever been stored for this document. */
  get stored(): boolean {
    return this.head > 0
  }

  /**
   * Queues `update` for storage. `onStored` runs once the transaction holding it has committed,
   * after every earlier callback of this log.
   */
  append(update: Uint8Array, onStored: () => void): void {
    if (!this.next) {
      this.next = { entries: [] }
      // Wait for the end of this turn of the event loop, so every frame read in it (in every
      // room) shares one commit.
      if (!this.writing) this.options.commits.defer(() => void this.drain())
    }
    this.next.entries.push({ update, done: onStored })
    this.waiting++
  }

  /** A position in what is waiting to be stored, for {@link UpdateLog.discardSince}. */
  mark(): number {
    return this.next?.entries.length ?? 0
  }

  /**
   * Forgets everything appended since `mark` was taken in this same turn: it is neither stored
   * nor are its callbacks run. For an update Yjs applied only in part before it threw.
   */
  discardSince(mark: number): void {
    if (!this.next) return
    for (const entry of this.next.entries.splice(mark)) if (entry.update) this.waiting--
    if (this.next.entries.length === 0) this.next = null
  }

  /** Stops compacting: the document in memory can no longer be trusted to hold the log. */
  stopCompacting(): void {
    this.compacting = false
  }

  /**
   * Runs `fn` once everything appended so far is stored: at once when nothing is pending.
   * Used to send a peer the document state only after that state is durable.
   */
  afterStored(fn: () => void): void {
    if (this.next) this.next.entries.push({ update: null, done: fn })
    else if (this.writing) this.inFlight.push(fn)
    else fn()
  }

  /**
   * Folds whatever the log holds into a snapshot once everything appended is stored, in turn
   * with the writes: for a room about to unload, or a server shutting down, so that the next
   * load reads one part and answers its first joins from those bytes. Resolves once the log is
   * idle; a fold that fails is reported and leaves the log as it is.
   */
  fold(): Promise<void> {
    this.foldWanted = true
    if (!this.writing) void this.drain()
    return this.idle()
  }

  /** Resolves when nothing is pending or being written. */
  idle(): Promise<void> {
    if (!this.next && !this.writing) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private async drain(): Promise<void> {
    if (this.writing) return
    this.writing = true
    while (this.next || this.foldWanted) {
      const batch = this.next
      this.next = null
      if (batch) await this.storeBatch(batch)
      const wanted = this.foldWanted && this.logLength > 0
      this.foldWanted = false
      if (this.compacting && (wanted || this.compactionDue())) {
        // Not in this stretch of code: the relays of the batch just stored are corked until its
        // end, and folding the document can hold the event loop for milliseconds (8 ms for a
        // process's first fold, its code not yet optimized). They leave first.
        await new Promise<void>((resolve) => setImmediate(resolve))
        // Unless stopped meanwhile: the room broke, or its document is being deleted.
        if (this.compacting) await this.compact()
        // Asked for while the compaction ran, with nothing new to store: everything they wait
        // for is stored. Left in place they would wait for the next write, which may never come.
        for (const fn of this.inFlight.splice(0)) fn()
      }
    }
    this.writing = false
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  /** Stores a batch's updates, then runs its callbacks (and those added meanwhile) in order. */
  private async storeBatch(batch: Batch): Promise<void> {
    this.inFlight.push(...batch.entries.map((entry) => entry.done))
    const updates = batch.entries.flatMap((entry) => (entry.update ? [entry.update] : []))
    if (updates.length > 0) {
      await this.write(updates)
      this.options.onCommitted(this.head - updates.length + 1, updates)
    }
    // A callback added by afterStored while the write was in flight joins the end of inFlight.
    for (const fn of this.inFlight.splice(0)) fn()
  }

  /** Writes `updates` in one transaction, retrying with backoff until it commits. */
  private async write(updates: Uint8Array[]): Promise<void> {
    const { commits, doc, retryDelayMs, maxRetryDelayMs } = this.options
    for (let attempt = 1; ; attempt++) {
      try {
        this.head = await commits.append(doc, updates, this.head)
        this.waiting -= updates.length
        this.logLength += updates.length
        for (const update of updates) this.logBytes += update.byteLength
        return
      } catch (cause) {
        this.options.onError(new StorageError("append-failed", doc, cause), attempt)
        const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs)
        await new Promise<void>((resolve) => setTimeout(resolve, delay))
      }
    }
  }

  private compactionDue(): boolean {
    const { compactAfterUpdates, compactAfterBytes } = this.options
    const updates = Math.max(compactAfterUpdates, this.snapshotBytes / snapshotBytesPerUpdate)
    return this.logLength >= updates * this.spread || this.logBytes >= compactAfterBytes * this.spread
  }

  private async compact(): Promise<void> {
    const { store, doc } = this.options
    try {
      const folded = await this.snapshotToStore()
      if (!folded) return
      await store.compact(doc, folded.snapshot, folded.upTo)
      this.spread = drawSpread()
      this.logLength = 0
      this.logBytes = 0
      this.snapshotBytes = folded.snapshot.byteLength
      this.options.onCompacted(folded.upTo, folded.snapshot.byteLength)
    } catch (cause) {
      // The log is intact, so nothing is lost; the next batch tries again.
      this.options.onError(new StorageError("compact-failed", doc, cause), 1)
    }
  }

  /** The snapshot to store and the sequence number it replaces the log up to. */
  private async snapshotToStore(): Promise<{ readonly snapshot: Uint8Array; readonly upTo: number } | null> {
    // Several instances: exactly what storage holds, read back and folded. The store keeps a
    // snapshot from replacing a newer one that another instance wrote meanwhile.
    if (this.options.readSnapshot) return this.options.readSnapshot()
    // Alone: the document in memory. It may also hold updates of the next batch, not yet
    // appended; they are then stored twice, which Yjs ignores on load. It never holds less than
    // the log it replaces: it folds only up to the number below which the document holds every
    // stored update.
    return { snapshot: this.options.snapshot(), upTo: this.options.foldedHead() }
  }
}

const drawSpread = (): number => 0.75 + Math.random() * 0.5

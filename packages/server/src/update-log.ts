import { StorageError, type DocumentStore } from "./document-store.js"

/** How the update log of a room writes and compacts. */
export interface UpdateLogOptions {
  readonly store: DocumentStore
  readonly doc: string
  /** Sequence number of the newest stored update, from the load. */
  readonly head: number
  /** Updates in the stored log after the snapshot, from the load. */
  readonly logLength: number
  /** Compact once the log holds this many updates. */
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
}

interface Batch {
  readonly updates: Uint8Array[]
  bytes: number
  /** Run in order once the batch has committed. */
  readonly committed: Array<() => void>
}

/**
 * The write side of one room. Updates appended in one turn of the event loop are written to the
 * store in one transaction; whatever has to wait for them (relaying them, answering a sync
 * request) is queued behind that commit. Writes never overlap: while one is in flight, new
 * updates gather in the next batch.
 */
export class UpdateLog {
  private head: number
  private logLength: number
  private logBytes = 0
  private next: Batch | null = null
  private writing = false
  private idleWaiters: Array<() => void> = []
  private readonly inFlight: Array<() => void> = []

  constructor(private readonly options: UpdateLogOptions) {
    this.head = options.head
    this.logLength = options.logLength
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
      this.next = { updates: [], bytes: 0, committed: [] }
      // Wait for the end of this turn of the event loop, so every frame read in it shares one commit.
      if (!this.writing) setImmediate(() => void this.drain())
    }
    this.next.updates.push(update)
    this.next.bytes += update.byteLength
    this.next.committed.push(onStored)
  }

  /**
   * Runs `fn` once everything appended so far is stored: at once when nothing is pending.
   * Used to send a peer the document state only after that state is durable.
   */
  afterStored(fn: () => void): void {
    if (this.next) this.next.committed.push(fn)
    else if (this.writing) this.inFlight.push(fn)
    else fn()
  }

  /** Resolves when nothing is pending or being written. */
  idle(): Promise<void> {
    if (!this.next && !this.writing) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private async drain(): Promise<void> {
    if (this.writing) return
    this.writing = true
    while (this.next) {
      const batch = this.next
      this.next = null
      this.inFlight.push(...batch.committed)
      await this.write(batch)
      // A callback added by afterStored while the write was in flight joins the end of inFlight.
      for (const fn of this.inFlight.splice(0)) fn()
      if (this.logLength >= this.options.compactAfterUpdates || this.logBytes >= this.options.compactAfterBytes) {
        await this.compact()
      }
    }
    this.writing = false
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  /** Writes `batch`, retrying with backoff until it commits. */
  private async write(batch: Batch): Promise<void> {
    const { store, doc, retryDelayMs, maxRetryDelayMs } = this.options
    for (let attempt = 1; ; attempt++) {
      try {
        this.head = await store.append(doc, batch.updates)
        this.logLength += batch.updates.length
        this.logBytes += batch.bytes
        return
      } catch (cause) {
        this.options.onError(new StorageError("append-failed", doc, cause), attempt)
        const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs)
        await new Promise<void>((resolve) => setTimeout(resolve, delay))
      }
    }
  }

  private async compact(): Promise<void> {
    const { store, doc } = this.options
    // The snapshot may also hold updates of the next batch, not yet appended; they are then
    // stored twice, which Yjs ignores on load. It never holds less than the log it replaces.
    const snapshot = this.options.snapshot()
    const upTo = this.head
    try {
      await store.compact(doc, snapshot, upTo)
      this.logLength = 0
      this.logBytes = 0
      this.options.onCompacted(upTo, snapshot.byteLength)
    } catch (cause) {
      // The log is intact, so nothing is lost; the next batch tries again.
      this.options.onError(new StorageError("compact-failed", doc, cause), 1)
    }
  }
}

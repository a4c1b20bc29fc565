import type { AppendBatch, DocumentStore, OutboxMessage } from "./document-store.js"

/**
 * Outbox messages that ride along with a document's commit, in the same transaction: an event
 * about a change is then stored exactly when the change is (the transactional outbox). Webhooks
 * are one.
 */
export interface CommitCompanion {
  /**
   * `doc` is about to commit updates; `head` is its sequence number before them (0: nothing was
   * ever stored). Returns the messages to store with them, if any.
   */
  take(doc: string, head: number): readonly OutboxMessage[] | undefined
  /** The transaction that carried `messages` committed, or failed (`false`: they were not stored). */
  settled(doc: string, messages: readonly OutboxMessage[], committed: boolean): void
}

interface Waiting extends AppendBatch {
  readonly outbox: readonly OutboxMessage[] | undefined
  readonly resolve: (head: number) => void
  readonly reject: (error: unknown) => void
}

/**
 * Commits the writes of every room that falls due in one turn of the event loop in one storage
 * transaction, when the store offers {@link DocumentStore.appendMany}. Rooms defer their drains to
 * the end of the turn through {@link GroupCommit.defer}; the appends those drains start
 * synchronously are collected and written together once they have all been made.
 *
 * A failed group is retried document by document at once, so one document that cannot be
 * written never holds back the others. A document due alone is a group of one.
 */
export class GroupCommit {
  private deferred: Array<() => void> = []
  private waiting: Waiting[] = []
  /** Running the deferred functions: their appends are flushed when they have all run, not from a microtask. */
  private inTurn = false

  /**
   * @param onCommitted called after each transaction that committed, with how long it took
   *   (milliseconds, from the call to the store to its answer) and how many updates it held. It
   *   must not throw: the commit's waiters would take that for a failed write.
   * @param companion adds outbox messages to commits; only for a store with an `outbox`.
   */
  constructor(
    private readonly store: DocumentStore,
    private readonly onCommitted: (ms: number, updates: number) => void = () => {},
    private readonly companion: CommitCompanion | null = null,
  ) {}

  /** Runs `fn` at the end of this turn of the event loop, together with every other deferred function. */
  defer(fn: () => void): void {
    this.deferred.push(fn)
    if (this.deferred.length === 1) setImmediate(this.runDeferred)
  }

  /**
   * Appends `updates` to `name`, in one transaction with the other appends made in this stretch
   * of code. `head` is the document's sequence number before them, for the companion.
   */
  append(name: string, updates: readonly Uint8Array[], head: number): Promise<number> {
    const taken = this.companion?.take(name, head)
    const outbox = taken?.length ? taken : undefined
    return new Promise((resolve, reject) => {
      // One shape for every entry, with or without messages, so the code that reads them sees one.
      const entry: Waiting = { name, updates, outbox, resolve, reject }
      if (!this.store.appendMany) {
        this.appendAlone(entry)
        return
      }
      this.waiting.push(entry)
      if (this.waiting.length === 1 && !this.inTurn) queueMicrotask(this.flush)
    })
  }

  private readonly runDeferred = (): void => {
    const deferred = this.deferred
    this.deferred = []
    this.inTurn = true
    try {
      for (let i = 0; i < deferred.length; i++) deferred[i]!()
    } finally {
      this.inTurn = false
      // The appends those functions made: one microtask fewer for each commit.
      if (this.waiting.length > 0) this.flush()
    }
  }

  private readonly flush = (): void => {
    const group = this.waiting.splice(0)
    const started = performance.now()
    let count = 0
    for (let i = 0; i < group.length; i++) count += group[i]!.updates.length
    // A group of one too: one path at every load, so the code a busy server runs is the code a
    // quiet one runs (and V8 has it optimized, whichever load came first).
    this.store.appendMany!(group).then(
      (heads) => {
        this.onCommitted(performance.now() - started, count)
        for (let i = 0; i < group.length; i++) {
          const entry = group[i]!
          this.settle(entry, true)
          entry.resolve(heads[i]!)
        }
      },
      (error: unknown) => {
        if (group.length > 1) {
          for (const entry of group) this.appendAlone(entry)
          return
        }
        // Alone already: trying again at once would fail the same way; the log retries with backoff.
        const entry = group[0]!
        this.settle(entry, false)
        entry.reject(error)
      },
    )
  }

  private appendAlone(entry: Waiting): void {
    const commit = () => (entry.outbox ? this.store.append(entry.name, entry.updates, entry.outbox) : this.store.append(entry.name, entry.updates))
    this.timed(entry.updates.length, commit).then(
      (head) => {
        this.settle(entry, true)
        entry.resolve(head)
      },
      (error: unknown) => {
        this.settle(entry, false)
        entry.reject(error)
      },
    )
  }

  private settle(entry: Waiting, committed: boolean): void {
    if (entry.outbox) this.companion?.settled(entry.name, entry.outbox, committed)
  }

  /**
   * Runs `commit` and reports how long it took once it has committed; a failed one is reported as
   * a storage error elsewhere. The clock starts before the call: a store may do its work in it.
   */
  private timed(updates: number, commit: () => Promise<number>): Promise<number> {
    const started = performance.now()
    return commit().then((head) => {
      this.onCommitted(performance.now() - started, updates)
      return head
    })
  }
}

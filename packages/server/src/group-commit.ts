import type { AppendBatch, DocumentStore } from "./document-store.js"

interface Waiting extends AppendBatch {
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
 * written never holds back the others.
 */
export class GroupCommit {
  private deferred: Array<() => void> = []
  private waiting: Waiting[] = []

  /**
   * @param onCommitted called after each transaction that committed, with how long it took
   *   (milliseconds, from the call to the store to its answer) and how many updates it held. It
   *   must not throw: the commit's waiters would take that for a failed write.
   */
  constructor(
    private readonly store: DocumentStore,
    private readonly onCommitted: (ms: number, updates: number) => void = () => {},
  ) {}

  /** Runs `fn` at the end of this turn of the event loop, together with every other deferred function. */
  defer(fn: () => void): void {
    this.deferred.push(fn)
    if (this.deferred.length === 1) setImmediate(this.runDeferred)
  }

  /** Appends `updates` to `name`, in one transaction with the other appends made in this stretch of code. */
  append(name: string, updates: readonly Uint8Array[]): Promise<number> {
    if (!this.store.appendMany) return this.timed(updates.length, () => this.store.append(name, updates))
    return new Promise((resolve, reject) => {
      this.waiting.push({ name, updates, resolve, reject })
      if (this.waiting.length === 1) queueMicrotask(this.flush)
    })
  }

  private readonly runDeferred = (): void => {
    for (const fn of this.deferred.splice(0)) fn()
  }

  private readonly flush = (): void => {
    const group = this.waiting.splice(0)
    if (group.length === 1) {
      this.appendAlone(group[0]!)
      return
    }
    const started = performance.now()
    let count = 0
    for (const entry of group) count += entry.updates.length
    this.store.appendMany!(group).then(
      (heads) => {
        this.onCommitted(performance.now() - started, count)
        group.forEach((entry, i) => entry.resolve(heads[i]!))
      },
      () => {
        for (const entry of group) this.appendAlone(entry)
      },
    )
  }

  private appendAlone(entry: Waiting): void {
    this.timed(entry.updates.length, () => this.store.append(entry.name, entry.updates)).then(entry.resolve, entry.reject)
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

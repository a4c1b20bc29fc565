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

  constructor(private readonly store: DocumentStore) {}

  /** Runs `fn` at the end of this turn of the event loop, together with every other deferred function. */
  defer(fn: () => void): void {
    this.deferred.push(fn)
    if (this.deferred.length === 1) setImmediate(this.runDeferred)
  }

  /** Appends `updates` to `name`, in one transaction with the other appends made in this stretch of code. */
  append(name: string, updates: readonly Uint8Array[]): Promise<number> {
    if (!this.store.appendMany) return this.store.append(name, updates)
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
    this.store.appendMany!(group).then(
      (heads) => group.forEach((entry, i) => entry.resolve(heads[i]!)),
      () => {
        for (const entry of group) this.appendAlone(entry)
      },
    )
  }

  private appendAlone(entry: Waiting): void {
    this.store.append(entry.name, entry.updates).then(entry.resolve, entry.reject)
  }
}

import type { DocumentStore, StoredDocument } from "./document-store.js"
import { Sequencer } from "./sequencer.js"

/** What a room's LogFollower is built from. */
export interface LogFollowerOptions {
  readonly name: string
  /** Where it reads what the bus did not deliver. */
  readonly store: DocumentStore
  /** Sequence number of the newest update the loaded document holds. */
  readonly head: number
  /** How long a gap in the bus's numbering may last before it is read from storage. */
  readonly gapDelayMs: number
  /** Applies updates another instance stored, in log order. */
  readonly apply: (updates: readonly Uint8Array[]) => void
  /** Applies the whole stored document, when what is missing was folded into its snapshot. */
  readonly reload: (stored: StoredDocument) => void
  /** Reading storage brought updates the bus had not delivered. */
  readonly onGapFilled: () => void
  /** Reading storage failed; the next gap or catch-up reads again. */
  readonly onError: (error: unknown) => void
}

/**
 * Keeps a room's document in step with its stored log when several instances write it. The
 * {@link Sequencer} orders what this instance committed and what the bus brings from the others
 * by the store's numbers; a gap that outlasts `gapDelayMs` (the bus may still deliver what is
 * missing) is read from storage, one read at a time.
 */
export class LogFollower {
  private readonly sequencer: Sequencer
  private gapTimer: NodeJS.Timeout | null = null
  private filling: Promise<void> | null = null
  private stopped = false

  constructor(private readonly options: LogFollowerOptions) {
    this.sequencer = new Sequencer(options.head, options.apply)
  }

  /** Sequence number of the newest stored update the document holds, with all before it. */
  get head(): number {
    return this.sequencer.head
  }

  /** This instance committed updates `fromSeq`…`fromSeq + count - 1`; they are in the document already. */
  committed(fromSeq: number, count: number): void {
    this.sequencer.committed(fromSeq, count)
    this.watchGap()
  }

  /** Another instance's committed updates, from the bus. */
  received(fromSeq: number, updates: readonly Uint8Array[]): void {
    this.sequencer.received(fromSeq, updates)
    this.watchGap()
  }

  /** Reads what other instances stored since the head now (the bus came back, say). */
  catchUp(): Promise<void> {
    if (this.gapTimer) {
      clearTimeout(this.gapTimer)
      this.gapTimer = null
    }
    return this.fill()
  }

  /** Reads nothing more; a read under way applies nothing. */
  stop(): void {
    this.stopped = true
    if (this.gapTimer) clearTimeout(this.gapTimer)
    this.gapTimer = null
  }

  private watchGap(): void {
    if (!this.sequencer.gapped || this.gapTimer || this.stopped) return
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null
      if (this.sequencer.gapped) void this.fill()
    }, this.options.gapDelayMs)
  }

  private fill(): Promise<void> {
    this.filling ??= this.readMissing().finally(() => {
      this.filling = null
      this.watchGap()
    })
    return this.filling
  }

  /** Reads the stored updates after the head and applies those the document lacks. */
  private async readMissing(): Promise<void> {
    const { store, name } = this.options
    try {
      const since = store.loadSince ? await store.loadSince(name, this.sequencer.head) : null
      if (this.stopped) return
      if (since) {
        if (this.sequencer.filled(since)) this.options.onGapFilled()
        return
      }
      // Compaction folded what we lack into the snapshot (or the store cannot read a range):
      // the whole document is read, and Yjs applies only what is new.
      const stored = await store.load(name)
      if (this.stopped || !stored) return
      this.options.reload(stored)
      const before = this.sequencer.head
      this.sequencer.reset(stored.head)
      if (this.sequencer.head > before) this.options.onGapFilled()
    } catch (error) {
      this.options.onError(error)
    }
  }
}

import type { StoredUpdate } from "./document-store.js"

interface Pending {
  readonly to: number
  /** Another instance's updates waiting for their turn, or `null` for a range this instance committed. */
  readonly updates: readonly Uint8Array[] | null
}

/**
 * Keeps one document's log numbers in order across instances. The store numbers every update
 * as it commits; a room holds all updates up to {@link Sequencer.head}. Ranges this instance
 * committed, and other instances' ranges that came over the bus ahead of their turn, wait here
 * until everything below them is in; then the bus ranges are applied in order. While anything
 * waits, there is a gap: {@link Sequencer.gapped} says so, and the room fills it from storage
 * with {@link Sequencer.filled}.
 */
export class Sequencer {
  private current: number
  private readonly pending = new Map<number, Pending>()

  constructor(
    head: number,
    /** Applies updates of another instance to the document, in log order. */
    private readonly apply: (updates: readonly Uint8Array[]) => void,
  ) {
    this.current = head
  }

  /** Every update numbered up to this one is in the document. */
  get head(): number {
    return this.current
  }

  /** Whether updates are known to exist between the head and something already received. */
  get gapped(): boolean {
    return this.pending.size > 0
  }

  /** This instance committed updates `fromSeq`…`fromSeq + count - 1`; they are in the document already. */
  committed(fromSeq: number, count: number): void {
    // Alone on a document (always, with one instance), each commit follows on from the head.
    if (fromSeq === this.current + 1 && this.pending.size === 0) {
      this.current += count
      return
    }
    this.pending.set(fromSeq, { to: fromSeq + count - 1, updates: null })
    this.advance()
  }

  /** Another instance's committed updates, numbered from `fromSeq`, as the bus delivered them. */
  received(fromSeq: number, updates: readonly Uint8Array[]): void {
    const to = fromSeq + updates.length - 1
    if (updates.length === 0 || to <= this.current) return
    if (fromSeq <= this.current) {
      // Part of it came in already (from storage): only the rest is new.
      this.apply(updates.slice(this.current + 1 - fromSeq))
      this.current = to
    } else {
      this.pending.set(fromSeq, { to, updates })
    }
    this.advance()
  }

  /**
   * Updates read from storage after the head, oldest first. Those this instance committed itself
   * are skipped; the rest are applied. Returns whether the head moved.
   */
  filled(stored: readonly StoredUpdate[]): boolean {
    const start = this.current
    for (const { seq, data } of stored) {
      if (seq <= this.current) continue
      // The store numbers without holes; a hole means the read raced a compaction.
      if (seq !== this.current + 1) break
      if (!this.ownCovers(seq)) this.apply([data])
      this.current = seq
    }
    this.advance()
    return this.current !== start
  }

  /** The document was reloaded whole from storage, holding everything up to `head`. */
  reset(head: number): void {
    if (head > this.current) this.current = head
    this.advance()
  }

  private ownCovers(seq: number): boolean {
    for (const [from, entry] of this.pending) {
      if (entry.updates === null && from <= seq && seq <= entry.to) return true
    }
    return false
  }

  /** Applies what waits and follows on from the head, dropping what the head has passed. */
  private advance(): void {
    for (;;) {
      for (const [from, entry] of this.pending) {
        if (entry.to <= this.current) this.pending.delete(from)
      }
      const next = this.pending.get(this.current + 1)
      if (!next) return
      this.pending.delete(this.current + 1)
      if (next.updates) this.apply(next.updates)
      this.current = next.to
    }
  }
}

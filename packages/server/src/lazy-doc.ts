import type { UpdateSummary } from "@tandem/protocol"
import * as Y from "yjs"
import { encodeStateVector, type DeferredState } from "./deferred-state.js"

/**
 * What the room accepted and its Y.Doc does not hold yet. A room relays and stores updates as
 * bytes; it applies them to its Y.Doc only when something needs the document itself (a join
 * that has some state, the text, a compaction, a version, a gateway), all of them in one
 * transaction. Only updates known to integrate whole wait here (see {@link LazyDoc.canDefer}),
 * so what the room reports of them (applied, stored, relayed) is what applying them would give.
 */
interface Lag {
  /** A whole document's state that the Y.Doc (then empty) does not hold: one loaded from one stored part. */
  readonly base: Uint8Array | null
  /** Updates accepted after it, in order, each following on exactly from what came before. */
  readonly updates: Uint8Array[]
  /** The document's state vector with all of them. */
  readonly stateVector: Map<number, number>
}

/**
 * Updates waiting in a lag are applied after the current commit once this many have gathered,
 * in one transaction: a few hundred microseconds at a time, never on the path of an update.
 * Applying a thousand at once, when something needed the document, held a busy server for
 * tens of milliseconds (p99 at 4,000 updates/s rose from 15 to 40 ms).
 */
const lagBatch = 64
/** Past this many, an update that could wait is applied at once instead (the lag's bound). */
const maxLagUpdates = 1024

/**
 * A room's Y.Doc with the updates it has accepted and not applied yet (its lag): the document
 * is built only when something reads it, and a fresh process answers joins from the stored
 * bytes it loaded.
 */
export class LazyDoc {
  private lag: Lag | null
  /** Whether {@link LazyDoc.applyLater} is due. */
  private scheduled = false
  private stopped = false

  /**
   * @param ydoc the document, holding what was loaded unless `deferred` holds it instead.
   * @param onBroken Yjs threw applying the lag: the document can no longer be trusted.
   */
  constructor(
    readonly ydoc: Y.Doc,
    deferred: DeferredState | undefined,
    private readonly onBroken: (error: unknown) => void,
  ) {
    this.lag = deferred ? { base: deferred.state, updates: [], stateVector: new Map(deferred.stateVector) } : null
  }

  /**
   * The document, holding everything accepted: what waits in the lag is applied first, in one
   * transaction. Each part of it passed the walker and was checked to integrate whole, so Yjs
   * should never throw here; if it does, the room is reloaded, as for a broken update.
   */
  get doc(): Y.Doc {
    this.applyLag()
    return this.ydoc
  }

  /** The clock the document (with what waits in the lag) has reached for `client`. */
  stateOf(client: number): number {
    return this.lag ? (this.lag.stateVector.get(client) ?? 0) : Y.getState(this.ydoc.store, client)
  }

  /** The document's state vector, encoded, without applying the lag. */
  encodeStateVector(): Uint8Array {
    return this.lag ? encodeStateVector(this.lag.stateVector) : Y.encodeStateVector(this.ydoc)
  }

  /**
   * The document as one Yjs update; with a state vector, only what that state lacks. The stored
   * bytes themselves while nothing was accepted since they were loaded and the client has nothing.
   */
  encodeState(stateVector?: Uint8Array): Uint8Array {
    const lag = this.lag
    if (lag?.base && lag.updates.length === 0 && (!stateVector || isEmptyStateVector(stateVector))) return lag.base
    return Y.encodeStateAsUpdate(this.doc, stateVector)
  }

  /**
   * Whether an update may wait in the lag: it follows on exactly from the document's state for
   * every client it writes, with no gap, and everything it refers to or deletes is in the
   * document or in itself, so it integrates whole whenever it is applied; and nothing waits on
   * dependencies.
   */
  canDefer(summary: UpdateSummary): boolean {
    const { references } = summary
    if (summary.gaps || summary.clocks.size === 0 || !references) return false
    if (this.lag ? this.lag.updates.length >= maxLagUpdates : this.ydoc.store.pendingStructs || this.ydoc.store.pendingDs) return false
    for (const [client, range] of summary.clocks) {
      if (range.from !== this.stateOf(client)) return false
    }
    const reached = (client: number) => summary.clocks.get(client)?.to ?? this.stateOf(client)
    for (const [client, needed] of references) {
      if (needed > reached(client)) return false
    }
    for (const { client, clock, length } of summary.deletes) {
      if (clock + length > reached(client)) return false
    }
    return true
  }

  /** Puts an update {@link LazyDoc.canDefer} allowed in the lag. */
  defer(update: Uint8Array, summary: UpdateSummary): void {
    const lag = (this.lag ??= { base: null, updates: [], stateVector: Y.decodeStateVector(Y.encodeStateVector(this.ydoc)) })
    lag.updates.push(update)
    for (const [client, range] of summary.clocks) lag.stateVector.set(client, range.to)
  }

  /**
   * Once a batch waits in the lag, applies it at the end of this turn. Called after the
   * deferred update's commit was queued, so the commit goes first.
   */
  applySoonIfBatched(): void {
    if (this.lag && this.lag.updates.length >= lagBatch && !this.scheduled) {
      this.scheduled = true
      setImmediate(this.applyLater)
    }
  }

  /** Whether every struct of an update is new and integrates now, with nothing pending in the document. */
  followsOn(summary: UpdateSummary): boolean {
    const { store } = this.doc
    if (summary.gaps || summary.clocks.size === 0 || store.pendingStructs || store.pendingDs) return false
    for (const [client, range] of summary.clocks) {
      if (range.from !== Y.getState(store, client)) return false
    }
    return true
  }

  /** Whether everything an update carries is now in the document, none of it waiting on dependencies. */
  integrated(summary: UpdateSummary): boolean {
    for (const [client, range] of summary.clocks) {
      if (this.stateOf(client) < range.to) return false
    }
    return summary.deletes.every(({ client, clock, length }) => this.stateOf(client) >= clock + length)
  }

  /**
   * Drops what waits in Yjs on missing dependencies once it passes `maxBytes`, and says whether
   * it did. That content is neither stored nor relayed: dropping it loses nothing that was
   * accepted, and the clients that hold it send it again when they resync. (While updates wait in
   * the lag, nothing waits on dependencies: see {@link LazyDoc.canDefer}.)
   */
  dropPendingPast(maxBytes: number): boolean {
    const { store } = this.ydoc
    const { pendingStructs, pendingDs } = store
    if ((pendingStructs?.update.byteLength ?? 0) + (pendingDs?.byteLength ?? 0) <= maxBytes) return false
    store.pendingStructs = null
    store.pendingDs = null
    return true
  }

  /** Applies nothing more, scheduled or not; the room destroys the document. */
  stop(): void {
    this.stopped = true
  }

  /** Applies what waits in the lag, if anything, in one transaction. */
  private applyLag(): void {
    const lag = this.lag
    if (lag) {
      this.lag = null
      try {
        Y.transact(this.ydoc, () => {
          if (lag.base) Y.applyUpdate(this.ydoc, lag.base)
          for (const update of lag.updates) Y.applyUpdate(this.ydoc, update)
        })
      } catch (error) {
        this.onBroken(error)
        throw error
      }
    }
  }

  private readonly applyLater = (): void => {
    this.scheduled = false
    if (this.stopped) return
    try {
      this.applyLag()
    } catch {
      // Reported as a broken room by applyLag; the room reloads.
    }
  }
}

/** Whether a state vector is that of a client holding nothing. */
export function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === 1 && stateVector[0] === 0
}

import { validateUpdate } from "@tandem/protocol"
import * as Y from "yjs"
import { deferredState, type DeferredState } from "./deferred-state.js"
import type { Quarantine, StoredDocument } from "./document-store.js"

// Building a Y.Doc from what a DocumentStore holds for one document: its snapshot, then its log.

/**
 * Applies every stored part to `doc`, snapshot first, in one transaction with `origin`.
 *
 * @throws what Yjs throws for a part it cannot apply; the parts before it stay applied.
 */
export function applyStored(doc: Y.Doc, stored: StoredDocument, origin: unknown = null): void {
  Y.transact(
    doc,
    () => {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot, origin)
      for (const update of stored.updates) Y.applyUpdate(doc, update.data, origin)
    },
    origin,
  )
}

/**
 * Applies the stored parts that decode to `doc`, in one transaction, and skips the others.
 * Returns the parts skipped, to move aside, or `null` when every part applied.
 */
export function applyStoredParts(doc: Y.Doc, stored: StoredDocument): Quarantine | null {
  const parts: Array<{ seq: number | null; data: Uint8Array }> = [
    ...(stored.snapshot ? [{ seq: null, data: stored.snapshot }] : []),
    ...stored.updates,
  ]
  const bad: Array<number | null> = []
  Y.transact(doc, () => {
    for (const part of parts) {
      try {
        validateUpdate(part.data)
        Y.applyUpdate(doc, part.data)
      } catch {
        bad.push(part.seq)
      }
    }
  })
  if (bad.length === 0) return null
  return { snapshot: bad.includes(null), seqs: bad.filter((seq): seq is number => seq !== null) }
}

/**
 * The stored document folded into one update, garbage collected.
 *
 * @throws what Yjs throws for a part it cannot apply.
 */
export function foldStored(stored: StoredDocument): Uint8Array {
  const doc = new Y.Doc({ gc: true })
  try {
    applyStored(doc, stored)
    return Y.encodeStateAsUpdate(doc)
  } finally {
    doc.destroy()
  }
}

/** A stored part as a deferred state, when it walks cleanly and holds a whole document. */
export function wholePart(part: Uint8Array): DeferredState | null {
  try {
    return deferredState(part, validateUpdate(part, { references: true }))
  } catch {
    // Refused by the walker: applied at load, which moves it aside.
    return null
  }
}

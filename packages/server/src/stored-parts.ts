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

/** The origin a room applies what other instances stored with, read from the bus or from storage. */
export const storedOrigin = Object.freeze({ instance: "storage" })

/**
 * Applies updates another instance stored, one by one, and hands each to `relay` once Yjs took
 * it. One that Yjs cannot apply is reported to `onError` and skipped: it is stored and was relayed
 * elsewhere already, and the document still holds everything else.
 */
export function applyCommitted(doc: Y.Doc, updates: readonly Uint8Array[], relay: (update: Uint8Array) => void, onError: (error: unknown) => void): void {
  for (const update of updates) {
    try {
      Y.applyUpdate(doc, update, storedOrigin)
    } catch (error) {
      onError(error)
      continue
    }
    relay(update)
  }
}

/** Applies the whole stored document again; Yjs applies only what is new, and that goes to `relay`. */
export function reapplyStored(doc: Y.Doc, stored: StoredDocument, relay: (update: Uint8Array) => void): void {
  doc.on("update", relay)
  try {
    applyStored(doc, stored, storedOrigin)
  } finally {
    doc.off("update", relay)
  }
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

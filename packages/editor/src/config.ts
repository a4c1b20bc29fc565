import { Annotation, Facet } from "@codemirror/state"
import type { Awareness } from "y-protocols/awareness"
import * as Y from "yjs"

/**
 * One binding of an editor to a `Y.Text`. Also the origin of every Yjs transaction the binding
 * makes, which is how it tells its own changes from everyone else's.
 */
export class CollabConfig {
  readonly undoManager: Y.UndoManager
  /** The local selection just before the latest local change, kept with undo stack items. */
  selectionBeforeChange: { anchor: Y.RelativePosition; head: Y.RelativePosition } | null = null

  constructor(
    readonly ytext: Y.Text,
    readonly awareness: Awareness | null,
    undoManager: Y.UndoManager | null,
  ) {
    if (!ytext.doc) throw new TypeError("collab: the Y.Text must belong to a Y.Doc")
    this.undoManager = undoManager ?? new Y.UndoManager(ytext, { trackedOrigins: new Set([this]) })
    // A caller's undo manager may track other origins too; it must track ours.
    this.undoManager.addTrackedOrigin(this)
  }

  get ydoc(): Y.Doc {
    return this.ytext.doc!
  }
}

/** The binding of the editor; one per editor. */
export const collabConfig = Facet.define<CollabConfig, CollabConfig | null>({
  combine: (values) => values[0] ?? null,
})

/**
 * Marks a transaction that carries changes from Yjs (someone else's edit, or an undo) into the
 * editor, so the binding does not send them back.
 */
export const fromYjs = Annotation.define<true>()

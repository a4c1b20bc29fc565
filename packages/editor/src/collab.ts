import type { EditorState, Extension } from "@codemirror/state"
import type { Awareness } from "y-protocols/awareness"
import type * as Y from "yjs"
import { CollabConfig, collabConfig } from "./config.js"
import { remoteCursors } from "./remote-cursors.js"
import { syncPlugin } from "./sync.js"
import { yUndoExtension } from "./undo.js"

/** Options of {@link collab}. */
export interface CollabOptions {
  /** The shared text. The editor must start with exactly its content (`ytext.toString()`). */
  readonly ytext: Y.Text
  /** Presence: remote carets and names are drawn from it and the local cursor is published to it. */
  readonly awareness?: Awareness | null
  /**
   * Undo manager to use; by default one is made that tracks only this editor's changes. A given
   * one is made to track this editor's changes too.
   */
  readonly undoManager?: Y.UndoManager | null
}

/**
 * Binds a CodeMirror editor to a `Y.Text`. Bring your own provider: this extension only needs
 * the text and, for presence, an awareness.
 *
 * - Local edits go to Yjs; edits from others arrive as `Transaction.remote` transactions, kept
 *   out of CodeMirror's history, with the local selection mapped through them.
 * - Undo and redo (Mod-z, Mod-y / Mod-Shift-z, the Edit menu) undo only this user's edits and
 *   restore the selection.
 * - Other users' carets and selections are drawn in their colour with their name, from the
 *   awareness fields `user: { name, color }` and `cursor: { anchor, head }` (Yjs relative
 *   positions), the layout y-codemirror.next uses, so mixed clients see each other.
 *
 * @throws {TypeError} when `ytext` belongs to no `Y.Doc`.
 */
export function collab(options: CollabOptions): Extension {
  const config = new CollabConfig(options.ytext, options.awareness ?? null, options.undoManager ?? null)
  return [collabConfig.of(config), syncPlugin, yUndoExtension(), remoteCursors()]
}

/** The undo manager of an editor's binding, or `null` for an editor without {@link collab}. */
export function getUndoManager(state: EditorState): Y.UndoManager | null {
  return state.facet(collabConfig)?.undoManager ?? null
}

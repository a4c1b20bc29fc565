import { Transaction, type ChangeSpec } from "@codemirror/state"
import { ViewPlugin, type EditorView, type ViewUpdate } from "@codemirror/view"
import * as Y from "yjs"
import { collabConfig, fromYjs, type CollabConfig } from "./config.js"

/** Turns a Y.Text delta into CodeMirror changes, all in the coordinates of the old document. */
function changesOf(delta: Y.YTextEvent["delta"]): ChangeSpec[] {
  const changes: ChangeSpec[] = []
  let pos = 0
  for (const op of delta) {
    if (op.insert !== undefined) changes.push({ from: pos, insert: typeof op.insert === "string" ? op.insert : "" })
    else if (op.delete !== undefined) {
      changes.push({ from: pos, to: pos + op.delete })
      pos += op.delete
    } else if (op.retain !== undefined) pos += op.retain
  }
  return changes
}

/** @internal The plugin value behind syncPlugin. */
export class SyncBinding {
  private readonly config: CollabConfig
  private readonly observer: (event: Y.YTextEvent, transaction: Y.Transaction) => void

  constructor(private readonly view: EditorView) {
    const config = view.state.facet(collabConfig)
    if (!config) throw new Error("syncPlugin needs collab() in the editor's extensions")
    this.config = config
    this.observer = (event, transaction) => {
      if (transaction.origin === config) return
      const undoing = transaction.origin === config.undoManager
      const userEvent = undoing ? (config.undoManager.redoing ? "redo" : "undo") : null
      this.view.dispatch({
        changes: changesOf(event.delta),
        annotations: [
          fromYjs.of(true),
          Transaction.addToHistory.of(false),
          // An undo is this user's own action; everything else came from someone else.
          userEvent ? Transaction.userEvent.of(userEvent) : Transaction.remote.of(true),
        ],
      })
    }
    config.ytext.observe(this.observer)
  }

  update(update: ViewUpdate): void {
    if (!update.docChanged) return
    const local = update.transactions.filter((tr) => tr.docChanged && !tr.annotation(fromYjs))
    if (local.length === 0) return
    const { ytext, ydoc } = this.config
    const selection = update.startState.selection.main
    this.config.selectionBeforeChange = {
      anchor: Y.createRelativePositionFromTypeIndex(ytext, selection.anchor),
      head: Y.createRelativePositionFromTypeIndex(ytext, selection.head),
    }
    ydoc.transact(() => {
      for (const tr of local) {
        // Positions of one transaction's changes refer to its start document; shift each by
        // what the earlier changes of the same transaction added or removed.
        let shift = 0
        tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
          const text = inserted.sliceString(0, inserted.length, "\n")
          if (toA > fromA) ytext.delete(fromA + shift, toA - fromA)
          if (text.length > 0) ytext.insert(fromA + shift, text)
          shift += text.length - (toA - fromA)
        })
      }
    }, this.config)
  }

  destroy(): void {
    this.config.ytext.unobserve(this.observer)
  }
}

/**
 * Keeps the editor and the Y.Text equal. Local edits go to Yjs in one transaction whose origin is
 * the binding's config; changes from Yjs arrive as remote transactions, kept out of CodeMirror's
 * own history, and CodeMirror maps the local selection through them.
 */
export const syncPlugin = ViewPlugin.fromClass(SyncBinding)

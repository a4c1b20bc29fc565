import { EditorSelection, Prec, type Extension } from "@codemirror/state"
import { EditorView, ViewPlugin, keymap, type Command } from "@codemirror/view"
import * as Y from "yjs"
import { collabConfig, fromYjs, type CollabConfig } from "./config.js"

interface StackItemEvent {
  stackItem: { meta: Map<unknown, unknown> }
  type: "undo" | "redo"
}

function step(view: EditorView, direction: "undo" | "redo"): boolean {
  const config = view.state.facet(collabConfig)
  if (!config) return false
  const selection = view.state.selection.main
  config.selectionBeforeChange = {
    anchor: Y.createRelativePositionFromTypeIndex(config.ytext, selection.anchor),
    head: Y.createRelativePositionFromTypeIndex(config.ytext, selection.head),
  }
  const item = direction === "undo" ? config.undoManager.undo() : config.undoManager.redo()
  return item !== null
}

/** Undoes this user's latest change, never anyone else's. */
export const yUndo: Command = (view) => step(view, "undo")

/** Redoes what {@link yUndo} undid. */
export const yRedo: Command = (view) => step(view, "redo")

/** @internal The plugin value behind selectionRestore. */
export class SelectionRestore {
  private readonly config: CollabConfig
  private readonly onAdded = ({ stackItem }: StackItemEvent) => {
    if (this.config.selectionBeforeChange) stackItem.meta.set(this.config, this.config.selectionBeforeChange)
  }
  private readonly onPopped = ({ stackItem }: StackItemEvent) => {
    const saved = stackItem.meta.get(this.config) as CollabConfig["selectionBeforeChange"] | undefined
    if (!saved) return
    const anchor = Y.createAbsolutePositionFromRelativePosition(saved.anchor, this.config.ydoc)
    const head = Y.createAbsolutePositionFromRelativePosition(saved.head, this.config.ydoc)
    if (!anchor || !head || anchor.type !== this.config.ytext || head.type !== this.config.ytext) return
    const length = this.view.state.doc.length
    this.view.dispatch({
      selection: EditorSelection.single(Math.min(anchor.index, length), Math.min(head.index, length)),
      scrollIntoView: true,
      annotations: fromYjs.of(true),
    })
  }

  constructor(private readonly view: EditorView) {
    this.config = view.state.facet(collabConfig)!
    this.config.undoManager.on("stack-item-added", this.onAdded)
    this.config.undoManager.on("stack-item-popped", this.onPopped)
  }

  destroy(): void {
    this.config.undoManager.off("stack-item-added", this.onAdded)
    this.config.undoManager.off("stack-item-popped", this.onPopped)
  }
}

/** Stores the selection with each undo step and puts it back, scrolled into view, when the step is undone. */
const selectionRestore = ViewPlugin.fromClass(SelectionRestore)

/** Undo and redo through the binding's Y.UndoManager: keys, and the browser's Edit menu. */
export function yUndoExtension(): Extension {
  return [
    selectionRestore,
    Prec.high(
      keymap.of([
        { key: "Mod-z", run: yUndo, preventDefault: true },
        { key: "Mod-y", mac: "Mod-Shift-z", run: yRedo, preventDefault: true },
        { key: "Mod-Shift-z", run: yRedo, preventDefault: true },
      ]),
    ),
    EditorView.domEventHandlers({
      beforeinput(event, view) {
        const command = event.inputType === "historyUndo" ? yUndo : event.inputType === "historyRedo" ? yRedo : null
        if (!command) return false
        event.preventDefault()
        return command(view)
      },
    }),
  ]
}

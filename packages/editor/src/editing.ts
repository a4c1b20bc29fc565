import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search"
import { RangeSetBuilder, type Extension } from "@codemirror/state"
import { Decoration, EditorView, ViewPlugin, drawSelection, highlightActiveLine, keymap, lineNumbers, type DecorationSet, type ViewUpdate } from "@codemirror/view"

const autoDirection = Decoration.line({ attributes: { dir: "auto" } })

/** `dir="auto"` on every visible line, so the browser lays each out by its own first strong character. */
function lineDirections(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>()
  for (const { from, to } of view.visibleRanges) {
    for (let pos = from; pos <= to; ) {
      const line = view.state.doc.lineAt(pos)
      builder.add(line.from, line.from, autoDirection)
      pos = line.to + 1
    }
  }
  return builder.finish()
}

const perLineDirection = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet
    constructor(view: EditorView) {
      this.decorations = lineDirections(view)
    }
    update(update: ViewUpdate): void {
      if (update.docChanged || update.viewportChanged) this.decorations = lineDirections(update.view)
    }
  },
  { decorations: (plugin) => plugin.decorations },
)

/**
 * What both editors (Yjs and OT) share: line numbers, drawn selections, the active line, wrapped
 * lines, find and replace (Ctrl+F or Cmd+F,
 * the panel at the top), matches of the selection highlighted, the browser's spellcheck, and
 * right-to-left lines (Arabic, Hebrew) laid out right to left, each line by its own text
 * (CodeMirror then reads each line's direction for cursor motion).
 */
export function editingBasics(): Extension {
  return [
    lineNumbers(),
    drawSelection(),
    highlightActiveLine(),
    EditorView.lineWrapping,
    perLineDirection,
    EditorView.perLineTextDirection.of(true),
    EditorView.contentAttributes.of({ spellcheck: "true", autocorrect: "on", autocapitalize: "sentences" }),
    search({ top: true }),
    highlightSelectionMatches(),
    keymap.of(searchKeymap),
  ]
}

import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search"
import { EditorState, Prec, RangeSetBuilder, type Extension, type Line } from "@codemirror/state"
import { Decoration, EditorView, ViewPlugin, drawSelection, highlightActiveLine, keymap, lineNumbers, type DecorationSet, type ViewUpdate } from "@codemirror/view"

/**
 * A view plugin that decorates each visible line with what `decorate` adds for it, redrawn when the
 * text or the viewport changes.
 */
function perVisibleLine(decorate: (line: Line, builder: RangeSetBuilder<Decoration>) => void) {
  const build = (view: EditorView): DecorationSet => {
    const builder = new RangeSetBuilder<Decoration>()
    for (const { from, to } of view.visibleRanges) {
      for (let pos = from; pos <= to; ) {
        const line = view.state.doc.lineAt(pos)
        decorate(line, builder)
        pos = line.to + 1
      }
    }
    return builder.finish()
  }
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet
      constructor(view: EditorView) {
        this.decorations = build(view)
      }
      update(update: ViewUpdate): void {
        if (update.docChanged || update.viewportChanged) this.decorations = build(update.view)
      }
    },
    { decorations: (plugin) => plugin.decorations },
  )
}

const autoDirection = Decoration.line({ attributes: { dir: "auto" } })

/** `dir="auto"` on every visible line, so the browser lays each out by its own first strong character. */
const perLineDirection = perVisibleLine((line, builder) => builder.add(line.from, line.from, autoDirection))

/**
 * The browser's spellcheck on or off, as a content attribute. {@link editingBasics} includes it
 * switched on at the lowest precedence, so an app's own `spellcheckAttribute(false)` (in a
 * `Compartment`, to toggle it with `compartment.reconfigure`) overrides it.
 */
export function spellcheckAttribute(on: boolean): Extension {
  return EditorView.contentAttributes.of({ spellcheck: on ? "true" : "false" })
}

const hiddenCarriageReturn = Decoration.replace({})

/**
 * The `"\r"` of each visible `"\r\n"` line ending, hidden: with `"\n"` as the line separator it is
 * a character of its line, and the browser would draw it (as a space or a second line break).
 */
const hideCarriageReturns = perVisibleLine((line, builder) => {
  if (line.length > 0 && line.text.endsWith("\r")) builder.add(line.to - 1, line.to, hiddenCarriageReturn)
})

/**
 * Text typed at the end of a `"\r\n"` line goes before its hidden `"\r"`, so the line keeps its
 * ending instead of growing a stray `"\r"` in the middle (End and clicks put the caret after it).
 */
const typeBeforeCarriageReturn = EditorView.inputHandler.of((view, from, to, text) => {
  const { state } = view
  if (from !== to || from === 0 || state.sliceDoc(from - 1, from) !== "\r" || state.doc.lineAt(from).to !== from) return false
  if (!state.selection.ranges.every((range) => range.empty)) return false
  view.dispatch({
    changes: { from: from - 1, insert: text },
    selection: { anchor: from - 1 + text.length },
    userEvent: "input.type",
    scrollIntoView: true,
  })
  return true
})

/**
 * Line endings kept exactly as typed or pasted: lines are split only at `"\n"`, so a `"\r\n"`
 * stays two characters in the document (and in the Y.Text, position for position, and in what
 * the server counts), its `"\r"` hidden and never typed after. Without this CodeMirror turns
 * every `"\r\n"` and `"\r"` into `"\n"`.
 */
export function keepLineEndings(): Extension {
  return [EditorState.lineSeparator.of("\n"), hideCarriageReturns, typeBeforeCarriageReturn]
}

/**
 * What both editors (Yjs and OT) share: line numbers, drawn selections, the active line, wrapped
 * lines, find and replace (Ctrl+F or Cmd+F,
 * the panel at the top), matches of the selection highlighted, the browser's spellcheck (on
 * unless the app adds {@link spellcheckAttribute}`(false)`), line endings kept as they are
 * ({@link keepLineEndings}), and right-to-left lines (Arabic, Hebrew) laid out right to left,
 * each line by its own text (CodeMirror then reads each line's direction for cursor motion).
 */
export function editingBasics(): Extension {
  return [
    lineNumbers(),
    drawSelection(),
    highlightActiveLine(),
    EditorView.lineWrapping,
    perLineDirection,
    EditorView.perLineTextDirection.of(true),
    EditorView.contentAttributes.of({ autocorrect: "on", autocapitalize: "sentences" }),
    Prec.lowest(spellcheckAttribute(true)),
    keepLineEndings(),
    search({ top: true }),
    highlightSelectionMatches(),
    keymap.of(searchKeymap),
  ]
}

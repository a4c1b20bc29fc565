import { RangeSetBuilder, type EditorState, type Extension } from "@codemirror/state"
import { Decoration, EditorView, type DecorationSet } from "@codemirror/view"
import { CaretWidget, remoteCursorsTheme } from "../caret-widget.js"
import { sanitizeColor, sanitizeName } from "../user-info.js"
import { remotePeers } from "./presence.js"

/** Carets, selections and name labels of the peers in {@link remotePeers}, drawn as the Yjs editor draws them. */
function decorations(state: EditorState): DecorationSet {
  const ranges: Array<{ from: number; to: number; decoration: Decoration }> = []
  for (const peer of state.field(remotePeers).values()) {
    if (!peer.selection) continue
    const color = sanitizeColor(peer.color)
    const { anchor, head } = peer.selection
    const from = Math.min(anchor, head)
    const to = Math.max(anchor, head)
    if (from < to) {
      ranges.push({ from, to, decoration: Decoration.mark({ class: "cm-ySelection", attributes: { style: `background-color: ${color}33` } }) })
    }
    ranges.push({ from: head, to: head, decoration: Decoration.widget({ widget: new CaretWidget(sanitizeName(peer.name), color), side: 1 }) })
  }
  ranges.sort((a, b) => a.from - b.from || a.to - b.to)
  const builder = new RangeSetBuilder<Decoration>()
  for (const range of ranges) builder.add(range.from, range.to, range.decoration)
  return builder.finish()
}

/** Other people's carets in an OT editor: the same classes and look as the Yjs editor's. */
export function collabCursors(): Extension {
  return [EditorView.decorations.compute([remotePeers], decorations), remoteCursorsTheme]
}

import { Annotation, RangeSetBuilder, type Extension } from "@codemirror/state"
import { Decoration, EditorView, ViewPlugin, WidgetType, type DecorationSet, type ViewUpdate } from "@codemirror/view"
import { decodeCursor, encodeCursor, type AwarenessCursor, type Cursor } from "@tandem/protocol"
import * as Y from "yjs"
import { collabConfig, type CollabConfig } from "./config.js"

/** What a user shows others, in the awareness field `user` (the y-codemirror.next layout). */
export interface UserInfo {
  readonly name: string
  readonly color: string
}

/**
 * A user's selection, in the awareness field `cursor`: Yjs relative positions in the layout
 * `y-codemirror.next` publishes (every field present, nulls kept). Written and read with
 * `encodeCursor` and `decodeCursor` from `@tandem/protocol`.
 */
export type CursorInfo = AwarenessCursor

const fallbackColor = "#7a7a7a"
const safeColor = /^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/

/** A colour from a peer is used only if it is a plain hex colour: it goes into a style attribute. */
export function sanitizeColor(color: unknown): string {
  return typeof color === "string" && safeColor.test(color) ? color : fallbackColor
}

/** A name from a peer, trimmed and shortened, or "Anonymous". */
export function sanitizeName(name: unknown): string {
  const text = typeof name === "string" ? name.trim() : ""
  return (text || "Anonymous").slice(0, 64)
}

const awarenessChanged = Annotation.define<true>()

/** A remote caret with its name label, in the user's colour; shared by the Yjs and the OT editor. */
export class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly color: string,
  ) {
    super()
  }

  override eq(other: CaretWidget): boolean {
    return other.name === this.name && other.color === this.color
  }

  toDOM(): HTMLElement {
    const caret = document.createElement("span")
    caret.className = "cm-ySelectionCaret"
    caret.style.borderColor = this.color
    caret.setAttribute("aria-hidden", "true")
    const info = document.createElement("span")
    info.className = "cm-ySelectionInfo"
    info.style.backgroundColor = this.color
    // textContent, never innerHTML: names come from other people.
    info.textContent = this.name
    caret.append(info)
    return caret
  }

  override ignoreEvent(): boolean {
    return true
  }
}

function absolute(config: CollabConfig, position: Y.RelativePosition): number | null {
  // A position at the end of a root type names it by key, and Yjs would create a type under any
  // key a peer sends: resolve only ours.
  if (position.item === null && position.tname !== null) {
    const named: unknown = config.ydoc.share.get(position.tname)
    if (named !== config.ytext) return null
  }
  try {
    const resolved = Y.createAbsolutePositionFromRelativePosition(position, config.ydoc)
    return resolved && resolved.type === config.ytext ? resolved.index : null
  } catch {
    // Ids of structs this document has garbage-collected, or of other kinds of struct.
    return null
  }
}

function buildDecorations(view: EditorView, config: CollabConfig): DecorationSet {
  const awareness = config.awareness
  if (!awareness) return Decoration.none
  const length = view.state.doc.length
  const ranges: Array<{ from: number; to: number; decoration: Decoration }> = []
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID) continue
    const cursor = decodeCursor((state as { cursor?: unknown }).cursor)
    if (!cursor) continue
    const anchor = absolute(config, cursor.anchor)
    const head = absolute(config, cursor.head)
    if (anchor === null || head === null) continue
    const user = (state as { user?: Partial<UserInfo> }).user
    const color = sanitizeColor(user?.color)
    const name = sanitizeName(user?.name)
    const from = Math.min(anchor, head, length)
    const to = Math.min(Math.max(anchor, head), length)
    if (from < to) {
      ranges.push({
        from,
        to,
        decoration: Decoration.mark({ class: "cm-ySelection", attributes: { style: `background-color: ${color}33` } }),
      })
    }
    const at = Math.min(head, length)
    ranges.push({ from: at, to: at, decoration: Decoration.widget({ widget: new CaretWidget(name, color), side: 1 }) })
  }
  ranges.sort((a, b) => a.from - b.from || a.to - b.to)
  const builder = new RangeSetBuilder<Decoration>()
  for (const range of ranges) builder.add(range.from, range.to, range.decoration)
  return builder.finish()
}

/** @internal The plugin value behind remoteCursorsPlugin. */
export class RemoteCursors {
  decorations: DecorationSet
  private readonly config: CollabConfig
  private scheduled = false
  private readonly onChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
    const awareness = this.config.awareness!
    if (![...added, ...updated, ...removed].some((id) => id !== awareness.clientID)) return
    // Awareness changes can be announced while this editor is mid-update (our own cursor is
    // published from update()); redraw once that update is over.
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      if (!this.destroyed) this.view.dispatch({ annotations: awarenessChanged.of(true) })
    })
  }
  private destroyed = false

  constructor(private readonly view: EditorView) {
    this.config = view.state.facet(collabConfig)!
    this.decorations = buildDecorations(view, this.config)
    this.config.awareness?.on("change", this.onChange)
  }

  update(update: ViewUpdate): void {
    const redraw = update.docChanged || update.transactions.some((tr) => tr.annotation(awarenessChanged))
    if (redraw) this.decorations = buildDecorations(update.view, this.config)
    const awareness = this.config.awareness
    if (awareness && (update.selectionSet || update.focusChanged || update.docChanged) && update.view.hasFocus) {
      const { anchor, head } = update.state.selection.main
      const cursor: Cursor = {
        anchor: Y.createRelativePositionFromTypeIndex(this.config.ytext, anchor),
        head: Y.createRelativePositionFromTypeIndex(this.config.ytext, head),
      }
      // Every awareness change is sent to everyone; an edit usually leaves the relative cursor as it was.
      const current = decodeCursor((awareness.getLocalState() as { cursor?: unknown } | null)?.cursor)
      if (!current || !Y.compareRelativePositions(current.anchor, cursor.anchor) || !Y.compareRelativePositions(current.head, cursor.head)) {
        // The layout y-codemirror.next reads: Y.relativePositionToJSON would drop null fields and crash it.
        awareness.setLocalStateField("cursor", encodeCursor(cursor))
      }
    }
  }

  destroy(): void {
    this.destroyed = true
    this.config.awareness?.off("change", this.onChange)
  }
}

/**
 * Draws other users' carets, selections and name labels from awareness, and publishes the local
 * selection as `cursor` while the editor has focus.
 */
const remoteCursorsPlugin = ViewPlugin.fromClass(RemoteCursors, { decorations: (plugin) => plugin.decorations })

/** The look of remote carets, selections and labels. */
export const remoteCursorsTheme = EditorView.baseTheme({
  ".cm-ySelectionCaret": {
    position: "relative",
    borderLeft: "2px solid",
    marginLeft: "-1px",
    marginRight: "-1px",
    boxSizing: "border-box",
  },
  ".cm-ySelectionInfo": {
    position: "absolute",
    top: "-1.3em",
    left: "-2px",
    padding: "0 4px",
    borderRadius: "3px 3px 3px 0",
    color: "#fff",
    fontSize: "0.75em",
    fontFamily: "system-ui, sans-serif",
    lineHeight: "1.3em",
    whiteSpace: "nowrap",
    userSelect: "none",
    pointerEvents: "none",
    zIndex: "10",
  },
})

/** Remote carets, selections and names, and the local cursor published to awareness. */
export function remoteCursors(): Extension {
  return [remoteCursorsPlugin, remoteCursorsTheme]
}

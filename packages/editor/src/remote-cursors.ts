import { Annotation, RangeSetBuilder, type Extension } from "@codemirror/state"
import { Decoration, ViewPlugin, type DecorationSet, type EditorView, type ViewUpdate } from "@codemirror/view"
import { decodeCursor, encodeCursor, type Cursor } from "@tandem/protocol"
import * as Y from "yjs"
import { CaretWidget, remoteCursorsTheme } from "./caret-widget.js"
import { collabConfig, type CollabConfig } from "./config.js"
import { sanitizeColor, sanitizeName, type UserInfo } from "./user-info.js"

const awarenessChanged = Annotation.define<true>()

/** How long a name label shows after its user moves their cursor or types, before it fades. */
export const labelShownMs = 1500

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

/** Carets and selections of everyone else in awareness; `active(clientId)` says whose label shows. */
function buildDecorations(view: EditorView, config: CollabConfig, active: (clientId: number) => boolean = () => false): DecorationSet {
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
    ranges.push({ from: at, to: at, decoration: Decoration.widget({ widget: new CaretWidget(name, color, active(clientId)), side: 1 }) })
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
  private destroyed = false
  /** Each peer's `cursor` as last seen (JSON), to tell a moved cursor from other awareness changes. */
  private readonly lastCursor = new Map<number, string>()
  /** When each peer last moved their cursor or typed (Date.now()); their label shows until `+ labelShownMs`. */
  private readonly activeSince = new Map<number, number>()
  /** Redraws when the earliest shown label is due to fade. */
  private fadeTimer: ReturnType<typeof setTimeout> | undefined

  private readonly onChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
    const awareness = this.config.awareness!
    for (const id of removed) {
      this.lastCursor.delete(id)
      this.activeSince.delete(id)
    }
    let moved = false
    for (const id of [...added, ...updated]) {
      if (id === awareness.clientID) continue
      const cursor = JSON.stringify((awareness.getStates().get(id) as { cursor?: unknown } | undefined)?.cursor ?? null)
      if (this.lastCursor.get(id) === cursor) continue
      this.lastCursor.set(id, cursor)
      if (cursor !== "null") {
        this.activeSince.set(id, Date.now())
        moved = true
      }
    }
    if (moved || [...added, ...updated, ...removed].some((id) => id !== awareness.clientID)) this.scheduleRedraw()
  }

  /**
   * Typing usually leaves a Yjs cursor where it was (it sticks to the character after it), so
   * awareness alone misses it: a remote transaction that advanced a client's clock was that
   * client typing. (The awareness and the document share the client id.)
   */
  private readonly onTransaction = (transaction: Y.Transaction) => {
    if (transaction.local) return
    const own = this.config.ydoc.clientID
    let typed = false
    for (const [client, clock] of transaction.afterState) {
      if (client === own || clock <= (transaction.beforeState.get(client) ?? 0)) continue
      this.activeSince.set(client, Date.now())
      typed = true
    }
    if (typed) this.scheduleRedraw()
  }

  constructor(private readonly view: EditorView) {
    this.config = view.state.facet(collabConfig)!
    const awareness = this.config.awareness
    // Cursors already there are not news: their labels start hidden.
    if (awareness) for (const [id, state] of awareness.getStates()) this.lastCursor.set(id, JSON.stringify((state as { cursor?: unknown }).cursor ?? null))
    this.decorations = this.build(view)
    awareness?.on("change", this.onChange)
    if (awareness) this.config.ydoc.on("afterTransaction", this.onTransaction)
  }

  private isActive = (clientId: number): boolean => {
    const since = this.activeSince.get(clientId)
    return since !== undefined && Date.now() - since < labelShownMs
  }

  private build(view: EditorView): DecorationSet {
    const decorations = buildDecorations(view, this.config, this.isActive)
    // Forget finished moments, and wake up when the next one ends to fade that label.
    const now = Date.now()
    let next = Infinity
    for (const [id, since] of this.activeSince) {
      if (now - since >= labelShownMs) this.activeSince.delete(id)
      else next = Math.min(next, since + labelShownMs)
    }
    clearTimeout(this.fadeTimer)
    this.fadeTimer = next === Infinity ? undefined : setTimeout(() => this.scheduleRedraw(), next - now)
    return decorations
  }

  private scheduleRedraw(): void {
    // Awareness changes can be announced while this editor is mid-update (our own cursor is
    // published from update()); redraw once that update is over.
    if (this.scheduled || this.destroyed) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      if (!this.destroyed) this.view.dispatch({ annotations: awarenessChanged.of(true) })
    })
  }

  update(update: ViewUpdate): void {
    const redraw = update.docChanged || update.transactions.some((tr) => tr.annotation(awarenessChanged))
    if (redraw) this.decorations = this.build(update.view)
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
    clearTimeout(this.fadeTimer)
    this.config.awareness?.off("change", this.onChange)
    this.config.ydoc.off("afterTransaction", this.onTransaction)
  }
}

/**
 * Draws other users' carets, selections and name labels from awareness (a label shows for
 * `labelShownMs` after its user moves or types), and publishes the local selection as `cursor`
 * while the editor has focus.
 */
const remoteCursorsPlugin = ViewPlugin.fromClass(RemoteCursors, { decorations: (plugin) => plugin.decorations })

/** Remote carets, selections and names, and the local cursor published to awareness. */
export function remoteCursors(): Extension {
  return [remoteCursorsPlugin, remoteCursorsTheme]
}

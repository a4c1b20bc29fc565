import { Annotation, RangeSetBuilder, type Extension } from "@codemirror/state"
import { Decoration, EditorView, ViewPlugin, WidgetType, type DecorationSet, type ViewUpdate } from "@codemirror/view"
import { decodeCursor, encodeCursor, type AwarenessCursor, type Cursor } from "@tandem/protocol"
import * as Y from "yjs"
import { collabConfig, type CollabConfig } from "./config.js"

/** What a user shows others, in the awareness field `user` (the y-codemirror.next layout). */
export interface UserInfo {
  readonly name: string
  readonly color: string
  /**
   * The same for every tab of one browser (an app's random id, say), so that a people list can
   * show one person however many tabs they have open; absent for peers that publish none.
   */
  readonly id?: string
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

/** How many characters of a name a label shows; the full name is in the caret's tooltip. */
export const labelMaxChars = 24

/** How long a name label shows after its user moves their cursor or types, before it fades. */
export const labelShownMs = 1500

/** `name` cut to `max` characters (code points, so no emoji is split) with "…" when longer. */
export function shortenName(name: string, max = labelMaxChars): string {
  const chars = Array.from(name)
  return chars.length <= max ? name : `${chars.slice(0, max - 1).join("").trimEnd()}…`
}

/** WCAG 2 relative luminance of a `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa` colour (alpha ignored). */
export function relativeLuminance(color: string): number {
  const hex = color.slice(1)
  const digits = hex.length <= 4 ? [...hex.slice(0, 3)].map((d) => d + d) : [hex.slice(0, 2), hex.slice(2, 4), hex.slice(4, 6)]
  const [r, g, b] = digits.map((pair) => {
    const c = parseInt(pair, 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number]
  return (light + 0.05) / (dark + 0.05)
}

/**
 * The text colour for a label on `background` (a sanitized colour): white or black, whichever
 * contrasts more. Derived here rather than sent, so a peer with any colour still gets a readable
 * label: one of the two always reaches 4.5:1 (WCAG AA), which a softer near-black would not for
 * mid-tones.
 */
export function labelTextColor(background: string): string {
  return contrastRatio(background, "#ffffff") >= contrastRatio(background, "#000000") ? "#ffffff" : "#000000"
}

/**
 * A remote caret in the user's colour, with their name label right after it. The label is in
 * the flow of the line (it pushes the rest of the line aside) so it never covers text, and is
 * collapsed unless `active` (the user just moved or typed) or the caret is hovered; see
 * {@link remoteCursorsTheme}. Shared by the Yjs and the OT editor.
 */
export class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly color: string,
    readonly active = false,
  ) {
    super()
  }

  override eq(other: CaretWidget): boolean {
    return other.name === this.name && other.color === this.color && other.active === this.active
  }

  toDOM(): HTMLElement {
    const caret = document.createElement("span")
    caret.setAttribute("aria-hidden", "true")
    const info = document.createElement("span")
    info.className = "cm-ySelectionInfo"
    caret.append(info)
    this.paint(caret)
    return caret
  }

  /** Updated in place rather than redrawn, so that the label fades out (a CSS transition) when it stops being active. */
  override updateDOM(dom: HTMLElement): boolean {
    if (!(dom.firstChild instanceof HTMLElement)) return false
    this.paint(dom)
    return true
  }

  private paint(caret: HTMLElement): void {
    caret.className = this.active ? "cm-ySelectionCaret cm-ySelectionCaret-active" : "cm-ySelectionCaret"
    caret.style.borderColor = this.color
    caret.title = this.name
    const info = caret.firstChild as HTMLElement
    info.style.backgroundColor = this.color
    info.style.color = labelTextColor(this.color)
    // textContent, never innerHTML: names come from other people.
    const shown = shortenName(this.name)
    if (info.textContent !== shown) info.textContent = shown
  }

  /**
   * Mouse events go to the editor, so a click on or right beside a remote caret (its hover target
   * is wider than the caret) still places the local cursor; everything else is ignored.
   */
  override ignoreEvent(event: Event): boolean {
    return !(event.type.startsWith("mouse") || event.type.startsWith("pointer"))
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

/**
 * The look of remote carets, selections and labels. At rest a caret is a 2px bar in the user's
 * colour with a wider invisible hover target; its label is collapsed to nothing. While the caret is
 * hovered or `-active`, the label opens in the line, after the caret, pushing the text aside rather
 * than covering it; leaving that state, it fades and then collapses.
 */
export const remoteCursorsTheme = EditorView.baseTheme({
  ".cm-ySelectionCaret": {
    position: "relative",
    borderLeft: "2px solid",
    marginLeft: "-1px",
    marginRight: "-1px",
    boxSizing: "border-box",
  },
  // The hover target: 8px wide, centred on the caret, invisible.
  ".cm-ySelectionCaret::before": {
    content: '""',
    position: "absolute",
    top: "0",
    bottom: "0",
    left: "-5px",
    width: "8px",
  },
  ".cm-ySelectionInfo": {
    display: "inline-block",
    boxSizing: "border-box",
    verticalAlign: "middle",
    maxWidth: "0",
    overflow: "hidden",
    padding: "0",
    margin: "0",
    borderRadius: "3px",
    fontSize: "0.75em",
    fontFamily: "system-ui, sans-serif",
    lineHeight: "1.5",
    whiteSpace: "nowrap",
    userSelect: "none",
    pointerEvents: "none",
    opacity: "0",
    // Fade first, then give the space back to the text.
    transition: "opacity 0.3s, max-width 0s 0.3s, padding 0s 0.3s, margin 0s 0.3s",
  },
  ".cm-ySelectionCaret-active .cm-ySelectionInfo, .cm-ySelectionCaret:hover .cm-ySelectionInfo": {
    maxWidth: "30em",
    padding: "0 4px",
    // Clear of the caret's 2px bar on the left, and of its -1px margin on the right.
    margin: "0 1px",
    opacity: "1",
    transition: "opacity 0.15s",
  },
  "@media (prefers-reduced-motion: reduce)": {
    ".cm-ySelectionInfo, .cm-ySelectionCaret-active .cm-ySelectionInfo, .cm-ySelectionCaret:hover .cm-ySelectionInfo": { transition: "none" },
  },
})

/** Remote carets, selections and names, and the local cursor published to awareness. */
export function remoteCursors(): Extension {
  return [remoteCursorsPlugin, remoteCursorsTheme]
}

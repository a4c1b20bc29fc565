import { EditorView, WidgetType } from "@codemirror/view"
import { labelTextColor, shortenName } from "./user-info.js"

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

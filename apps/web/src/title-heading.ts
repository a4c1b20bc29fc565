import type { EditorHandle } from "@tandem/editor"
import { h } from "./dom.js"
import { maxTitleLength, normalizeTitle, onTitleChange, readTitle, writeTitle } from "./title.js"

/** What {@link createTitleHeading} needs. */
export interface TitleHeadingOptions {
  /** The document's name (its slug), shown while it has no title. */
  readonly doc: string
  /** Where the title is kept; `null` for the OT editor, which has no Y.Doc (the slug is shown). */
  readonly ydoc: EditorHandle["ydoc"] | null
}

/** The document page's heading with its rename form; see {@link createTitleHeading}. */
export interface TitleHeading {
  /** The `<h1>` and the rename form (hidden until renaming), to place in the header. */
  readonly elements: readonly HTMLElement[]
  /** The title shown now: the document's title, or its slug when it has none. */
  shown(): string
  /** Turns the heading into a text box holding the title, focused and selected. */
  startRename(): void
  /** Whether renaming is offered; `false` for read-only access and the OT editor. */
  canRename(): boolean
  /** Offers renaming or stops offering it (a read-only grant learnt later); cancels an open rename. */
  setWritable(writable: boolean): void
  /** Calls `listener` with the shown title each time it changes. Returns the unsubscribe. */
  onChange(listener: (shown: string) => void): () => void
  /** Stops following the document. */
  destroy(): void
}

/**
 * The heading of the document page: the document's title from its `meta` map (live as anyone
 * renames it), else its slug; `document.title` follows it. {@link TitleHeading.startRename} swaps
 * the heading for a labelled text box in place: Enter (or leaving the box) saves, Escape cancels,
 * and focus goes back to `returnFocus` (the button that started it).
 */
export function createTitleHeading(options: TitleHeadingOptions, returnFocus: () => HTMLElement | null): TitleHeading {
  const { doc, ydoc } = options
  const heading = h("h1", { class: "doc-name", "data-testid": "doc-title" })
  const input = h("input", { class: "title-input", "aria-label": "Title", maxlength: String(maxTitleLength), autocomplete: "off", "data-testid": "title-input" })
  const form = h("form", { class: "title-form", hidden: "" }, input)
  const listeners = new Set<(shown: string) => void>()
  let writable = ydoc !== null
  let title = ydoc ? readTitle(ydoc) : null

  const shown = () => title ?? doc
  const render = () => {
    const text = shown()
    if (heading.textContent !== text) heading.textContent = text
    heading.title = title === null ? doc : `${title} (${doc})`
    document.title = `${text} · Tandem`
    for (const listener of listeners) listener(text)
  }

  // Ends a rename; `save` writes the box's text first. Closing happens once: Escape and Enter
  // hide the box, and the blur that follows must not save (or save again).
  const finish = (save: boolean) => {
    if (form.hidden) return
    const focused = document.activeElement === input
    if (save && ydoc && writable) {
      const next = normalizeTitle(input.value)
      if (next !== "" && next !== title) writeTitle(ydoc, next)
    }
    form.hidden = true
    heading.hidden = false
    if (focused) returnFocus()?.focus()
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    finish(true)
  })
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return
    // Only the rename is cancelled: the key does not also close a panel or dialog around it.
    event.preventDefault()
    event.stopPropagation()
    finish(false)
  })
  input.addEventListener("blur", () => finish(true))

  const stop = ydoc
    ? onTitleChange(ydoc, (next) => {
        title = next
        render()
      })
    : () => {}
  render()

  return {
    elements: [heading, form],
    shown,
    startRename() {
      if (!writable || !form.hidden) return
      input.value = title ?? ""
      input.placeholder = doc
      heading.hidden = true
      form.hidden = false
      input.focus()
      input.select()
    },
    canRename: () => writable,
    setWritable(next) {
      writable = next && ydoc !== null
      if (!writable) finish(false)
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    destroy: stop,
  }
}

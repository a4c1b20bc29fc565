import { markdown } from "@codemirror/lang-markdown"
import { syntaxHighlighting } from "@codemirror/language"
import { Compartment, type Extension } from "@codemirror/state"
import type { EditorView } from "@codemirror/view"
import { classHighlighter } from "@lezer/highlight"
import type { CollabEditorHandle, EditorHandle } from "@tandem/editor"
import { h } from "./dom.js"
import { defaultMode, modeKey, modeMapKey, parseMode, takePendingMode, type DocMode } from "./doc-mode.js"
import { highlightStyle } from "./highlight.js"

type MetaMap = ReturnType<EditorHandle["ydoc"]["getMap"]>

/**
 * The editor extensions of `mode`. In Markdown mode the language plus two highlighters: the
 * app's theme-aware style (highlight.ts) for the look, and `classHighlighter`'s stable `tok-*`
 * classes (`tok-heading`…), which tests can rely on where a style's class names are generated.
 */
export function modeExtension(mode: DocMode): Extension {
  return mode === "markdown" ? [markdown(), syntaxHighlighting(highlightStyle), syntaxHighlighting(classHighlighter)] : []
}

/** The Markdown switch of one document page, made by {@link createMarkdownMode}. */
export interface MarkdownMode {
  /** Goes into the editor's extensions when it is created: the language, swapped in and out. */
  readonly extension: Extension
  /** The "Markdown" toggle button for the header (`aria-pressed` tells the mode). */
  readonly toggle: HTMLButtonElement
  /** The mode now. */
  current(): DocMode
  /** Calls `listener` with the mode each time it changes (here or, live, from anyone). Returns the unsubscribe. */
  onChange(listener: (mode: DocMode) => void): () => void
  /**
   * Connects the switch to the mounted editor: reads and observes the mode kept in the document,
   * and applies a mode left by the start page once the document is synced. Call once.
   */
  attach(editor: EditorHandle | CollabEditorHandle): void
}

/**
 * The Markdown mode of the document `doc`. The mode is kept IN the document (`getMap("meta")`
 * key `"mode"`), so it is the same for everyone, survives reloads and switches live for all;
 * when unset it is {@link defaultMode} of the name. The editor's language sits in a Compartment,
 * reconfigured on change, so switching never rebuilds the editor (nor its undo history).
 */
export function createMarkdownMode(doc: string): MarkdownMode {
  const compartment = new Compartment()
  const listeners = new Set<(mode: DocMode) => void>()
  const toggle = h("button", { type: "button", class: "md-toggle", "aria-pressed": "false", "data-testid": "markdown-toggle", title: "Edit this document as Markdown, for everyone" }, "Markdown")
  // The mode this page shows; `meta` once attached to a Yjs editor, whose map is the truth.
  let shown = defaultMode(doc)
  let view: EditorView | null = null
  let meta: MetaMap | null = null

  const show = (mode: DocMode) => {
    toggle.setAttribute("aria-pressed", String(mode === "markdown"))
    if (mode === shown) return
    shown = mode
    view?.dispatch({ effects: compartment.reconfigure(modeExtension(mode)) })
    for (const listener of listeners) listener(mode)
  }
  const stored = (): DocMode => (meta ? (parseMode(meta.get(modeKey)) ?? defaultMode(doc)) : shown)
  const choose = (mode: DocMode) => {
    // Through the map when there is one: its observer shows the change, here and everywhere.
    if (meta) meta.set(modeKey, mode)
    else show(mode)
  }
  toggle.setAttribute("aria-pressed", String(shown === "markdown"))
  toggle.addEventListener("click", () => choose(shown === "markdown" ? "text" : "markdown"))

  return {
    extension: compartment.of(modeExtension(shown)),
    toggle,
    current: () => shown,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    attach(editor) {
      view = editor.view
      // The OT editor (`?client=ot`) has no Y.Doc to keep the mode in: there the switch is this
      // tab's only, and others (and a reload) see the name's default.
      if (!("ydoc" in editor)) return
      meta = editor.ydoc.getMap(modeMapKey)
      const map = meta
      map.observe((event) => {
        if (event.keysChanged.has(modeKey)) show(stored())
      })
      show(stored())
      const pending = takePendingMode(doc)
      if (pending === null) return
      // Written only once synced, and only when nobody chose a mode yet: before that the map
      // is empty here whatever the server holds.
      const apply = () => {
        if (parseMode(map.get(modeKey)) === null) map.set(modeKey, pending)
      }
      if (editor.status().synced) apply()
      else {
        const stop = editor.onStatus((status) => {
          if (!status.synced) return
          stop()
          apply()
        })
      }
    },
  }
}

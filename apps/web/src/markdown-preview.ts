import type { Extension } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import type { Options as MarkdownItOptions } from "markdown-it"
import { h } from "./dom.js"

/**
 * markdown-it's options for the preview. `html: false` is the safety that matters: raw HTML in
 * the Markdown is escaped and shown as text, never parsed. markdown-it also refuses `javascript:`,
 * `vbscript:`, `file:` and non-image `data:` link targets. `linkify` turns bare URLs into links.
 */
export const markdownOptions: MarkdownItOptions = { html: false, linkify: true, typographer: false }

/** The link schemes the preview keeps as links; any other `href` is dropped (the text stays). */
const linkProtocols = new Set(["http:", "https:", "mailto:"])

/** How long the preview waits after the last change before rendering, at least. */
const debounceMs = 150

/**
 * Whether `href` may stay a link in the preview: an http(s) or mailto URL once resolved against
 * `base`. Relative links resolve against the page, so they stay http(s). `javascript:` (in any
 * case, with spaces or entities already decoded by the parser) never does.
 */
export function isSafeHref(href: string, base: string): boolean {
  try {
    return linkProtocols.has(new URL(href, base).protocol)
  } catch {
    return false
  }
}

/** Renders Markdown source to a sanitised fragment, ready to insert into the page. */
export type RenderMarkdown = (source: string) => DocumentFragment

/**
 * Loads markdown-it and DOMPurify (by dynamic import, so pages that never preview never download
 * them) and returns the renderer: markdown-it with {@link markdownOptions}, its HTML sanitised by
 * DOMPurify into a fragment (never assigned as `innerHTML` to the page), then every link checked
 * with {@link isSafeHref} and opened in a new tab without an opener or referrer.
 *
 * @throws (rejects) when the libraries cannot be loaded, a network failure say.
 */
export async function loadMarkdownRenderer(): Promise<RenderMarkdown> {
  const [{ default: MarkdownIt }, { default: DOMPurify }] = await Promise.all([import("markdown-it"), import("dompurify")])
  const md = new MarkdownIt(markdownOptions)
  return (source) => {
    // Defence in depth: markdown-it emits no raw HTML, and DOMPurify would remove scripts and
    // event handlers even if it did. Forms and styles have no place in a preview either.
    const fragment = DOMPurify.sanitize(md.render(source), { RETURN_DOM_FRAGMENT: true, FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"] })
    for (const link of Array.from(fragment.querySelectorAll("a"))) {
      const href = link.getAttribute("href")
      if (href === null || !isSafeHref(href, location.href)) {
        link.replaceWith(...Array.from(link.childNodes))
        continue
      }
      link.setAttribute("target", "_blank")
      link.setAttribute("rel", "noopener noreferrer")
    }
    return fragment
  }
}

/** The preview beside the editor, made by {@link createMarkdownPreview}. */
export interface MarkdownPreview {
  /** Goes into the editor's extensions: schedules a render when the text changes. */
  readonly extension: Extension
  /** The "Preview" toggle button for the header; hidden while the preview is not available. */
  readonly toggle: HTMLButtonElement
  /** The panel (a region labelled "Preview"), to place beside the editor. */
  readonly element: HTMLElement
  /** Connects the preview to the mounted editor, whose text it renders. Call once. */
  attach(view: EditorView): void
  /** Shows or hides the toggle (the preview exists in Markdown mode only); closes the panel when hidden. */
  setAvailable(available: boolean): void
}

/**
 * A Markdown preview panel. It renders the editor's whole text when opened and again after each
 * change, debounced ({@link debounceMs}, longer when rendering is slow, so a huge document
 * doesn't keep the page busy while someone types). The renderer loads on first open.
 * `load` exists for tests; the default is {@link loadMarkdownRenderer}.
 */
export function createMarkdownPreview(load: () => Promise<RenderMarkdown> = loadMarkdownRenderer): MarkdownPreview {
  const id = "md-preview"
  const toggle = h("button", { type: "button", class: "md-preview-toggle", "aria-pressed": "false", "aria-controls": id, "data-testid": "preview-toggle", hidden: "" }, "Preview")
  const body = h("div", { class: "md-preview-body", "data-testid": "preview-body" })
  const status = h("p", { class: "md-preview-status", role: "status" })
  const element = h("section", { id, class: "md-preview", "aria-label": "Preview", "data-testid": "preview", hidden: "" }, status, body)

  let view: EditorView | null = null
  let renderer: Promise<RenderMarkdown> | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastRenderMs = 0
  // Counts renders asked for, so a slow first load never shows older text over newer.
  let generation = 0

  const isOpen = () => !element.hidden
  const render = () => {
    clearTimeout(timer)
    if (!view || !isOpen()) return
    const mine = ++generation
    renderer ??= load()
    const loading = renderer
    if (body.childElementCount === 0) status.textContent = "Loading the preview…"
    loading.then(
      (renderMarkdown) => {
        if (mine !== generation || !view || !isOpen()) return
        const started = performance.now()
        body.replaceChildren(renderMarkdown(view.state.doc.toString()))
        lastRenderMs = performance.now() - started
        status.textContent = ""
      },
      () => {
        // Try again on the next open or change.
        if (renderer === loading) renderer = null
        if (mine === generation) status.textContent = "The preview could not be loaded. Check your connection, then try again."
      },
    )
  }
  const schedule = () => {
    if (!isOpen()) return
    clearTimeout(timer)
    timer = setTimeout(render, Math.max(debounceMs, 2 * lastRenderMs))
  }
  const setOpen = (open: boolean) => {
    element.hidden = !open
    toggle.setAttribute("aria-pressed", String(open))
    if (open) render()
    else clearTimeout(timer)
  }
  toggle.addEventListener("click", () => setOpen(!isOpen()))

  return {
    extension: EditorView.updateListener.of((update) => {
      if (update.docChanged) schedule()
    }),
    toggle,
    element,
    attach(editorView) {
      view = editorView
      if (isOpen()) render()
    },
    setAvailable(available) {
      toggle.hidden = !available
      if (!available && isOpen()) setOpen(false)
    },
  }
}

import { authHeaders } from "./auth.js"
import { docPath, h } from "./dom.js"
import { leavePendingMode, type DocMode } from "./doc-mode.js"
import { docExists, leavePendingTitle, slugFromTitle, uniqueDocName } from "./title.js"

// Files in and out of Tandem: download a document as .md or .txt, and open a local file into a
// new document (start page). Both stay in the browser except the one PUT that creates it.

/** The largest file opened into a document: the server's default frame and document limit. */
export const maxFileBytes = 16 << 20

/** The kinds of file a document downloads as. */
export type DownloadKind = "md" | "txt"

const mimeTypes: Record<DownloadKind, string> = { md: "text/markdown;charset=utf-8", txt: "text/plain;charset=utf-8" }

/** Extensions that a name may already end in; dropped before the chosen one is added. */
const knownExtension = /\.(md|markdown|txt|text)$/i

/**
 * The file name a document downloads as: its title when it has one, else the last part of its
 * slug (`team/notes` gives `notes`), without characters file systems refuse (`/ \ : * ? " < > |`,
 * control characters) and without an extension it already had, then `.md` or `.txt`.
 */
export function downloadName(doc: string, title: string | null, kind: DownloadKind): string {
  const base = (title ?? doc.split("/").pop() ?? doc)
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, "-")
    .replace(knownExtension, "")
    .trim()
    .replace(/^\.+/, "")
  return `${base || "document"}.${kind}`
}

/**
 * Saves `text` as a file called `name` through a Blob and an `<a download>`: no server round trip,
 * and the text exactly as given (line endings included; a Blob of a string never converts them).
 */
export function saveTextFile(name: string, text: string, kind: DownloadKind): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeTypes[kind] }))
  const link = h("a", { href: url, download: name, hidden: "" })
  document.body.append(link)
  link.click()
  link.remove()
  // The download has taken the URL by now in every browser; released later to be safe anyway.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

/** Options of {@link createDownloadControl}. */
export interface DownloadOptions {
  /** The document's name (slug). */
  readonly doc: string
  /** The document's text now, line endings as stored. */
  readonly text: () => string
  /** The document's title now, or `null` when it has none. */
  readonly title: () => string | null
}

/**
 * The header's "Download" control: a disclosure offering Markdown (.md) and plain text (.txt).
 * It closes after a choice, on Escape and on a click elsewhere.
 */
export function createDownloadControl(options: DownloadOptions): HTMLElement {
  const choice = (kind: DownloadKind, label: string) => {
    const button = h("button", { type: "button", "data-testid": `download-${kind}` }, label)
    button.addEventListener("click", () => {
      saveTextFile(downloadName(options.doc, options.title(), kind), options.text(), kind)
      menu.open = false
    })
    return button
  }
  const menu = h(
    "details",
    { class: "md-download", "data-testid": "download" },
    h("summary", {}, "Download"),
    h("div", { class: "md-download-menu" }, choice("md", "Markdown (.md)"), choice("txt", "Plain text (.txt)")),
  )
  menu.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !menu.open) return
    menu.open = false
    menu.querySelector("summary")?.focus()
  })
  document.addEventListener("click", (event) => {
    if (menu.open && !menu.contains(event.target as Node)) menu.open = false
  })
  return menu
}

/** Why a file could not be opened, as a sentence to show. */
export class FileOpenError extends Error {
  override readonly name = "FileOpenError"
}

/** What {@link openFileAsDocument} needs besides the file; tests pass their own. */
export interface OpenFileOptions {
  /** Headers for the API; by default `authHeaders()` (this server's token, when there is one). */
  readonly headers?: Record<string, string>
  /** `fetch`, by default the browser's. */
  readonly fetch?: typeof fetch
  /** Whether a document name is taken (`null`: could not tell); by default `docExists`. */
  readonly isTaken?: (name: string) => Promise<boolean | null>
}

/** A file's name without its extension: `Meeting notes.md` gives `Meeting notes`. */
export function fileStem(fileName: string): string {
  return fileName.replace(/\.[^.]*$/, "").trim() || fileName
}

/** The mode a file opens in: Markdown for `.md` and `.markdown` files, else plain text. */
export function modeForFile(fileName: string): DocMode {
  return /\.(md|markdown)$/i.test(fileName) ? "markdown" : "text"
}

/**
 * Creates a new document holding the text of `file` and returns its name (the caller opens it).
 * The name is a slug of the file's name without its extension, made unique (`-2`, `-3` …) by
 * asking the server; the text is written with `PUT /api/docs/<name>/text`. The file's name is
 * left as the document's title and, for Markdown files, the Markdown mode, both for this tab's
 * document page to apply once synced.
 *
 * @throws {FileOpenError} for a file over {@link maxFileBytes}, one that is not text, or one the
 * server refused; its message says what happened.
 */
export async function openFileAsDocument(file: File, options: OpenFileOptions = {}): Promise<string> {
  if (file.size > maxFileBytes) {
    throw new FileOpenError(`${file.name} is ${(file.size / (1 << 20)).toFixed(1)} MiB; documents hold at most ${maxFileBytes >> 20} MiB.`)
  }
  const text = await file.text().catch(() => {
    throw new FileOpenError(`${file.name} could not be read.`)
  })
  // A NUL never appears in text: this is an image, an archive or another binary file.
  if (text.includes("\u0000")) throw new FileOpenError(`${file.name} is not a text file.`)
  const headers = options.headers ?? authHeaders()
  const stem = fileStem(file.name)
  const name = await uniqueDocName(slugFromTitle(stem), options.isTaken ?? ((candidate) => docExists(candidate, headers)))
  const send = options.fetch ?? fetch
  const response = await send(`/api/docs/${encodeURIComponent(name)}/text`, {
    method: "PUT",
    headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
    body: text,
  }).catch(() => null)
  if (response === null) throw new FileOpenError("The server could not be reached. Check your connection, then try again.")
  if (!response.ok) throw new FileOpenError(refusal(response.status, file.name))
  leavePendingTitle(name, stem)
  if (modeForFile(file.name) === "markdown") leavePendingMode(name, "markdown")
  return name
}

/** The sentence for a refused PUT. */
function refusal(status: number, fileName: string): string {
  if (status === 401) return "Sign in to create documents on this server."
  if (status === 403) return "You may not create documents on this server."
  if (status === 413) return `${fileName} is larger than this server accepts.`
  return `The server did not accept ${fileName} (HTTP ${status}). Try again later.`
}

/**
 * The start page's "Open a file…" control: a button that opens the file picker (for .md,
 * .markdown, .txt and other text files), then creates a document from the chosen file with
 * {@link openFileAsDocument} and opens it. Says what went wrong in a status line.
 */
export function createOpenFileControl(): HTMLElement {
  const input = h("input", { type: "file", accept: ".md,.markdown,.txt,text/*", "aria-label": "Open a file", "data-testid": "open-file-input", hidden: "" })
  const button = h("button", { type: "button", class: "open-file", "data-testid": "open-file" }, "Open a file…")
  const status = h("p", { class: "open-file-status", role: "status", "data-testid": "open-file-status" })
  button.addEventListener("click", () => input.click())
  input.addEventListener("change", () => {
    const file = input.files?.[0]
    // Cleared so that choosing the same file again (after an error, say) fires `change` again.
    input.value = ""
    if (!file) return
    button.disabled = true
    status.dataset.tone = ""
    status.textContent = `Opening ${file.name}…`
    openFileAsDocument(file).then(
      (name) => location.assign(docPath(name)),
      (error: unknown) => {
        button.disabled = false
        status.dataset.tone = "error"
        status.textContent = error instanceof FileOpenError ? error.message : `${file.name} could not be opened.`
      },
    )
  })
  return h("div", { class: "open-file-row" }, button, input, status)
}

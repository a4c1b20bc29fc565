/**
 * A document's mode and the start page's hint for it: no editor code here, so the start page
 * (file-io.ts) can import it without loading CodeMirror.
 */

/** How a document is edited: as Markdown (highlighted, with a preview) or as plain text. */
export type DocMode = "markdown" | "text"

/** The shared map that holds the document's metadata (`"title"` lives there too; see title.ts). */
export const modeMapKey = "meta"
/** The key of the mode in the {@link modeMapKey} map: `"markdown"` or `"text"`. */
export const modeKey = "mode"

/** The mode of a document nobody chose one for: Markdown for `.md` and `.markdown` names. */
export function defaultMode(name: string): DocMode {
  return /\.(md|markdown)$/i.test(name) ? "markdown" : "text"
}

/** `value` as a mode, or `null` when it is not one (another client may store anything). */
export function parseMode(value: unknown): DocMode | null {
  return value === "markdown" || value === "text" ? value : null
}

/** The sessionStorage key of the mode the start page leaves for a document it creates. */
function pendingKey(doc: string): string {
  return `tandem:new-mode:${doc}`
}

/**
 * Leaves `mode` for the document page of `doc`, which this tab is about to open: the page writes
 * it into the document once synced, unless the document has a mode already. This tab only
 * (sessionStorage), so a link can't switch the mode of someone else's document.
 */
export function leavePendingMode(doc: string, mode: DocMode): void {
  try {
    sessionStorage.setItem(pendingKey(doc), mode)
  } catch {
    // Storage off or full: the document opens in its default mode, and a click switches it.
  }
}

/** Takes (reads and removes) the mode left for `doc` by {@link leavePendingMode}, if any. */
export function takePendingMode(doc: string): DocMode | null {
  try {
    const mode = parseMode(sessionStorage.getItem(pendingKey(doc)))
    sessionStorage.removeItem(pendingKey(doc))
    return mode
  } catch {
    return null
  }
}

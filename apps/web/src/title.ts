import type { EditorHandle } from "@tandem/editor"
import { randomDocName } from "./names.js"

// A document has two names: its slug (the URL, ASCII, chosen once; see isValidDocName in
// @tandem/protocol) and its title (free text, kept in the document so every client shows the
// same one and a rename reaches everyone live). This module turns one into the other and reads
// and writes the title.

/** The longest slug made from a title, in characters, before any `-2` suffix. */
export const maxSlugLength = 80
/** The longest title kept, in characters (code points); longer ones are cut. */
export const maxTitleLength = 200
/** The shared map that holds the document's metadata; others keep keys such as `"mode"` there too. */
export const metaKey = "meta"
/** The key of the title in the {@link metaKey} map: a string. */
export const titleKey = "title"
/** What a document is called when its creator gave no title. */
export const untitled = "Untitled"

type TitleDoc = EditorHandle["ydoc"]

/**
 * A readable URL name for `title`: accents dropped (NFKD, combining marks removed), lower case,
 * every run of anything other than `a-z0-9` turned into one `-`, no `-` at either end, at most
 * {@link maxSlugLength} characters. "Meeting notes" gives `meeting-notes`, "Café" gives `cafe`.
 * When nothing readable is left (a title all in Chinese or Arabic, or only punctuation) it
 * returns a random name from `randomDocName()` instead, so the result is always a valid name.
 */
export function slugFromTitle(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, maxSlugLength + 1)
    .replace(/^-+/, "")
    .slice(0, maxSlugLength)
    .replace(/-+$/, "")
  return slug === "" ? randomDocName() : slug
}

/**
 * The title as it is stored and shown: white space runs collapsed to one space, trimmed, cut to
 * {@link maxTitleLength} code points. Returns `""` for a title with nothing in it.
 */
export function normalizeTitle(title: string): string {
  const collapsed = title.replace(/\s+/gu, " ").trim()
  return Array.from(collapsed).slice(0, maxTitleLength).join("").trim()
}

/**
 * The first of `base`, `base-2`, `base-3` … for which `isTaken` resolves to `false`, trying at most
 * `maxTries` names. When `isTaken` resolves to `null` (it could not tell, e.g. the server is not
 * reachable) the name being tried is used as is: the document then opens, shared with whoever
 * took it, rather than not at all. After `maxTries` taken names it returns `base` with a random
 * suffix. The suffix is added to `base` cut so the result stays within {@link maxSlugLength}.
 */
export async function uniqueDocName(base: string, isTaken: (name: string) => Promise<boolean | null>, maxTries = 20): Promise<string> {
  for (let n = 1; n <= maxTries; n++) {
    const name = withSuffix(base, n === 1 ? "" : `-${n}`)
    if ((await isTaken(name)) !== true) return name
  }
  return withSuffix(base, `-${randomDocName()}`)
}

function withSuffix(base: string, suffix: string): string {
  if (suffix === "") return base
  return `${base.slice(0, Math.max(1, maxSlugLength - suffix.length)).replace(/-+$/, "")}${suffix}`
}

/**
 * Whether the server already has a document named `name`, from `HEAD /api/docs/<name>/text`:
 * `false` on 404; `null` (can't tell) when the API cannot be reached, answers 5xx, or wants a
 * sign-in (401, the same for every name); `true` otherwise (200, or 403: someone else's).
 * `headers` are sent with the request (a token).
 */
export async function docExists(name: string, headers: Record<string, string> = {}): Promise<boolean | null> {
  const response = await fetch(`/api/docs/${encodeURIComponent(name)}/text`, { method: "HEAD", headers }).catch(() => null)
  if (response === null || response.status >= 500 || response.status === 401) return null
  return response.status !== 404
}

/** The document's title, or `null` when it has none (or the stored value is not a string). */
export function readTitle(ydoc: TitleDoc): string | null {
  const value: unknown = ydoc.getMap(metaKey).get(titleKey)
  if (typeof value !== "string") return null
  const title = normalizeTitle(value)
  return title === "" ? null : title
}

/**
 * Sets the document's title to `title` (normalized, see {@link normalizeTitle}); returns what was
 * stored, or `null` when `title` is empty and nothing was written. Other keys of the map are left
 * alone. The write syncs to everyone like any edit.
 */
export function writeTitle(ydoc: TitleDoc, title: string): string | null {
  const normalized = normalizeTitle(title)
  if (normalized === "") return null
  const meta = ydoc.getMap(metaKey)
  if (meta.get(titleKey) !== normalized) meta.set(titleKey, normalized)
  return normalized
}

/**
 * Calls `listener` with the title ({@link readTitle}) each time the title key changes, locally
 * or from another client. Returns the unsubscribe.
 */
export function onTitleChange(ydoc: TitleDoc, listener: (title: string | null) => void): () => void {
  const meta = ydoc.getMap(metaKey)
  const observer = (event: { keysChanged: Set<string> }) => {
    if (event.keysChanged.has(titleKey)) listener(readTitle(ydoc))
  }
  meta.observe(observer)
  return () => meta.unobserve(observer)
}

/** The sessionStorage key under which the start page leaves the title for a new document. */
function pendingKey(doc: string): string {
  return `tandem:new-title:${doc}`
}

/**
 * Leaves `title` for the document page of `doc`, which this tab is about to open: the page
 * writes it into the document once synced, if the document has no title yet. Kept in
 * sessionStorage (this tab only), so a link can't carry a title into someone else's document.
 */
export function leavePendingTitle(doc: string, title: string): void {
  try {
    sessionStorage.setItem(pendingKey(doc), title)
  } catch {
    // Storage off or full: the document then shows its slug until someone renames it.
  }
}

/** Takes (reads and removes) the title left for `doc` by {@link leavePendingTitle}, if any. */
export function takePendingTitle(doc: string): string | null {
  try {
    const title = sessionStorage.getItem(pendingKey(doc))
    sessionStorage.removeItem(pendingKey(doc))
    return title
  } catch {
    return null
  }
}

import { authHeaders } from "./auth.js"
import { docPath, h } from "./dom.js"
import { createTimeFormat } from "./history-time.js"

/** One document as the start page lists it. */
export interface ListedDocument {
  readonly name: string
  readonly updatedAt: number
}

/** Pages of the documents API read at most (1,000 documents each) before the list stops. */
const maxPages = 5

/**
 * The documents on the server this browser may see, newest first, from `GET /api/docs` with the
 * token if there is one; `"sign-in"` when the server needs a (new) token first (401); `null` when
 * it does not list them for us otherwise (no API, say).
 */
export async function fetchDocuments(): Promise<ListedDocument[] | "sign-in" | null> {
  const documents: ListedDocument[] = []
  let cursor: string | null = null
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: "1000", ...(cursor ? { cursor } : {}) })
    const response = await fetch(`/api/docs?${query}`, { headers: authHeaders({ accept: "application/json" }) }).catch(() => null)
    if (page === 0 && response?.status === 401) return "sign-in"
    if (!response?.ok) return page === 0 ? null : documents
    const body = (await response.json()) as { documents: Array<{ name: string; updatedAt: string }>; nextCursor: string | null }
    for (const doc of body.documents) documents.push({ name: doc.name, updatedAt: Date.parse(doc.updatedAt) })
    cursor = body.nextCursor
    if (!cursor) break
  }
  return documents.sort((a, b) => b.updatedAt - a.updatedAt || (a.name < b.name ? -1 : 1))
}

/**
 * The start page's list of documents with a filter box: names containing every word typed, in
 * any case. Returns the section to show.
 */
export function documentList(documents: readonly ListedDocument[]): HTMLElement {
  const filter = h("input", { type: "search", placeholder: "Filter", "aria-label": "Filter documents", autocomplete: "off", "data-testid": "doc-filter" })
  const list = h("ul", { class: "recent", "data-testid": "doc-list", "aria-label": "Documents" })
  const empty = h("p", { class: "hint", role: "status" })
  const time = createTimeFormat()
  const render = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean)
    const shown = documents.filter((doc) => words.every((word) => doc.name.toLowerCase().includes(word)))
    list.replaceChildren(
      ...shown.map((doc) => {
        const iso = new Date(doc.updatedAt).toISOString()
        return h("li", {}, h("a", { href: docPath(doc.name) }, doc.name), " ", h("time", { datetime: iso, title: time.absolute(iso), class: "hint" }, time.relative(iso)))
      }),
    )
    empty.textContent = shown.length === 0 ? (documents.length === 0 ? "No documents yet." : "No document matches.") : ""
  }
  filter.addEventListener("input", render)
  render()
  return h("section", { "aria-labelledby": "doc-list-title" }, h("h2", { id: "doc-list-title" }, "Documents"), filter, list, empty)
}

import type { ChangeSet } from "@codemirror/state"
import type * as Y from "yjs"
import { restoreMarkers, saveMarkers, type SavedMarkers } from "../src/collab/search-markers.js"

/**
 * Keeps `text`'s search markers across remote changes as the collab authority does: saved before
 * each is reported, and given back by `restore`, which the text's observer calls with the
 * change's ChangeSet and the changed item changesOfEvent found (if it read the change that way).
 */
export function keepMarkers(text: Y.Text): { restore(event: Y.YTextEvent, changes: ChangeSet, found: { item: Y.Item; index: number } | null): void } {
  let saved: SavedMarkers | null = null
  text.doc!.on("beforeObserverCalls", (transaction: Y.Transaction) => {
    if (!transaction.local) saved = saveMarkers(text)
  })
  return {
    restore(event, changes, found) {
      if (!event.transaction.local) restoreMarkers(text, saved, changes, found)
      saved = null
    },
  }
}

/**
 * The search markers of `text` on items still in it whose index is not where the item starts,
 * counted from the start of the text; each as `index:actual`.
 */
export function misplacedMarkers(text: Y.Text): string[] {
  const wrong: string[] = []
  for (const { p, index } of text._searchMarker ?? []) {
    if (p.deleted) continue
    let at = 0
    for (let item = text._start; item !== null && item !== p; item = item.right) if (!item.deleted && item.countable) at += item.length
    if (at !== index) wrong.push(`${index}:${at}`)
  }
  return wrong
}

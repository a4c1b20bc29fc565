import type { ChangeSet } from "@codemirror/state"
import type * as Y from "yjs"

// Yjs finds an index in a text by walking its items from the nearest of its search markers, and
// drops all of them whenever a remote update changes the text. The next index the server edits
// at (a collab push) was then walked to from the start: on a text of 20,000 items, 0.3 ms for one
// keystroke at its end (100,000 items: 1.1 ms). The text's markers are therefore saved before a
// remote change is reported, and given back after it, moved by what it changed.
//
// They are ordinary markers from then on: Yjs moves them as the text changes (items merging
// included) and drops them with the others at the next remote change. Relies on Yjs 13's
// `_searchMarker` (an array of `{ p, index, timestamp }`, `null` in a text Yjs keeps none for) and
// `Item.marker`.

/** Search markers of a text: an item, the index (in code units) where it starts, and when Yjs last used it. */
export type SavedMarkers = ReadonlyArray<{ readonly p: Y.Item; readonly index: number; readonly timestamp: number }>

/**
 * How many markers are kept across a remote change: those Yjs used last, where the server edited
 * last. Yjs keeps up to 80; saving and moving all of them for every remote update cost the mixed
 * room of the bench more than the walks they save.
 */
const keptMarkers = 8

/**
 * The search markers `text` has now, those Yjs used last. Called before a remote change is
 * reported (the document's `beforeObserverCalls`), when Yjs has not dropped them yet: a remote
 * update moves no marker, so each still gives where its item starts in the text as it was before
 * the change.
 */
export function saveMarkers(text: Y.Text): SavedMarkers {
  const markers = text._searchMarker ?? []
  // The kept ones picked first, so only they are copied: Yjs may hold 80.
  const kept = markers.length <= keptMarkers ? markers : [...markers].sort((a, b) => b.timestamp - a.timestamp).slice(0, keptMarkers)
  return kept.map(({ p, index, timestamp }) => ({ p, index, timestamp }))
}

/**
 * After a remote change, gives `text` search markers again: at its first item; at `changed`,
 * the last changed item and where it starts now, when the change was read from its items; and
 * each of `saved` whose item is still in the text, at its index mapped through `changes` (the
 * change, in code units of the text before it). An item that stands after the change started
 * where it starts now, less what the change removed before it and plus what it added there
 * (content added at its very start goes before it). Does nothing when the text has markers
 * already (Yjs's own, up to date) or keeps none.
 */
export function restoreMarkers(
  text: Y.Text,
  saved: SavedMarkers | null,
  changes: ChangeSet,
  changed: { readonly item: Y.Item; readonly index: number } | null,
): void {
  const markers = text._searchMarker
  const start = text._start
  if (!markers || markers.length > 0 || start === null) return
  // Plain objects of the shape of Yjs's own, one per item.
  const add = (p: Y.Item, index: number, timestamp: number) => {
    if (markers.some((m) => m.p === p)) return
    p.marker = true
    markers.push({ p, index, timestamp })
  }
  // The oldest timestamps for these two: markers Yjs makes later take their places first.
  add(start, 0, 0)
  if (changed && changed.item.parent === text) add(changed.item, changed.index, 0)
  for (const { p, index, timestamp } of saved ?? []) {
    if (!p.deleted && p.countable && p.parent === text) add(p, changes.mapPos(index, 1), timestamp)
  }
}

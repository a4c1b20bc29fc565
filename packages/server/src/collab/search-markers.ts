import type * as Y from "yjs"

/**
 * After a remote change, tells the Y.Text where it stands: search markers at its first item and
 * at `item`, which starts at `index` (in code units, as the text counts them).
 *
 * Yjs finds an index by walking the text's items from the nearest of its search markers, and
 * drops all of them whenever a remote update changes the text. The next index the server edits
 * at (a collab push) was then walked to from the start: on a text of 20,000 items, 0.3 ms for one
 * keystroke at its end (100,000 items: 1.1 ms). With these two, the walk starts at the start or
 * at the remote change, whichever is nearer, so it is never longer than without them.
 *
 * They are ordinary markers from then on: Yjs moves them as the text changes (items merging
 * included) and drops them with the others at the next remote change. Relies on Yjs 13's
 * `_searchMarker` (an array of `{ p, index, timestamp }`) and `Item.marker`; does nothing when
 * the text has markers already (they are Yjs's own and up to date) or keeps none.
 */
export function markRemoteChange(text: Y.Text, item: Y.Item, index: number): void {
  const markers = text._searchMarker
  const start = text._start
  if (!markers || markers.length > 0 || start === null || item.parent !== text) return
  // Plain objects of the shape of Yjs's own. The oldest timestamps: markers Yjs makes later take
  // these places first once all 80 are used.
  markers.push({ p: start, index: 0, timestamp: 0 })
  start.marker = true
  if (item !== start) {
    markers.push({ p: item, index, timestamp: 0 })
    item.marker = true
  }
}

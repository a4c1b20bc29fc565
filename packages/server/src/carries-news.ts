import type { UpdateSummary } from "@tandem/protocol"
import * as Y from "yjs"

/** Whether an update holds anything `doc` lacks: structs past its clocks, or deletions it has not made. */
export function carriesNews(doc: Y.Doc, summary: UpdateSummary): boolean {
  for (const [client, range] of summary.clocks) {
    if (range.to > Y.getState(doc.store, client)) return true
  }
  if (summary.deletes.length === 0) return false
  // Only read-only peers come here, at most once per handshake: building the delete set is fine.
  const deleted = Y.createDeleteSetFromStructStore(doc.store)
  return summary.deletes.some(({ client, clock, length }) => {
    if (clock + length > Y.getState(doc.store, client)) return true
    // The set's ranges are sorted and merged: a range already deleted lies inside one of them.
    const ranges = deleted.clients.get(client) ?? []
    return !ranges.some((range) => range.clock <= clock && clock + length <= range.clock + range.len)
  })
}

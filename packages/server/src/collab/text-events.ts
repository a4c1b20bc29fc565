import { ChangeSet } from "@codemirror/state"
import * as Y from "yjs"
import { embed, lineSeparator } from "./text-changes.js"

/** Past this many changed items, Yjs's own delta (one walk over the text) is the cheaper way. */
const maxChanged = 8
/** Steps each way from a changed item before giving up on finding an end of the text nearby. */
const maxSteps = 2048

interface Changed {
  readonly item: Y.Item
  readonly inserted: boolean
  /** Where it is in the text before the transaction (a deleted item) or where it went (an inserted one). */
  before: number
  /** Where it is in the text after the transaction: orders inserts that share a position before it. */
  after: number
}

/**
 * A Y.Text change as a ChangeSet on a document of `length` code units, as
 * `changesOfDelta(event.delta, length)` gives it, found without reading the event's delta, which
 * Yjs builds by walking every item of the text from its start: on a text of 10,000 items that was
 * a quarter of a millisecond per change (50,000: 1.8 ms), however small the change.
 *
 * Instead each changed item's position is counted from the nearer end of the text: the walk is as
 * long as the distance from the change to the start or the end, whichever is shorter (a change at
 * the end of the text, as when someone is writing on, costs a few steps). Returns `undefined`
 * when it cannot tell cheaply or for sure (many changed items, a change far from both ends,
 * content the delta does not count, a length that does not match): the caller reads the delta.
 *
 * `found`, when given, hears of the last changed item in the text's order and where it starts
 * after the transaction (see restoreMarkers), when the change is read this way.
 */
export function changesOfEvent(event: Y.YTextEvent, length: number, found?: (item: Y.Item, index: number) => void): ChangeSet | undefined {
  const text = event.target
  const { transaction } = event
  const { beforeState, afterState, deleteSet } = transaction
  const clients = transaction.doc.store.clients
  const added = (item: Y.Item) => item.id.clock >= (beforeState.get(item.id.client) ?? 0)
  // What an item held in the text before the transaction, and holds after it (null: content
  // whose length the delta does not count, which this cannot mirror).
  const lengthBefore = (item: Y.Item): number | null => {
    if (!item.countable || added(item) || (item.deleted && !Y.isDeleted(deleteSet, item.id))) return 0
    return counted(item) ? item.length : null
  }
  const lengthAfter = (item: Y.Item): number | null => (!item.countable || item.deleted ? 0 : counted(item) ? item.length : null)

  const changed: Changed[] = []
  const take = (struct: Y.Item | Y.GC, inserted: boolean): boolean => {
    if (!(struct instanceof Y.Item) || struct.parent !== text || struct.parentSub !== null || !struct.countable) return true
    // Inserted and deleted in the same transaction: neither in the text before nor after.
    if (inserted ? struct.deleted : added(struct)) return true
    if (!counted(struct)) return false
    changed.push({ item: struct, inserted, before: 0, after: 0 })
    return changed.length <= maxChanged
  }
  try {
    for (const [client, clock] of afterState) {
      const from = beforeState.get(client) ?? 0
      if (clock <= from) continue
      const structs = clients.get(client)!
      for (let i = Y.findIndexSS(structs, from); i < structs.length && structs[i]!.id.clock < clock; i++) {
        if (!take(structs[i]!, true)) return undefined
      }
    }
    for (const [client, ranges] of deleteSet.clients) {
      const structs = clients.get(client)!
      for (const range of ranges) {
        const end = range.clock + range.len
        for (let i = Y.findIndexSS(structs, range.clock); i < structs.length && structs[i]!.id.clock < end; i++) {
          if (!take(structs[i]!, false)) return undefined
        }
      }
    }
  } catch {
    // A number the store does not hold (findIndexSS throws): the delta decides.
    return undefined
  }
  if (changed.length === 0) return undefined

  const lengthNow = text.length
  let lengthThen = lengthNow
  for (const { item, inserted } of changed) lengthThen += inserted ? -item.length : item.length
  if (lengthThen !== length) return undefined

  for (const change of changed) {
    const { item } = change
    let left = item.left as Y.Item | null
    let right = item.right as Y.Item | null
    let beforeLeft = 0
    let afterLeft = 0
    let beforeRight = 0
    let afterRight = 0
    for (let steps = 0; ; steps++) {
      if (left === null) {
        change.before = beforeLeft
        change.after = afterLeft
        break
      }
      if (right === null) {
        change.before = lengthThen - beforeRight - (change.inserted ? 0 : item.length)
        change.after = lengthNow - afterRight - (change.inserted ? item.length : 0)
        break
      }
      if (steps === maxSteps) return undefined
      const l0 = lengthBefore(left)
      const l1 = lengthAfter(left)
      const r0 = lengthBefore(right)
      const r1 = lengthAfter(right)
      if (l0 === null || l1 === null || r0 === null || r1 === null) return undefined
      beforeLeft += l0
      afterLeft += l1
      beforeRight += r0
      afterRight += r1
      left = left.left as Y.Item | null
      right = right.right as Y.Item | null
    }
  }

  // In the order of the text: by position before, and inserts at one position by position after.
  changed.sort((a, b) => a.before - b.before || a.after - b.after)
  const last = changed[changed.length - 1]!
  found?.(last.item, last.after)
  const specs = changed.map(({ item, inserted, before }) =>
    inserted ? { from: before, insert: item.content instanceof Y.ContentString ? item.content.str : embed } : { from: before, to: before + item.length },
  )
  return ChangeSet.of(specs, length, lineSeparator)
}

/** Whether the delta counts this content as Tandem's collab text does: a string, or one embed. */
function counted(item: Y.Item): boolean {
  const { content } = item
  return content instanceof Y.ContentString || content instanceof Y.ContentEmbed || content instanceof Y.ContentType
}

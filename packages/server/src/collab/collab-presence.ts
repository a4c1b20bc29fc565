import { decodeCursor, encodeCursor, joinedAtOf, type AwarenessCursor, type CollabPeer, type CollabSelection, type CollabUser } from "@tandem/protocol"
import type * as Y from "yjs"
import type { RoomText } from "../room-text.js"
import type { CollabLog } from "./collab-log.js"

/** Longest name passed on, in characters; editors show no more. */
const maxNameLength = 64

/**
 * Someone's awareness state as collab clients are told it: the name and colour, and the
 * selection through `index` (the text index a relative position stands for, or `null`). The
 * cursor is read in every layout Yjs editors publish (`decodeCursor`). A state with neither a
 * user nor a cursor is nobody to show: `null`.
 */
function peerOf(id: number, state: unknown, index: (position: Y.RelativePosition) => number | null): CollabPeer | null {
  if (typeof state !== "object" || state === null) return null
  const { user, cursor } = state as { user?: unknown; cursor?: unknown }
  const shown = userOf(user)
  let selection: CollabSelection | null = null
  const decoded = decodeCursor(cursor)
  if (decoded) {
    const anchor = index(decoded.anchor)
    const head = index(decoded.head)
    if (anchor !== null && head !== null) selection = { anchor, head }
  }
  if (!shown && !selection) return null
  return { id, user: shown, selection }
}

/**
 * A collab client's selection at `version` as Yjs editors publish a cursor: relative positions
 * in the Y.Text (`text`, at `log.head`, `headLength` long), past the changes since `version`.
 * `null` without a selection, or when `version` is not in the log.
 */
export function cursorAt(log: CollabLog, version: number, headLength: number, selection: CollabSelection | null, text: RoomText): AwarenessCursor | null {
  if (!selection || version < log.base || version > log.head) return null
  const later = log.range(version, log.head)
  const length = log.lengthAt(version, headLength)
  // Past text inserted right at the caret, as the relative position made from it will move.
  const forward = (pos: number) => later.reduce((at, entry) => entry.changes.mapPos(at, 1), Math.min(pos, length))
  // The layout y-codemirror.next publishes and reads: every field present, nulls kept.
  return encodeCursor({ anchor: text.relativePosition(forward(selection.anchor)), head: text.relativePosition(forward(selection.head)) })
}

/**
 * Someone's presence for collab clients, with the selection at version `visible`: positions in
 * the Y.Text are at `log.head` (the text `headLength` long), and are taken back over the
 * changes not shown yet (there are rarely any).
 */
export function shownPeer(id: number, state: unknown, log: CollabLog, visible: number, headLength: number, text: RoomText): CollabPeer | null {
  const unshown = log.range(visible, log.head).reverse()
  return peerOf(id, state, (position) => {
    const index = text.indexOf(position)
    if (index === null || index > headLength) return null
    return unshown.reduce((at, entry) => entry.changes.invertedDesc.mapPos(at, -1), index)
  })
}

function userOf(user: unknown): CollabUser | null {
  if (typeof user !== "object" || user === null) return null
  const { name, color, joinedAt } = user as { name?: unknown; color?: unknown; joinedAt?: unknown }
  if (typeof name !== "string") return null
  // Colours are passed on as given (short strings only); the editors sanitise before use.
  const shown = { name: name.slice(0, maxNameLength), color: typeof color === "string" ? color.slice(0, 32) : "" }
  // When the person joined, which editors compare to settle a colour clash: only a time a
  // collab client would accept, else none.
  const joined = joinedAtOf(joinedAt)
  return joined === undefined ? shown : { ...shown, joinedAt: joined }
}

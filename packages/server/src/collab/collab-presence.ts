import { decodeCursor, joinedAtOf, type CollabPeer, type CollabSelection, type CollabUser } from "@tandem/protocol"
import type * as Y from "yjs"

/** Longest name passed on, in characters; editors show no more. */
const maxNameLength = 64

/**
 * Someone's awareness state as collab clients are told it: the name and colour, and the
 * selection through `index` (the text index a relative position stands for, or `null`). The
 * cursor is read in every layout Yjs editors publish (`decodeCursor`). A state with neither a
 * user nor a cursor is nobody to show: `null`.
 */
export function peerOf(id: number, state: unknown, index: (position: Y.RelativePosition) => number | null): CollabPeer | null {
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

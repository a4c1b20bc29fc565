import * as Y from "yjs"

/** A Yjs item or type id as it appears in awareness JSON. */
export interface AwarenessId {
  readonly client: number
  readonly clock: number
}

/**
 * A Yjs relative position in the layout `y-codemirror.next` puts in awareness: the fields of a
 * `Y.RelativePosition`, every one present, `null` kept. Stock `y-codemirror.next` (0.3.x) reads
 * them without `Y.createRelativePositionFromJSON`, so a missing `item` or `type` crashes it.
 */
export interface AwarenessRelativePosition {
  readonly type: AwarenessId | null
  readonly tname: string | null
  readonly item: AwarenessId | null
  readonly assoc: number
}

/** The awareness field `cursor` as Tandem publishes it: the layout of `y-codemirror.next`. */
export interface AwarenessCursor {
  readonly anchor: AwarenessRelativePosition
  readonly head: AwarenessRelativePosition
}

/** A selection as Yjs relative positions: what {@link decodeCursor} returns. */
export interface Cursor {
  readonly anchor: Y.RelativePosition
  readonly head: Y.RelativePosition
}

function encodeId(id: Y.ID | null): AwarenessId | null {
  return id === null ? null : { client: id.client, clock: id.clock }
}

function encodePosition(position: Y.RelativePosition): AwarenessRelativePosition {
  // The key order of Y.RelativePosition, so the JSON text is the same as y-codemirror.next's.
  return { type: encodeId(position.type), tname: position.tname, item: encodeId(position.item), assoc: position.assoc }
}

/**
 * The value to publish as the awareness field `cursor` for a selection: plain objects, every
 * field present with `null` kept, which serialise to the same JSON as the `Y.RelativePosition`s
 * `y-codemirror.next` publishes. Never use `Y.relativePositionToJSON` for this: it drops null
 * fields. Called by the editor for the local selection, and by servers that publish the
 * selection of clients without Yjs.
 */
export function encodeCursor(cursor: Cursor): AwarenessCursor {
  return { anchor: encodePosition(cursor.anchor), head: encodePosition(cursor.head) }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null
}

function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
}

/** An id, `null` for a missing one, or `undefined` for one that is malformed. */
function decodeId(value: unknown): Y.ID | null | undefined {
  if (value === null || value === undefined) return null
  if (!isRecord(value) || !isUint(value.client) || !isUint(value.clock)) return undefined
  return Y.createID(value.client, value.clock)
}

function decodePosition(value: unknown): Y.RelativePosition | null {
  if (!isRecord(value)) return null
  const type = decodeId(value.type)
  const item = decodeId(value.item)
  const tname = value.tname ?? null
  const assoc = value.assoc ?? 0
  if (type === undefined || item === undefined) return null
  if (tname !== null && typeof tname !== "string") return null
  if (typeof assoc !== "number" || !Number.isSafeInteger(assoc)) return null
  // Yjs throws on a position that names neither an item nor a type.
  if (item === null && type === null && tname === null) return null
  return Y.createRelativePositionFromJSON({ type, tname, item, assoc })
}

/**
 * Reads the awareness field `cursor` of any peer: `{ anchor, head }` where each is a relative
 * position as `y-codemirror.next` publishes it (every field, nulls kept), as
 * `Y.relativePositionToJSON` writes it (null fields and a zero `assoc` left out), or a
 * `Y.RelativePosition` object. Returns `null` for a missing or malformed cursor; never throws,
 * since the value comes from other people.
 */
export function decodeCursor(value: unknown): Cursor | null {
  if (!isRecord(value)) return null
  const anchor = decodePosition(value.anchor)
  const head = decodePosition(value.head)
  return anchor && head ? { anchor, head } : null
}

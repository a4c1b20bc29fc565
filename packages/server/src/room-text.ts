import * as Y from "yjs"
import { contentKey, type TextWatcher } from "./room-types.js"

/**
 * A room's document read as the text its editors edit, for those who need it as text: the HTTP
 * API, the version history, and a gateway that keeps a view of the text of its own (the collab
 * authority), which also follows it change by change. It only reads: every change goes through
 * the room's write path (`Room.editText`).
 */
export class RoomText {
  /** The one gateway following the text, if any. */
  private watcher: TextWatcher | null = null

  /** `doc` gives the document holding everything accepted (the room applies what it held back first). */
  constructor(
    private readonly name: string,
    private readonly doc: () => Y.Doc,
  ) {}

  /** Whether a gateway follows the text: every update must then be applied as it comes. */
  get watched(): boolean {
    return this.watcher !== null
  }

  /** The text, as it stands. */
  toString(): string {
    return this.doc().getText(contentKey).toString()
  }

  /**
   * Has `watcher` follow every change of the text from now on (see {@link TextWatcher}); one
   * watcher per room. Returns the function that stops it.
   *
   * @throws {Error} when another watcher follows the text already.
   */
  watch(watcher: TextWatcher): () => void {
    if (this.watcher) throw new Error(`room "${this.name}" has a text watcher already`)
    const doc = this.doc()
    const text = doc.getText(contentKey)
    const observer = (event: Y.YTextEvent, transaction: Y.Transaction) => watcher.changed(event, transaction.origin)
    // Yjs emits this before it calls the text's observers, which first drop its search markers.
    const before = (transaction: Y.Transaction) => {
      if (!transaction.local && (transaction.changed as Map<unknown, unknown>).has(text)) watcher.beforeRemoteChange?.(text)
    }
    text.observe(observer)
    doc.on("beforeObserverCalls", before)
    this.watcher = watcher
    return () => {
      text.unobserve(observer)
      doc.off("beforeObserverCalls", before)
      if (this.watcher === watcher) this.watcher = null
    }
  }

  /** The room queued every change reported so far for storage (see {@link TextWatcher.queued}). */
  queued(): void {
    this.watcher?.queued()
  }

  /**
   * The Yjs relative position of `index` in the text (before the character there), for a
   * gateway publishing a cursor to awareness the way Yjs editors do: what
   * `Y.createRelativePositionFromTypeIndex` gives, which counts every item from the start of the
   * text. The end of the text is known at once, and elsewhere the count starts at the nearest of
   * the text's search markers when it has any (Yjs keeps them where the text was last edited
   * here, and the collab authority keeps them across remote changes; see restoreMarkers).
   */
  relativePosition(index: number): Y.RelativePosition {
    const text = this.doc().getText(contentKey)
    return positionAt(text, index) ?? Y.createRelativePositionFromTypeIndex(text, index)
  }

  /**
   * Where in the text a relative position (from a peer's awareness, read with `decodeCursor`) is
   * now; `null` when it is not a position in the text.
   */
  indexOf(position: Y.RelativePosition): number | null {
    const doc = this.doc()
    const text = doc.getText(contentKey)
    // A position naming a root type by key would make Yjs create a type under any key a peer sends.
    if (position.item === null && position.tname !== null && position.tname !== contentKey) return null
    if (position.item !== null) {
      const index = itemIndex(text, position.item, position.assoc)
      if (index !== undefined) return index
    }
    try {
      const absolute = Y.createAbsolutePositionFromRelativePosition(position, doc)
      return absolute && absolute.type === text ? absolute.index : null
    } catch {
      // Ids of structs this document garbage-collected, or of other kinds of struct.
      return null
    }
  }
}

/**
 * The index in `text` of the character at `id` (after it, for `assoc < 0`), as Yjs's
 * `createAbsolutePositionFromRelativePosition` gives it, counted from the nearer end of the text:
 * Yjs counts every item from the start, and a Yjs editor's cursor is sent with each keystroke,
 * most often near the end of a long text. `null` when `id` is not in the text (not written yet,
 * garbage-collected, in another type); `undefined` when Yjs must decide (an item an undo manager
 * redid, whose position follows the redone one).
 */
function itemIndex(text: Y.Text, id: Y.ID, assoc: number): number | null | undefined {
  const { store } = text.doc!
  if (Y.getState(store, id.client) <= id.clock) return null
  const structs = store.clients.get(id.client)!
  const item = structs[Y.findIndexSS(structs, id.clock)]
  if (!(item instanceof Y.Item) || item.parent !== text || item.parentSub !== null) return null
  if (item.redone !== null) return undefined
  const own = !item.deleted && item.countable
  const offset = own ? id.clock - item.id.clock + (assoc >= 0 ? 0 : 1) : 0
  let left = item.left
  let right = item.right
  let before = 0
  let after = 0
  for (;;) {
    if (left === null) return before + offset
    if (right === null) return text.length - after - (own ? item.length : 0) + offset
    if (!left.deleted && left.countable) before += left.length
    if (!right.deleted && right.countable) after += right.length
    left = left.left
    right = right.right
  }
}

/**
 * `Y.createRelativePositionFromTypeIndex(text, index)` for a root text, found from the end of the
 * text or from its nearest search marker (read, not moved: Yjs keeps each at the index where its
 * item starts); `undefined` when the text has no markers or the start is nearer than all of them.
 */
function positionAt(text: Y.Text, index: number): Y.RelativePosition | undefined {
  // Past the last character: a position at the end of the type, as Yjs makes it.
  if (index >= text.length) return Y.createRelativePositionFromJSON({ tname: contentKey, item: null, assoc: 0 })
  const markers = text._searchMarker
  if (!markers || markers.length === 0) return undefined
  let marker = markers[0]!
  for (const m of markers) if (Math.abs(index - m.index) < Math.abs(index - marker.index)) marker = m
  // Nearer the start than any marker: Yjs's own count from the start is the shorter walk.
  if (index <= Math.abs(index - marker.index)) return undefined
  let p: Y.Item | null = marker.p
  let at = marker.index
  // Back to an item starting at or before the index, as Yjs's own search does...
  while (p.left !== null && at > index) {
    p = p.left
    if (!p.deleted && p.countable) at -= p.length
  }
  // ...then on to the character there.
  for (; p !== null; p = p.right) {
    if (p.deleted || !p.countable) continue
    if (index < at + p.length) return Y.createRelativePositionFromJSON({ tname: contentKey, item: { client: p.id.client, clock: p.id.clock + index - at }, assoc: 0 })
    at += p.length
  }
  return undefined
}

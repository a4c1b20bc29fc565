import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { decodeCursor, encodeCursor } from "../src/index.js"

/** "hello" in the root text "content", written by client 7; and a nested text in a map. */
function fixture() {
  const doc = new Y.Doc()
  doc.clientID = 7
  const text = doc.getText("content")
  text.insert(0, "hello")
  const nested = new Y.Text("nested")
  doc.getMap("m").set("t", nested)
  return { doc, text, nested }
}

function cursorAt(type: Y.Text, anchor: number, head = anchor) {
  return { anchor: Y.createRelativePositionFromTypeIndex(type, anchor), head: Y.createRelativePositionFromTypeIndex(type, head) }
}

function indexOf(doc: Y.Doc, position: Y.RelativePosition): number | undefined {
  return Y.createAbsolutePositionFromRelativePosition(position, doc)?.index
}

describe("encodeCursor", () => {
  it("writes the JSON y-codemirror.next writes, nulls kept, at the start, middle and end", () => {
    const { text } = fixture()
    for (const index of [0, 2, 5]) {
      const cursor = cursorAt(text, index)
      // y-codemirror.next publishes the Y.RelativePosition objects themselves.
      expect(JSON.stringify(encodeCursor(cursor))).toBe(JSON.stringify(cursor))
    }
    expect(encodeCursor(cursorAt(text, 5)).head).toEqual({ type: null, tname: "content", item: null, assoc: 0 })
    expect(encodeCursor(cursorAt(text, 1)).head).toEqual({ type: null, tname: "content", item: { client: 7, clock: 1 }, assoc: 0 })
  })

  it("keeps the type id of a nested text and a non-zero assoc", () => {
    const { nested } = fixture()
    const position = Y.createRelativePositionFromTypeIndex(nested, 6, -1)
    const encoded = encodeCursor({ anchor: position, head: position })
    expect(JSON.stringify(encoded.anchor)).toBe(JSON.stringify(position))
    expect(encoded.anchor.assoc).toBe(-1)
  })

  it("is what y-codemirror.next reads directly: Yjs resolves it without createRelativePositionFromJSON", () => {
    const { doc, text } = fixture()
    for (const index of [0, 2, 5]) {
      // The cursor crosses the wire as JSON, as in an awareness update.
      const received = JSON.parse(JSON.stringify(encodeCursor(cursorAt(text, index)))) as { head: Y.RelativePosition }
      expect(indexOf(doc, received.head)).toBe(index)
    }
  })
})

describe("decodeCursor", () => {
  it("reads the y-codemirror.next layout, Y.relativePositionToJSON's and RelativePosition objects", () => {
    const { doc, text } = fixture()
    for (const index of [0, 3, 5]) {
      const cursor = cursorAt(text, index, 5 - index)
      const shapes: unknown[] = [
        JSON.parse(JSON.stringify(encodeCursor(cursor))),
        JSON.parse(JSON.stringify({ anchor: Y.relativePositionToJSON(cursor.anchor), head: Y.relativePositionToJSON(cursor.head) })),
        cursor,
      ]
      for (const shape of shapes) {
        const decoded = decodeCursor(shape)
        expect(decoded).not.toBeNull()
        expect(indexOf(doc, decoded!.anchor)).toBe(index)
        expect(indexOf(doc, decoded!.head)).toBe(5 - index)
      }
    }
  })

  it("reads a position with assoc left out as assoc 0", () => {
    const decoded = decodeCursor({ anchor: { tname: "content" }, head: { item: { client: 7, clock: 2 } } })
    expect(decoded?.anchor).toEqual(Y.createRelativePositionFromJSON({ tname: "content", assoc: 0 }))
    expect(decoded?.head.assoc).toBe(0)
    expect(decoded?.head.item).toEqual(Y.createID(7, 2))
  })

  it("returns null for missing or malformed cursors instead of throwing", () => {
    const bad: unknown[] = [
      undefined,
      null,
      "cursor",
      42,
      {},
      { anchor: { tname: "content" } },
      { anchor: {}, head: {} },
      { anchor: { type: null, tname: null, item: null, assoc: 0 }, head: { tname: "content" } },
      { anchor: { item: { client: "7", clock: 1 } }, head: { tname: "content" } },
      { anchor: { item: { client: 7, clock: -1 } }, head: { tname: "content" } },
      { anchor: { item: { client: 7 } }, head: { tname: "content" } },
      { anchor: { type: 5 }, head: { tname: "content" } },
      { anchor: { tname: 5 }, head: { tname: "content" } },
      { anchor: { tname: "content", assoc: "left" }, head: { tname: "content" } },
      { anchor: { tname: "content", assoc: 0.5 }, head: { tname: "content" } },
    ]
    for (const value of bad) expect(decodeCursor(value), JSON.stringify(value)).toBeNull()
  })

  it("round-trips what encodeCursor writes", () => {
    const { text, nested } = fixture()
    for (const cursor of [cursorAt(text, 0, 5), cursorAt(nested, 2, 6)]) {
      const decoded = decodeCursor(JSON.parse(JSON.stringify(encodeCursor(cursor))))
      expect(decoded && Y.compareRelativePositions(decoded.anchor, cursor.anchor)).toBe(true)
      expect(decoded && Y.compareRelativePositions(decoded.head, cursor.head)).toBe(true)
    }
  })
})

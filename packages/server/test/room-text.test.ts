import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { changesOfDelta, indexedText } from "../src/collab/text-changes.js"
import { changesOfEvent } from "../src/collab/text-events.js"
import { RoomText } from "../src/room-text.js"
import { contentKey } from "../src/room-types.js"
import { keepMarkers } from "./markers.js"
import { randomEdit } from "./random-edit.js"

const seed = Number(process.env.TANDEM_SEED ?? 20261202)

describe("RoomText.indexOf", () => {
  it(`finds every relative position where Yjs finds it, counting from the nearer end (seed ${seed})`, () => {
    console.log(`room-text seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const server = new Y.Doc()
    const room = new RoomText("doc", () => server)
    const text = server.getText(contentKey)
    const clients = [1, 2, 3].map((id) => {
      const doc = new Y.Doc()
      doc.clientID = id
      return doc
    })
    const sync = (doc: Y.Doc) => {
      Y.applyUpdate(server, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(server)))
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)))
    }
    const edit = (t: Y.Text) => randomEdit(gen, t)
    // Positions made along the way, many of them into text deleted since, plus some that are
    // not in the text at all: another type's, and clocks nobody wrote yet.
    const other = server.getText("other")
    other.insert(0, "elsewhere")
    const positions: Y.RelativePosition[] = [
      Y.createRelativePositionFromTypeIndex(other, 3),
      Y.createRelativePositionFromJSON({ item: { client: 1, clock: 1_000_000 }, assoc: 0 }),
      Y.createRelativePositionFromJSON({ item: { client: 99, clock: 0 }, assoc: 0 }),
    ]
    let compared = 0
    for (let round = 0; round < 1500; round++) {
      const doc = prng.oneOf(gen, clients)
      edit(doc.getText(contentKey))
      if (prng.uint32(gen, 0, 2) === 0) sync(doc)
      const t = doc.getText(contentKey)
      positions.push(Y.createRelativePositionFromTypeIndex(t, prng.uint32(gen, 0, t.length), prng.oneOf(gen, [-1, 0, 1])))
      if (positions.length > 60) positions.splice(3, 1)
      for (const position of positions) {
        const absolute = Y.createAbsolutePositionFromRelativePosition(position, server)
        const expected = absolute && absolute.type === text ? absolute.index : null
        expect(room.indexOf(position)).toBe(expected)
        compared++
      }
    }
    expect(compared).toBeGreaterThan(50_000)
  })
})

describe("RoomText.relativePosition", () => {
  it(`gives the position Yjs gives for every index, whatever search markers the text has (seed ${seed})`, () => {
    const gen = prng.create(seed + 1)
    const server = new Y.Doc()
    const room = new RoomText("doc", () => server)
    const text = server.getText(contentKey)
    // As the collab authority does: markers kept across remote changes, and one where each was.
    let length = 0
    const markers = keepMarkers(text)
    text.observe((event) => {
      let found = null as { item: Y.Item; index: number } | null
      const changes = changesOfEvent(event, length, (item, index) => (found = { item, index })) ?? changesOfDelta(event.delta, length)
      if (changes) markers.restore(event, changes, found)
      length = text.length
    })
    const writer = new Y.Doc()
    writer.clientID = 5
    // Formatting only in the last rounds: Yjs keeps no search markers in a text that has any.
    const edit = (t: Y.Text, formats: boolean) => randomEdit(gen, t, formats)
    let compared = 0
    let marked = 0
    for (let round = 0; round < 1500; round++) {
      const formats = round >= 1200
      // The server edits (Yjs leaves markers where), or a remote writer does (Yjs drops them).
      // The server's edits land at their index, from whatever markers the text has.
      if (prng.bool(gen)) {
        const before = indexedText(text)
        const expected = edit(text, formats)(before)
        expect(indexedText(text)).toBe(expected)
      } else {
        Y.applyUpdate(writer, Y.encodeStateAsUpdate(server, Y.encodeStateVector(writer)))
        edit(writer.getText(contentKey), formats)
        Y.applyUpdate(server, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(server)))
      }
      if ((text._searchMarker?.length ?? 0) > 0) marked++
      for (let i = 0; i < 20; i++) {
        const index = prng.uint32(gen, 0, text.length + 1)
        expect(Y.relativePositionToJSON(room.relativePosition(index))).toEqual(Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, index)))
        compared++
      }
    }
    expect(compared).toBe(30_000)
    // Most rounds must start from a marker, or this would test Yjs's search against itself.
    expect(marked).toBeGreaterThan(1000)
  })
})

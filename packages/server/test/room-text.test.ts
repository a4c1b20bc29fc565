import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { RoomText } from "../src/room-text.js"
import { contentKey } from "../src/room-types.js"

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
    const pieces = ["a", "bc", "def\n", "xyz ", "é", "long piece of text "]
    const edit = (t: Y.Text) => {
      const action = prng.uint32(gen, 0, 99)
      const at = prng.uint32(gen, 0, t.length)
      if (action < 60 || t.length === 0) t.insert(at, prng.oneOf(gen, pieces))
      else if (action < 90) t.delete(Math.min(at, t.length - 1), prng.uint32(gen, 1, Math.min(8, t.length - Math.min(at, t.length - 1))))
      else if (action < 95) t.insertEmbed(at, { image: "x" })
      else t.format(Math.min(at, t.length - 1), 1, { bold: true })
    }
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

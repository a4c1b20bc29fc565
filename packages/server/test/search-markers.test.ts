import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { changesOfDelta, indexedText } from "../src/collab/text-changes.js"
import { changesOfEvent } from "../src/collab/text-events.js"
import { keepMarkers, misplacedMarkers } from "./markers.js"
import { randomEdit } from "./random-edit.js"

const seed = Number(process.env.TANDEM_SEED ?? 20261203)

/** A server's text whose search markers are kept across remote changes, as the collab authority keeps them. */
function serverText(): { doc: Y.Doc; text: Y.Text; kept: () => number } {
  const doc = new Y.Doc()
  doc.clientID = 100
  const text = doc.getText("content")
  const markers = keepMarkers(text)
  let length = 0
  let kept = 0
  text.observe((event) => {
    let found = null as { item: Y.Item; index: number } | null
    const changes = changesOfEvent(event, length, event.transaction.local ? undefined : (item, index) => (found = { item, index })) ?? changesOfDelta(event.delta, length)!
    markers.restore(event, changes, found)
    // Beyond the two every remote change leaves (the text's start, where it changed).
    if (!event.transaction.local) kept += Math.max(0, (text._searchMarker?.length ?? 0) - 2)
    length = text.length
  })
  return { doc, text, kept: () => kept }
}

describe("search markers kept across remote changes", () => {
  it(`stay where their items start, and the server's edits land at their index (seed ${seed})`, () => {
    console.log(`search-markers seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const server = serverText()
    const clients = [1, 2, 3].map((id) => {
      const doc = new Y.Doc()
      doc.clientID = id
      return doc
    })
    for (let round = 0; round < 3000; round++) {
      if (prng.uint32(gen, 0, 2) === 0) {
        // A client catches up, edits (once or a few times in one transaction), and the server gets it.
        const doc = prng.oneOf(gen, clients)
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(server.doc, Y.encodeStateVector(doc)))
        doc.transact(() => {
          for (let i = prng.uint32(gen, 1, 3); i > 0; i--) randomEdit(gen, doc.getText("content"), false)
        })
        Y.applyUpdate(server.doc, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(server.doc)))
      } else {
        // The server edits (a collab push) at the index it means, from whatever markers it has.
        const before = indexedText(server.text)
        const expected = randomEdit(gen, server.text, false)(before)
        expect(indexedText(server.text)).toBe(expected)
      }
      expect(misplacedMarkers(server.text)).toEqual([])
    }
    // Markers must have been kept, or this would test Yjs's own markers alone.
    expect(server.kept()).toBeGreaterThan(3000)
  })

  it("keep the place of the server's last edit in a long text when a remote change comes at its end", () => {
    const server = serverText()
    const writer = new Y.Doc()
    writer.clientID = 7
    // 4,000 items: the writer's pieces, each a separate item after the server's between them.
    for (let i = 0; i < 2000; i++) {
      writer.getText("content").insert(writer.getText("content").length, `w${i};`)
      Y.applyUpdate(server.doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(server.doc)))
      server.text.insert(server.text.length, `s${i};`)
      Y.applyUpdate(writer, Y.encodeStateAsUpdate(server.doc, Y.encodeStateVector(writer)))
    }
    const middle = Math.floor(server.text.length / 2)
    server.text.insert(middle, "|")
    writer.getText("content").insert(0, "start;")
    writer.getText("content").insert(writer.getText("content").length, "end;")
    Y.applyUpdate(server.doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(server.doc)))
    // A marker within a few items of the edit, at its place moved by the six characters added at the start.
    const near = (server.text._searchMarker ?? []).filter((m) => Math.abs(m.index - (middle + 6)) < 16)
    expect(near.length).toBeGreaterThan(0)
    expect(misplacedMarkers(server.text)).toEqual([])
  })
})

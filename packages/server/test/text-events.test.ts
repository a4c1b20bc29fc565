import type { ChangeSet, Text } from "@codemirror/state"
import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { changesOfDelta, indexedText, textOf } from "../src/collab/text-changes.js"
import { changesOfEvent } from "../src/collab/text-events.js"
import { keepMarkers } from "./markers.js"
import { randomEdit } from "./random-edit.js"

const seed = Number(process.env.TANDEM_SEED ?? 20261201)
/** Rounds of random edits and syncs; TANDEM_TEXT_EVENT_ROUNDS raises it for a longer run. */
const rounds = Number(process.env.TANDEM_TEXT_EVENT_ROUNDS ?? 4000)

describe("changesOfEvent", () => {
  it(`gives the ChangeSet the delta gives, whenever it gives one, and its markers keep the server's edits in place (seed ${seed})`, () => {
    console.log(`text-events seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const server = new Y.Doc()
    server.clientID = 100
    const clients = [1, 2, 3].map((id) => {
      const doc = new Y.Doc()
      doc.clientID = id
      return doc
    })
    // What each client made and the server has not applied yet.
    const unsent = new Map<Y.Doc, Uint8Array[]>(clients.map((doc) => [doc, []]))
    for (const doc of clients) doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "server" && unsent.get(doc)!.push(update))

    let head: Text = textOf("")
    let events = 0
    let answered = 0
    // As the collab authority does: the text's markers kept across remote changes, and one where the text changed.
    const markers = keepMarkers(server.getText("content"))
    server.getText("content").observe((event) => {
      events++
      const length = head.length
      let found = null as { item: Y.Item; index: number } | null
      const fast = changesOfEvent(event, length, event.transaction.local ? undefined : (item, index) => (found = { item, index }))
      const slow = changesOfDelta(event.delta, length)!
      expect(slow, "the delta fits the text").not.toBeNull()
      markers.restore(event, slow, found)
      if (fast) {
        answered++
        expect(fast.toJSON()).toEqual(slow.toJSON())
      }
      head = slow.apply(head)
    })

    const edit = (text: Y.Text) => randomEdit(gen, text)

    for (let round = 0; round < rounds; round++) {
      const choice = prng.uint32(gen, 0, 9)
      if (choice < 6) {
        // A client edits, once or several times in one transaction.
        const doc = prng.oneOf(gen, clients)
        const times = prng.uint32(gen, 1, 3)
        doc.transact(() => {
          for (let i = 0; i < times; i++) edit(doc.getText("content"))
        })
      } else if (choice < 8) {
        // The server gets what a client made: one update at a time, or all of it merged.
        const doc = prng.oneOf(gen, clients)
        const updates = unsent.get(doc)!.splice(0)
        if (updates.length > 0 && prng.bool(gen)) Y.applyUpdate(server, Y.mergeUpdates(updates), "peer")
        else for (const update of updates) Y.applyUpdate(server, update, "peer")
      } else if (choice < 9) {
        // The server edits itself (a collab push), in a local transaction, at the index it
        // means, whatever search markers the remote changes before it left.
        const text = server.getText("content")
        const before = indexedText(text)
        let expected = (s: string) => s
        server.transact(() => (expected = edit(text)), "push")
        expect(indexedText(text)).toBe(expected(before))
      } else {
        // A client catches up with the server.
        const doc = prng.oneOf(gen, clients)
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)), "server")
      }
      expect(head.toString()).toBe(indexedText(server.getText("content")))
    }
    // It must answer many changes itself, or the test would say nothing of it (fewer in a longer
    // run: the text grows, and more changes are far from both ends).
    console.log(`text-events: ${answered} of ${events} changes read from the changed items`)
    expect(events).toBeGreaterThan(rounds * 0.4)
    expect(answered).toBeGreaterThan(1000)
  })

  it("answers a change at the end of a long text from the end, and gives up far from both ends", () => {
    const server = new Y.Doc()
    const a = new Y.Doc()
    const b = new Y.Doc()
    a.clientID = 1
    b.clientID = 2
    // 6,000 items: the two writers' pieces alternate, so none merge.
    for (let i = 0; i < 3000; i++) {
      a.getText("content").insert(a.getText("content").length, `a${i};`)
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
      b.getText("content").insert(b.getText("content").length, `b${i};`)
      Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
    }
    Y.applyUpdate(server, Y.encodeStateAsUpdate(a))
    let result: ChangeSet | undefined | null = null
    server.getText("content").observe((event) => {
      result = changesOfEvent(event, event.target.length - 4)
    })
    const text = a.getText("content")
    const length = text.length

    const at = (index: number) => {
      text.insert(index, "new;")
      Y.applyUpdate(server, Y.encodeStateAsUpdate(a, Y.encodeStateVector(server)))
      return result
    }
    expect(at(length)?.toJSON()).toEqual([length, [0, "new;"]])
    expect(at(3)?.toJSON()).toEqual([3, [0, "new;"], length + 1])
    // In the middle, 3,000 items from either end: past the steps it takes, the delta decides.
    expect(at(Math.floor(length / 2))).toBeUndefined()
  })

  it("leaves markers after a remote change that keep the server's edits in place as the remote items merge", () => {
    const server = new Y.Doc()
    const writer = new Y.Doc()
    writer.clientID = 7
    const text = server.getText("content")
    text.insert(0, "0123456789")
    Y.applyUpdate(writer, Y.encodeStateAsUpdate(server))
    let length = text.length
    const markers = keepMarkers(text)
    text.observe((event) => {
      let found = null as { item: Y.Item; index: number } | null
      const changes = changesOfEvent(event, length, (item, index) => (found = { item, index })) ?? changesOfDelta(event.delta, length)
      if (changes) markers.restore(event, changes, found)
      length = text.length
    })
    let expected = indexedText(text)
    // The writer types one character at a time at the end and at the start: each of its items
    // merges into the one before it once the server has it. The server writes beside it.
    for (let i = 0; i < 200; i++) {
      const mine = writer.getText("content")
      const at = i % 3 === 0 ? 0 : mine.length
      const char = String.fromCharCode(97 + (i % 26))
      mine.insert(at, char)
      Y.applyUpdate(server, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(server)))
      expected = expected.slice(0, at) + char + expected.slice(at)
      const near = i % 2 === 0 ? text.length : Math.max(0, text.length - 3)
      server.transact(() => text.insert(near, "|"))
      expected = expected.slice(0, near) + "|" + expected.slice(near)
      expect(indexedText(text)).toBe(expected)
      Y.applyUpdate(writer, Y.encodeStateAsUpdate(server, Y.encodeStateVector(writer)))
    }
    expect(indexedText(writer.getText("content"))).toBe(expected)
  })
})

import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { encodeCursor } from "@tandem/protocol"
import { connectOt, connectYjs, peersOf, settled, startTandem, untilDoc, yjsSynced } from "./ot-helpers.js"

const ytext = (provider: { doc: Y.Doc }) => provider.doc.getText("content")

describe("the OT editor's collab session", () => {
  it("rebases a push made at a stale version and lands it once", async () => {
    const { base, sync } = await startTandem()
    const a = connectOt(base, "stale")
    const b = connectOt(base, "stale")
    await Promise.all([a.until(() => settled(a)), b.until(() => settled(b))])
    // Both type on the same version before either hears of the other: the second push is stale.
    a.edit({ changes: { from: 0, insert: "from a. " } })
    b.edit({ changes: { from: 0, insert: "from b. " } })
    await Promise.all([a.until(() => settled(a) && a.text().length === 16), b.until(() => settled(b) && b.text().length === 16)])
    expect(a.text()).toBe(b.text())
    expect(a.text().split("from a. ")).toHaveLength(2)
    expect(a.text().split("from b. ")).toHaveLength(2)
    expect([...a.received, ...b.received].filter((m) => m.type === "push-result" && m.status === "stale")).toHaveLength(1)
    await expect(sync.readText("stale")).resolves.toBe(a.text())
  })

  it("resyncs a client further behind than the server's log without losing its unconfirmed edits", async () => {
    const { base, sync } = await startTandem({ collab: { maxLogUpdates: 3 } })
    const yjs = connectYjs(base, "behind")
    await yjsSynced(yjs)
    ytext(yjs).insert(0, "start\r\n")
    const ot = connectOt(base, "behind")
    await ot.until(() => settled(ot) && ot.text() === "start\r\n")
    ot.goOffline()
    await ot.until(() => ot.session.status().connection === "offline")
    ot.edit({ changes: { from: 7, insert: "typed offline 😀" } })
    for (let i = 0; i < 10; i++) ytext(yjs).insert(0, `${i}`)
    const docs = ot.received.filter((m) => m.type === "doc").length
    ot.goOnline()
    const expected = "9876543210start\r\ntyped offline 😀"
    await ot.until(() => settled(ot) && ot.text() === expected)
    await untilDoc(yjs.doc, () => ytext(yjs).toString() === expected)
    expect(ot.received.filter((m) => m.type === "doc")).toHaveLength(docs + 1)
    await expect(sync.readText("behind")).resolves.toBe(expected)
  })

  it("keeps unconfirmed edits across a reload of the room, which starts a new epoch", async () => {
    const { base, sync } = await startTandem()
    const yjs = connectYjs(base, "epoch")
    await yjsSynced(yjs)
    ytext(yjs).insert(0, "one two three")
    const ot = connectOt(base, "epoch")
    await ot.until(() => settled(ot) && ot.text() === "one two three")
    ot.goOffline()
    ot.edit({ changes: { from: 3, insert: " and a half" } })
    const unloaded = new Promise((resolve) => sync.events.on("room-unloaded", resolve))
    yjs.disconnect()
    await unloaded
    yjs.connect()
    await yjsSynced(yjs)
    ytext(yjs).insert(ytext(yjs).length, " four")
    const docs = ot.received.filter((m) => m.type === "doc").length
    ot.goOnline()
    const expected = "one and a half two three four"
    await ot.until(() => settled(ot) && ot.text() === expected)
    await untilDoc(yjs.doc, () => ytext(yjs).toString() === expected)
    // The old epoch is unknown to the reloaded room: the whole document was sent again.
    expect(ot.received.filter((m) => m.type === "doc")).toHaveLength(docs + 1)
  })

  it("shows an OT user's selection to Yjs users and a Yjs user's cursor to OT users", async () => {
    const { base } = await startTandem()
    const yjs = connectYjs(base, "presence")
    await yjsSynced(yjs)
    ytext(yjs).insert(0, "abcdefghij")
    const ot = connectOt(base, "presence", "Otto")
    await ot.until(() => settled(ot) && ot.text() === "abcdefghij")
    ot.edit({ selection: { anchor: 2, head: 6 } })
    const you = ot.session.status().you!
    const seen = await new Promise<{ user: { name: string }; cursor: unknown }>((resolve) => {
      const check = () => {
        const state = yjs.awareness.getStates().get(you) as { user: { name: string }; cursor: unknown } | undefined
        if (state?.cursor) resolve(state)
        else yjs.awareness.once("change", check)
      }
      check()
    })
    expect(seen.user.name).toBe("Otto")
    const cursor = seen.cursor as { anchor: unknown; head: unknown }
    const index = (position: unknown) => Y.createAbsolutePositionFromRelativePosition(position as Y.RelativePosition, yjs.doc)?.index
    // Read back as y-codemirror.next reads it: the objects as they are, no JSON decoding.
    expect([index(cursor.anchor), index(cursor.head)]).toEqual([2, 6])

    const at = (i: number) => Y.createRelativePositionFromTypeIndex(ytext(yjs), i)
    yjs.awareness.setLocalState({ user: { name: "Yael", color: "#aa3355" }, cursor: encodeCursor({ anchor: at(8), head: at(8) }) })
    await ot.until(() => peersOf(ot).get(yjs.doc.clientID)?.selection?.head === 8)
    expect(peersOf(ot).get(yjs.doc.clientID)).toMatchObject({ name: "Yael", color: "#aa3355", selection: { anchor: 8, head: 8 } })
    // The caret moves with the text it is in.
    ytext(yjs).insert(0, "++")
    await ot.until(() => peersOf(ot).get(yjs.doc.clientID)?.selection?.head === 10)
    expect(ot.session.status().peers.map((p) => p.user?.name).sort()).toEqual(["Otto", "Yael"])

    ot.session.destroy()
    await new Promise<void>((resolve) => {
      const check = () => (yjs.awareness.getStates().has(you) ? yjs.awareness.once("change", check) : resolve())
      check()
    })
  })
})

import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { encodeSyncStep1, encodeUpdate } from "@tandem/protocol"
import { connectProvider, connectRaw, namedPair, startServer, synced, until, untilSeenName, untilText } from "./helpers.js"

describe("sync with stock y-websocket providers", () => {
  it("converges two providers and gives a client that joins later the whole document", async () => {
    const server = await startServer()
    const a = connectProvider(server, "notes/today")
    const b = connectProvider(server, "notes/today")
    await Promise.all([synced(a), synced(b)])
    a.doc.getText("content").insert(0, "hello ")
    b.doc.getText("content").insert(0, "world")
    const expected = await until(a.doc, () => a.doc.getText("content").length === 11).then(() => a.doc.getText("content").toString())
    await untilText(b.doc, expected)
    expect(["hello world", "worldhello "]).toContain(expected)

    const late = connectProvider(server, "notes/today")
    await synced(late)
    expect(late.doc.getText("content").toString()).toBe(expected)
  })

  it("treats %2F in the URL and a raw slash as the same document", async () => {
    const server = await startServer()
    const raw = connectProvider(server, "team/plan")
    await synced(raw)
    raw.doc.getText("content").insert(0, "same")
    const encoded = connectProvider(server, "team%2Fplan")
    await untilText(encoded.doc, "same")
  })

  it("shares awareness and removes a client's state for everyone when it disconnects", async () => {
    const server = await startServer()
    const [a, b] = await namedPair(server, "aware", "Ada")
    const aId = a.doc.clientID
    const removed = new Promise<void>((resolve) => {
      b.awareness.on("change", ({ removed }: { removed: number[] }) => {
        if (removed.includes(aId)) resolve()
      })
    })
    // Cut the socket without the client saying goodbye: the server must remove the state itself.
    a.ws?.close()
    a.shouldConnect = false
    await removed
    expect(b.awareness.getStates().has(aId)).toBe(false)
  })

  it("relays an update to the other peers once and never echoes it to its sender", async () => {
    const server = await startServer()
    const sender = await connectRaw(server, "echo")
    const receiver = await connectRaw(server, "echo")
    // The receiver syncs first (server step 1, then our step 1 answered by step 2): updates are
    // relayed to a client once it has been sent the document state.
    receiver.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    await Promise.all([sender.untilFrames(1), receiver.untilFrames(2)])
    const doc = new Y.Doc()
    doc.getText("content").insert(0, "x")
    const update = Y.encodeStateAsUpdate(doc)
    sender.ws.send(encodeUpdate(update))
    const [, , relayed] = await receiver.untilFrames(3)
    expect(Buffer.from(relayed!).equals(Buffer.from(encodeUpdate(update)))).toBe(true)
    // A request answered after the update proves the server has handled the update already.
    sender.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    const frames = await sender.untilFrames(2)
    expect([...frames[1]!.subarray(0, 2)]).toEqual([0, 1])
    expect(frames.filter((frame) => frame[0] === 0 && frame[1] === 2)).toHaveLength(0)
  })
})

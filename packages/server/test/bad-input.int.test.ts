import { describe, expect, it } from "vitest"
import WebSocket from "ws"
import * as Y from "yjs"
import { CloseCode, encodeUpdate } from "@tandem/protocol"
import { connectProvider, connectRaw, get, healthyRoom, startServer, synced, untilText, upgradeStatus } from "./helpers.js"

describe("bad input", () => {
  it("closes a malformed frame's connection with 1007, stores nothing, and other rooms keep working", async () => {
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    const bad = await connectRaw(server, "victim")
    // A valid update with its last bytes cut off: Yjs must never see it.
    const doc = new Y.Doc()
    doc.getText("content").insert(0, "should never land")
    const update = Y.encodeStateAsUpdate(doc)
    bad.ws.send(encodeUpdate(update).subarray(0, 12))
    expect((await bad.closed).code).toBe(CloseCode.Malformed)
    await stillWorks("after the bad frame ")
    expect(await server.store.load("victim")).toBeNull()
    expect((await get(server, "/api/docs/victim/text")).status).toBe(404)
  })

  it("closes garbage, unknown tags and empty frames with 1007", async () => {
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    for (const frame of [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([42]), new Uint8Array(0), new Uint8Array([0, 2, 3, 1, 2])]) {
      const client = await connectRaw(server, "garbage")
      client.ws.send(frame)
      expect((await client.closed).code, `frame ${[...frame]}`).toBe(CloseCode.Malformed)
    }
    await stillWorks("still here ")
  })

  it("closes a text frame with 1003", async () => {
    const server = await startServer()
    const client = await connectRaw(server, "text")
    client.ws.send("hello")
    expect((await client.closed).code).toBe(CloseCode.UnsupportedData)
  })

  it("closes a frame over the size limit with 1009", async () => {
    const server = await startServer({ limits: { maxFrameBytes: 64 * 1024 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const client = await connectRaw(server, "big")
    client.ws.send(new Uint8Array(64 * 1024 + 1))
    expect((await client.closed).code).toBe(CloseCode.TooBig)
    await stillWorks("fine ")
  })

  it("refuses invalid document names with 400 before the upgrade", async () => {
    const server = await startServer()
    for (const path of ["/sync/", "/sync/a//b", "/sync/a/../b", "/sync/./a", "/sync/a%2F..%2Fb", "/sync/a%20b", "/sync/" + "x".repeat(201), "/sync/a%"]) {
      expect(await upgradeStatus(server, path), path).toBe(400)
    }
    expect(await upgradeStatus(server, "/elsewhere")).toBe(404)
    expect(await upgradeStatus(server, "/sync/fine/name")).toBe(101)
    expect(server.sync.rooms.names()).not.toContain("a/b")
  })

  it("keeps running when a client vanishes mid-handshake", async () => {
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    const ws = new WebSocket(`${server.wsUrl}/vanish`)
    await new Promise((resolve) => ws.once("open", resolve))
    ws.terminate()
    await stillWorks("ok ")
  })
})

describe("HTTP API", () => {
  it("answers /healthz, 404 for a document never written and 400 for a bad name", async () => {
    const server = await startServer()
    expect(await get(server, "/healthz")).toMatchObject({ status: 200 })
    expect(await get(server, "/api/docs/nothing/here/text")).toMatchObject({ status: 404 })
    expect(await get(server, "/api/docs/a%20b/text")).toMatchObject({ status: 400 })
    const writer = connectProvider(server, "api/doc")
    await synced(writer)
    writer.doc.getText("content").insert(0, "héllo ✓")
    const reader = connectProvider(server, "api/doc")
    await untilText(reader.doc, "héllo ✓")
    expect(await get(server, "/api/docs/api%2Fdoc/text")).toEqual({ status: 200, body: "héllo ✓", type: "text/plain; charset=utf-8" })
  })
})

import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { decodeMessages, encodeAck, encodePermissionDenied, encodeSyncStep1, encodeSyncStep2, type Message } from "@tandem/protocol"
import { createClient } from "../src/index.js"
import { fakeSockets, type FakeSocket } from "./fake-socket.js"
import { manualTimers } from "./helpers.js"

const types = (socket: FakeSocket): Message["type"][] => socket.sent.flatMap((frame) => decodeMessages(frame)).map((m) => m.type)

describe("acknowledgements", () => {
  it("asks for acks first on every connection and counts each update sent, the step 2 of offline edits included", async () => {
    const sockets = fakeSockets()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers: manualTimers() })
    const text = client.ydoc.getText("content")
    text.insert(0, "offline one ")
    text.insert(text.length, "offline two")
    expect(client.status.unsaved).toBe(2)

    const socket = await sockets.next()
    socket.open()
    expect(types(socket)).toEqual(["ack-request", "sync-step-1", "awareness", "query-awareness"])
    // Typed before the server's step 1: not sent alone; the step 2 answer carries it.
    text.insert(text.length, "!")
    expect(types(socket)).toHaveLength(4)
    socket.receive(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    expect(types(socket).slice(4)).toEqual(["sync-step-2"])
    text.insert(0, ">")
    expect(types(socket).slice(5)).toEqual(["update"])
    expect(client.status.unsaved).toBe(4)

    socket.receive(encodeAck(0))
    expect(client.status).toMatchObject({ savesConfirmed: true, unsaved: 4 })
    socket.receive(encodeAck(1))
    expect(client.status.unsaved).toBe(1)
    socket.receive(encodeAck(2))
    expect(client.status.unsaved).toBe(0)
    client.destroy()
  })

  it("counts from zero again on a new connection", async () => {
    const sockets = fakeSockets()
    const timers = manualTimers()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers })
    const first = await sockets.next()
    first.open()
    first.receive(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    client.ydoc.getText("content").insert(0, "a")
    first.serverClose(1006)
    client.ydoc.getText("content").insert(0, "b")
    timers.advance(client.status.retryAt! - timers.now())
    const second = await sockets.next()
    second.open()
    second.receive(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    expect(client.status.unsaved).toBe(2)
    // ack(1) on the new connection: its step 2, which holds both edits.
    second.receive(encodeAck(1))
    expect(client.status.unsaved).toBe(0)
    client.destroy()
  })

  it("is synced on the server's step 2, and read-only once a write is denied", async () => {
    const sockets = fakeSockets()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers: manualTimers() })
    const socket = await sockets.next()
    socket.open()
    expect(client.status.synced).toBe(false)
    const server = new Y.Doc()
    server.getText("content").insert(0, "from the server")
    socket.receive(encodeSyncStep2(Y.encodeStateAsUpdate(server)))
    expect(client.status.synced).toBe(true)
    expect(client.ydoc.getText("content").toString()).toBe("from the server")
    expect(client.status.unsaved).toBe(0)
    socket.receive(encodePermissionDenied("read-only access"))
    expect(client.status).toMatchObject({ readOnly: true, connection: "connected" })
    client.destroy()
  })

  it("replaces a connection that sent a frame it cannot read", async () => {
    const sockets = fakeSockets()
    const timers = manualTimers()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers })
    const socket = await sockets.next()
    socket.open()
    socket.receive(new Uint8Array([0, 9, 9]))
    expect(socket.closedByClient).toBe(true)
    expect(client.status.connection).toBe("offline")
    client.destroy()
  })

  it("takes a silent connection for dead after 30 s and replaces it", async () => {
    const sockets = fakeSockets()
    const timers = manualTimers()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers })
    const socket = await sockets.next()
    socket.open()
    timers.advance(20_000)
    socket.receive(encodeAck(0))
    timers.advance(20_000)
    expect(client.status.connection).toBe("connected")
    timers.advance(10_000)
    expect(socket.closedByClient).toBe(true)
    expect(client.status.connection).toBe("offline")
    client.destroy()
  })
})

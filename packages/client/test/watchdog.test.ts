import { encodeSyncStep1 } from "@tandem/protocol"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { createClient } from "../src/index.js"
import { fakeSockets } from "./fake-socket.js"
import { manualTimers } from "./helpers.js"

const step1 = () => encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))

/** A client on a fake server that answered its handshake, with a 30 s silence limit. */
async function connected() {
  const sockets = fakeSockets()
  const timers = manualTimers()
  const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers, silenceTimeoutMs: 30_000 })
  const socket = await sockets.next()
  socket.open()
  socket.receive(step1())
  expect(client.status.connection).toBe("connected")
  return { sockets, timers, client, socket }
}

describe("the silence watchdog", () => {
  it("replaces a connection the server has said nothing on for silenceTimeoutMs, and connects again", async () => {
    const { sockets, timers, client, socket } = await connected()
    timers.advance(29_999)
    expect(socket.closedByClient).toBe(false)
    timers.advance(1)
    expect(socket.closedByClient).toBe(true)
    expect(client.status.connection).not.toBe("connected")
    expect(client.status.retryAt).not.toBeNull()

    timers.advance(client.status.retryAt! - timers.now())
    const next = await sockets.next()
    expect(next).not.toBe(socket)
    next.open()
    next.receive(step1())
    expect(client.status.connection).toBe("connected")
    client.destroy()
  })

  it("counts the silence from the last frame, not from the open", async () => {
    const { timers, client, socket } = await connected()
    timers.advance(20_000)
    socket.receive(step1())
    timers.advance(20_000)
    // 40 s since the open, 20 s since the last frame: still up.
    expect(socket.closedByClient).toBe(false)
    timers.advance(10_000)
    expect(socket.closedByClient).toBe(true)
    client.destroy()
  })

  it("leaves a quiet connection alone while this client shares no presence (nothing would echo)", async () => {
    const { timers, client, socket } = await connected()
    client.awareness.setLocalState(null)
    timers.advance(120_000)
    expect(socket.closedByClient).toBe(false)
    expect(client.status.connection).toBe("connected")
    client.destroy()
  })

  it("stops with the client: no timer is left behind", async () => {
    const { timers, client } = await connected()
    client.destroy()
    expect(timers.pending).toBe(0)
  })
})

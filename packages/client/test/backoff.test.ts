import { describe, expect, it } from "vitest"
import { CloseCode } from "@tandem/protocol"
import { Backoff } from "../src/backoff.js"
import { createClient } from "../src/index.js"
import { fakeSockets } from "./fake-socket.js"
import { manualTimers } from "./helpers.js"

/** A random source that returns `values` in turn, forever. */
const sequence = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length]!
}

describe("Backoff", () => {
  it("doubles the ceiling from 500 ms up to 30 s, never going below 250 ms", () => {
    const highest = new Backoff({}, () => 0.999999)
    expect(Array.from({ length: 9 }, () => highest.next())).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
    const lowest = new Backoff({}, () => 0)
    expect(Array.from({ length: 9 }, () => lowest.next())).toEqual(Array(9).fill(250))
  })

  it("spreads delays across the whole range (full jitter)", () => {
    const backoff = new Backoff({}, sequence(0.5))
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([375, 625, 1125])
  })

  it("starts over after a connection that stayed up, and not after one that did not", () => {
    const backoff = new Backoff({}, () => 0.999999)
    backoff.next()
    backoff.next()
    backoff.closedAfter(9_999)
    expect(backoff.next()).toBe(2000)
    backoff.closedAfter(10_000)
    expect(backoff.next()).toBe(500)
  })

  it("refuses options that cannot work", () => {
    expect(() => new Backoff({ minMs: 1000, initialMs: 500 })).toThrow(RangeError)
  })
})

describe("reconnecting", () => {
  it("retries failed attempts with growing, jittered delays, and resets after a connection that stayed up", async () => {
    const sockets = fakeSockets()
    const timers = manualTimers()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers, random: sequence(0.999999, 0) })
    const delays: number[] = []
    for (let attempt = 0; attempt < 6; attempt++) {
      const socket = await sockets.next()
      socket.serverClose(1006)
      expect(client.status.connection).toBe("offline")
      const wait = client.status.retryAt! - timers.now()
      delays.push(wait)
      timers.advance(wait)
    }
    // Odd attempts drew the top of the range, even ones the floor: the ceiling doubles underneath.
    expect(delays).toEqual([500, 250, 2000, 250, 8000, 250])

    const up = await sockets.next()
    up.open()
    expect(client.status.connection).toBe("connected")
    timers.advance(10_000)
    up.serverClose(CloseCode.GoingAway)
    expect(client.status.retryAt! - timers.now()).toBe(500)
    client.destroy()
  })

  it.each([CloseCode.ProtocolViolation, CloseCode.UnsupportedData, CloseCode.Malformed, CloseCode.Policy, CloseCode.TooBig, CloseCode.Forbidden, CloseCode.Deleted])(
    "never reconnects after close code %i",
    async (code) => {
      const sockets = fakeSockets()
      const timers = manualTimers()
      const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers })
      const socket = await sockets.next()
      socket.open()
      socket.serverClose(code)
      expect(client.status).toMatchObject({ connection: "error", retryAt: null, error: { code } })
      expect(client.status.error?.message.length).toBeGreaterThan(20)
      expect(timers.pending).toBe(0)
      timers.advance(24 * 3600_000)
      expect(sockets.made).toHaveLength(1)
      client.destroy()
    },
  )

  it("reconnects after 1001, 1006, 1011 and 1013", async () => {
    const sockets = fakeSockets()
    const timers = manualTimers()
    const client = createClient({ url: "ws://h/sync", doc: "d", WebSocket: sockets.Socket, timers })
    for (const code of [CloseCode.GoingAway, 1006, CloseCode.Internal, CloseCode.Overloaded]) {
      const socket = await sockets.next()
      socket.open()
      socket.serverClose(code)
      expect(client.status.connection).toBe("offline")
      timers.advance(client.status.retryAt! - timers.now())
    }
    await sockets.next()
    expect(sockets.made).toHaveLength(5)
    client.destroy()
  })

  it("stops retrying on disconnect() and starts again on connect()", async () => {
    const sockets = fakeSockets()
    const timers = manualTimers()
    const client = createClient({ url: "ws://h/sync/", doc: "team/a b", token: "t&1", WebSocket: sockets.Socket, timers })
    const socket = await sockets.next()
    // Trailing slashes dropped, each segment of the name encoded, the token a query parameter.
    expect(socket.url).toBe("ws://h/sync/team/a%20b?token=t%261")
    socket.serverClose(1006)
    client.disconnect()
    expect(client.status).toMatchObject({ connection: "offline", retryAt: null })
    expect(timers.pending).toBe(0)
    client.connect()
    expect(client.status.connection).toBe("connecting")
    await sockets.next()
    expect(sockets.made).toHaveLength(2)
    client.destroy()
  })
})

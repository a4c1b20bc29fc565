import { describe, expect, it } from "vitest"
import { CloseCode } from "@tandem/protocol"
import { connect, manualTimers, startServer, until } from "./helpers.js"

const limits = { maxFrameBytes: 64 << 10, maxDocumentBytes: 160 << 10 }

describe("the server's size limits", () => {
  it("check() refuses an edit over the frame or document limit with a sentence, and passes others", async () => {
    const server = await startServer({ limits })
    const client = connect(server, "sizes", { limits })
    await client.whenSynced()
    expect(client.check(1000)).toBeNull()
    expect(client.check(100_000)).toMatch(/more than the 64 KB the server accepts at once/)
    const text = client.ydoc.getText("content")
    for (let i = 0; i < 3; i++) text.insert(text.length, "x".repeat(40_000))
    expect(client.check(50_000)).toMatch(/larger than the 160 KB the server keeps/)
    expect(client.check(1000)).toBeNull()
    await until(client, (s) => s.unsaved === 0)
  })

  it("never sends an update over the frame limit, and stops with a sentence instead of looping", async () => {
    const server = await startServer({ limits })
    const failed: number[] = []
    server.sync.events.on("connection-failed", ({ code }) => failed.push(code))
    const timers = manualTimers()
    const client = connect(server, "paste", { limits, timers })
    await client.whenSynced()
    client.ydoc.getText("content").insert(0, "y".repeat(100_000))
    const stopped = await until(client, (s) => s.connection === "error")
    expect(stopped.error).toMatchObject({ code: CloseCode.TooBig })
    expect(stopped.error?.message).toMatch(/was not sent/)
    expect(timers.pending).toBe(0)
    // The server never saw it: no 1009 there, one connection, nothing stored.
    expect(failed).toEqual([])
    expect(server.opened).toEqual(["paste"])
    await expect(server.sync.readText("paste")).resolves.toBeNull()
  })

  it("stops on the server's 1009 rather than reconnecting with the same change", async () => {
    const server = await startServer({ limits })
    const timers = manualTimers()
    // Told a larger limit than the server's, the client sends; the server refuses with 1009.
    const client = connect(server, "misconfigured", { limits: { maxFrameBytes: 1 << 20 }, timers })
    await client.whenSynced()
    client.ydoc.getText("content").insert(0, "z".repeat(100_000))
    const stopped = await until(client, (s) => s.connection === "error")
    expect(stopped.error).toMatchObject({ code: CloseCode.TooBig })
    expect(stopped.error?.message).toMatch(/larger than the server accepts/)
    expect(timers.pending).toBe(0)
    timers.advance(3600_000)
    expect(server.opened).toEqual(["misconfigured"])
  })
})

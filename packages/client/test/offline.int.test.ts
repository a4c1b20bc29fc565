import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { createMemoryStore } from "@tandem/storage-memory"
import { connect, manualTimers, recordUnsaved, startServer, until, untilText } from "./helpers.js"

describe("offline edits", () => {
  it("sends edits made while the connection was down on reconnect, and counts them down to zero with acks", async () => {
    const server = await startServer()
    const timers = manualTimers()
    const client = connect(server, "offline", { timers })
    const other = connect(server, "offline")
    await Promise.all([client.whenSynced(), other.whenSynced()])
    await until(client, (s) => s.savesConfirmed)
    const unsaved = recordUnsaved(client)

    // The server drops the room's connections (1001): the client goes offline and waits to retry.
    server.sync.unloadRoom("offline")
    const offline = await until(client, (s) => s.connection === "offline")
    expect(offline.retryAt).not.toBeNull()
    const text = client.ydoc.getText("content")
    for (const word of ["one ", "two ", "three ", "four ", "five "]) text.insert(text.length, word)
    expect(client.status.unsaved).toBe(5)

    timers.advance(offline.retryAt! - timers.now())
    await until(client, (s) => s.connection === "connected" && s.unsaved === 0)
    await untilText(other.ydoc, "one two three four five ")
    await expect(server.sync.readText("offline")).resolves.toBe("one two three four five ")
    // Up one edit at a time, then straight to zero on the ack of the sync that carried them.
    expect(unsaved).toEqual([0, 1, 2, 3, 4, 5, 0])
    // Both clients' first connections, and one reconnect each.
    expect(server.opened).toHaveLength(4)
  })

  it("keeps offline edits across a server restart and saves them on the new server", async () => {
    const store = createMemoryStore()
    const first = await startServer({ store })
    const timers = manualTimers()
    const client = connect(first, "restart", { timers })
    await client.whenSynced()
    client.ydoc.getText("content").insert(0, "before. ")
    await until(client, (s) => s.unsaved === 0 && s.savesConfirmed)

    await first.stop()
    const offline = await until(client, (s) => s.connection === "offline" && s.retryAt !== null)
    const text = client.ydoc.getText("content")
    text.insert(text.length, "while down. ")
    text.insert(text.length, "still down.")
    expect(client.status.unsaved).toBe(2)

    const second = await startServer({ store, port: first.port })
    timers.advance(offline.retryAt! - timers.now())
    await until(client, (s) => s.connection === "connected" && s.synced && s.unsaved === 0)
    await expect(second.sync.readText("restart")).resolves.toBe("before. while down. still down.")
  })

  it("restores the stored unsaved count before connecting, so the first ack brings it to zero", async () => {
    const server = await startServer()
    // What a previous page left: its edits in the local copy, and their count in the store.
    const local = new Y.Doc()
    local.getText("content").insert(0, "typed offline, then the tab closed")
    const ydoc = new Y.Doc()
    Y.applyUpdate(ydoc, Y.encodeStateAsUpdate(local), "local-copy")
    let release!: (value: unknown) => void
    const written: unknown[] = []
    const unsavedStore = {
      get: (key: string) => (key === "tandem:unsaved" ? new Promise<unknown>((resolve) => (release = resolve)) : Promise.resolve(undefined)),
      set: (_key: string, value: unknown) => Promise.resolve(written.push(value)),
    }
    const client = connect(server, "reopened", { ydoc, unsavedStore, ignoreOrigins: ["local-copy"] })

    // Another client makes a full round trip; ours has still not opened a socket.
    const other = connect(server, "reopened")
    await other.whenSynced()
    expect(server.opened).toEqual(["reopened"])
    expect(client.status).toMatchObject({ connection: "connecting", unsaved: 0 })

    release(3)
    await until(client, (s) => s.unsaved === 3)
    const saved = await until(client, (s) => s.savesConfirmed && s.unsaved === 0)
    expect(saved.connection).toBe("connected")
    expect(written[written.length - 1]).toBe(0)
    await untilText(other.ydoc, "typed offline, then the tab closed")
  })

  it("reports a store that fails and carries on with nothing restored", async () => {
    const server = await startServer()
    const failures: unknown[] = []
    const unsavedStore = { get: () => Promise.reject(new Error("disk gone")), set: () => Promise.reject(new Error("disk gone")) }
    const client = connect(server, "no-store", { unsavedStore, connect: false })
    client.on("callback-failed", ({ callback, error }) => failures.push([callback, (error as Error).message]))
    client.connect()
    await client.whenSynced()
    client.ydoc.getText("content").insert(0, "still syncs")
    await until(client, (s) => s.savesConfirmed && s.unsaved === 0)
    expect(failures[0]).toEqual(["unsavedStore", "disk gone"])
  })
})

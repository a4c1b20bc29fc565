import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { createMemoryStore } from "@tandem/storage-memory"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { CloseCode, decodeMessages, encodeAckRequest, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "@tandem/protocol"
import { connectProvider, connectRaw, countingStore, get, startServer, storeWith, storedText, synced } from "./helpers.js"

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-int-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, "tandem.db")
}

/** Resolves once the server has no room loaded. */
function untilUnloaded(server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  if (server.sync.rooms.size === 0) return Promise.resolve()
  return new Promise((resolve) => {
    const off = server.sync.events.on("room-unloaded", () => {
      if (server.sync.rooms.size > 0) return
      off()
      resolve()
    })
  })
}

describe("persistence", () => {
  it("stores an update that follows on as the client sent it, and only what is new of one that overlaps", async () => {
    const store = createMemoryStore()
    const server = await startServer({ store })
    const client = await connectRaw(server, "bytes")
    const acked = (count: number) =>
      (async () => {
        for (let n = client.received.length + 1; ; n++) {
          const frames = await client.untilFrames(n)
          if (decodeMessages(frames[n - 1]!).some((m) => m.type === "ack" && m.count >= count)) return
        }
      })()
    client.ws.send(encodeAckRequest())
    await acked(0)
    const doc = new Y.Doc()
    const sent: Uint8Array[] = []
    doc.on("update", (update: Uint8Array) => sent.push(update))
    doc.getText("content").insert(0, "hello")
    client.ws.send(encodeUpdate(sent[0]!))
    await acked(1)
    expect((await store.load("bytes"))?.updates.map((u) => [...u.data])).toEqual([[...sent[0]!]])

    // A sync step 2 with the whole state again, and one new edit in it.
    doc.getText("content").insert(5, " world")
    const whole = Y.encodeStateAsUpdate(doc)
    client.ws.send(encodeSyncStep2(whole))
    await acked(2)
    const stored = (await store.load("bytes"))!.updates
    expect(stored).toHaveLength(2)
    const structs = Y.decodeUpdate(stored[1]!.data).structs
    expect(structs.map((struct) => struct.id.clock)).toEqual([5])
    expect(stored[1]!.data.byteLength).toBeLessThan(whole.byteLength)
    expect(await storedText(store, "bytes")).toBe("hello world")
  })

  it("keeps the text across a restart on the same SQLite file", async () => {
    const path = tempDb()
    const first = await startServer({ store: createSqliteStore({ path }) })
    const writer = connectProvider(first, "restart/me")
    await synced(writer)
    writer.doc.getText("content").insert(0, "survives a restart")
    // The API answers only once the text is stored.
    await expect(get(first, "/api/docs/restart/me/text")).resolves.toMatchObject({ body: "survives a restart" })
    writer.destroy()
    await first.stop()
    await first.store.close()

    const second = await startServer({ store: createSqliteStore({ path }) })
    onTestFinished(() => second.store.close())
    const reader = connectProvider(second, "restart/me")
    await synced(reader)
    expect(reader.doc.getText("content").toString()).toBe("survives a restart")
  })

  it("waits for the last write before a shutdown completes and closes clients with 1001", async () => {
    const inner = createMemoryStore()
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let appendStarted!: () => void
    const appending = new Promise<void>((resolve) => (appendStarted = resolve))
    const server = await startServer({
      // The first write hangs until the test releases it: shutdown must wait for it.
      store: storeWith(inner, {
        append: async (name, updates) => {
          appendStarted()
          await released
          return inner.append(name, updates)
        },
      }),
    })
    const client = await connectRaw(server, "slow")
    const doc = new Y.Doc()
    doc.getText("content").insert(0, "in flight")
    client.ws.send(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    await appending
    let stopped = false
    const stopping = server.stop().then(() => (stopped = true))
    expect((await client.closed).code).toBe(CloseCode.GoingAway)
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(await storedText(inner, "slow")).toBe("in flight")
  })

  it("loads a cold document once for 50 clients connecting at once, none of them seeing it empty", async () => {
    const data = createMemoryStore()
    const seed = new Y.Doc()
    seed.getText("content").insert(0, "already here")
    await data.append("cold", [Y.encodeStateAsUpdate(seed)])
    const store = countingStore(data)
    const server = await startServer({ store })
    const providers = Array.from({ length: 50 }, () => connectProvider(server, "cold"))
    const seenAtSync = await Promise.all(
      providers.map((provider) => synced(provider).then(() => provider.doc.getText("content").toString())),
    )
    expect(store.loads).toBe(1)
    expect(new Set(seenAtSync)).toEqual(new Set(["already here"]))
  })

  it("answers the first joins of a document stored whole with its stored bytes, and decodes it at the first write", async () => {
    const data = createMemoryStore()
    const seed = new Y.Doc()
    const seedText = seed.getText("content")
    seedText.insert(0, "stored whole, with a deletion")
    seedText.delete(12, 6)
    const stored = Y.encodeStateAsUpdate(seed)
    await data.append("whole", [stored])
    const server = await startServer({ store: data })
    const client = await connectRaw(server, "whole")
    client.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    const messages = (await client.untilFrames(2)).flatMap((frame) => decodeMessages(frame))
    // The server's own step 1 carries the stored document's state vector, encoded as Yjs does it.
    const step1 = messages.find((m) => m.type === "sync-step-1")
    expect(step1 && [...step1.stateVector]).toEqual([...Y.encodeStateVector(seed)])
    // Its answer is the stored bytes themselves.
    const step2 = messages.find((m) => m.type === "sync-step-2")
    expect(step2 && [...step2.update]).toEqual([...stored])
    // A write needs the document: it is decoded then, and the write lands after what was stored.
    const writer = connectProvider(server, "whole")
    await synced(writer)
    writer.doc.getText("content").insert(writer.doc.getText("content").length, "!")
    await expect(get(server, "/api/docs/whole/text")).resolves.toMatchObject({ body: "stored whole a deletion!" })
    expect(await storedText(data, "whole")).toBe("stored whole a deletion!")
    // A client joining after the write is told the state with it (the sync step 1 kept for
    // joins is dropped when the document changes).
    const later = await connectRaw(server, "whole")
    const greeting = decodeMessages((await later.untilFrames(1))[0]!).find((m) => m.type === "sync-step-1")
    expect(greeting && Y.decodeStateVector(greeting.stateVector)).toEqual(Y.decodeStateVector(Y.encodeStateVector(writer.doc)))
  })

  it("loads a document stored as one part that is not whole (it waits on another) as before", async () => {
    const data = createMemoryStore()
    const base = new Y.Doc()
    base.getText("content").insert(0, "base")
    const later = new Y.Doc()
    Y.applyUpdate(later, Y.encodeStateAsUpdate(base))
    later.getText("content").insert(4, " and more")
    // Only the second half is stored: its structs start past clock 0, so it cannot be sent as the document.
    await data.append("partial", [Y.encodeStateAsUpdate(later, Y.encodeStateVector(base))])
    const server = await startServer({ store: data })
    const client = await connectRaw(server, "partial")
    client.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    const messages = (await client.untilFrames(2)).flatMap((frame) => decodeMessages(frame))
    const step1 = messages.find((m) => m.type === "sync-step-1")
    // Nothing of it integrated: the server's state is empty, and so is the document it sends.
    expect(step1 && [...step1.stateVector]).toEqual([0])
    const step2 = messages.find((m) => m.type === "sync-step-2")
    const doc = new Y.Doc()
    Y.applyUpdate(doc, step2!.update)
    expect(doc.getText("content").toString()).toBe("")
  })

  it("folds the log when a room unloads and when the server stops, so the next load reads one part", async () => {
    const store = createSqliteStore({ path: tempDb() })
    const server = await startServer({ store })
    const provider = connectProvider(server, "folded")
    await synced(provider)
    for (const word of ["one ", "two ", "three"]) provider.doc.getText("content").insert(provider.doc.getText("content").length, word)
    await expect(get(server, "/api/docs/folded/text")).resolves.toMatchObject({ body: "one two three" })
    provider.destroy()
    await untilUnloaded(server)
    const unloaded = (await store.load("folded"))!
    expect(unloaded.updates).toEqual([])
    expect(unloaded.snapshot).not.toBeNull()

    // Written again, then the server stops with the room loaded.
    const again = connectProvider(server, "folded")
    await synced(again)
    expect(again.doc.getText("content").toString()).toBe("one two three")
    again.doc.getText("content").insert(0, "zero ")
    await expect(get(server, "/api/docs/folded/text")).resolves.toMatchObject({ body: "zero one two three" })
    await server.stop()
    const stopped = (await store.load("folded"))!
    expect(stopped.updates).toEqual([])
    expect(await storedText(store, "folded")).toBe("zero one two three")
  })

  it("lets the log of a large document grow with its size before folding it", async () => {
    // About 40 KB, stored compacted, as a server that stopped leaves it.
    const store = createSqliteStore({ path: tempDb() })
    const seed = new Y.Doc()
    seed.getText("content").insert(0, "x".repeat(40_000))
    const state = Y.encodeStateAsUpdate(seed)
    await store.compact("large", state, await store.append("large", [state]))
    const server = await startServer({ store, compaction: { afterUpdates: 10 } })
    const folded: number[] = []
    server.sync.events.on("compacted", ({ doc, head }) => {
      if (doc === "large") folded.push(head)
    })
    const client = await connectRaw(server, "large")
    const acked = async (count: number) => {
      for (let n = 1; ; n++) {
        const frames = await client.untilFrames(n)
        if (decodeMessages(frames[n - 1]!).some((m) => m.type === "ack" && m.count >= count)) return
      }
    }
    client.ws.send(encodeAckRequest())
    const doc = new Y.Doc()
    Y.applyUpdate(doc, state)
    doc.on("update", (update: Uint8Array) => client.ws.send(encodeUpdate(update)))
    const type = (count: number) => {
      for (let i = 0; i < count; i++) doc.getText("content").insert(i, "a")
    }
    // One update for every 192 bytes of the snapshot: 40,060 / 192 = 208, drawn between 0.75
    // and 1.25 times that (156 to 260). Ten updates would have been enough for a small document.
    type(150)
    await acked(150)
    // Until every write, and the compaction it may start, is done.
    await server.sync.rooms.idle()
    expect(folded).toEqual([])
    expect((await store.load("large"))!.updates).toHaveLength(150)
    type(120)
    await acked(270)
    await server.sync.rooms.idle()
    expect(folded).toHaveLength(1)
    expect(folded[0]).toBeGreaterThanOrEqual(1 + 156)
    expect(await storedText(store, "large")).toBe("a".repeat(270) + "x".repeat(40_000))
  })

  it("unloads a room after its last client leaves, stores it and frees its memory", async () => {
    const store = countingStore(createMemoryStore())
    const server = await startServer({ store })
    const refs: Array<WeakRef<Y.Doc>> = []
    server.sync.events.on("room-loaded", ({ doc }) => {
      void server.sync.rooms.acquire(doc).then((room) => {
        refs.push(new WeakRef(room.awareness.doc))
        server.sync.rooms.release(room)
      })
    })
    for (let i = 0; i < 20; i++) {
      const provider = connectProvider(server, `room-${i}`)
      await synced(provider)
      provider.doc.getText("content").insert(0, `text ${i}`)
      await expect(get(server, `/api/docs/room-${i}/text`)).resolves.toMatchObject({ body: `text ${i}` })
      provider.destroy()
    }
    await untilUnloaded(server)
    expect(server.sync.rooms.size).toBe(0)
    expect(refs).toHaveLength(20)
    // Give V8 a chance to collect; a room still referenced anywhere keeps its Y.Doc alive.
    for (let i = 0; i < 5 && refs.some((ref) => ref.deref()); i++) {
      await new Promise((resolve) => setImmediate(resolve))
      globalThis.gc?.()
    }
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
    const reloaded = connectProvider(server, "room-7")
    await synced(reloaded)
    expect(reloaded.doc.getText("content").toString()).toBe("text 7")
  })
})

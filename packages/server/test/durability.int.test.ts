import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { CloseCode, decodeMessages, encodeAckRequest, encodeQueryAwareness, encodeSyncStep1, encodeUpdate, type Message } from "@tandem/protocol"
import { createMemoryStore } from "@tandem/storage-memory"
import { createSqliteStore } from "@tandem/storage-sqlite"
import type { DocumentStore } from "../src/index.js"
import { connectProvider, connectRaw, get, startServer, storeWith, storedText, synced, untilText, type RawClient } from "./helpers.js"

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-dur-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, "tandem.db")
}

/** Every message received so far on a raw client. */
const messagesOf = (client: RawClient): Message[] => client.received.flatMap((frame) => decodeMessages(frame))
const acksOf = (client: RawClient): number[] => messagesOf(client).flatMap((m) => (m.type === "ack" ? [m.count] : []))

/** Resolves once the client has been acknowledged at least `count` updates. */
async function untilAcked(client: RawClient, count: number): Promise<void> {
  for (let n = client.received.length + 1; Math.max(-1, ...acksOf(client)) < count; n++) await client.untilFrames(n)
}

function edit(text: string, clientID?: number): Uint8Array {
  const doc = new Y.Doc()
  if (clientID !== undefined) doc.clientID = clientID
  doc.getText("content").insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

/** A gate a store call waits on, and a promise that the call has started. */
function gate() {
  let open!: () => void
  let started!: () => void
  return {
    opened: new Promise<void>((resolve) => (open = resolve)),
    started: new Promise<void>((resolve) => (started = resolve)),
    open: () => open(),
    start: () => started(),
  }
}

describe("acknowledgements", () => {
  it("answers an ack request with ack(0) and acknowledges updates once they are stored, never before", async () => {
    const inner = createMemoryStore()
    const write = gate()
    const server = await startServer({
      store: storeWith(inner, {
        append: async (name, updates) => {
          write.start()
          await write.opened
          return inner.append(name, updates)
        },
      }),
    })
    const client = await connectRaw(server, "acked")
    client.ws.send(encodeAckRequest())
    await untilAcked(client, 0)
    client.ws.send(encodeUpdate(edit("one ")))
    client.ws.send(encodeUpdate(edit("two ")))
    await write.started
    // A reply that needs no storage proves the server has handled both updates by now.
    client.ws.send(encodeQueryAwareness())
    await client.untilFrames(client.received.length + 1)
    expect(acksOf(client)).toEqual([0])
    write.open()
    await untilAcked(client, 2)
    expect(Math.max(...acksOf(client))).toBe(2)
    expect((await storedText(inner, "acked"))?.length).toBe(8)
  })

  it("never acknowledges a refused update or any after it", async () => {
    const { createJwtAuthorizer } = await import("@tandem/auth-jwt")
    const jose = await import("jose")
    const secret = "acknowledgement-secret-long-enough-0123456789"
    const server = await startServer({ authorizer: await createJwtAuthorizer({ secret }) })
    const token = await new jose.SignJWT({ docs: ["ro"], access: "read" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret))
    const reader = await connectRaw(server, `ro?token=${token}`)
    reader.ws.send(encodeAckRequest())
    reader.ws.send(new Uint8Array([0, 1, 2, 0, 0]))
    await untilAcked(reader, 1)
    reader.ws.send(encodeUpdate(edit("not allowed")))
    reader.ws.send(new Uint8Array([0, 1, 2, 0, 0]))
    reader.ws.send(encodeQueryAwareness())
    await reader.untilFrames(reader.received.length + 1)
    const denied = messagesOf(reader).filter((m) => m.type === "permission-denied")
    expect(denied).toHaveLength(1)
    expect(Math.max(...acksOf(reader))).toBe(1)
  })

  it("never acknowledges an update that waits on missing dependencies, since it is in no commit", async () => {
    const server = await startServer()
    const client = await connectRaw(server, "orphans")
    client.ws.send(encodeAckRequest())
    await untilAcked(client, 0)
    const doc = new Y.Doc()
    doc.getText("content").insert(0, "base ")
    const base = Y.encodeStateAsUpdate(doc)
    const before = Y.encodeStateVector(doc)
    doc.getText("content").insert(5, "depends on the base")
    client.ws.send(encodeUpdate(Y.encodeStateAsUpdate(doc, before)))
    client.ws.send(encodeQueryAwareness())
    await client.untilFrames(client.received.length + 1)
    expect(Math.max(...acksOf(client))).toBe(0)
    // Once the base arrives both are stored, but acks on this connection stay stopped: the
    // client learns they are saved from its next connection's sync.
    client.ws.send(encodeUpdate(base))
    // The answer to a sync request comes only once everything before it is stored.
    const answered = client.received.length + 1
    client.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    await client.untilFrames(answered)
    expect(await storedText(server.store, "orphans")).toBe("base depends on the base")
    expect(Math.max(...acksOf(client))).toBe(0)
  })
})

describe("storage faults", () => {
  it("acknowledges nothing while SQLite is locked, keeps the room, retries, and stores every edit once it recovers", async () => {
    const path = tempDb()
    const store = createSqliteStore({ path, busyTimeoutMs: 0 })
    onTestFinished(() => store.close())
    const server = await startServer({ store, storageRetry: { initialDelayMs: 5, maxDelayMs: 20 } })
    const client = await connectRaw(server, "locked")
    client.ws.send(encodeAckRequest())
    await untilAcked(client, 0)

    // Another connection holds the write lock: every write fails with SQLITE_BUSY.
    const locker = new Database(path)
    onTestFinished(() => {
      locker.close()
    })
    locker.exec("BEGIN EXCLUSIVE")
    const failures = new Promise<void>((resolve) => server.sync.events.on("save-failed", ({ attempt }) => attempt >= 3 && resolve()))
    client.ws.send(encodeUpdate(edit("during the outage")))
    await failures
    expect(acksOf(client)).toEqual([0])
    expect(server.sync.rooms.names()).toContain("locked")
    expect(server.sync.stats().saveFailures).toBeGreaterThanOrEqual(3)
    // A reader joining during the outage is answered once the edit is stored, and gets it.
    const reader = connectProvider(server, "locked")

    locker.exec("ROLLBACK")
    await untilAcked(client, 1)
    await synced(reader)
    expect(reader.doc.getText("content").toString()).toBe("during the outage")
    expect(await storedText(store, "locked")).toBe("during the outage")
  })

  it("closes with 1011 when a load fails and never stores an empty document over the real one", async () => {
    const inner = createMemoryStore()
    await inner.append("precious", [edit("the real content")])
    let fail = true
    const server = await startServer({
      store: storeWith(inner, {
        load: async (name) => {
          if (fail) throw new Error("disk on fire")
          return inner.load(name)
        },
      }),
    })
    const client = await connectRaw(server, "precious")
    expect((await client.closed).code).toBe(CloseCode.Internal)
    expect((await get(server, "/api/docs/precious/text")).status).toBe(503)
    expect(server.sync.stats().loadFailures).toBeGreaterThanOrEqual(1)
    fail = false
    const reader = connectProvider(server, "precious")
    await untilText(reader.doc, "the real content")
    expect(await storedText(inner, "precious")).toBe("the real content")
  })

  it("moves a stored row that does not decode aside, keeps it, and loads the document from the rest", async () => {
    const path = tempDb()
    const first = createSqliteStore({ path })
    await first.append("damaged", [edit("good one ", 1), new Uint8Array([0xde, 0xad, 0xbe, 0xef]), edit("good two ", 2)])
    await first.close()
    const store = createSqliteStore({ path })
    onTestFinished(() => store.close())
    const server = await startServer({ store })
    const quarantined = new Promise<number[]>((resolve) => server.sync.events.on("quarantined", ({ parts }) => resolve([...parts.seqs])))
    const reader = connectProvider(server, "damaged")
    await synced(reader)
    expect(await quarantined).toEqual([2])
    expect(reader.doc.getText("content").toString()).toMatch(/^(good one good two |good two good one )$/)
    const db = new Database(path, { readonly: true })
    onTestFinished(() => {
      db.close()
    })
    const kept = db.prepare("SELECT name, seq, hex(data) AS data FROM quarantine").all()
    expect(kept).toEqual([{ name: "damaged", seq: 2, data: "DEADBEEF" }])
    expect(server.sync.stats().quarantined).toBe(1)
  })
})

describe("unload and reload race", () => {
  it("gives a client that joins while the last one leaves every edit, sweeping the delay, with no overlapping writes", async () => {
    const inner = createMemoryStore()
    const writing = new Set<string>()
    let overlaps = 0
    let hold: Promise<void> = Promise.resolve()
    const store: DocumentStore = storeWith(inner, {
      append: async (name, updates) => {
        if (writing.has(name)) overlaps++
        writing.add(name)
        try {
          await hold
          return await inner.append(name, updates)
        } finally {
          writing.delete(name)
        }
      },
      compact: async (name, snapshot, upTo) => {
        if (writing.has(name)) overlaps++
        writing.add(name)
        try {
          return await inner.compact(name, snapshot, upTo)
        } finally {
          writing.delete(name)
        }
      },
    })
    const server = await startServer({ store, compaction: { afterUpdates: 3 } })
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    for (let delay = 0; delay < 12; delay++) {
      const doc = `race-${delay}`
      const expected: string[] = []
      for (let round = 0; round < 3; round++) {
        const writer = await connectRaw(server, doc)
        await writer.untilFrames(1)
        // The final write stays in flight for `delay` turns while the writer leaves.
        let release!: () => void
        hold = new Promise((resolve) => (release = resolve))
        const mark = `d${delay}r${round};`
        expected.push(mark)
        writer.ws.send(encodeUpdate(edit(mark)))
        writer.ws.close()
        await writer.closed
        for (let i = 0; i < delay; i++) await turn()
        const joiner = connectProvider(server, doc)
        for (let i = 0; i < delay; i++) await turn()
        release()
        await until(joiner, expected)
        joiner.destroy()
      }
      expect(overlaps, `delay ${delay}`).toBe(0)
    }
  })
})

/** Resolves when the provider's text holds every mark. */
async function until(provider: ReturnType<typeof connectProvider>, marks: string[]): Promise<void> {
  const text = provider.doc.getText("content")
  const done = () => marks.every((mark) => text.toString().includes(mark))
  if (done()) return
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!done()) return
      provider.doc.off("afterTransaction", check)
      resolve()
    }
    provider.doc.on("afterTransaction", check)
  })
}

import { connect as netConnect } from "node:net"
import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import WebSocket from "ws"
import * as Y from "yjs"
import {
  CloseCode,
  encodeAwareness,
  encodeAwarenessEntries,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeUpdate,
} from "@tandem/protocol"
import { createMemoryStore } from "@tandem/storage-memory"
import {
  connectProvider,
  connectRaw,
  get,
  healthyRoom,
  namedPair,
  seenName,
  startServer,
  storeWith,
  synced,
  untilSeenName,
  untilText,
  type RawClient,
  type TestServer,
} from "./helpers.js"

const seed = Number(process.env.TANDEM_SEED ?? 8675309)

/** Sends `frame`, then a sync request: resolves with the close code, or "open" once the request is answered. */
async function outcome(client: RawClient, frame: Uint8Array | string): Promise<number | "open"> {
  const before = client.received.length
  client.ws.send(frame)
  client.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
  const answered = (async () => {
    for (let n = before + 1; ; n++) {
      const frames = await client.untilFrames(n)
      const last = frames[n - 1]!
      if (last[0] === 0 && last[1] === 1) return "open" as const
    }
  })()
  return Promise.race([answered, client.closed.then(({ code }) => code)])
}

/** A realistic update: inserts, formatting-free deletions, two clients. */
function sampleUpdate(): Uint8Array {
  const a = new Y.Doc()
  a.clientID = 101
  const text = a.getText("content")
  text.insert(0, "The quick brown fox")
  text.delete(4, 6)
  text.insert(text.length, " jumps over the lazy dog")
  return Y.encodeStateAsUpdate(a)
}

async function joined(server: TestServer, path: string): Promise<RawClient> {
  const client = await connectRaw(server, path)
  await client.untilFrames(1)
  return client
}

describe("hostile input against the real server", () => {
  it("closes every truncation of a valid update with 1007 and applies none of them", async () => {
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    const frame = encodeUpdate(sampleUpdate())
    for (let length = 0; length < frame.length; length++) {
      const client = await joined(server, "truncated")
      expect(await outcome(client, frame.subarray(0, length)), `length ${length}`).toBe(CloseCode.Malformed)
    }
    expect((await get(server, "/api/docs/truncated/text")).status).toBe(404)
    await stillWorks("after truncations ")
  })

  it(`survives seeded random and bit-flipped frames, closing with 1007 when they do not decode (seed ${seed})`, async () => {
    console.log(`hostile frames seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    const valid = encodeUpdate(sampleUpdate())
    const frames: Uint8Array[] = []
    for (let i = 0; i < 150; i++) frames.push(prng.uint8Array(gen, prng.int32(gen, 0, 80)))
    for (let i = 0; i < 150; i++) {
      const flipped = valid.slice()
      const bit = prng.int32(gen, 0, flipped.length * 8 - 1)
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      frames.push(flipped)
    }
    let client = await joined(server, "fuzzed")
    const codes = new Map<string, number>()
    for (const frame of frames) {
      const result = await outcome(client, frame)
      codes.set(String(result), (codes.get(String(result)) ?? 0) + 1)
      if (result !== "open") {
        expect([CloseCode.Malformed, CloseCode.Policy, CloseCode.TooBig], `seed ${seed}, frame ${Buffer.from(frame).toString("hex")}`).toContain(result)
        client = await joined(server, "fuzzed")
      }
    }
    expect(codes.get(String(CloseCode.Malformed)), `seed ${seed}`).toBeGreaterThan(100)
    await stillWorks("after fuzzing ")
    // Whatever was accepted is stored and readable.
    const reader = connectProvider(server, "fuzzed")
    await synced(reader)
    const api = await get(server, "/api/docs/fuzzed/text")
    expect([200, 404]).toContain(api.status)
    if (api.status === 200) expect(api.body).toBe(reader.doc.getText("content").toString())
  })

  it("closes an oversized awareness state with 1009", async () => {
    const server = await startServer({ limits: { maxAwarenessStateBytes: 1024 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const client = await joined(server, "aware")
    const huge = encodeAwareness(encodeAwarenessEntries([{ clientId: 77, clock: 1, state: { user: { name: "x".repeat(2000) } }, bytes: 0 }]))
    expect(await outcome(client, huge)).toBe(CloseCode.TooBig)
    await stillWorks("ok ")
  })

  it("never lets a connection change or remove another user's cursor and name", async () => {
    const server = await startServer()
    const [alice, bob] = await namedPair(server, "cursors", "Alice")
    const aliceId = alice.doc.clientID
    const mallory = await joined(server, "cursors")
    const forged = encodeAwarenessEntries([
      { clientId: aliceId, clock: 1_000_000, state: { user: { name: "Mallory", color: "#000" } }, bytes: 0 },
      { clientId: aliceId, clock: 1_000_001, state: null, bytes: 0 },
    ])
    expect(await outcome(mallory, encodeAwareness(forged))).toBe("open")
    // Mallory's own state is relayed after the forgery; once Bob has it, the forgery would have arrived too.
    const own = new Promise<void>((resolve) => {
      bob.awareness.on("change", ({ added, updated }: { added: number[]; updated: number[] }) => {
        if ([...added, ...updated].includes(4242)) resolve()
      })
    })
    mallory.ws.send(encodeAwareness(encodeAwarenessEntries([{ clientId: 4242, clock: 1, state: { user: { name: "Mallory" } }, bytes: 0 }])))
    await own
    expect(seenName(bob, aliceId)).toBe("Alice")
    expect(server.sync.rooms.names()).toContain("cursors")
    const room = await server.sync.rooms.acquire("cursors")
    expect((room.awareness.getStates().get(aliceId) as { user: { name: string } }).user.name).toBe("Alice")
    server.sync.rooms.release(room)
  })

  it("refuses with 1008 an update that writes new content under another live user's client id, but passes relays", async () => {
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    const alice = connectProvider(server, "squat")
    await synced(alice)
    // Setting a field is what makes the server hear Alice's awareness (a first state at clock 0
    // is dropped by y-protocols): from then on her client id is hers.
    alice.awareness.setLocalStateField("user", { name: "Alice", color: "#e11" })
    alice.doc.getText("content").insert(0, "alice writes")
    const watcher = connectProvider(server, "squat")
    await untilText(watcher.doc, "alice writes")
    await new Promise<void>((resolve) => {
      const check = () => (watcher.awareness.getStates().has(alice.doc.clientID) ? resolve() : watcher.awareness.once("change", check))
      check()
    })

    // A relay of what the server already has from Alice passes.
    const relay = await joined(server, "squat")
    expect(await outcome(relay, encodeUpdate(Y.encodeStateAsUpdate(alice.doc)))).toBe("open")

    // New content at Alice's next clock, from someone else: refused.
    const squatter = new Y.Doc()
    Y.applyUpdate(squatter, Y.encodeStateAsUpdate(alice.doc))
    squatter.clientID = alice.doc.clientID
    squatter.getText("content").insert(0, "SILENCED ")
    const attacker = await joined(server, "squat")
    expect(await outcome(attacker, encodeUpdate(Y.encodeStateAsUpdate(squatter, Y.encodeStateVector(alice.doc))))).toBe(CloseCode.Policy)

    // Alice's own next edit still lands for everyone.
    alice.doc.getText("content").insert(12, "!")
    await untilText(watcher.doc, "alice writes!")
    await stillWorks("ok ")
  })

  it("gives a client id to the connection that writes under it, so a user who never set awareness cannot be impersonated", async () => {
    const server = await startServer()
    const stillWorks = await healthyRoom(server, "healthy")
    // A stock client whose awareness state stays the default: the server never hears it.
    const victim = connectProvider(server, "owned")
    await synced(victim)
    victim.doc.getText("content").insert(0, "victim writes")
    const watcher = connectProvider(server, "owned")
    await untilText(watcher.doc, "victim writes")
    const clientId = victim.doc.clientID

    // Someone else writes new content under the victim's client id: refused, nothing relayed.
    const squatter = new Y.Doc()
    Y.applyUpdate(squatter, Y.encodeStateAsUpdate(victim.doc))
    squatter.clientID = clientId
    squatter.getText("content").insert(0, "IMPERSONATED ")
    const attacker = await joined(server, "owned")
    expect(await outcome(attacker, encodeUpdate(Y.encodeStateAsUpdate(squatter, Y.encodeStateVector(victim.doc))))).toBe(CloseCode.Policy)

    // The victim keeps its id and its next edit lands for everyone.
    victim.doc.getText("content").insert(13, "!")
    await untilText(watcher.doc, "victim writes!")
    expect(victim.doc.clientID).toBe(clientId)
    expect((await get(server, "/api/docs/owned/text")).body).toBe("victim writes!")

    // A client that reconnects (a new connection, the old one gone) re-sends its own content and
    // keeps writing under its id.
    victim.disconnect()
    victim.connect()
    await synced(victim)
    victim.doc.getText("content").insert(0, "back: ")
    await untilText(watcher.doc, "back: victim writes!")
    await stillWorks("ok ")
  })

  it("closes floods past the message and byte rates with 1008", async () => {
    const server = await startServer({ limits: { maxMessagesPerSecond: 50, maxBytesPerSecond: 4096, maxFrameBytes: 2048 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const chatty = await joined(server, "flood")
    for (let i = 0; i < 2000 && chatty.ws.readyState === WebSocket.OPEN; i++) chatty.ws.send(encodeQueryAwareness())
    expect((await chatty.closed).code).toBe(CloseCode.Policy)
    const heavy = await joined(server, "flood")
    for (let i = 0; i < 200 && heavy.ws.readyState === WebSocket.OPEN; i++) {
      const doc = new Y.Doc()
      doc.getText("content").insert(0, "y".repeat(900))
      heavy.ws.send(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    }
    expect((await heavy.closed).code).toBe(CloseCode.Policy)
    await stillWorks("ok ")
  })

  it("refuses an update past the document size limit with 1009 and keeps the content readable", async () => {
    const server = await startServer({ limits: { maxDocumentBytes: 4096 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const writer = connectProvider(server, "capped")
    await synced(writer)
    const closed = new Promise<number>((resolve) => writer.once("connection-close", (event) => resolve(event?.code ?? 0)))
    writer.doc.getText("content").insert(0, "small start")
    await expect(get(server, "/api/docs/capped/text")).resolves.toMatchObject({ body: "small start" })
    writer.doc.getText("content").insert(0, "z".repeat(8000))
    expect(await closed).toBe(CloseCode.TooBig)
    writer.shouldConnect = false
    await expect(get(server, "/api/docs/capped/text")).resolves.toMatchObject({ status: 200, body: "small start" })
    await stillWorks("ok ")
  })

  it("closes with 1008 when updates waiting on missing dependencies pass the limit", async () => {
    const server = await startServer({ limits: { maxPendingBytes: 512 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const doc = new Y.Doc()
    doc.getText("content").insert(0, "base")
    const base = Y.encodeStateVector(doc)
    doc.getText("content").insert(4, "w".repeat(1000))
    // Depends on the base, which is never sent.
    const orphan = Y.encodeStateAsUpdate(doc, base)
    const client = await joined(server, "pending")
    expect(await outcome(client, encodeUpdate(orphan))).toBe(CloseCode.Policy)
    await stillWorks("ok ")
  })

  it("closes with 1008 a connection that sends too many frames before its document loads", async () => {
    const inner = createMemoryStore()
    let releaseLoad!: () => void
    const loadGate = new Promise<void>((resolve) => (releaseLoad = resolve))
    const store = storeWith(inner, {
      load: async (name) => {
        if (name === "slow") await loadGate
        return inner.load(name)
      },
    })
    const server = await startServer({ store, limits: { maxQueuedFrames: 10 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const client = await connectRaw(server, "slow")
    for (let i = 0; i < 11; i++) client.ws.send(encodeQueryAwareness())
    expect((await client.closed).code).toBe(CloseCode.Policy)
    releaseLoad()
    await stillWorks("ok ")
  })

  it("drops a peer that stops answering pings", async () => {
    const server = await startServer({ heartbeatMs: 50 })
    const stillWorks = await healthyRoom(server, "healthy")
    const silent = await connectRaw(server, "silent", { autoPong: false })
    const { code } = await silent.closed
    expect(code).toBe(1006)
    await stillWorks("ok ")
  })

  it("drops a reader that stops reading instead of buffering without bound", async () => {
    const server = await startServer({ limits: { maxBufferedBytes: 256 << 10 } })
    const stillWorks = await healthyRoom(server, "healthy")
    const { port } = new URL(server.httpUrl)
    // A hand-made client: upgrade, ask for updates (a masked sync step 1), then never read again.
    // A paused socket never sees its own end, so the server says when it dropped the reader:
    // the first connection on the document is the reader's.
    let readerId: number | null = null
    const dropped = new Promise<void>((resolve) => {
      server.sync.events.on("connection-opened", ({ doc, connection }) => {
        if (doc === "firehose") readerId ??= connection
      })
      server.sync.events.on("connection-closed", ({ connection }) => connection === readerId && resolve())
    })
    const socket = netConnect(Number(port), "127.0.0.1")
    socket.on("error", () => {})
    socket.write(
      "GET /sync/firehose HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    const step1 = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))
    socket.write(Buffer.from([0x82, 0x80 | step1.length, 0, 0, 0, 0, ...step1]))
    socket.once("data", () => socket.pause())
    const writer = connectProvider(server, "firehose")
    await synced(writer)
    for (let i = 0; i < 64; i++) writer.doc.getText("content").insert(0, "x".repeat(256 << 10))
    await dropped
    socket.destroy()
    await stillWorks("ok ")
  })
})

import { connect as netConnect } from "node:net"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { encodeSyncStep1 } from "@tandem/protocol"
import { AuthError, type Authorizer, type Limits, type SyncServer } from "@tandem/server"
import { createMetrics } from "../src/index.js"
import { createMemoryStore } from "@tandem/storage-memory"
import { connectProvider, connectRaw, createBusHub, sample, scrape, startServer, synced, untilText, upgradeStatus, type TestServer } from "./helpers.js"

/** Lets in requests with the token "good", as user "ada"; refuses the rest with 401. */
const tokenAuthorizer: Authorizer = {
  authorize: async ({ token }) => {
    if (token !== "good") throw new AuthError("unauthenticated", "bad token")
    return { userId: "ada", access: "write", expiresAt: null }
  },
}

/** Starts a server with open `/metrics`, and stops its metrics when the test ends. */
function meteredServer(limits: Partial<Limits> = {}): Promise<TestServer> {
  return startServer({
    authorizer: tokenAuthorizer,
    limits,
    metrics: (sync) => ({ source: createMetrics({ sync }), token: null }),
  })
}

/**
 * A hand-made client on `doc` that upgrades, asks for updates (a masked sync step 1) and never
 * reads again. Resolves once the server has dropped it; the first connection on `doc` is its.
 */
function slowReader(server: TestServer, doc: string): { dropped: Promise<void> } {
  let readerId: number | null = null
  const dropped = new Promise<void>((resolve) => {
    server.sync.events.on("connection-opened", ({ doc: opened, connection }) => {
      if (opened === doc) readerId ??= connection
    })
    server.sync.events.on("connection-closed", ({ connection }) => connection === readerId && resolve())
  })
  const { port } = new URL(server.httpUrl)
  const socket = netConnect(Number(port), "127.0.0.1")
  socket.on("error", () => {})
  socket.write(
    `GET /sync/${doc}?token=good HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  )
  const step1 = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))
  socket.write(Buffer.from([0x82, 0x80 | step1.length, 0, 0, 0, 0, ...step1]))
  socket.once("data", () => socket.pause())
  return { dropped: dropped.finally(() => socket.destroy()) }
}

describe("metrics", () => {
  it("count exactly what happened: connections, updates, deliveries, refusals, failures and drops", async () => {
    // Frames over 1 MiB are refused; the writer below sends 16 MiB in a burst, within the byte rate.
    const server = await meteredServer({ maxBufferedBytes: 256 << 10, maxFrameBytes: 1 << 20, maxBytesPerSecond: 64 << 20 })
    const a = connectProvider(server, "team/secret-plans", { token: "good" })
    const b = connectProvider(server, "team/secret-plans", { token: "good" })
    await Promise.all([synced(a), synced(b)])
    const edits = 7
    for (let i = 0; i < edits; i++) a.doc.getText("content").insert(i, String(i))
    await untilText(b.doc, "0123456")
    expect(await upgradeStatus(server, "/sync/team/secret-plans?token=bad")).toBe(401)
    expect(await upgradeStatus(server, "/sync/bad%20name?token=good")).toBe(400)

    let body = (await scrape(server)).body
    expect(sample(body, "tandem_connections")).toBe(2)
    expect(sample(body, "tandem_connections_opened_total")).toBe(2)
    expect(sample(body, "tandem_rooms")).toBe(1)
    expect(sample(body, "tandem_updates_received_total")).toBe(edits)
    // One peer besides the writer: each edit is delivered once.
    expect(sample(body, "tandem_update_deliveries_total")).toBe(edits)
    expect(sample(body, "tandem_committed_updates_total")).toBe(edits)
    expect(sample(body, "tandem_commit_duration_seconds_count")).toBeGreaterThanOrEqual(1)
    expect(sample(body, "tandem_pending_writes")).toBe(0)
    expect(sample(body, "tandem_upgrade_refusals_total", { status: "401", reason: "unauthenticated" })).toBe(1)
    expect(sample(body, "tandem_upgrade_refusals_total", { status: "400", reason: "bad-name" })).toBe(1)
    expect(sample(body, "tandem_upgrade_refusals_total", { status: "503", reason: "connections" })).toBe(0)
    expect(sample(body, "tandem_awareness_received_total")).toBeGreaterThanOrEqual(2)
    expect(sample(body, "tandem_received_bytes_total")).toBeGreaterThan(0)
    expect(sample(body, "tandem_sent_bytes_total")).toBeGreaterThan(0)
    expect(sample(body, "tandem_peers_dropped_total", { reason: "slow" })).toBe(0)
    expect(sample(body, "tandem_storage_errors_total", { code: "append-failed" })).toBe(0)
    // prom-client's process and Node.js metrics, event-loop lag included.
    expect(sample(body, "nodejs_eventloop_lag_seconds")).toBeDefined()
    expect(sample(body, "process_cpu_user_seconds_total")).toBeDefined()
    // Without a bus there are no bus metrics; no label ever names a document or a user.
    expect(body).not.toContain("tandem_bus_")
    expect(body).not.toContain("secret-plans")
    expect(body).not.toContain("ada")

    // After the upgrade: a text frame (1003) and a frame over the limit, which ws refuses (1009).
    const text = await connectRaw(server, "other?token=good")
    text.ws.send("hello")
    expect(await text.closed).toBe(1003)
    const big = await connectRaw(server, "other?token=good")
    big.ws.send(new Uint8Array(2 << 20))
    expect(await big.closed).toBe(1009)
    // A reader that stops reading while a writer pours into its document.
    const reader = slowReader(server, "firehose")
    const writer = connectProvider(server, "firehose", { token: "good" })
    await synced(writer)
    for (let i = 0; i < 64; i++) writer.doc.getText("content").insert(0, "x".repeat(256 << 10))
    await reader.dropped

    body = (await scrape(server)).body
    expect(sample(body, "tandem_peers_dropped_total", { reason: "slow" })).toBe(1)
    expect(sample(body, "tandem_peers_dropped_total", { reason: "ping" })).toBe(0)
    expect(sample(body, "tandem_connection_failures_total", { code: "1003" })).toBe(1)
    expect(sample(body, "tandem_connection_failures_total", { code: "1009" })).toBe(1)
    expect(sample(body, "tandem_connection_failures_total", { code: "1008" })).toBe(0)
    expect(sample(body, "tandem_upgrade_refusals_total", { status: "401", reason: "unauthenticated" })).toBe(1)
    // a, b and the writer; the reader and the two refused raw clients are gone.
    expect(sample(body, "tandem_connections")).toBe(3)
    expect(sample(body, "tandem_connections_opened_total")).toBe(6)
  })

  it("are served only with the token when one is set, and not at all without the option", async () => {
    const guarded = await startServer({ metrics: (sync) => ({ source: createMetrics({ sync, processMetrics: false }), token: "s3cret" }) })
    expect((await scrape(guarded)).status).toBe(401)
    expect((await scrape(guarded, "wrong")).status).toBe(401)
    const ok = await scrape(guarded, "s3cret")
    expect(ok.status).toBe(200)
    expect(ok.type).toContain("text/plain")
    expect(sample(ok.body, "tandem_connections")).toBe(0)
    const off = await startServer()
    expect((await scrape(off)).status).toBe(404)
  })

  it("count bus messages both ways and the gaps filled from storage, with a bus", async () => {
    const store = createMemoryStore()
    const hub = createBusHub()
    const metrics = (sync: SyncServer) => ({ source: createMetrics({ sync, processMetrics: false }), token: null })
    const a = await startServer({ store, bus: hub.bus("a"), gapDelayMs: 10, metrics })
    const b = await startServer({ store, bus: hub.bus("b"), gapDelayMs: 10, metrics })
    const onA = connectProvider(a, "shared")
    const onB = connectProvider(b, "shared")
    await Promise.all([synced(onA), synced(onB)])
    // A cursor set on a reaches b's peer over the bus.
    const seen = new Promise<void>((resolve) => {
      const check = () => onB.awareness.getStates().has(onA.doc.clientID) && resolve()
      onB.awareness.on("change", check)
    })
    onA.awareness.setLocalStateField("user", { name: "a" })
    await seen
    const committed = () => new Promise<void>((resolve) => a.sync.events.on("commit-finished", () => resolve()))
    // The first commit's message is lost: b sees the second one's number leave a gap, and reads
    // the first from storage.
    hub.dropNextUpdates()
    let commit = committed()
    onA.doc.getText("content").insert(0, "a")
    await commit
    commit = committed()
    onA.doc.getText("content").insert(1, "b")
    await commit
    await untilText(onB.doc, "ab")

    const fromA = (await scrape(a)).body
    const fromB = (await scrape(b)).body
    expect(sample(fromA, "tandem_bus_messages_total", { direction: "out", kind: "updates" })).toBe(2)
    expect(sample(fromB, "tandem_bus_messages_total", { direction: "in", kind: "updates" })).toBe(1)
    expect(sample(fromA, "tandem_bus_messages_total", { direction: "out", kind: "awareness" })).toBeGreaterThanOrEqual(1)
    expect(sample(fromB, "tandem_bus_messages_total", { direction: "in", kind: "awareness" })).toBeGreaterThanOrEqual(1)
    expect(sample(fromB, "tandem_bus_gaps_filled_total")).toBe(1)
    expect(sample(fromA, "tandem_bus_gaps_filled_total")).toBe(0)
    // Both edits reached b's peer, one through storage; a had no other peer to deliver to.
    expect(sample(fromB, "tandem_update_deliveries_total")).toBe(2)
    expect(sample(fromA, "tandem_update_deliveries_total")).toBe(0)
    expect(sample(fromA, "tandem_updates_received_total")).toBe(2)
    expect(sample(fromB, "tandem_updates_received_total")).toBe(0)
  })

  it("stop counting once closed", async () => {
    const server = await startServer()
    const metrics = createMetrics({ sync: server.sync, processMetrics: false })
    expect(await upgradeStatus(server, "/nowhere")).toBe(404)
    metrics.close()
    expect(await upgradeStatus(server, "/nowhere")).toBe(404)
    const { body } = await metrics.scrape()
    expect(sample(body, "tandem_upgrade_refusals_total", { status: "404", reason: "not-found" })).toBe(1)
  })
})

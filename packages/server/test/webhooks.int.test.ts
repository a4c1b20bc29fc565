import { describe, expect, it } from "vitest"
import { createMemoryStore } from "@tandem/storage-memory"
import { createSyncServer, parseWebhookSecret, signWebhook, type LogFields, type Logger } from "../src/index.js"
import { call, connectProvider, createManualClock, startServer, synced, untilText } from "./helpers.js"
import { accepted, startReceiver, webhookSecret } from "./webhook-receiver.js"

/** A manual clock on a whole second near now, so receivers' timestamp checks pass and seconds compare exactly. */
const clockNearNow = () => createManualClock(Math.floor(Date.now() / 1000) * 1000)

describe("webhooks", () => {
  it("signs as Standard Webhooks says, verified by its reference library", () => {
    const key = parseWebhookSecret(webhookSecret)
    // The specification's own example: its secret, id, timestamp, body and signature.
    const example = parseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    expect(signWebhook(example, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    expect(signWebhook(key, "msg_1", 1, "{}")).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(() => parseWebhookSecret("not-a-secret")).toThrow(TypeError)
    expect(() => parseWebhookSecret("whsec_c2hvcnQ=")).toThrow(/24 to 64 bytes/)
  })

  it("refuses webhooks on a store without an outbox, and a bad URL", () => {
    const { outbox: _, ...store } = createMemoryStore()
    expect(() => createSyncServer({ store, webhooks: { url: "http://127.0.0.1:1/", secret: webhookSecret } })).toThrow(/outbox/)
    expect(() => createSyncServer({ store: createMemoryStore(), webhooks: { url: "ftp://x/", secret: webhookSecret } })).toThrow(/http/)
  })

  it("delivers a new document's creation and change (size and a link to its text) and its connections, signed", async () => {
    const clock = clockNearNow()
    const receiver = await startReceiver()
    const server = await startServer({ clock, webhooks: { url: receiver.url, secret: webhookSecret } })
    const provider = connectProvider(server, "hooks/first")
    await synced(provider)
    provider.doc.getText("content").insert(0, "héllo 👋")
    await receiver.until((ds) => accepted(ds, "document.created").length === 1)
    // Created goes out as the edit is stored; the change waits for a pause in the editing.
    expect(accepted(receiver.deliveries, "document.changed")).toHaveLength(0)
    clock.advance(2000)
    const [changed] = accepted(await receiver.until((ds) => accepted(ds, "document.changed").length === 1), "document.changed")
    const state = await call(server, "GET", "/api/docs/hooks/first/update")
    expect(changed!.data).toEqual({ document: "hooks/first", bytes: state.bytes.byteLength, text: "/api/docs/hooks/first/text" })
    expect((await call(server, "GET", changed!.data.text as string)).text).toBe("héllo 👋")

    provider.destroy()
    const deliveries = await receiver.until((ds) => accepted(ds, "connection.closed").length === 1)
    expect(accepted(deliveries, "connection.opened").map((p) => p.data)).toEqual([{ document: "hooks/first", connection: expect.any(Number), user: null }])
    expect(accepted(deliveries, "connection.closed")[0]!.data).toEqual(accepted(deliveries, "connection.opened")[0]!.data)
    expect(deliveries.every((d) => d.payload !== null && d.status === 204)).toBe(true)
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(deliveries.length)
  })

  it("reports a burst of edits once, no later than 10 s after its first edit, and the next burst once it pauses", async () => {
    const clock = clockNearNow()
    const start = clock.now()
    const receiver = await startReceiver()
    const server = await startServer({ clock, webhooks: { url: receiver.url, secret: webhookSecret } })
    const [writer, reader] = [connectProvider(server, "hooks/burst"), connectProvider(server, "hooks/burst")]
    await Promise.all([synced(writer), synced(reader)])
    const text = writer.doc.getText("content")
    // An edit is relayed only once it is stored, and its commit is what the webhooks count.
    const edit = async (word: string) => {
      text.insert(text.length, word)
      await untilText(reader.doc, text.toString())
    }
    await edit("a")
    await receiver.until((ds) => accepted(ds, "document.created").length === 1)
    // An edit every 1.5 s: never the 2 s pause, so the change goes out at its 10 s limit.
    for (let i = 0; i < 6; i++) {
      clock.advance(1500)
      await edit(String(i))
    }
    clock.advance(1000)
    let changes = await receiver.until((ds) => accepted(ds, "document.changed").length === 1)
    const first = changes.find((d) => d.payload?.type === "document.changed")!
    expect(first.timestamp).toBe((start + 10_000) / 1000)

    clock.advance(1000)
    await edit("b")
    clock.advance(1999)
    await edit("c")
    clock.advance(2000)
    changes = await receiver.until((ds) => accepted(ds, "document.changed").length === 2)
    const second = changes.filter((d) => d.payload?.type === "document.changed")[1]!
    expect(second.timestamp).toBe(Math.floor((start + 11_000 + 1999 + 2000) / 1000))
    expect(accepted(changes, "document.created")).toHaveLength(1)
  })

  it("delivers named versions and deletions", async () => {
    const receiver = await startReceiver()
    const server = await startServer({ webhooks: { url: receiver.url, secret: webhookSecret } })
    await call(server, "PUT", "/api/docs/hooks/history/text", { body: "one" })
    const named = await call(server, "POST", "/api/docs/hooks/history/versions", { body: JSON.stringify({ label: "First" }), headers: { "content-type": "application/json" } })
    expect(named.status).toBe(201)
    expect((await call(server, "DELETE", "/api/docs/hooks/history")).status).toBe(204)
    const deliveries = await receiver.until((ds) => accepted(ds, "document.deleted").length === 1 && accepted(ds, "version.created").length === 1)
    expect(accepted(deliveries, "version.created")[0]!.data).toEqual({
      document: "hooks/history",
      version: { id: named.json.id, kind: "named", label: "First", author: null, createdAt: named.json.createdAt, bytes: named.json.bytes },
    })
    expect(accepted(deliveries, "document.deleted")[0]!.data).toEqual({ document: "hooks/history" })
  })

  it("retries a receiver that fails three times, with the same id and growing waits, until it takes the event", async () => {
    const receiver = await startReceiver()
    receiver.failNext(3)
    const retryMs = 100
    const server = await startServer({ store: createMemoryStore(), webhooks: { url: receiver.url, secret: webhookSecret, retryMs } })
    const put = await call(server, "PUT", "/api/docs/hooks/retried/text", { body: "kept" })
    expect(put.status).toBe(201)
    const deliveries = await receiver.until((ds) => accepted(ds, "document.created").length === 1)
    const created = deliveries.filter((d) => d.payload?.type === "document.created")
    expect(created.map((d) => d.status)).toEqual([500, 500, 500, 204])
    expect(new Set(created.map((d) => d.id)).size).toBe(1)
    // Waits of at least 100, 200 and 400 ms (jitter only lengthens them).
    const gaps = created.slice(1).map((d, i) => d.at - created[i]!.at)
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(retryMs * 2 ** i - 2))
    expect(server.sync.traffic.webhookFailures).toBeGreaterThanOrEqual(3)
  })

  it("gives up on an event the receiver keeps refusing once its retry period has passed", async () => {
    const receiver = await startReceiver()
    receiver.failNext(Number.MAX_SAFE_INTEGER)
    let gaveUp: (fields: LogFields | undefined) => void = () => {}
    const givenUp = new Promise<LogFields | undefined>((resolve) => (gaveUp = resolve))
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {},
      error: (message, fields) => message === "gave up on a webhook" && gaveUp(fields),
    }
    const store = createMemoryStore()
    const server = await startServer({ store, logger, webhooks: { url: receiver.url, secret: webhookSecret, retryMs: 20, giveUpAfterMs: 200 } })
    await call(server, "PUT", "/api/docs/hooks/refused/text", { body: "x" })
    expect(await givenUp).toMatchObject({ type: "document.created" })
    expect(receiver.deliveries.filter((d) => d.payload?.type === "document.created").length).toBeGreaterThanOrEqual(2)
    expect(server.sync.traffic.webhooksAbandoned).toBeGreaterThanOrEqual(1)
  })

  it("keeps editing at full speed while the receiver never answers", async () => {
    const { createServer } = await import("node:http")
    const hanging = createServer(() => {})
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve))
    const port = (hanging.address() as { port: number }).port
    const server = await startServer({ webhooks: { url: `http://127.0.0.1:${port}/`, secret: webhookSecret, timeoutMs: 60_000 } })
    const [a, b] = [connectProvider(server, "hooks/hang"), connectProvider(server, "hooks/hang")]
    await Promise.all([synced(a), synced(b)])
    for (let i = 0; i < 50; i++) a.doc.getText("content").insert(0, "x")
    await new Promise<void>((resolve) => {
      const check = () => (b.doc.getText("content").length === 50 ? resolve() : b.doc.once("update", check))
      check()
    })
    expect(b.doc.getText("content").toString()).toBe("x".repeat(50))
    await server.stop()
    hanging.closeAllConnections()
    hanging.close()
  })
})

import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { accepted, startReceiver, webhookSecret } from "../../server/test/webhook-receiver.js"
import { connectProvider, dropProvider, freshDatabase, startInstance, startServices, stopServices, synced, untilText, type Services } from "./cluster.js"

let services: Services | undefined

beforeAll(async () => {
  services = await startServices()
}, 120_000)

afterAll(() => stopServices(services))

describe("webhooks with several instances", () => {
  it("delivers every event once, whichever instance it happened on, though both deliver from one outbox", async () => {
    const receiver = await startReceiver()
    const db = await freshDatabase(services!.postgres)
    const webhooks = { url: receiver.url, secret: webhookSecret, pollMs: 20 }
    const [a, b] = [await startInstance(db, services!.redis.url, { webhooks }), await startInstance(db, services!.redis.url, { webhooks })]
    const sessions = 12
    for (let i = 0; i < sessions; i++) {
      const [onA, onB] = [connectProvider(a, `hooks/${i % 3}`), connectProvider(b, `hooks/${i % 3}`)]
      await Promise.all([synced(onA), synced(onB)])
      onA.doc.getText("content").insert(0, `${i};`)
      await untilText(onB.doc, onA.doc.getText("content").toString())
      dropProvider(onA)
      dropProvider(onB)
    }
    const deliveries = await receiver.until((ds) => accepted(ds, "connection.closed").length === 2 * sessions)
    expect(accepted(deliveries, "connection.opened")).toHaveLength(2 * sessions)
    // Each id went out once: a claim leases its messages from every other instance.
    const ids = deliveries.filter((d) => d.status < 300).map((d) => d.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(deliveries.every((d) => d.payload !== null)).toBe(true)
    // Each document was created once, by the instance whose write came first.
    const created = accepted(deliveries, "document.created").map((p) => p.data.document)
    expect(new Set(created)).toEqual(new Set(["hooks/0", "hooks/1", "hooks/2"]))
  }, 60_000)
})

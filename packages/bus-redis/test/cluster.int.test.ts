import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { connectProvider, freshDatabase, startInstance, startServices, stopServices, storedText, synced, untilText, type Services } from "./cluster.js"

let services: Services | undefined

beforeAll(async () => {
  services = await startServices()
}, 120_000)

afterAll(() => stopServices(services))

describe("several instances on PostgreSQL and Redis", () => {
  it("relays edits made on one instance to clients of another, and stores each once", async () => {
    const db = await freshDatabase(services!.postgres)
    const a = await startInstance(db, services!.redis.url)
    const b = await startInstance(db, services!.redis.url)
    const onA = connectProvider(a, "shared")
    const onB = connectProvider(b, "shared")
    await Promise.all([synced(onA), synced(onB)])
    onA.doc.getText("content").insert(0, "from A. ")
    await untilText(onB.doc, "from A. ")
    onB.doc.getText("content").insert(onB.doc.getText("content").length, "from B.")
    await untilText(onA.doc, "from A. from B.")
    const [textA, textB] = await Promise.all([a.sync.readText("shared"), b.sync.readText("shared")])
    expect(textA).toBe("from A. from B.")
    expect(textB).toBe("from A. from B.")
    expect(await storedText(a.store, "shared")).toBe("from A. from B.")
    const stored = await a.store.load("shared")
    // Two edits, two rows: nothing that came over the bus was stored again.
    expect(stored?.updates.map((u) => u.seq)).toEqual([1, 2])
  })
})

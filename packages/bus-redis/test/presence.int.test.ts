import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { WebsocketProvider } from "y-websocket"
import { connectProvider, freshDatabase, startInstance, startServices, stopServices, synced, within, type InstanceOptions, type Services } from "./cluster.js"

let services: Services | undefined

beforeAll(async () => {
  services = await startServices()
}, 120_000)

afterAll(() => stopServices(services))

/** Whether `provider` sees someone whose awareness state has `user.name` equal to `name`. */
function sees(provider: WebsocketProvider, name: string): boolean {
  for (const state of provider.awareness.getStates().values()) {
    const user: unknown = state.user
    if (typeof user === "object" && user !== null && "name" in user && user.name === name) return true
  }
  return false
}

/** Resolves once whether `provider` sees `name` is `visible`, checking on every awareness change. */
function untilSeen(provider: WebsocketProvider, name: string, visible: boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (sees(provider, name) !== visible) return
      provider.awareness.off("change", check)
      resolve()
    }
    provider.awareness.on("change", check)
    check()
  })
}

/**
 * A provider on A shows Ada; B's provider sees her; A dies. Resolves with how long B's provider
 * then went on seeing her.
 */
async function presenceAfterDeath(doc: string, aOptions: InstanceOptions): Promise<number> {
  const db = await freshDatabase(services!.postgres)
  const a = await startInstance(db, services!.redis.url, { ...aOptions, linked: true })
  const b = await startInstance(db, services!.redis.url)
  const onA = connectProvider(a, doc)
  const onB = connectProvider(b, doc)
  await Promise.all([synced(onA), synced(onB)])

  onA.awareness.setLocalStateField("user", { name: "Ada" })
  await within(untilSeen(onB, "Ada", true), 5000, "B's client sees Ada")

  // A dies: no goodbye on the bus, and the presence removal its sockets closing causes cannot
  // get out either. Only B's instance timeout (3 s in the harness) can drop Ada.
  const killedAt = performance.now()
  a.kill()
  await within(untilSeen(onB, "Ada", false), 10_000, "B's client stops seeing Ada")
  return performance.now() - killedAt
}

describe("presence across instances", () => {
  it("shows a user to clients of another instance, and drops them within 10 s of their instance dying", async () => {
    const elapsed = await presenceAfterDeath("presence", {})
    expect(elapsed).toBeLessThan(10_000)
    // Not sooner than a timeout allows: had anything of A's got out, this would be a message's
    // delivery time, and kill() would not be simulating a dead instance.
    expect(elapsed).toBeGreaterThan(2000)
  })

  it("drops the presence an instance relayed when it dies before its first heartbeat", async () => {
    // A's first heartbeat would go out a minute after it starts: B hears of A only through the
    // presence it relays, and must still find it lost.
    const elapsed = await presenceAfterDeath("early-death", { busTimings: { heartbeatMs: 60_000 } })
    expect(elapsed).toBeLessThan(10_000)
  })
})

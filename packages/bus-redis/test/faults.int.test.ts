import { setTimeout as delay } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { ServerEvents, SyncServer } from "@tandem/server"
import {
  AckingClient,
  freshDatabase,
  holds,
  startInstance,
  startServices,
  stopServices,
  storedDoc,
  untilHealth,
  within,
  type Instance,
  type Services,
} from "./cluster.js"

let services: Services | undefined

beforeAll(async () => {
  services = await startServices()
}, 120_000)

afterAll(() => stopServices(services))

/** Gives out words no other write in the file uses, so each can be found exactly once. */
function wordSource(): (tag: string) => string {
  let next = 0
  return (tag) => `${tag}${next++} `
}

/** Appends `word` to the client's text and resolves once the server says it is stored. */
async function writeAcked(client: AckingClient, word: string): Promise<void> {
  client.insert(client.doc.getText("content").length, word)
  await within(
    client.until(() => client.allAcked),
    5000,
    `ack of "${word.trim()}"`,
  )
}

/** Resolves once `client`'s text holds every word of `words`. */
function untilHolds(client: AckingClient, words: readonly string[]): Promise<void> {
  return client.until(() => words.every((word) => client.text.includes(word)))
}

/** Resolves with the next `event` of `sync`. */
function nextEvent<K extends keyof ServerEvents>(sync: SyncServer, event: K): Promise<ServerEvents[K]> {
  return new Promise((resolve) => {
    const off = sync.events.on(event, (payload) => {
      off()
      resolve(payload)
    })
  })
}

/**
 * The end state every fault test asks for: each client acknowledged everything it sent and
 * storage holds all of it; both clients, both instances and storage have the same text, with
 * every word written exactly once.
 */
async function expectSettled(doc: string, instances: readonly Instance[], clients: readonly AckingClient[], words: readonly string[]): Promise<void> {
  await within(Promise.all(clients.map((client) => client.until(() => client.allAcked))), 10_000, "every update acknowledged")
  await within(Promise.all(clients.map((client) => untilHolds(client, words))), 10_000, "every client holds every word")
  const stored = await storedDoc(instances[0]!.store, doc)
  expect(stored, "stored document").not.toBeNull()
  for (const client of clients) {
    const missing = client.acknowledged().filter((update) => !holds(stored!, update))
    expect(missing.length, "acknowledged updates missing from storage").toBe(0)
  }
  const text = stored!.getText("content").toString()
  expect(text.split(" ").filter(Boolean).sort()).toEqual(words.map((word) => word.trim()).sort())
  for (const client of clients) expect(client.text).toBe(text)
  for (const instance of instances) expect(await instance.sync.readText(doc)).toBe(text)
}

describe("faults under two instances", () => {
  it("stores every acknowledged update through a Redis restart, and delivers across instances within 5 s of Redis being back", async () => {
    const db = await freshDatabase(services!.postgres)
    const [a, b] = [await startInstance(db, services!.redis.url), await startInstance(db, services!.redis.url)]
    const [onA, onB] = [await AckingClient.connect(a, "redis"), await AckingClient.connect(b, "redis")]
    const word = wordSource()
    const words: string[] = []
    const write = async (client: AckingClient, tag: string) => {
      const w = word(tag)
      words.push(w)
      await writeAcked(client, w)
      return w
    }

    for (let i = 0; i < 5; i++) {
      await write(onA, "a")
      await write(onB, "b")
    }
    await within(Promise.all([untilHolds(onA, words), untilHolds(onB, words)]), 5000, "delivery before the restart")

    // Redis goes away; both instances keep storing and acknowledging what their clients write.
    const restarted = services!.redis.restart()
    await within(Promise.all([untilHealth(a.bus, false), untilHealth(b.bus, false)]), 5000, "both buses see Redis gone")
    for (let i = 0; i < 3; i++) {
      await write(onA, "a")
      await write(onB, "b")
    }
    await restarted
    const back = performance.now()

    // Written the moment Redis is back, while each instance may still be reconnecting.
    const [fromA, fromB] = await Promise.all([write(onA, "fromA"), write(onB, "fromB")])
    const arrival = async (client: AckingClient, w: string) => {
      await within(untilHolds(client, [w]), 10_000, `"${w.trim()}" delivered across instances`)
      return performance.now() - back
    }
    const [toB, toA] = await Promise.all([arrival(onB, fromA), arrival(onA, fromB)])
    // A behaviour requirement (delivery resumes within 5 s of Redis being back), not a benchmark.
    expect(toB, "ms from Redis back until A's edit reached B's client").toBeLessThan(5000)
    expect(toA, "ms from Redis back until B's edit reached A's client").toBeLessThan(5000)

    await expectSettled("redis", [a, b], [onA, onB], words)
  })

  it("delivers what one instance stored while cut off from Redis to the other's clients once it is back", async () => {
    const db = await freshDatabase(services!.postgres)
    const [a, b] = [await startInstance(db, services!.redis.url, { linked: true }), await startInstance(db, services!.redis.url)]
    const [onA, onB] = [await AckingClient.connect(a, "cut"), await AckingClient.connect(b, "cut")]
    const word = wordSource()
    const words = [word("a"), word("b")]
    await writeAcked(onA, words[0]!)
    await writeAcked(onB, words[1]!)
    await within(Promise.all([untilHolds(onA, words), untilHolds(onB, words)]), 5000, "delivery before the cut")

    // Only A loses Redis, and only A writes: B stays connected, and neither a reconnection of its
    // own nor a later number of its own tells it that it lacks anything.
    a.link!.cut()
    await within(untilHealth(a.bus, false), 5000, "A's bus sees Redis gone")
    const whileCut = word("a")
    words.push(whileCut)
    await writeAcked(onA, whileCut)
    a.link!.restore()
    await within(untilHealth(a.bus, true), 5000, "A's bus back")
    const back = performance.now()
    // Nobody writes any more: what A stored while cut off must reach B's client all the same.
    await within(untilHolds(onB, [whileCut]), 10_000, "A's edit from while it was cut off reaches B's client")
    expect(performance.now() - back, "ms from A's bus back until B's client had A's edit").toBeLessThan(5000)
    await expectSettled("cut", [a, b], [onA, onB], words)
  })

  it("acknowledges nothing while PostgreSQL is down for 10 s, then stores everything and converges", async () => {
    const { postgres } = services!
    const db = await freshDatabase(postgres)
    const options = { storageRetry: { initialDelayMs: 50, maxDelayMs: 500 } }
    const [a, b] = [await startInstance(db, services!.redis.url, options), await startInstance(db, services!.redis.url, options)]
    const [onA, onB] = [await AckingClient.connect(a, "pg"), await AckingClient.connect(b, "pg")]
    const pairs = [[a, onA, "a"], [b, onB, "b"]] as const
    const word = wordSource()
    const words: string[] = []

    for (let i = 0; i < 3; i++) {
      for (const [, client, tag] of pairs) {
        const w = word(tag)
        words.push(w)
        await writeAcked(client, w)
      }
    }
    await within(Promise.all([untilHolds(onA, words), untilHolds(onB, words)]), 5000, "delivery before the outage")
    // Everything so far is acknowledged, so any ack from here on would be for a write made
    // while PostgreSQL was down.
    const ackedBefore = [onA.acked, onB.acked]

    const outageMs = 10_000
    const downAt = performance.now()
    await postgres.pgCtl(["stop", "-m", "fast"])
    try {
      // Edits on both instances, each followed by a failed attempt of its instance to store,
      // so they spread over the outage while the servers keep retrying.
      for (let i = 0; i < 4; i++) {
        for (const [instance, client, tag] of pairs) {
          const failed = nextEvent(instance.sync, "save-failed")
          const w = word(tag)
          words.push(w)
          client.insert(client.doc.getText("content").length, w)
          await within(failed, 5000, "a failed attempt to store")
        }
      }
      // Not synchronization: the outage itself, 10 s as the issue states, during which the
      // servers retry on their own.
      await delay(Math.max(0, outageMs - (performance.now() - downAt)))
      expect([onA.acked, onB.acked], "acks while PostgreSQL was down").toEqual(ackedBefore)
      expect(onA.sent.length).toBeGreaterThan(onA.acked)
      expect(onB.sent.length).toBeGreaterThan(onB.acked)
    } finally {
      await postgres.pgCtl(["start"])
    }

    await expectSettled("pg", [a, b], [onA, onB], words)
  })
})

import * as prng from "lib0/prng"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import {
  AckingClient,
  connectProvider,
  dropProvider,
  freshDatabase,
  holds,
  startInstance,
  startServices,
  stopServices,
  storedDoc,
  synced,
  untilText,
  within,
  type Instance,
  type Services,
} from "./cluster.js"

const seed = Number(process.env.TANDEM_SEED ?? 20261130)

let services: Services | undefined

beforeAll(async () => {
  services = await startServices()
}, 120_000)

afterAll(() => stopServices(services))

/** Starts `count` instances on one fresh database, counting the compactions each makes. */
async function startCluster(count: number, afterUpdates: number): Promise<{ instances: Instance[]; compactions: number[] }> {
  const db = await freshDatabase(services!.postgres)
  const instances: Instance[] = []
  const compactions: number[] = []
  for (let i = 0; i < count; i++) {
    const instance = await startInstance(db, services!.redis.url, { compaction: { afterUpdates } })
    compactions.push(0)
    instance.sync.events.on("compacted", () => compactions[i]!++)
    instances.push(instance)
  }
  return { instances, compactions }
}

/** Lets the network run for one turn of the event loop. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("randomised convergence across instances", () => {
  it(`ends with one text in every client, every instance and storage (seed ${seed})`, async () => {
    console.log(`cluster convergence seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const { instances, compactions } = await startCluster(3, 20)
    /** A client: its document outlives its providers, each on another instance than the last. */
    interface Slot {
      readonly doc: Y.Doc
      provider: WebsocketProvider | null
      at: number
    }
    const slots: Slot[] = Array.from({ length: 6 }, (_, i) => ({ doc: new Y.Doc(), provider: null, at: i % 3 }))
    const connect = (slot: Slot) => (slot.provider = connectProvider(instances[slot.at]!, "random", slot.doc))
    slots.forEach(connect)
    await within(Promise.all(slots.map((slot) => synced(slot.provider!))), 10_000, `first sync (seed ${seed})`)
    // Two- and four-byte UTF-8 too: an emoji is two UTF-16 units, which edits may split.
    const alphabet = [..."abcdefg \n", "é", "ü", "日", "本", "😀"]
    let disconnects = 0
    let moves = 0

    for (let step = 0; step < 400; step++) {
      const slot = prng.oneOf(gen, slots)
      const text = slot.doc.getText("content")
      const roll = prng.int32(gen, 0, 99)
      if (roll < 5 && slot.provider) {
        dropProvider(slot.provider)
        slot.provider = null
        disconnects++
      } else if (roll < 12 && !slot.provider) {
        slot.at = (slot.at + prng.int32(gen, 1, 2)) % 3
        connect(slot)
        moves++
      } else if (roll < 70 || text.length === 0) {
        let insert = ""
        for (let i = prng.int32(gen, 1, 6); i > 0; i--) insert += prng.oneOf(gen, alphabet)
        text.insert(prng.int32(gen, 0, text.length), insert)
      } else {
        const at = prng.int32(gen, 0, text.length - 1)
        text.delete(at, Math.min(prng.int32(gen, 1, 4), text.length - at))
      }
      // Let commits, relays, compactions and bus deliveries interleave with the edits: sometimes
      // one turn of the event loop, sometimes a read through an instance, which waits for
      // storage (the API's read path, racing the compactions too).
      const pause = prng.int32(gen, 0, 9)
      if (pause < 3) await turn()
      else if (pause === 3) await instances[prng.int32(gen, 0, 2)]!.sync.readText("random")
    }

    for (const slot of slots) if (!slot.provider) connect(slot)
    await within(Promise.all(slots.map((slot) => synced(slot.provider!))), 10_000, `final sync (seed ${seed})`)
    // Edits are made only in the clients, so everything is the union of their documents.
    const union = new Y.Doc()
    for (const slot of slots) Y.applyUpdate(union, Y.encodeStateAsUpdate(slot.doc))
    const expected = union.getText("content").toString()
    await within(Promise.all(slots.map((slot) => untilText(slot.doc, expected))), 10_000, `clients converge (seed ${seed})`)

    expect(disconnects, `seed ${seed}`).toBeGreaterThan(5)
    expect(moves, `seed ${seed}`).toBeGreaterThan(5)
    for (const instance of instances) expect(await instance.sync.readText("random"), `seed ${seed}`).toBe(expected)
    const stored = await storedDoc(instances[0]!.store, "random")
    expect(stored?.getText("content").toString(), `seed ${seed}`).toBe(expected)
    expect((await instances[0]!.store.load("random"))?.snapshot, "the log was compacted along the way").not.toBeNull()
    expect(compactions.filter((n) => n > 0).length, `instances that compacted: ${compactions.join(", ")}`).toBeGreaterThanOrEqual(2)
  }, 30_000)

  it(`keeps every word exactly once while two instances compact one document under writes (seed ${seed})`, async () => {
    console.log(`compaction race seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const { instances, compactions } = await startCluster(2, 5)
    const writers: AckingClient[] = []
    for (const instance of [...instances, ...instances]) writers.push(await AckingClient.connect(instance, "words"))
    const words: string[] = []

    for (let step = 0; step < 160; step++) {
      const writer = prng.oneOf(gen, writers)
      const text = writer.text
      // Only between words (each ends in a space), so no insert lands inside another word.
      const boundaries = [0]
      for (let i = 0; i < text.length; i++) if (text[i] === " ") boundaries.push(i + 1)
      const word = `w${step}`
      words.push(word)
      writer.insert(prng.oneOf(gen, boundaries), `${word} `)
      // Sometimes wait for the write to be stored, so commits and compactions on both instances
      // fall between the writes rather than all after them.
      const pause = prng.int32(gen, 0, 5)
      if (pause === 0) await within(writer.until(() => writer.allAcked), 5000, `ack (seed ${seed})`)
      else if (pause < 3) await turn()
    }

    await within(Promise.all(writers.map((writer) => writer.until(() => writer.allAcked))), 10_000, `every write acknowledged (seed ${seed})`)
    const stored = await storedDoc(instances[0]!.store, "words")
    expect(stored, `seed ${seed}`).not.toBeNull()
    for (const writer of writers) {
      expect(writer.acknowledged().filter((update) => !holds(stored!, update)).length, `acknowledged but not stored (seed ${seed})`).toBe(0)
    }
    const text = stored!.getText("content").toString()
    const sorted = (value: string) => value.split(" ").filter(Boolean).sort()
    expect(sorted(text), `stored words (seed ${seed})`).toEqual([...words].sort())
    for (const instance of instances) expect(await instance.sync.readText("words"), `seed ${seed}`).toBe(text)
    await within(Promise.all(writers.map((writer) => writer.until(() => writer.text === text))), 10_000, `writers converge (seed ${seed})`)
    expect(compactions.every((n) => n > 0), `compactions per instance: ${compactions.join(", ")}`).toBe(true)
  }, 30_000)
})

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as prng from "lib0/prng"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { connectProvider, get, startServer, storedText, synced, until } from "./helpers.js"

const seed = Number(process.env.TANDEM_SEED ?? 20261122)

describe("randomised convergence", () => {
  it(`ends with the same text in every client and in storage (seed ${seed})`, async () => {
    console.log(`convergence seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const dir = mkdtempSync(join(tmpdir(), "tandem-conv-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const server = await startServer({ store: createSqliteStore({ path: join(dir, "tandem.db") }), compaction: { afterUpdates: 25 } })
    onTestFinished(() => server.store.close())

    const clients = Array.from({ length: 5 }, () => connectProvider(server, "random"))
    await Promise.all(clients.map(synced))
    const alphabet = "abcdefghij \n"
    let disconnects = 0

    for (let step = 0; step < 600; step++) {
      const client = prng.oneOf(gen, clients)
      const text = client.doc.getText("content")
      const roll = prng.int32(gen, 0, 99)
      if (roll < 6 && client.shouldConnect) {
        client.disconnect()
        disconnects++
      } else if (roll < 14 && !client.shouldConnect) {
        client.connect()
      } else if (roll < 70 || text.length === 0) {
        const length = prng.int32(gen, 1, 6)
        let insert = ""
        for (let i = 0; i < length; i++) insert += prng.oneOf(gen, [...alphabet])
        text.insert(prng.int32(gen, 0, text.length), insert)
      } else {
        const at = prng.int32(gen, 0, text.length - 1)
        text.delete(at, Math.min(prng.int32(gen, 1, 4), text.length - at))
      }
      // Let the network run between some steps, so edits interleave with delivery.
      if (prng.int32(gen, 0, 3) === 0) await new Promise((resolve) => setImmediate(resolve))
    }

    for (const client of clients) if (!client.shouldConnect) client.connect()
    await Promise.all(clients.map(synced))
    // Everyone converges on the union of all edits: wait until every state vector matches.
    const target = Y.mergeUpdates(clients.map((client) => Y.encodeStateAsUpdate(client.doc)))
    const expectedDoc = new Y.Doc()
    Y.applyUpdate(expectedDoc, target)
    const expected = expectedDoc.getText("content").toString()
    await Promise.all(
      clients.map((client) => until(client.doc, () => client.doc.getText("content").toString() === expected)),
    )
    expect(disconnects, `seed ${seed}`).toBeGreaterThan(5)
    for (const client of clients) expect(client.doc.getText("content").toString(), `seed ${seed}`).toBe(expected)
    expect((await get(server, "/api/docs/random/text")).body, `seed ${seed}`).toBe(expected)
    await server.stop()
    expect(await storedText(server.store, "random"), `seed ${seed}`).toBe(expected)
    expect((await server.store.load("random"))?.snapshot, "the log was compacted along the way").not.toBeNull()
  })
})

import { randomUUID } from "node:crypto"
import { runDocumentStoreTests } from "@tandem/storage-testkit"
import * as prng from "lib0/prng"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { startPostgres, type PostgresService } from "../../../scripts/services.mjs"
import { createPostgresStore, PostgresStoreError, schemaVersion, type PostgresStore, type PostgresStoreOptions } from "../src/index.js"

// One cluster for the file, started here unless TANDEM_TEST_DATABASE_URL names a server to use
// (a superuser's URL: each test creates a database of its own on it and drops it after).
const externalUrl = process.env.TANDEM_TEST_DATABASE_URL
let serverUrl = ""
let service: PostgresService | null = null

// Starting may install PostgreSQL with apt-get first.
beforeAll(async () => {
  if (externalUrl) serverUrl = externalUrl
  else {
    service = await startPostgres()
    serverUrl = service.url
  }
}, 600_000)

afterAll(() => service?.stop())

async function admin(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await client.query(sql, values)
  } finally {
    await client.end()
  }
}

/** Creates an empty database on the test server; resolves with its URL and how to drop it. */
async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tandem_test_${randomUUID().replaceAll("-", "")}`
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  // FORCE: a store a failed test left open must not keep the database.
  return { url: url.href, drop: async () => void (await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) }
}

/** A database for one test, dropped when it finishes, with the stores opened on it closed first. */
async function testDatabase() {
  const database = await createDatabase()
  const stores: PostgresStore[] = []
  onTestFinished(async () => {
    await Promise.allSettled(stores.map((store) => store.close()))
    await database.drop()
  })
  return {
    url: database.url,
    query: async (sql: string, values: unknown[] = []) => {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      try {
        return await client.query(sql, values)
      } finally {
        await client.end()
      }
    },
    open: async (options: Omit<PostgresStoreOptions, "url"> = {}) => {
      const store = await createPostgresStore({ url: database.url, ...options })
      stores.push(store)
      return store
    },
  }
}

runDocumentStoreTests(
  "postgres",
  async () => {
    const database = await createDatabase()
    return { open: () => createPostgresStore({ url: database.url }), cleanup: database.drop }
  },
  { requireVersions: true, requireOutbox: true },
)

const bytes = (...values: number[]) => new Uint8Array(values)
const encode = (text: string) => new TextEncoder().encode(text)
const decode = (data: Uint8Array) => new TextDecoder().decode(data)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** The text of a stored document, rebuilt as the server would: snapshot, then log. */
function rebuild(stored: { snapshot: Uint8Array | null; updates: readonly { data: Uint8Array }[] }): string {
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(doc, update.data)
  return doc.getText("content").toString()
}

const seed = Number(process.env.TANDEM_SEED ?? 20261130)

describe("postgres store with several instances", () => {
  it(`numbers concurrent appends of two instances 1..N, each number once (seed ${seed})`, async () => {
    console.log(`postgres append seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const database = await testDatabase()
    const instances = await Promise.all([database.open(), database.open()])
    // Each step appends 1 to 3 updates to "s1", or to "s1" and "s2" together in either order, so
    // heads are checked for append and appendMany alike (deadlocks have a test of their own).
    type Step = { names: string[]; updates: Uint8Array[][] }
    const plans: Step[][] = instances.map((_, instance) =>
      range(0, 199).map((i) => {
        const names = prng.int32(gen, 0, 3) === 0 ? (prng.bool(gen) ? ["s1", "s2"] : ["s2", "s1"]) : ["s1"]
        return { names, updates: names.map((name) => range(1, prng.int32(gen, 1, 3)).map((j) => encode(`${name}:${instance}.${i}.${j}`))) }
      }),
    )
    const heads = await Promise.all(
      instances.map(async (store, instance) => {
        const results: number[][] = []
        for (const step of plans[instance]!) {
          results.push(
            step.names.length === 1
              ? [await store.append(step.names[0]!, step.updates[0]!)]
              : await store.appendMany(step.names.map((name, k) => ({ name, updates: step.updates[k]! }))),
          )
        }
        return results
      }),
    )
    for (const name of ["s1", "s2"]) {
      const stored = (await instances[0].load(name))!
      const expected = plans.flat().flatMap((step) => step.updates.filter((_, k) => step.names[k] === name)).flat()
      expect(stored.head, `seed ${seed}`).toBe(expected.length)
      expect(stored.updates.map((update) => update.seq), `seed ${seed}`).toEqual(range(1, expected.length))
      // Every append's updates hold the numbers just below the head it resolved with, in order.
      const bySeq = new Map(stored.updates.map((update) => [update.seq, decode(update.data)]))
      plans.forEach((plan, instance) =>
        plan.forEach((step, i) =>
          step.names.forEach((stepName, k) => {
            if (stepName !== name) return
            const head = heads[instance]![i]![k]!
            const updates = step.updates[k]!
            expect(updates.map((_, j) => bySeq.get(head - updates.length + 1 + j)), `seed ${seed}`).toEqual(updates.map(decode))
          }),
        ),
      )
    }
  })

  it(`never deadlocks when instances append to several documents named in different orders (seed ${seed})`, async () => {
    console.log(`postgres appendMany seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const database = await testDatabase()
    const instances = await Promise.all(range(1, 4).map(() => database.open()))
    const names = ["d0", "d1", "d2", "d3"]
    // Shuffled per call: locking in the callers' order would have one instance hold d1 waiting
    // for d3 while another holds d3 waiting for d1.
    const plans = instances.map(() => range(1, 60).map(() => names.map((name) => ({ name, key: prng.real53(gen) })).sort((a, b) => a.key - b.key)))
    await Promise.all(
      instances.map(async (store, instance) => {
        for (const [i, order] of plans[instance]!.entries()) {
          await store.appendMany(order.map(({ name }) => ({ name, updates: [encode(`${instance}.${i}`)] })))
        }
      }),
    )
    for (const name of names) {
      const stored = (await instances[0]!.load(name))!
      expect(stored.updates.map((update) => update.seq), `seed ${seed}`).toEqual(range(1, 240))
      expect(stored.updates.map((update) => decode(update.data)).sort(), `seed ${seed}`).toEqual(
        range(0, 3).flatMap((instance) => range(0, 59).map((i) => `${instance}.${i}`)).sort(),
      )
    }
  })

  it(`keeps every update when two instances compact one document while both append (seed ${seed})`, async () => {
    console.log(`postgres compaction seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const database = await testDatabase()
    const instances = await Promise.all([database.open(), database.open()])
    const words: string[] = []
    let compactions = 0
    await Promise.all(
      instances.map(async (store, instance) => {
        const gen = prng.create(seed + instance)
        // Each instance edits its own copy of the text, as its clients would.
        const source = new Y.Doc()
        const text = source.getText("content")
        for (let i = 0; i < 150; i++) {
          const word = `w${instance}x${i}`
          words.push(word)
          let update: Uint8Array | null = null
          source.once("update", (u: Uint8Array) => (update = u))
          // Between two words (after a space), never inside one.
          const current = text.toString()
          const boundaries = [0, ...[...current].flatMap((char, at) => (char === " " ? [at + 1] : []))]
          text.insert(prng.oneOf(gen, boundaries), ` ${word} `)
          await store.append("shared", [update!])
          if (prng.int32(gen, 0, 2) === 0) {
            // What a compactor does: fold what it loaded, up to the head it loaded. The other
            // instance appends (and compacts) meanwhile.
            const stored = (await store.load("shared"))!
            const state = new Y.Doc()
            if (stored.snapshot) Y.applyUpdate(state, stored.snapshot)
            for (const u of stored.updates) Y.applyUpdate(state, u.data)
            await store.compact("shared", Y.encodeStateAsUpdate(state), stored.head)
            compactions++
          }
        }
      }),
    )
    expect(compactions, `seed ${seed}`).toBeGreaterThan(4)
    for (const store of instances) {
      const stored = (await store.load("shared"))!
      expect(stored.head, `seed ${seed}`).toBe(300)
      expect(rebuild(stored).split(" ").filter(Boolean).sort(), `seed ${seed}`).toEqual(words.sort())
    }
  })

  it("leaves a snapshot in place when a compaction folds less, as a slower instance's would", async () => {
    const database = await testDatabase()
    const [a, b] = await Promise.all([database.open(), database.open()])
    await a.append("doc", [bytes(1), bytes(2), bytes(3), bytes(4), bytes(5)])
    await a.compact("doc", bytes(5, 5), 5)
    // Folding 1..3 over a snapshot of 1..5 would lose 4 and 5, whose rows are gone.
    await b.compact("doc", bytes(3, 3), 3)
    await b.append("doc", [bytes(6)])
    const stored = await b.load("doc")
    expect({ snapshot: [...stored!.snapshot!], updates: stored!.updates.map((u) => u.seq), head: stored!.head }).toEqual({
      snapshot: [5, 5],
      updates: [6],
      head: 6,
    })
  })

  it("loads the updates after a number, or null once compaction folded some of them", async () => {
    const database = await testDatabase()
    const store = await database.open()
    expect(await store.loadSince("never/written", 0)).toEqual([])
    await store.append("doc", [bytes(1), bytes(2), bytes(3), bytes(4), bytes(5)])
    expect((await store.loadSince("doc", 2))?.map((u) => [u.seq, ...u.data])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ])
    expect(await store.loadSince("doc", 5)).toEqual([])
    await store.compact("doc", bytes(9), 3)
    expect(await store.loadSince("doc", 2)).toBeNull()
    expect((await store.loadSince("doc", 3))?.map((u) => u.seq)).toEqual([4, 5])
  })

  it("gives each outbox message to exactly one claim of two instances claiming at once, lease after lease", async () => {
    const database = await testDatabase()
    const instances = await Promise.all([database.open(), database.open()])
    const count = 400
    const lease = 60_000
    const expected = range(1, count).map((i) => `m${String(i).padStart(3, "0")}`)
    await instances[0].outbox.add(expected.map((id, i) => ({ id, type: "document.changed", body: "{}", createdAt: i, dueAt: i, attempts: 0 })))
    // Round 0 claims everything due at `count`; round 1, once those leases have passed, all again.
    for (const round of [0, 1]) {
      const now = count + round * lease
      // Four claimers per instance, each claiming a few at a time until nothing is left for it.
      const claimed = await Promise.all(
        instances.flatMap((store) =>
          range(1, 4).map(async () => {
            const ids: string[] = []
            for (;;) {
              const batch = await store.outbox.claim(now, now + lease, 7)
              if (batch.length === 0) return ids
              ids.push(...batch.map((m) => m.id))
            }
          }),
        ),
      )
      expect(claimed.flat().sort(), `round ${round}`).toEqual(expected)
      expect(await instances[1].outbox.nextDue(), `round ${round}`).toBe(now + lease)
    }
  })

  it("treats % and _ in a list prefix as the characters they are", async () => {
    const database = await testDatabase()
    const store = await database.open()
    for (const name of ["a%b", "a%bc", "axb", "a_c", "abc"]) await store.append(name, [bytes(1)])
    expect((await store.list({ prefix: "a%", after: null, limit: 10 })).map((d) => d.name)).toEqual(["a%b", "a%bc"])
    expect((await store.list({ prefix: "a_", after: null, limit: 10 })).map((d) => d.name)).toEqual(["a_c"])
  })
})

describe("postgres schema", () => {
  it("migrates a fresh database once when two instances start at the same moment", async () => {
    const database = await testDatabase()
    await Promise.all([database.open(), database.open()])
    const migrated = await database.query("SELECT version, migrated_at FROM tandem_schema ORDER BY version")
    expect(migrated.rows.map((row: { version: number }) => row.version)).toEqual(range(1, schemaVersion))
    // Starting again changes nothing.
    await database.open()
    expect((await database.query("SELECT version, migrated_at FROM tandem_schema ORDER BY version")).rows).toEqual(migrated.rows)
  })

  it("refuses a database a newer release migrated", async () => {
    const database = await testDatabase()
    await database.open()
    await database.query("INSERT INTO tandem_schema (version) VALUES ($1)", [schemaVersion + 1])
    const failure = await database.open().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(PostgresStoreError)
    expect((failure as PostgresStoreError).code).toBe("schema-too-new")
  })
})

describe("postgres outages", () => {
  it("rejects calls while PostgreSQL is down and works again once it is back, losing and repeating nothing", async (context) => {
    // Stops and starts the cluster, so only one this file started itself.
    if (!service) return context.skip("TANDEM_TEST_DATABASE_URL names a server this test cannot stop")
    const cluster = service
    const database = await testDatabase()
    const lost: Error[] = []
    const store = await database.open({ onConnectionError: (error) => lost.push(error) })
    // Several at once, so the pool holds several idle connections for the outage to break.
    expect((await Promise.all([1, 2, 3].map((i) => store.append("doc", [bytes(i)])))).sort()).toEqual([1, 2, 3])
    await cluster.pgCtl(["stop", "-m", "fast", "-w"])
    try {
      await expect(store.append("doc", [bytes(99)])).rejects.toThrow()
      await expect(store.load("doc")).rejects.toThrow()
    } finally {
      await cluster.pgCtl(["start", "-w"])
    }
    expect(lost.length).toBeGreaterThan(0)
    expect(await store.append("doc", [bytes(4)])).toBe(4)
    const stored = (await store.load("doc"))!
    expect(stored.updates.map((u) => u.seq)).toEqual([1, 2, 3, 4])
    expect(stored.updates.map((u) => u.data[0]).sort()).toEqual([1, 2, 3, 4])
  })
})

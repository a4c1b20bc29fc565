import type { DocumentStore } from "@tandem/server"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as Y from "yjs"
import { deleteCases } from "./delete-cases.js"
import { listCases } from "./list-cases.js"
import { loadSinceCases } from "./load-since-cases.js"
import { outboxCases } from "./outbox-cases.js"
import { bytes } from "./suite-context.js"
import { versionCases } from "./version-cases.js"

/**
 * One adapter's backing storage, opened as often as a test needs ("restarts"). Each test makes a
 * harness of its own, whose storage starts empty.
 */
export interface StoreHarness {
  /** Opens a store on the harness's storage. The previous store is closed first by the suite. */
  open(): Promise<DocumentStore>
  /** Removes everything the harness created. */
  cleanup(): Promise<void>
}

/** Options of {@link runDocumentStoreTests}. */
export interface DocumentStoreTestOptions {
  /**
   * The adapter promises version history: a store without `versions` then fails the suite
   * instead of skipping the version cases. Default `false`.
   */
  readonly requireVersions?: boolean
  /**
   * The adapter promises an outbox: a store without `outbox` then fails the suite instead of
   * skipping the outbox cases. Default `false`.
   */
  readonly requireOutbox?: boolean
}

function textUpdates(count: number): { updates: Uint8Array[]; doc: Y.Doc } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on("update", (update: Uint8Array) => updates.push(update))
  const text = doc.getText("content")
  for (let i = 0; i < count; i++) text.insert(Math.floor(text.length / 2), `w${i} `)
  return { updates, doc }
}

/**
 * The acceptance suite for a DocumentStore adapter. Call it from the adapter's tests:
 *
 * ```ts
 * runDocumentStoreTests("sqlite", async () => ({ open: async () => createSqliteStore({ path }), cleanup }), {
 *   requireVersions: true,
 *   requireOutbox: true,
 * })
 * ```
 *
 * Covers the log (order, heads, copies, compaction, quarantine, durability across a reopen),
 * `appendMany` when the store has it, `list`, `delete`, `versions` when the store has it or
 * `options.requireVersions` says it must, and `outbox` (with the messages `append` and
 * `appendMany` add) when the store has it or `options.requireOutbox` says it must.
 */
export function runDocumentStoreTests(adapter: string, createHarness: () => Promise<StoreHarness>, options: DocumentStoreTestOptions = {}): void {
  describe(`DocumentStore contract: ${adapter}`, () => {
    let harness: StoreHarness
    let store: DocumentStore

    async function reopen(): Promise<DocumentStore> {
      await store.close()
      store = await harness.open()
      return store
    }

    beforeEach(async () => {
      harness = await createHarness()
      store = await harness.open()
    })

    afterEach(async () => {
      await store.close()
      await harness.cleanup()
    })

    it("loads null for a document that was never written", async () => {
      expect(await store.load("never/written")).toBeNull()
    })

    it("returns appended updates in order with the head counting them", async () => {
      expect(await store.append("doc", [bytes(1), bytes(2, 2)])).toBe(2)
      expect(await store.append("doc", [bytes(3)])).toBe(3)
      const stored = await store.load("doc")
      expect(stored?.updates.map((u) => u.seq)).toEqual([1, 2, 3])
      expect(stored?.snapshot).toBeNull()
      expect(stored?.updates.map((u) => [...u.data])).toEqual([[1], [2, 2], [3]])
      expect(stored?.head).toBe(3)
    })

    it("keeps documents apart, including names that share a prefix", async () => {
      await store.append("a", [bytes(1)])
      await store.append("a/b", [bytes(2)])
      await store.append("ab", [bytes(3)])
      expect((await store.load("a"))?.updates.map((u) => [...u.data])).toEqual([[1]])
      expect((await store.load("a/b"))?.updates.map((u) => [...u.data])).toEqual([[2]])
      expect((await store.load("ab"))?.updates.map((u) => [...u.data])).toEqual([[3]])
    })

    it("stores a copy, so changing the caller's array later changes nothing", async () => {
      const update = bytes(7, 7, 7)
      await store.append("doc", [update])
      update[0] = 0
      expect([...((await store.load("doc"))?.updates[0]?.data ?? [])]).toEqual([7, 7, 7])
    })

    it("replaces the log up to the given head with the snapshot and keeps later updates", async () => {
      await store.append("doc", [bytes(1), bytes(2)])
      await store.append("doc", [bytes(3)])
      await store.compact("doc", bytes(9, 9), 2)
      const stored = await store.load("doc")
      expect([...(stored?.snapshot ?? [])]).toEqual([9, 9])
      expect(stored?.updates.map((u) => [...u.data])).toEqual([[3]])
      expect(stored?.head).toBe(3)
    })

    it("keeps counting the head after the whole log was compacted", async () => {
      await store.append("doc", [bytes(1), bytes(2)])
      await store.compact("doc", bytes(9), 2)
      expect(await store.append("doc", [bytes(3)])).toBe(3)
      await store.compact("doc", bytes(8), 2)
      const stored = await store.load("doc")
      expect([...(stored?.snapshot ?? [])]).toEqual([8])
      expect(stored?.updates.map((u) => [...u.data])).toEqual([[3]])
      expect(stored?.head).toBe(3)
    })

    it("keeps what was committed across a reopen", async () => {
      await store.append("doc", [bytes(1)])
      await store.compact("doc", bytes(5), 1)
      await store.append("doc", [bytes(2)])
      const stored = await (await reopen()).load("doc")
      expect([...(stored?.snapshot ?? [])]).toEqual([5])
      expect(stored?.updates.map((u) => [...u.data])).toEqual([[2]])
      expect(stored?.head).toBe(2)
    })

    it("moves quarantined parts out of the load path and keeps the rest", async () => {
      await store.append("doc", [bytes(1), bytes(2)])
      await store.compact("doc", bytes(9), 2)
      await store.append("doc", [bytes(3), bytes(4), bytes(5)])
      await store.quarantine("doc", { snapshot: true, seqs: [4] })
      const stored = await (await reopen()).load("doc")
      expect(stored?.snapshot).toBeNull()
      expect(stored?.updates.map((u) => [u.seq, ...u.data])).toEqual([[3, 3], [5, 5]])
      expect(stored?.head).toBe(5)
      expect(await store.append("doc", [bytes(6)])).toBe(6)
    })

    it("lands concurrent appends to many documents", async () => {
      const names = Array.from({ length: 20 }, (_, i) => `doc-${i}`)
      await Promise.all(names.map((name, i) => store.append(name, [bytes(i), bytes(i, i)])))
      for (const [i, name] of names.entries()) {
        expect((await store.load(name))?.updates.map((u) => [...u.data])).toEqual([[i], [i, i]])
      }
    })

    it("appends to several documents in one call, each head counting its own document", async (context) => {
      if (!store.appendMany) return context.skip()
      await store.append("a", [bytes(1)])
      expect(await store.appendMany([{ name: "a", updates: [bytes(2), bytes(3)] }, { name: "b", updates: [bytes(4)] }])).toEqual([3, 1])
      const reopened = await reopen()
      expect((await reopened.load("a"))?.updates.map((u) => [u.seq, ...u.data])).toEqual([[1, 1], [2, 2], [3, 3]])
      expect((await reopened.load("b"))?.updates.map((u) => [u.seq, ...u.data])).toEqual([[1, 4]])
    })

    it("round-trips a large update byte for byte", async () => {
      const large = new Uint8Array(4 << 20).map((_, i) => (i * 31) & 0xff)
      await store.append("big", [large])
      expect(Buffer.compare((await reopen().then((s) => s.load("big")))!.updates[0]!.data, large)).toBe(0)
    })

    it("rebuilds a Yjs document from snapshot and log", async () => {
      const { updates, doc } = textUpdates(300)
      await store.append("yjs", updates.slice(0, 200))
      const partial = new Y.Doc()
      for (const update of updates.slice(0, 200)) Y.applyUpdate(partial, update)
      await store.compact("yjs", Y.encodeStateAsUpdate(partial), 200)
      await store.append("yjs", updates.slice(200))
      const stored = (await reopen().then((s) => s.load("yjs")))!
      const loaded = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(loaded, stored.snapshot)
      for (const update of stored.updates) Y.applyUpdate(loaded, update.data)
      expect(loaded.getText("content").toString()).toBe(doc.getText("content").toString())
      expect(stored.updates).toHaveLength(100)
    })

    const suite = { store: () => store, reopen }
    listCases(suite)
    loadSinceCases(suite)
    deleteCases(suite)
    versionCases(suite, options.requireVersions ?? false)
    outboxCases(suite, options.requireOutbox ?? false)
  })
}

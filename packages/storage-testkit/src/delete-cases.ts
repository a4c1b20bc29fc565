import type { NewVersion } from "@tandem/server"
import { describe, expect, it } from "vitest"
import { bytes, type SuiteContext } from "./suite-context.js"

/** Registers the cases of `delete`. */
export function deleteCases(suite: SuiteContext): void {
  describe("delete", () => {
    const version: NewVersion = { kind: "named", label: "v", author: null, createdAt: 1, state: bytes(5, 5) }
    const listed = async () => (await suite.store().list({ prefix: "", after: null, limit: 100 })).map((info) => info.name)
    const contents = async (name: string) => {
      const stored = await suite.store().load(name)
      return stored && { snapshot: stored.snapshot && [...stored.snapshot], updates: stored.updates.map((u) => [u.seq, ...u.data]), head: stored.head }
    }

    it("removes a document with its log, snapshot, versions and quarantined parts, and nothing else", async () => {
      const store = suite.store()
      await store.append("doc", [bytes(1), bytes(2)])
      await store.compact("doc", bytes(9), 1)
      await store.append("doc", [bytes(3)])
      await store.quarantine("doc", { snapshot: false, seqs: [3] })
      for (const [i, name] of ["do", "doc/child", "docs"].entries()) await store.append(name, [bytes(i)])
      const gone = await store.versions?.save("doc", version)
      const kept = await store.versions?.save("docs", version)

      expect(await store.delete("doc")).toBe(true)

      const check = async () => {
        expect(await suite.store().load("doc")).toBeNull()
        expect(await listed()).toEqual(["do", "doc/child", "docs"])
        expect(await contents("doc/child")).toEqual({ snapshot: null, updates: [[1, 1]], head: 1 })
        const versions = suite.store().versions
        if (versions && gone && kept) {
          expect(await versions.list("doc", { before: null, limit: 10 })).toEqual([])
          expect(await versions.load("doc", gone.id)).toBeNull()
          expect(await versions.list("docs", { before: null, limit: 10 })).toEqual([kept])
        }
      }
      await check()
      await suite.reopen()
      await check()
    })

    it("resolves to whether anything was stored under the name", async () => {
      expect(await suite.store().delete("never/written")).toBe(false)
      await suite.store().append("doc", [bytes(1)])
      expect(await suite.store().delete("doc")).toBe(true)
      expect(await suite.store().delete("doc")).toBe(false)
    })

    it("lets a deleted name start over from head 1, across a reopen", async () => {
      await suite.store().append("doc", [bytes(1), bytes(2), bytes(3)])
      await suite.store().compact("doc", bytes(9), 2)
      await suite.store().append("other", [bytes(4)])
      expect(await suite.store().delete("doc")).toBe(true)
      expect(await suite.store().delete("other")).toBe(true)
      expect(await suite.store().append("doc", [bytes(7)])).toBe(1)
      await suite.reopen()
      expect(await contents("doc")).toEqual({ snapshot: null, updates: [[1, 7]], head: 1 })
      expect(await suite.store().load("other")).toBeNull()
      expect(await listed()).toEqual(["doc"])
      expect(await suite.store().append("doc", [bytes(8)])).toBe(2)
    })
  })
}

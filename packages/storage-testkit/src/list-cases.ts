import { describe, expect, it } from "vitest"
import { bytes, type SuiteContext } from "./suite-context.js"

/** Registers the cases of `list`: order, prefixes, paging, sizes and write times. */
export function listCases(suite: SuiteContext): void {
  describe("list", () => {
    const names = async (prefix: string, after: string | null = null, limit = 100) =>
      (await suite.store().list({ prefix, after, limit })).map((info) => info.name)
    const create = async (...documents: string[]) => {
      for (const name of documents) await suite.store().append(name, [bytes(1)])
    }

    it("lists documents in name order, by code point", async () => {
      await create("b", "a/b", "ab", "ｚ", "a", "😀", "B", "a-")
      // U+FF5A (ｚ) before U+1F600 (😀): code point order, which UTF-16 order would reverse.
      expect(await names("")).toEqual(["B", "a", "a-", "a/b", "ab", "b", "ｚ", "😀"])
    })

    it("lists only the names that start with the prefix", async () => {
      await create("a", "a/b", "a/c", "ab", "b", "A/x")
      expect(await names("a")).toEqual(["a", "a/b", "a/c", "ab"])
      expect(await names("a/")).toEqual(["a/b", "a/c"])
      expect(await names("a/b")).toEqual(["a/b"])
      expect(await names("ab")).toEqual(["ab"])
      expect(await names("A")).toEqual(["A/x"])
      expect(await names("zz")).toEqual([])
      expect(await names("")).toEqual(["A/x", "a", "a/b", "a/c", "ab", "b"])
    })

    it("takes %, _ and \\ in a prefix literally", async () => {
      await create("50%", "50%off", "50_off", "50off", "500", "a_b", "axb", "a\\b", "a\\\\b")
      expect(await names("50%")).toEqual(["50%", "50%off"])
      expect(await names("50_")).toEqual(["50_off"])
      expect(await names("a_")).toEqual(["a_b"])
      expect(await names("a\\")).toEqual(["a\\\\b", "a\\b"])
      expect(await names("a\\b")).toEqual(["a\\b"])
    })

    it("pages with after and limit", async () => {
      await create("c", "d1", "d2", "d3", "d4", "d5", "e")
      expect(await names("d", null, 2)).toEqual(["d1", "d2"])
      expect(await names("d", "d2", 2)).toEqual(["d3", "d4"])
      expect(await names("d", "d4", 2)).toEqual(["d5"])
      expect(await names("d", "d5", 2)).toEqual([])
      // A bound before the prefix's names starts at the first of them; one after them finds none.
      expect(await names("d", "a", 2)).toEqual(["d1", "d2"])
      expect(await names("d", "x", 2)).toEqual([])
      expect(await names("", "d5", 10)).toEqual(["e"])
      expect(await names("", "d25", 10)).toEqual(["d3", "d4", "d5", "e"])
      expect(await names("", null, 0)).toEqual([])
    })

    it("counts the snapshot and the log as a document's bytes, and follows compaction", async () => {
      const bytesOf = async (name: string) => (await suite.store().list({ prefix: name, after: null, limit: 1 }))[0]?.bytes
      await suite.store().append("doc", [bytes(1, 1, 1), bytes(2, 2)])
      expect(await bytesOf("doc")).toBe(5)
      await suite.store().compact("doc", bytes(9, 9, 9, 9), 1)
      expect(await bytesOf("doc")).toBe(4 + 2)
      await suite.store().append("doc", [bytes(3)])
      await suite.store().compact("doc", bytes(8), 3)
      expect(await bytesOf("doc")).toBe(1)
      // Versions and quarantined parts are kept beside the document, not in its size.
      await suite.store().versions?.save("doc", { kind: "auto", label: null, author: null, createdAt: 0, state: bytes(1, 2, 3) })
      await suite.store().append("doc", [bytes(4, 4)])
      await suite.store().quarantine("doc", { snapshot: false, seqs: [4] })
      expect(await bytesOf("doc")).toBe(1)
      expect(await (await suite.reopen()).list({ prefix: "", after: null, limit: 10 })).toEqual([{ name: "doc", bytes: 1, updatedAt: expect.any(Number) }])
    })

    it("stamps updatedAt with the time of the last append or compaction", async () => {
      const updatedAt = async () => (await suite.store().list({ prefix: "doc", after: null, limit: 1 }))[0]?.updatedAt
      const during = async (write: () => Promise<unknown>) => {
        const before = Date.now()
        await write()
        const after = Date.now()
        const stamp = await updatedAt()
        expect(stamp).toBeGreaterThanOrEqual(before)
        expect(stamp).toBeLessThanOrEqual(after)
        return stamp
      }
      await during(() => suite.store().append("doc", [bytes(1)]))
      await during(() => suite.store().append("doc", [bytes(2)]))
      const appendMany = suite.store().appendMany?.bind(suite.store())
      if (appendMany) await during(() => appendMany([{ name: "doc", updates: [bytes(3)] }]))
      const compacted = await during(() => suite.store().compact("doc", bytes(9), 2))
      await suite.reopen()
      expect(await updatedAt()).toBe(compacted)
    })
  })
}

import { describe, expect, it } from "vitest"
import { bytes, type SuiteContext } from "./suite-context.js"

/** Registers the cases of the optional `loadSince`, for stores that have it. */
export function loadSinceCases(suite: SuiteContext): void {
  describe("loadSince", () => {
    const since = async (name: string, seq: number) => {
      const store = suite.store()
      if (!store.loadSince) return "absent"
      const updates = await store.loadSince(name, seq)
      return updates && updates.map((u) => [u.seq, ...u.data])
    }

    it("reads the updates after a sequence number, oldest first", async () => {
      if (!suite.store().loadSince) return
      await suite.store().append("doc", [bytes(1), bytes(2)])
      await suite.store().append("doc", [bytes(3)])
      expect(await since("doc", 0)).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ])
      expect(await since("doc", 2)).toEqual([[3, 3]])
      expect(await since("doc", 3)).toEqual([])
      expect(await since("never", 0)).toEqual([])
    })

    it("answers null once compaction folded what was asked for, and the rest after it", async () => {
      if (!suite.store().loadSince) return
      await suite.store().append("doc", [bytes(1), bytes(2), bytes(3)])
      await suite.store().compact("doc", bytes(9), 2)
      expect(await since("doc", 0)).toBeNull()
      expect(await since("doc", 1)).toBeNull()
      expect(await since("doc", 2)).toEqual([[3, 3]])
      await suite.reopen()
      expect(await since("doc", 2)).toEqual([[3, 3]])
    })
  })
}

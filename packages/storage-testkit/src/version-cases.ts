import type { NewVersion, VersionStore } from "@tandem/server"
import { describe, expect, it, type TestContext } from "vitest"
import { bytes, type SuiteContext } from "./suite-context.js"

const decimal = /^[0-9]+$/

/** Registers the cases of `versions`; they skip for a store without it unless it is `required`. */
export function versionCases(suite: SuiteContext, required: boolean): void {
  describe("versions", () => {
    /** Skips the test when the store keeps no versions and need not; fails it when it must. */
    const need = (context: TestContext) => {
      if (suite.store().versions) return
      if (required) throw new Error("the adapter declares requireVersions, but its store has no `versions`")
      context.skip("the store keeps no version history")
    }
    /** The versions of the store open now: a reopen replaces them. */
    const versions = (): VersionStore => suite.store().versions!
    const auto = (createdAt: number, state = bytes(createdAt & 0xff)): NewVersion => ({ kind: "auto", label: null, author: null, createdAt, state })

    if (required) {
      it("keeps version history, as the adapter declares", () => {
        expect(suite.store().versions).toBeDefined()
      })
    }

    it("saves versions and answers with what they list as, ids increasing decimal strings", async (context) => {
      need(context)
      const first = await versions().save("doc", auto(1000, bytes(1, 2, 3)))
      const other = await versions().save("other", auto(1500))
      const second = await versions().save("doc", { kind: "named", label: "Draft 1", author: "ana", createdAt: 2000, state: bytes(4, 5) })
      expect(first).toEqual({ id: expect.stringMatching(decimal), kind: "auto", label: null, author: null, createdAt: 1000, bytes: 3 })
      expect(second).toEqual({ id: expect.stringMatching(decimal), kind: "named", label: "Draft 1", author: "ana", createdAt: 2000, bytes: 2 })
      expect(BigInt(other.id)).toBeGreaterThan(BigInt(first.id))
      expect(BigInt(second.id)).toBeGreaterThan(BigInt(other.id))
      expect(await versions().list("doc", { before: null, limit: 10 })).toEqual([second, first])
      expect(await versions().list("other", { before: null, limit: 10 })).toEqual([other])
      expect(await versions().list("never/written", { before: null, limit: 10 })).toEqual([])
    })

    it("lists newest first, a page at a time below before", async (context) => {
      need(context)
      const saved = []
      for (let i = 1; i <= 5; i++) {
        saved.push(await versions().save("doc", auto(i)))
        await versions().save("doc/other", auto(100 + i))
      }
      const [v1, v2, v3, v4, v5] = saved
      const page = async (before: string | null) => (await versions().list("doc", { before, limit: 2 })).map((version) => version.id)
      expect(await page(null)).toEqual([v5!.id, v4!.id])
      expect(await page(v4!.id)).toEqual([v3!.id, v2!.id])
      expect(await page(v2!.id)).toEqual([v1!.id])
      expect(await page(v1!.id)).toEqual([])
      expect(await versions().list("doc", { before: null, limit: 0 })).toEqual([])
    })

    it("loads a version's exact state, and null for an id it does not have for that document", async (context) => {
      need(context)
      const state = new Uint8Array(256 << 10).map((_, i) => (i * 131) & 0xff)
      const saved = await versions().save("doc", { kind: "named", label: "big", author: "ana", createdAt: 5, state })
      const elsewhere = await versions().save("other", auto(6))
      // Copies in and out: neither the caller's array nor the loaded one is the stored state.
      state[0] = 1
      const loaded = (await versions().load("doc", saved.id))!
      loaded.state[1] = 1
      const { state: loadedState, ...info } = (await versions().load("doc", saved.id))!
      expect(info).toEqual(saved)
      expect(loadedState.byteLength).toBe(256 << 10)
      expect(Buffer.compare(loadedState, new Uint8Array(256 << 10).map((_, i) => (i * 131) & 0xff))).toBe(0)
      expect(await versions().load("doc", elsewhere.id)).toBeNull()
      expect(await versions().load("doc", String(BigInt(elsewhere.id) + 1000n))).toBeNull()
      expect(await versions().load("doc", "not-an-id")).toBeNull()
      expect(await versions().load("never/written", saved.id)).toBeNull()
    })

    it("removes versions by id in one call, skipping ids it does not have, and counts what went", async (context) => {
      need(context)
      const a = await versions().save("doc", auto(1))
      const b = await versions().save("doc", auto(2))
      const c = await versions().save("doc", auto(3))
      const elsewhere = await versions().save("other", auto(4))
      const unknown = String(BigInt(elsewhere.id) + 1000n)
      expect(await versions().remove("doc", [a.id, c.id, elsewhere.id, unknown])).toBe(2)
      expect(await versions().list("doc", { before: null, limit: 10 })).toEqual([b])
      expect(await versions().load("doc", a.id)).toBeNull()
      expect((await versions().load("other", elsewhere.id))?.createdAt).toBe(4)
      expect(await versions().remove("doc", [a.id])).toBe(0)
      expect(await versions().remove("doc", [])).toBe(0)
      expect(await (await suite.reopen()).versions!.list("doc", { before: null, limit: 10 })).toEqual([b])
    })

    it("keeps versions across a reopen, untouched by compaction", async (context) => {
      need(context)
      await suite.store().append("doc", [bytes(1), bytes(2)])
      const saved = await versions().save("doc", auto(7, bytes(1, 2)))
      await suite.store().compact("doc", bytes(9), 2)
      await suite.store().append("doc", [bytes(3)])
      await suite.store().compact("doc", bytes(8), 3)
      await suite.reopen()
      expect(await versions().list("doc", { before: null, limit: 10 })).toEqual([saved])
      expect([...((await versions().load("doc", saved.id))?.state ?? [])]).toEqual([1, 2])
    })

    it("keeps label, author and createdAt as given, nulls included, not the store's clock", async (context) => {
      need(context)
      const day = 86_400_000
      const anonymous = await versions().save("doc", { kind: "auto", label: null, author: null, createdAt: day, state: bytes(1) })
      const named = await versions().save("doc", { kind: "named", label: "Before the rewrite", author: "user-42", createdAt: 2 * day, state: bytes(2) })
      const note = await versions().save("doc", { kind: "auto", label: "saved before a restore", author: null, createdAt: 3 * day, state: bytes(3) })
      await suite.reopen()
      expect(await versions().list("doc", { before: null, limit: 10 })).toEqual([
        { id: note.id, kind: "auto", label: "saved before a restore", author: null, createdAt: 3 * day, bytes: 1 },
        { id: named.id, kind: "named", label: "Before the rewrite", author: "user-42", createdAt: 2 * day, bytes: 1 },
        { id: anonymous.id, kind: "auto", label: null, author: null, createdAt: day, bytes: 1 },
      ])
      const { state: _, ...loaded } = (await versions().load("doc", anonymous.id))!
      expect(loaded).toEqual(anonymous)
    })

    it("never hands out the id of a removed version again", async (context) => {
      need(context)
      await versions().save("doc", auto(1))
      const newest = await versions().save("doc", auto(2))
      expect(await versions().remove("doc", [newest.id])).toBe(1)
      await suite.reopen()
      const next = await versions().save("doc", auto(3))
      expect(BigInt(next.id)).toBeGreaterThan(BigInt(newest.id))
    })
  })
}

import type { Outbox, OutboxMessage } from "@tandem/server"
import { describe, expect, it, type TestContext } from "vitest"
import { bytes, type SuiteContext } from "./suite-context.js"

/** A new message due at `dueAt`, created then; `fields` replace any of the rest. */
const message = (id: string, dueAt: number, fields: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id,
  type: "document.changed",
  body: JSON.stringify({ id }),
  createdAt: dueAt,
  dueAt,
  attempts: 0,
  ...fields,
})

const ids = (messages: readonly OutboxMessage[]) => messages.map((m) => m.id)

/**
 * Registers the cases of `outbox`; they skip for a store without it unless it is `required`.
 * Every time is given explicitly: the outbox never reads a clock.
 */
export function outboxCases(suite: SuiteContext, required: boolean): void {
  describe("outbox", () => {
    /** Skips the test when the store keeps no outbox and need not; fails it when it must. */
    const need = (context: TestContext) => {
      if (suite.store().outbox) return
      if (required) throw new Error("the adapter declares requireOutbox, but its store has no `outbox`")
      context.skip("the store keeps no outbox")
    }
    /** The outbox of the store open now: a reopen replaces it. */
    const outbox = (): Outbox => suite.store().outbox!
    /** Everything due by `now`, leased far beyond every time the cases use. */
    const claimAll = (now: number) => outbox().claim(now, 1e12, 1000)

    if (required) {
      it("keeps an outbox, as the adapter declares", () => {
        expect(suite.store().outbox).toBeDefined()
      })
    }

    it("claims the messages due, earliest due first, as they were before the claim", async (context) => {
      need(context)
      const early = message("m-early", 1000, { type: "document.deleted", body: '{"doc":"a"}', createdAt: 900, attempts: 2 })
      const mid = message("m-mid", 2000)
      const late = message("m-late", 3000)
      const future = message("m-future", 9000)
      await outbox().add([late, future, early])
      await outbox().add([mid])
      expect(await outbox().claim(3000, 60_000, 10)).toEqual([early, mid, late])
      expect(await outbox().claim(3000, 60_000, 10)).toEqual([])
      expect(await outbox().claim(8999, 60_000, 10)).toEqual([])
      expect(await outbox().claim(9000, 60_000, 10)).toEqual([future])
    })

    it("leases what it claims: no claim returns it again before leaseUntil, and one does from then", async (context) => {
      need(context)
      const [a, b] = [message("a", 1000), message("b", 1000)]
      await outbox().add([a, b])
      expect(await outbox().claim(1000, 5000, 10)).toEqual([a, b])
      expect(await outbox().claim(4999, 10_000, 10)).toEqual([])
      expect(await outbox().nextDue()).toBe(5000)
      // As they were before this claim: due at the end of the first lease.
      expect(await outbox().claim(5000, 8000, 10)).toEqual([
        { ...a, dueAt: 5000 },
        { ...b, dueAt: 5000 },
      ])
      expect(await outbox().claim(7999, 20_000, 10)).toEqual([])
      expect(ids(await outbox().claim(8000, 20_000, 10))).toEqual(["a", "b"])
    })

    it("claims at most limit messages, the earliest due", async (context) => {
      need(context)
      await outbox().add([500, 100, 400, 200, 300].map((dueAt) => message(`m${dueAt}`, dueAt)))
      expect(await outbox().claim(1000, 2000, 0)).toEqual([])
      expect(ids(await outbox().claim(1000, 2000, 2))).toEqual(["m100", "m200"])
      expect(ids(await outbox().claim(1000, 2000, 2))).toEqual(["m300", "m400"])
      expect(ids(await outbox().claim(1000, 2000, 2))).toEqual(["m500"])
      expect(await outbox().claim(1000, 2000, 2)).toEqual([])
    })

    it("hastens a message only while its due time is the one expected", async (context) => {
      need(context)
      const m = message("m", 5000)
      await outbox().add([m])
      expect(await outbox().hasten("m", 4000, 100)).toBe(false)
      expect(await outbox().nextDue()).toBe(5000)
      expect(await outbox().hasten("m", 5000, 100)).toBe(true)
      expect(await outbox().nextDue()).toBe(100)
      expect(await outbox().claim(100, 60_000, 10)).toEqual([{ ...m, dueAt: 100 }])
      // The claim moved its due time to the lease's end: a hasten expecting the old one fails.
      expect(await outbox().hasten("m", 100, 200)).toBe(false)
      expect(await outbox().claim(200, 60_000, 10)).toEqual([])
      expect(await outbox().hasten("m", 60_000, 300)).toBe(true)
      expect(ids(await outbox().claim(300, 60_000, 10))).toEqual(["m"])
      expect(await outbox().hasten("never/added", 0, 1)).toBe(false)
      expect(await outbox().nextDue()).toBe(60_000)
    })

    it("records a failed attempt: due time, attempts and body change, the rest stays", async (context) => {
      need(context)
      const m = message("m", 1000, { type: "document.deleted", createdAt: 500 })
      await outbox().add([m])
      expect(await outbox().claim(1000, 60_000, 1)).toEqual([m])
      await outbox().retry("m", 2000, 1, '{"retried":true}')
      expect(await outbox().claim(1999, 60_000, 10)).toEqual([])
      expect(await outbox().claim(2000, 60_000, 10)).toEqual([{ ...m, dueAt: 2000, attempts: 1, body: '{"retried":true}' }])
      await outbox().retry("never/added", 1, 1, "{}")
      expect(await outbox().nextDue()).toBe(60_000)
    })

    it("removes messages by id, skipping ids it does not have", async (context) => {
      need(context)
      await outbox().add([message("a", 1), message("b", 2), message("c", 3)])
      await outbox().remove(["a", "c", "never/added"])
      await outbox().remove([])
      expect(ids(await claimAll(10))).toEqual(["b"])
      await outbox().remove(["b"])
      expect(await outbox().nextDue()).toBeNull()
    })

    it("answers the earliest due time, or null when it holds no message", async (context) => {
      need(context)
      expect(await outbox().nextDue()).toBeNull()
      await outbox().add([message("later", 3000), message("sooner", 1000)])
      expect(await outbox().nextDue()).toBe(1000)
      await outbox().claim(1000, 5000, 1)
      expect(await outbox().nextDue()).toBe(3000)
      await outbox().remove(["later", "sooner"])
      expect(await outbox().nextDue()).toBeNull()
    })

    it("refuses an id it holds already, adding none of that call's messages", async (context) => {
      need(context)
      const taken = message("taken", 1000)
      await outbox().add([taken])
      await expect(outbox().add([message("new", 500), message("taken", 2000)])).rejects.toThrow()
      await expect(outbox().add([message("twice", 500), message("twice", 600)])).rejects.toThrow()
      expect(await claimAll(10_000)).toEqual([taken])
    })

    it("keeps messages and their leases across a reopen", async (context) => {
      need(context)
      const a = message("a", 1000, { type: "document.deleted", body: "{}", createdAt: 10, attempts: 3 })
      const b = message("b", 2000)
      await outbox().add([a, b])
      expect(await outbox().claim(1000, 7000, 10)).toEqual([a])
      await suite.reopen()
      expect(await outbox().nextDue()).toBe(2000)
      expect(await outbox().claim(6999, 9000, 10)).toEqual([b])
      expect(await outbox().claim(7000, 9000, 10)).toEqual([{ ...a, dueAt: 7000 }])
    })

    it("adds the messages given to an append with its updates", async (context) => {
      need(context)
      const [m1, m2] = [message("m1", 1000), message("m2", 1001)]
      expect(await suite.store().append("doc", [bytes(1)], [m1, m2])).toBe(1)
      expect(await suite.store().append("doc", [bytes(2)], [])).toBe(2)
      await suite.reopen()
      expect((await suite.store().load("doc"))?.updates.map((u) => [u.seq, ...u.data])).toEqual([
        [1, 1],
        [2, 2],
      ])
      expect(await claimAll(2000)).toEqual([m1, m2])
    })

    it("adds the messages given with one batch of an appendMany", async (context) => {
      need(context)
      const store = suite.store()
      if (!store.appendMany) return context.skip("the store has no appendMany")
      const [m1, m2] = [message("m1", 1000), message("m2", 1001)]
      expect(await store.appendMany([{ name: "a", updates: [bytes(1)] }, { name: "b", updates: [bytes(2), bytes(3)], outbox: [m1, m2] }])).toEqual([1, 2])
      await suite.reopen()
      expect((await suite.store().load("a"))?.head).toBe(1)
      expect((await suite.store().load("b"))?.head).toBe(2)
      expect(await claimAll(2000)).toEqual([m1, m2])
    })

    it("stores neither the updates nor the messages of an append that fails", async (context) => {
      need(context)
      const taken = message("taken", 1000)
      await outbox().add([taken])
      await suite.store().append("doc", [bytes(1)])
      // An id the outbox holds already makes the append fail; its updates must fail with it.
      await expect(suite.store().append("doc", [bytes(2)], [message("new", 500), message("taken", 2000)])).rejects.toThrow()
      const appendMany = suite.store().appendMany?.bind(suite.store())
      if (appendMany) {
        await expect(
          appendMany([
            { name: "doc", updates: [bytes(3)], outbox: [message("new", 500)] },
            { name: "other", updates: [bytes(4)], outbox: [message("taken", 2000)] },
          ]),
        ).rejects.toThrow()
      }
      await suite.reopen()
      expect((await suite.store().load("doc"))?.updates.map((u) => [u.seq, ...u.data])).toEqual([[1, 1]])
      expect(await suite.store().load("other")).toBeNull()
      expect(await claimAll(10_000)).toEqual([taken])
      expect(await suite.store().append("doc", [bytes(5)])).toBe(2)
    })

    it("keeps the messages about a document when it is deleted", async (context) => {
      need(context)
      const changed = message("changed", 1000)
      const deleted = message("deleted", 1001, { type: "document.deleted" })
      await suite.store().append("doc", [bytes(1)], [changed])
      await outbox().add([deleted])
      expect(await suite.store().delete("doc")).toBe(true)
      await suite.reopen()
      expect(await claimAll(2000)).toEqual([changed, deleted])
    })

    it("never gives one message to two claims running at once", async (context) => {
      need(context)
      const all = Array.from({ length: 60 }, (_, i) => message(`m${String(i).padStart(2, "0")}`, i))
      await outbox().add(all)
      const claims = await Promise.all(Array.from({ length: 8 }, () => outbox().claim(100, 60_000, 10)))
      for (const claimed of claims) expect(claimed.length).toBeLessThanOrEqual(10)
      // Whatever the claims at once left (a store may skip rows another claim holds) comes next.
      const claimed = [...claims.flat(), ...(await outbox().claim(100, 60_000, 100))]
      expect(ids(claimed).sort()).toEqual(ids(all))
      expect(await outbox().claim(100, 60_000, 100)).toEqual([])
    })
  })
}

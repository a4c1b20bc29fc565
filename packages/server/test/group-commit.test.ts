import { describe, expect, it } from "vitest"
import { createMemoryStore } from "@tandem/storage-memory"
import { GroupCommit, type AppendBatch, type CommitCompanion, type DocumentStore, type OutboxMessage } from "../src/index.js"

/** A memory store that records its append calls and fails every write to the document "bad". */
function recordingStore() {
  const inner = createMemoryStore()
  const calls: string[] = []
  const store: DocumentStore = {
    ...inner,
    append: async (name, updates) => {
      calls.push(`append ${name}`)
      if (name === "bad") throw new Error("disk full")
      return inner.append(name, updates)
    },
    appendMany: async (batches: readonly AppendBatch[]) => {
      calls.push(`appendMany ${batches.map((b) => b.name).join(",")}`)
      if (batches.some((b) => b.name === "bad")) throw new Error("disk full")
      return inner.appendMany!(batches)
    },
  }
  return { store, inner, calls }
}

/** Appends for each name from functions deferred to the end of this turn, as rooms do. */
function appendFromOneTurn(commits: GroupCommit, names: string[]): Promise<PromiseSettledResult<number>[]> {
  return Promise.allSettled(
    names.map((name) => new Promise<number>((resolve, reject) => commits.defer(() => commits.append(name, [new Uint8Array([1])], 0).then(resolve, reject)))),
  )
}

describe("group commit", () => {
  it("commits the appends of every document due in one turn in one transaction", async () => {
    const { store, inner, calls } = recordingStore()
    await inner.append("b", [new Uint8Array([0])])
    const results = await appendFromOneTurn(new GroupCommit(store), ["a", "b", "c"])
    expect(calls).toEqual(["appendMany a,b,c"])
    expect(results.map((r) => r.status === "fulfilled" && r.value)).toEqual([1, 2, 1])
  })

  it("commits a document due alone as a group of one, and does not retry it when that fails", async () => {
    const { store, calls } = recordingStore()
    const results = await appendFromOneTurn(new GroupCommit(store), ["a"])
    expect(calls).toEqual(["appendMany a"])
    expect(results.map((r) => r.status === "fulfilled" && r.value)).toEqual([1])
    calls.length = 0
    const failed = await appendFromOneTurn(new GroupCommit(store), ["bad"])
    expect(calls).toEqual(["appendMany bad"])
    expect(failed.map((r) => r.status)).toEqual(["rejected"])
  })

  it("commits appends made outside the turn's deferred functions too: before them, and after their group left", async () => {
    const { store, calls } = recordingStore()
    const commits = new GroupCommit(store)
    // Not deferred: its group goes from a microtask.
    expect(await commits.append("x", [new Uint8Array([1])], 0)).toBe(1)
    expect(calls).toEqual(["appendMany x"])
    calls.length = 0
    // A deferred function's append leaves when the deferred functions have run; one made in a
    // microtask after that is a group of its own, not left waiting.
    const later = new Promise<number>((resolve, reject) =>
      commits.defer(() => {
        void commits.append("a", [new Uint8Array([1])], 0)
        queueMicrotask(() => commits.append("b", [new Uint8Array([1])], 0).then(resolve, reject))
      }),
    )
    expect(await later).toBe(1)
    expect(calls).toEqual(["appendMany a", "appendMany b"])
  })

  it("retries a failed group document by document, so one failing document holds back no other", async () => {
    const { store, inner, calls } = recordingStore()
    const results = await appendFromOneTurn(new GroupCommit(store), ["a", "bad", "c"])
    expect(calls).toEqual(["appendMany a,bad,c", "append a", "append bad", "append c"])
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"])
    expect((await inner.load("a"))?.updates).toHaveLength(1)
    expect(await inner.load("bad")).toBeNull()
  })

  it("stores a companion's messages in the transaction of their document, and says which committed", async () => {
    const { store, calls } = recordingStore()
    const seen: string[] = []
    const appendMany = store.appendMany!
    store.appendMany = (batches) => {
      seen.push(...batches.map((b) => `${b.name}:${(b.outbox ?? []).map((m) => m.id).join("+")}`))
      return appendMany(batches)
    }
    const message = (id: string): OutboxMessage => ({ id, type: "test", body: "{}", createdAt: 0, dueAt: 0, attempts: 0 })
    const settled: string[] = []
    const companion: CommitCompanion = {
      take: (doc, head) => (doc === "c" ? undefined : [message(`${doc}@${head}`)]),
      settled: (doc, messages, committed) => settled.push(`${doc}:${messages.map((m) => m.id).join("+")}:${committed}`),
    }
    await appendFromOneTurn(new GroupCommit(store, undefined, companion), ["a", "bad", "c"])
    expect(seen).toEqual(["a:a@0", "bad:bad@0", "c:"])
    expect(calls).toEqual(["appendMany a,bad,c", "append a", "append bad", "append c"])
    // The group failed and was retried one by one: a's messages went with a's own commit.
    expect(settled.sort()).toEqual(["a:a@0:true", "bad:bad@0:false"])
  })
})

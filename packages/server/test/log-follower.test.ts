import { createMemoryStore } from "@tandem/storage-memory"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import type { DocumentStore, StoredDocument } from "../src/document-store.js"
import { LogFollower } from "../src/log-follower.js"

// The follower treats updates as bytes; one byte each tells them apart here.
const u = (n: number) => new Uint8Array([n])
const gapDelayMs = 200

/** A follower of document "d" on `store`, recording what it applies, reloads and reads. */
function follow(store: DocumentStore, head = 0) {
  const applied: number[] = []
  const reloads: StoredDocument[] = []
  const reads: number[] = []
  let filled = 0
  let onFilled = () => {}
  const counted: DocumentStore = {
    ...store,
    loadSince: async (name, seq) => {
      reads.push(seq)
      return store.loadSince!(name, seq)
    },
  }
  const follower = new LogFollower({
    name: "d",
    store: counted,
    head,
    gapDelayMs,
    apply: (updates) => applied.push(...updates.map((update) => update[0]!)),
    reload: (stored) => reloads.push(stored),
    onGapFilled: () => {
      filled++
      onFilled()
    },
    onError: (error) => {
      throw error
    },
  })
  /** Resolves at the next gap filled from storage. */
  const nextFill = () => new Promise<void>((resolve) => (onFilled = resolve))
  return { follower, applied, reloads, reads, filled: () => filled, nextFill }
}

/** Stores updates numbered 1…n of "d", as other instances would have. */
async function stored(n: number): Promise<DocumentStore> {
  const store = createMemoryStore()
  for (let i = 1; i <= n; i++) await store.append("d", [u(i)])
  return store
}

describe("LogFollower", () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it("reads a gap the bus left from storage once it outlasts gapDelayMs, then applies what waited behind it", async () => {
    const store = await stored(3)
    const { follower, applied, reads, nextFill } = follow(store)
    follower.received(3, [u(3)])
    await vi.advanceTimersByTimeAsync(gapDelayMs - 1)
    expect(reads).toEqual([])
    const fill = nextFill()
    await vi.advanceTimersByTimeAsync(1)
    await fill
    expect(reads).toEqual([0])
    expect(applied).toEqual([1, 2, 3])
    expect(follower.head).toBe(3)
  })

  it("reads nothing when the bus brings what was missing in time", async () => {
    const store = await stored(2)
    const { follower, applied, reads } = follow(store)
    follower.received(2, [u(2)])
    follower.received(1, [u(1)])
    await vi.advanceTimersByTimeAsync(gapDelayMs * 2)
    expect(reads).toEqual([])
    expect(applied).toEqual([1, 2])
    expect(follower.head).toBe(2)
  })

  it("does not apply again what this instance committed itself when it fills a gap", async () => {
    const store = await stored(3)
    const { follower, applied, nextFill } = follow(store)
    // This instance committed 2; 1 and 3 are the others', and the bus lost both.
    follower.committed(2, 1)
    const fill = nextFill()
    await vi.advanceTimersByTimeAsync(gapDelayMs)
    await fill
    expect(applied).toEqual([1, 3])
    expect(follower.head).toBe(3)
  })

  it("reloads the whole stored document when what is missing was compacted into the snapshot", async () => {
    const store = await stored(4)
    await store.compact("d", u(99), 3)
    const { follower, applied, reloads } = follow(store, 1)
    await follower.catchUp()
    expect(applied).toEqual([])
    expect(reloads).toHaveLength(1)
    expect([...reloads[0]!.snapshot!]).toEqual([99])
    expect(reloads[0]!.updates.map((update) => update.seq)).toEqual([4])
    expect(follower.head).toBe(4)
  })

  it("applies nothing from a read that finishes after it stopped, and sets no timer after", async () => {
    const store = await stored(2)
    const { follower, applied, reads, filled } = follow(store)
    const reading = follower.catchUp()
    follower.stop()
    await reading
    expect(reads).toEqual([0])
    expect(applied).toEqual([])
    follower.received(2, [u(2)])
    await vi.advanceTimersByTimeAsync(gapDelayMs * 2)
    expect(reads).toEqual([0])
    expect(filled()).toBe(0)
  })
})

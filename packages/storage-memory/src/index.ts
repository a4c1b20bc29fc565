import type { DocumentStore, StoredDocument } from "@tandem/server"

interface Entry {
  snapshot: Uint8Array | null
  updates: Array<{ seq: number; data: Uint8Array }>
  head: number
  /** Parts moved aside by quarantine, kept. */
  quarantined: Array<{ seq: number | null; data: Uint8Array }>
}

/** What a memory store keeps; pass the same one to two stores to model a restart. */
export type MemoryStoreData = Map<string, Entry>

/**
 * A DocumentStore that keeps documents in a Map. Copies bytes in and out, so callers cannot
 * change what is stored.
 *
 * ```ts
 * const data = createMemoryStoreData()
 * const store = createMemoryStore({ data })
 * ```
 */
export function createMemoryStore(options: { data?: MemoryStoreData } = {}): DocumentStore {
  const data = options.data ?? createMemoryStoreData()
  const append = (name: string, updates: readonly Uint8Array[]): number => {
    let entry = data.get(name)
    if (!entry) data.set(name, (entry = { snapshot: null, updates: [], head: 0, quarantined: [] }))
    for (const update of updates) entry.updates.push({ seq: ++entry.head, data: update.slice() })
    return entry.head
  }
  return {
    async load(name) {
      const entry = data.get(name)
      if (!entry) return null
      const stored: StoredDocument = {
        snapshot: entry.snapshot && entry.snapshot.slice(),
        updates: entry.updates.map((update) => ({ seq: update.seq, data: update.data.slice() })),
        head: entry.head,
      }
      return stored
    },
    async append(name, updates) {
      return append(name, updates)
    },
    async appendMany(batches) {
      return batches.map(({ name, updates }) => append(name, updates))
    },
    async compact(name, snapshot, upTo) {
      const entry = data.get(name)
      if (!entry) throw new Error(`compact: no document "${name}"`)
      entry.snapshot = snapshot.slice()
      entry.updates = entry.updates.filter((update) => update.seq > upTo)
    },
    async quarantine(name, parts) {
      const entry = data.get(name)
      if (!entry) return
      if (parts.snapshot && entry.snapshot) {
        entry.quarantined.push({ seq: null, data: entry.snapshot })
        entry.snapshot = null
      }
      const seqs = new Set(parts.seqs)
      entry.quarantined.push(...entry.updates.filter((update) => seqs.has(update.seq)))
      entry.updates = entry.updates.filter((update) => !seqs.has(update.seq))
    },
    async close() {},
  }
}

/** An empty backing Map for {@link createMemoryStore}. */
export function createMemoryStoreData(): MemoryStoreData {
  return new Map()
}

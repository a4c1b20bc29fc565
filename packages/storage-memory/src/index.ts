import type {
  AppendBatch,
  DocumentInfo,
  DocumentStore,
  Outbox,
  OutboxMessage,
  StoredDocument,
  StoredVersion,
  VersionInfo,
  VersionKind,
  VersionStore,
} from "@tandem/server"

interface Entry {
  snapshot: Uint8Array | null
  updates: Array<{ seq: number; data: Uint8Array }>
  head: number
  /** When it was last appended to or compacted, by `Date.now()`. */
  updatedAt: number
  /** Parts moved aside by quarantine, kept. */
  quarantined: Array<{ seq: number | null; data: Uint8Array }>
}

interface Version {
  readonly id: number
  readonly kind: VersionKind
  readonly label: string | null
  readonly author: string | null
  readonly createdAt: number
  readonly state: Uint8Array
}

/**
 * What a memory store keeps: documents, their versions, the last version id handed out and the
 * outbox. Pass the same one to two stores to model a restart. Only {@link createMemoryStore}
 * reads or changes it.
 */
export interface MemoryStoreData {
  readonly documents: Map<string, Entry>
  /** Each document's versions, oldest (lowest id) first. */
  readonly versions: Map<string, Version[]>
  /** Ids count up across all documents and are never reused, as a database sequence would. */
  lastVersionId: number
  /** Outbox messages by id. */
  readonly outbox: Map<string, OutboxMessage>
}

// Version ids as the server's routes accept them; anything else names no version.
const versionId = /^[0-9]{1,18}$/

/**
 * Orders names by code point, as SQLite (UTF-8 bytes) and PostgreSQL (`COLLATE "C"`) do.
 * JavaScript's `<` compares UTF-16 code units, which puts U+E000 to U+FFFF after every character
 * outside the Basic Multilingual Plane; moving surrogates above them fixes that.
 */
function compareNames(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

const codePointRank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit)

const listed = (version: Version): VersionInfo => ({
  id: String(version.id),
  kind: version.kind,
  label: version.label,
  author: version.author,
  createdAt: version.createdAt,
  bytes: version.state.byteLength,
})

function createVersionStore(data: MemoryStoreData): VersionStore {
  return {
    async save(doc, version) {
      const stored: Version = { ...version, id: ++data.lastVersionId, state: version.state.slice() }
      let versions = data.versions.get(doc)
      if (!versions) data.versions.set(doc, (versions = []))
      versions.push(stored)
      return listed(stored)
    },
    async list(doc, { before, limit }) {
      if (before !== null && !versionId.test(before)) throw new RangeError(`versions.list: "before" must be a version id (a decimal number), not ${JSON.stringify(before)}`)
      const below = before === null ? Infinity : Number(before)
      const newestFirst = (data.versions.get(doc) ?? []).filter((version) => version.id < below).reverse()
      return newestFirst.slice(0, Math.max(0, limit)).map(listed)
    },
    async load(doc, id) {
      if (!versionId.test(id)) return null
      const version = data.versions.get(doc)?.find((candidate) => candidate.id === Number(id))
      if (!version) return null
      const loaded: StoredVersion = { ...listed(version), state: version.state.slice() }
      return loaded
    },
    async remove(doc, ids) {
      const versions = data.versions.get(doc)
      if (!versions) return 0
      const going = new Set(ids.filter((id) => versionId.test(id)).map(Number))
      const kept = versions.filter((version) => !going.has(version.id))
      if (kept.length === 0) data.versions.delete(doc)
      else data.versions.set(doc, kept)
      return versions.length - kept.length
    },
  }
}

/**
 * Throws, before anything changed, when a message's id is stored already or repeats in
 * `messages`: the ids are the outbox's primary key in the SQL stores too.
 */
function checkNewIds(outbox: ReadonlyMap<string, OutboxMessage>, messages: readonly OutboxMessage[]): void {
  const ids = new Set<string>()
  for (const { id } of messages) {
    if (outbox.has(id) || ids.has(id)) throw new Error(`outbox: a message with id ${JSON.stringify(id)} is stored already`)
    ids.add(id)
  }
}

/** Earliest due first; messages due at the same time by id, in code point order as the SQL stores sort them. */
const byDue = (a: OutboxMessage, b: OutboxMessage) => a.dueAt - b.dueAt || compareNames(a.id, b.id)

function createOutbox(data: MemoryStoreData): Outbox {
  const { outbox } = data
  return {
    async add(messages) {
      checkNewIds(outbox, messages)
      for (const message of messages) outbox.set(message.id, { ...message })
    },
    async claim(now, leaseUntil, limit) {
      // One synchronous pass, so no other claim runs in between.
      const due = [...outbox.values()]
        .filter((message) => message.dueAt <= now)
        .sort(byDue)
        .slice(0, Math.max(0, limit))
      for (const message of due) outbox.set(message.id, { ...message, dueAt: leaseUntil })
      return due
    },
    async hasten(id, expectedDueAt, dueAt) {
      const message = outbox.get(id)
      if (message?.dueAt !== expectedDueAt) return false
      outbox.set(id, { ...message, dueAt })
      return true
    },
    async retry(id, dueAt, attempts, body) {
      const message = outbox.get(id)
      if (message) outbox.set(id, { ...message, dueAt, attempts, body })
    },
    async remove(ids) {
      for (const id of ids) outbox.delete(id)
    },
    async nextDue() {
      let next: number | null = null
      for (const { dueAt } of outbox.values()) if (next === null || dueAt < next) next = dueAt
      return next
    },
  }
}

/**
 * A DocumentStore that keeps documents, their versions and an outbox in Maps. Copies bytes in and
 * out, so callers cannot change what is stored. Lists names in code point order, as the SQLite
 * and PostgreSQL stores do. Its outbox claims as theirs do, earliest due first, then by id.
 *
 * ```ts
 * const data = createMemoryStoreData()
 * const store = createMemoryStore({ data })
 * ```
 */
export function createMemoryStore(options: { data?: MemoryStoreData } = {}): DocumentStore {
  const data = options.data ?? createMemoryStoreData()
  const { documents } = data
  const append = (name: string, updates: readonly Uint8Array[], now: number): number => {
    let entry = documents.get(name)
    if (!entry) documents.set(name, (entry = { snapshot: null, updates: [], head: 0, updatedAt: now, quarantined: [] }))
    for (const update of updates) entry.updates.push({ seq: ++entry.head, data: update.slice() })
    entry.updatedAt = now
    return entry.head
  }
  /** All or nothing: only the outbox can refuse (an id stored already), so it is checked first. */
  const appendBatches = (batches: readonly AppendBatch[]): number[] => {
    const messages = batches.flatMap((batch) => batch.outbox ?? [])
    checkNewIds(data.outbox, messages)
    const now = Date.now()
    const heads = batches.map(({ name, updates }) => append(name, updates, now))
    for (const message of messages) data.outbox.set(message.id, { ...message })
    return heads
  }
  return {
    async load(name) {
      const entry = documents.get(name)
      if (!entry) return null
      const stored: StoredDocument = {
        snapshot: entry.snapshot && entry.snapshot.slice(),
        updates: entry.updates.map((update) => ({ seq: update.seq, data: update.data.slice() })),
        head: entry.head,
      }
      return stored
    },
    async loadSince(name, seq) {
      const entry = documents.get(name)
      if (!entry) return []
      const after = entry.updates.filter((update) => update.seq > seq).map((update) => ({ seq: update.seq, data: update.data.slice() }))
      // The log numbers without holes: a missing next number was folded into the snapshot.
      if (entry.head > seq && after[0]?.seq !== seq + 1) return null
      return after
    },
    async append(name, updates, messages = []) {
      return appendBatches([{ name, updates, outbox: messages }])[0]!
    },
    async appendMany(batches) {
      return appendBatches(batches)
    },
    async compact(name, snapshot, upTo) {
      const entry = documents.get(name)
      if (!entry) throw new Error(`compact: no document "${name}"`)
      entry.snapshot = snapshot.slice()
      entry.updates = entry.updates.filter((update) => update.seq > upTo)
      entry.updatedAt = Date.now()
    },
    async quarantine(name, parts) {
      const entry = documents.get(name)
      if (!entry) return
      if (parts.snapshot && entry.snapshot) {
        entry.quarantined.push({ seq: null, data: entry.snapshot })
        entry.snapshot = null
      }
      const seqs = new Set(parts.seqs)
      entry.quarantined.push(...entry.updates.filter((update) => seqs.has(update.seq)))
      entry.updates = entry.updates.filter((update) => !seqs.has(update.seq))
    },
    async list({ prefix, after, limit }) {
      const names = [...documents.keys()]
        .filter((name) => name.startsWith(prefix) && (after === null || compareNames(name, after) > 0))
        .sort(compareNames)
        .slice(0, Math.max(0, limit))
      return names.map((name): DocumentInfo => {
        const entry = documents.get(name)!
        const bytes = entry.updates.reduce((sum, update) => sum + update.data.byteLength, entry.snapshot?.byteLength ?? 0)
        return { name, bytes, updatedAt: entry.updatedAt }
      })
    },
    async delete(name) {
      // Both, not `||`: a document may have versions but no log, or a log but no versions. The
      // outbox stays: messages about a document outlive it, its deletion's among them.
      const hadDocument = documents.delete(name)
      const hadVersions = data.versions.delete(name)
      return hadDocument || hadVersions
    },
    versions: createVersionStore(data),
    outbox: createOutbox(data),
    async close() {},
  }
}

/** Empty backing data for {@link createMemoryStore}. */
export function createMemoryStoreData(): MemoryStoreData {
  return { documents: new Map(), versions: new Map(), lastVersionId: 0, outbox: new Map() }
}

import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import Database from "better-sqlite3"
import type { AppendBatch, DocumentInfo, DocumentStore, OutboxMessage, StoredDocument } from "@tandem/server"
import { compareNames, prefixEnd } from "./name-range.js"
import { createOutbox } from "./outbox.js"
import { migrate } from "./schema.js"
import { createVersionStore } from "./version-store.js"
import { createWalKeeper, type WalOptions } from "./wal-keeper.js"

export type { CheckpointResult } from "./checkpointer.js"
export type { WalOptions } from "./wal-keeper.js"
export { schemaVersion } from "./schema.js"
export { SqliteStoreError, type SqliteStoreErrorCode } from "./sqlite-store-error.js"

/** How hard SQLite works to keep a commit. */
export type SqliteSync = "normal" | "full"

/** Options of {@link createSqliteStore}; the checkpoints' are {@link WalOptions}. */
export interface SqliteStoreOptions extends WalOptions {
  /** The database file; it and its folder are created when missing. */
  readonly path: string
  /**
   * `"normal"` (default): a commit survives a crash of the process, but the last commits before
   * a power loss or OS crash may be lost. `"full"`: every commit is synced to disk before it is
   * reported, so it survives power loss too, at the cost of an fsync per commit.
   */
  readonly synchronous?: SqliteSync
  /**
   * How long a write waits for a lock held by another connection before it fails. Default 5 s.
   * The writer's own checkpoints (see `maxWalPages`) never wait.
   */
  readonly busyTimeoutMs?: number
}

/**
 * A DocumentStore on one SQLite file in WAL mode, with version history and an outbox. Each
 * `append` (with the outbox messages given to it) and each `compact` is one transaction. Only
 * one process may write a database file at a time. Rows moved aside by `quarantine` are kept in
 * the `quarantine` table. Opening a file written by an older release migrates its schema in
 * place, in one transaction, to {@link schemaVersion} (`PRAGMA user_version`).
 *
 * ```ts
 * const store = createSqliteStore({ path: "data/tandem.db" })
 * ```
 *
 * @throws when the file cannot be opened or is not a Tandem database, and a SqliteStoreError
 * (`schema-too-new`) when a newer release of this package migrated it.
 */
export function createSqliteStore(options: SqliteStoreOptions): DocumentStore {
  mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))
  try {
    db.pragma("journal_mode = WAL")
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
    db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    migrate(db, Date.now())
  } catch (error) {
    // Nobody gets a store to close, so the file is let go here.
    db.close()
    throw error
  }
  // Checkpoints run in a worker thread (see Checkpointer), not in the commit.
  const wal = createWalKeeper(db, options.path, busyTimeoutMs, options)

  const selectDocument = db.prepare<[string], { head: number; snapshot: Buffer | null }>(
    "SELECT head, snapshot FROM documents WHERE name = ?",
  )
  const selectUpdates = db.prepare<[string], { seq: number; data: Buffer }>("SELECT seq, data FROM updates WHERE name = ? ORDER BY seq")
  const selectUpdatesSince = db.prepare<[string, number], { seq: number; data: Buffer }>(
    "SELECT seq, data FROM updates WHERE name = ? AND seq > ? ORDER BY seq",
  )
  // The head: the highest of the row's (kept up to date when updates leave the log) and the log's last number.
  const selectHead = db.prepare<[string], { head: number }>(
    "SELECT max(head, coalesce((SELECT max(seq) FROM updates WHERE name = documents.name), 0)) AS head FROM documents WHERE name = ?",
  )
  const loadAfter = db.transaction((name: string, seq: number) => {
    const after = selectUpdatesSince.all(name, seq)
    const head = selectHead.get(name)?.head ?? 0
    // The log numbers without holes: a missing next number was folded into the snapshot.
    return head > seq && after[0]?.seq !== seq + 1 ? null : after
  })
  // The hot path reads the head and writes only the log: the document's row (with its snapshot)
  // is written when the document is created, and when updates leave the log.
  const insertDocument = db.prepare<[string, number]>("INSERT INTO documents (name, head, updated_at) VALUES (?, 0, ?)")
  const insertUpdate = db.prepare<[string, number, Uint8Array, number]>("INSERT INTO updates (name, seq, data, written_at) VALUES (?, ?, ?, ?)")
  /** Brings the row's head up to the log's last number, before updates leave the log. */
  const keepHead = db.prepare<[string]>(
    "UPDATE documents SET head = max(head, coalesce((SELECT max(seq) FROM updates WHERE name = documents.name), 0)) WHERE name = ?",
  )
  const setSnapshot = db.prepare<[Uint8Array, number, string]>("UPDATE documents SET snapshot = ?, updated_at = ? WHERE name = ?")
  const trimLog = db.prepare<[string, number]>("DELETE FROM updates WHERE name = ? AND seq <= ?")

  const outbox = createOutbox(db)

  /**
   * Each document's head as this store's appends left it, so that an append reads nothing before
   * it writes: one process writes a file, so its own appends (and deletes) are the only changes
   * to a head. A document's first append after opening reads its head. Set inside the
   * transaction (a second append to the document in it follows on) and cleared whenever an
   * append fails, its transaction rolled back: the retry reads the heads again, so a writer that
   * broke the one-process rule costs a failed commit (its rows and ours share the (name, seq)
   * key), never a lost one.
   */
  const heads = new Map<string, number>()

  /** One document's append, inside a transaction the caller has open. */
  const appendRows = (name: string, updates: readonly Uint8Array[], now: number, messages: readonly OutboxMessage[] = []): number => {
    let seq = heads.get(name)
    if (seq === undefined) {
      const current = selectHead.get(name)
      if (!current) insertDocument.run(name, now)
      seq = current?.head ?? 0
    }
    for (const update of updates) insertUpdate.run(name, ++seq, update, now)
    outbox.insert(messages)
    heads.set(name, seq)
    return seq
  }
  /** Runs an append's transaction; a failed one leaves no head behind that it did not commit. */
  const appending = <T>(commit: () => T): T => {
    try {
      return commit()
    } catch (error) {
      heads.clear()
      throw error
    }
  }
  const appendAll = db.transaction(appendRows)
  // Not appendAll inside: a transaction function called in another is a savepoint, two more
  // statements for each document of the group.
  // The heads in an array built by push, not map: map's array is of another kind once V8 has
  // optimized the caller (holey, not packed), and the code that had read the other kind was
  // thrown away and compiled again in the middle of a run (--trace-deopt: "wrong map").
  const appendEach = db.transaction((batches: readonly AppendBatch[], now: number): number[] => {
    const heads: number[] = []
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!
      heads.push(appendRows(batch.name, batch.updates, now, batch.outbox))
    }
    return heads
  })
  const compactLog = db.transaction((name: string, snapshot: Uint8Array, upTo: number): void => {
    if (setSnapshot.run(snapshot, Date.now(), name).changes !== 1) throw new Error(`compact: no document "${name}"`)
    keepHead.run(name)
    trimLog.run(name, upTo)
  })
  const moveSnapshot = db.prepare<[number, string]>(
    "INSERT INTO quarantine (name, seq, data, moved_at) SELECT name, NULL, snapshot, ? FROM documents WHERE name = ? AND snapshot IS NOT NULL",
  )
  const clearSnapshot = db.prepare<[string]>("UPDATE documents SET snapshot = NULL WHERE name = ?")
  const moveUpdate = db.prepare<[number, string, number]>(
    "INSERT INTO quarantine (name, seq, data, moved_at) SELECT name, seq, data, ? FROM updates WHERE name = ? AND seq = ?",
  )
  const deleteUpdate = db.prepare<[string, number]>("DELETE FROM updates WHERE name = ? AND seq = ?")
  const quarantineAll = db.transaction((name: string, snapshot: boolean, seqs: readonly number[]): void => {
    const now = Date.now()
    keepHead.run(name)
    if (snapshot) {
      moveSnapshot.run(now, name)
      clearSnapshot.run(name)
    }
    for (const seq of seqs) {
      moveUpdate.run(now, name, seq)
      deleteUpdate.run(name, seq)
    }
  })
  const loadAll = db.transaction((name: string): StoredDocument | null => {
    const document = selectDocument.get(name)
    if (!document) return null
    const updates = selectUpdates.all(name)
    return {
      snapshot: document.snapshot,
      updates,
      head: Math.max(document.head, updates.at(-1)?.seq ?? 0),
    }
  })

  // Names from a lower bound (`>=` the prefix, or `>` the previous page's last name, whichever is
  // higher) to below the prefix's end, if it has one: both bounds on the primary key, so a page
  // reads only its own rows. A subquery per listed document adds up its log.
  const listFrom = (lower: ">=" | ">", upper: boolean) =>
    db.prepare<[...bounds: string[], number], DocumentInfo>(
      `SELECT name, COALESCE(length(snapshot), 0) + COALESCE((SELECT sum(length(data)) FROM updates WHERE updates.name = documents.name), 0) AS bytes,
        max(updated_at, coalesce((SELECT written_at FROM updates WHERE updates.name = documents.name ORDER BY seq DESC LIMIT 1), 0)) AS updatedAt
      FROM documents WHERE name ${lower} ?${upper ? " AND name < ?" : ""} ORDER BY name LIMIT ?`,
    )
  const listPage = { fromPrefix: listFrom(">=", false), fromPrefixTo: listFrom(">=", true), after: listFrom(">", false), afterTo: listFrom(">", true) }
  // Not the outbox: messages about a document outlive it, the one announcing its deletion among them.
  const deleteFrom = ["documents", "updates", "versions", "quarantine"].map((table) => db.prepare<[string]>(`DELETE FROM ${table} WHERE name = ?`))
  const deleteAll = db.transaction((name: string): boolean => deleteFrom.reduce((changes, statement) => changes + statement.run(name).changes, 0) > 0)

  return {
    async load(name) {
      return loadAll(name)
    },
    async loadSince(name, seq) {
      return loadAfter(name, seq)
    },
    async append(name, updates, messages) {
      // IMMEDIATE: the write lock before a head is read, so that two processes on one file (which
      // they must not be) never read the same head.
      const head = appending(() => appendAll.immediate(name, updates, Date.now(), messages))
      wal.afterAppend(1, byteLength(updates))
      return head
    },
    async appendMany(batches) {
      const committed = appending(() => appendEach.immediate(batches, Date.now()))
      let bytes = 0
      for (const batch of batches) bytes += byteLength(batch.updates)
      wal.afterAppend(batches.length, bytes)
      return committed
    },
    async compact(name, snapshot, upTo) {
      compactLog(name, snapshot, upTo)
    },
    async quarantine(name, parts) {
      quarantineAll(name, parts.snapshot, parts.seqs)
    },
    async list({ prefix, after, limit }) {
      const end = prefixEnd(prefix)
      const rows = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1
      if (after !== null && compareNames(after, prefix) >= 0) {
        return end === null ? listPage.after.all(after, rows) : listPage.afterTo.all(after, end, rows)
      }
      return end === null ? listPage.fromPrefix.all(prefix, rows) : listPage.fromPrefixTo.all(prefix, end, rows)
    },
    async delete(name) {
      const deleted = deleteAll(name)
      heads.delete(name)
      return deleted
    },
    versions: createVersionStore(db),
    outbox: outbox.outbox,
    async close() {
      await wal.close()
      if (db.open) db.close()
    },
  }
}

function byteLength(updates: readonly Uint8Array[]): number {
  let bytes = 0
  for (const update of updates) bytes += update.byteLength
  return bytes
}

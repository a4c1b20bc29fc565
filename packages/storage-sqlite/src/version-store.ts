import type Database from "better-sqlite3"
import type { StoredVersion, VersionInfo, VersionKind, VersionStore } from "@tandem/server"
import { SqliteStoreError } from "./sqlite-store-error.js"

interface VersionRow {
  id: number
  kind: VersionKind
  label: string | null
  author: string | null
  created_at: number
  bytes: number
}

// Version ids as the server's routes accept them: always within SQLite's 64-bit integers.
const versionId = /^[0-9]{1,18}$/
// Above every id, for a listing from the newest.
const noBound = 2n ** 63n - 1n

const listed = (row: VersionRow): VersionInfo => ({
  id: String(row.id),
  kind: row.kind,
  label: row.label,
  author: row.author,
  createdAt: row.created_at,
  bytes: row.bytes,
})

const columns = "id, kind, label, author, created_at, length(state) AS bytes"

/**
 * The versions of a SQLite store, in its `versions` table: one row per version, ids from one
 * sequence shared by all documents (so increasing within each, and never reused), removed with
 * their document by the store's `delete`. Each call is one statement or one transaction.
 */
export function createVersionStore(db: Database.Database): VersionStore {
  const insert = db.prepare<[string, VersionKind, string | null, string | null, number, Uint8Array]>(
    "INSERT INTO versions (name, kind, label, author, created_at, state) VALUES (?, ?, ?, ?, ?, ?)",
  )
  const selectPage = db.prepare<[string, bigint, number], VersionRow>(
    `SELECT ${columns} FROM versions WHERE name = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  )
  const selectOne = db.prepare<[bigint, string], VersionRow & { state: Buffer }>(`SELECT ${columns}, state FROM versions WHERE id = ? AND name = ?`)
  const deleteOne = db.prepare<[bigint, string]>("DELETE FROM versions WHERE id = ? AND name = ?")
  const removeAll = db.transaction((doc: string, ids: readonly string[]): number => {
    let removed = 0
    for (const id of ids) if (versionId.test(id)) removed += deleteOne.run(BigInt(id), doc).changes
    return removed
  })

  return {
    async save(doc, version) {
      const { lastInsertRowid } = insert.run(doc, version.kind, version.label, version.author, version.createdAt, version.state)
      return {
        id: String(lastInsertRowid),
        kind: version.kind,
        label: version.label,
        author: version.author,
        createdAt: version.createdAt,
        bytes: version.state.byteLength,
      }
    },
    async list(doc, { before, limit }) {
      if (before !== null && !versionId.test(before)) {
        throw new SqliteStoreError("invalid-version-id", `versions.list: "before" must be a version id (a decimal number), not ${JSON.stringify(before)}`)
      }
      // LIMIT -1 is SQLite's "no limit", for a limit of Infinity.
      const rows = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1
      return selectPage.all(doc, before === null ? noBound : BigInt(before), rows).map(listed)
    },
    async load(doc, id) {
      // An id that is no number names no version.
      if (!versionId.test(id)) return null
      const row = selectOne.get(BigInt(id), doc)
      if (!row) return null
      const version: StoredVersion = { ...listed(row), state: row.state }
      return version
    },
    async remove(doc, ids) {
      return removeAll(doc, ids)
    },
  }
}

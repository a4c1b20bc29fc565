import type { StoredVersion, VersionInfo, VersionKind, VersionStore } from "@tandem/server"
import type { Pool } from "pg"
import { PostgresStoreError } from "./postgres-store-error.js"

/** Runs a store call, counting it as pending until it settles; see createPostgresStore's close(). */
export type Track = <T>(work: () => Promise<T>) => Promise<T>

interface VersionRow {
  id: string
  kind: VersionKind
  label: string | null
  author: string | null
  created_at: number
  bytes: number
}

// Ids are bigserial values, which PostgreSQL reports (and we hand out) as decimal strings. At most
// 18 digits, as the server's routes accept, is always within bigint.
const versionId = /^[0-9]{1,18}$/

const info = (row: VersionRow): VersionInfo => ({
  id: row.id,
  kind: row.kind,
  label: row.label,
  author: row.author,
  createdAt: row.created_at,
  bytes: row.bytes,
})

const listedColumns = "id, kind, label, author, created_at, octet_length(state) AS bytes"

/**
 * The versions of a PostgreSQL store, in its `versions` table: one row per version, ids from one
 * sequence shared by all documents (so increasing within each), removed with their document.
 */
export function createVersionStore(pool: Pool, track: Track): VersionStore {
  return {
    save: (doc, version) =>
      track(async () => {
        const { rows } = await pool.query<{ id: string; bytes: number }>(
          "INSERT INTO versions (name, kind, label, author, created_at, state) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, octet_length(state) AS bytes",
          [doc, version.kind, version.label, version.author, version.createdAt, version.state],
        )
        const row = rows[0]!
        return { id: row.id, kind: version.kind, label: version.label, author: version.author, createdAt: version.createdAt, bytes: row.bytes }
      }),

    list: (doc, { before, limit }) =>
      track(async () => {
        if (before !== null && !versionId.test(before)) {
          throw new PostgresStoreError("invalid-version-id", `versions.list: "before" must be a version id (a decimal number), not ${JSON.stringify(before)}`)
        }
        const { rows } = await pool.query<VersionRow>(
          `SELECT ${listedColumns} FROM versions WHERE name = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
          [doc, before, Math.max(0, Math.floor(limit))],
        )
        return rows.map(info)
      }),

    load: (doc, id) =>
      track(async (): Promise<StoredVersion | null> => {
        // An id that is no number names no version; asking PostgreSQL would only fail the cast.
        if (!versionId.test(id)) return null
        const { rows } = await pool.query<VersionRow & { state: Buffer }>(`SELECT ${listedColumns}, state FROM versions WHERE name = $1 AND id = $2`, [doc, id])
        const row = rows[0]
        return row ? { ...info(row), state: row.state } : null
      }),

    remove: (doc, ids) =>
      track(async () => {
        const known = ids.filter((id) => versionId.test(id))
        if (known.length === 0) return 0
        const { rowCount } = await pool.query("DELETE FROM versions WHERE name = $1 AND id = ANY($2::bigint[])", [doc, known])
        return rowCount ?? 0
      }),
  }
}

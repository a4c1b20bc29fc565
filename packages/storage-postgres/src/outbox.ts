import type { Outbox, OutboxMessage } from "@tandem/server"
import type { Pool } from "pg"
import type { Track } from "./version-store.js"

interface OutboxRow {
  id: string
  type: string
  body: string
  // bigint columns, which node-postgres reports as decimal strings.
  created_at: string
  due_at: string
  attempts: number
}

const message = (row: OutboxRow): OutboxMessage => ({
  id: row.id,
  type: row.type,
  body: row.body,
  createdAt: Number(row.created_at),
  dueAt: Number(row.due_at),
  attempts: row.attempts,
})

/**
 * An INSERT of messages given as six array parameters from `$first` on (see {@link outboxColumns}):
 * one statement whatever their number, which the store's append also runs as a part of its own.
 */
export const insertOutboxSql = (first: number): string => {
  const [ids, types, bodies, created, due, attempts] = [0, 1, 2, 3, 4, 5].map((i) => `$${first + i}`)
  return `INSERT INTO outbox (id, type, body, created_at, due_at, attempts)
  SELECT * FROM unnest(${ids}::text[], ${types}::text[], ${bodies}::text[], ${created}::bigint[], ${due}::bigint[], ${attempts}::integer[])`
}

/** The parameters of {@link insertOutboxSql}: one array per column. */
export function outboxColumns(messages: readonly OutboxMessage[]): unknown[] {
  return [
    messages.map((m) => m.id),
    messages.map((m) => m.type),
    messages.map((m) => m.body),
    messages.map((m) => m.createdAt),
    messages.map((m) => m.dueAt),
    messages.map((m) => m.attempts),
  ]
}

// One statement. Rows another claim has locked are skipped rather than waited for, and a row
// another claim leased and committed meanwhile is checked again under its lock, where its new
// due time no longer qualifies it: so no two claims return one message, whichever instances
// make them. The UPDATE returns each message's due time from before the lease.
const claimSql = `
WITH due AS (
  SELECT id, due_at FROM outbox WHERE due_at <= $1 ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE outbox o SET due_at = $2 FROM due WHERE o.id = due.id
  RETURNING o.id, o.type, o.body, o.created_at, due.due_at, o.attempts
)
SELECT * FROM leased ORDER BY due_at, id`

/**
 * The outbox of a PostgreSQL store, in its `outbox` table: one row per message, keyed by the
 * caller's id, untouched by the store's `delete`. Instances sharing the database share it. Each
 * call is one statement.
 */
export function createOutbox(pool: Pool, track: Track): Outbox {
  return {
    add: (messages) =>
      track(async () => {
        if (messages.length > 0) await pool.query(insertOutboxSql(1), outboxColumns(messages))
      }),

    claim: (now, leaseUntil, limit) =>
      track(async () => {
        // LIMIT NULL is no limit, for a limit of Infinity.
        const rows = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : null
        return (await pool.query<OutboxRow>(claimSql, [now, leaseUntil, rows])).rows.map(message)
      }),

    hasten: (id, expectedDueAt, dueAt) =>
      track(async () => {
        // A claim holding the row makes this wait, then find the lease's due time, and fail.
        const { rowCount } = await pool.query("UPDATE outbox SET due_at = $3 WHERE id = $1 AND due_at = $2", [id, expectedDueAt, dueAt])
        return rowCount === 1
      }),

    retry: (id, dueAt, attempts, body) =>
      track(async () => {
        await pool.query("UPDATE outbox SET due_at = $2, attempts = $3, body = $4 WHERE id = $1", [id, dueAt, attempts, body])
      }),

    remove: (ids) =>
      track(async () => {
        if (ids.length > 0) await pool.query("DELETE FROM outbox WHERE id = ANY($1::text[])", [ids])
      }),

    nextDue: () =>
      track(async () => {
        const { rows } = await pool.query<{ due: string | null }>("SELECT min(due_at) AS due FROM outbox")
        const due = rows[0]?.due ?? null
        return due === null ? null : Number(due)
      }),
  }
}

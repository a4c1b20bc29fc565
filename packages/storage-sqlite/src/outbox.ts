import type Database from "better-sqlite3"
import type { Outbox, OutboxMessage } from "@tandem/server"

interface OutboxRow {
  id: string
  type: string
  body: string
  created_at: number
  due_at: number
  attempts: number
}

const message = (row: OutboxRow): OutboxMessage => ({
  id: row.id,
  type: row.type,
  body: row.body,
  createdAt: row.created_at,
  dueAt: row.due_at,
  attempts: row.attempts,
})

/** A SQLite store's outbox, and the way its appends add messages inside their own transaction. */
export interface SqliteOutbox {
  readonly outbox: Outbox
  /**
   * Inserts messages on the store's connection, in the transaction the caller has open (an
   * append's), so that they commit with it or not at all. Throws when an id is stored already.
   */
  insert(messages: readonly OutboxMessage[]): void
}

/**
 * The outbox of a SQLite store, in its `outbox` table: one row per message, keyed by the caller's
 * id, untouched by the store's `delete`. Each call is one statement or one transaction.
 */
export function createOutbox(db: Database.Database): SqliteOutbox {
  const insertOne = db.prepare<[string, string, string, number, number, number]>(
    "INSERT INTO outbox (id, type, body, created_at, due_at, attempts) VALUES (?, ?, ?, ?, ?, ?)",
  )
  const insert = (messages: readonly OutboxMessage[]): void => {
    for (const m of messages) insertOne.run(m.id, m.type, m.body, m.createdAt, m.dueAt, m.attempts)
  }
  const addAll = db.transaction(insert)
  const selectDue = db.prepare<[number, number], OutboxRow>(
    "SELECT id, type, body, created_at, due_at, attempts FROM outbox WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
  )
  const setDue = db.prepare<[number, string]>("UPDATE outbox SET due_at = ? WHERE id = ?")
  const claimDue = db.transaction((now: number, leaseUntil: number, limit: number): OutboxMessage[] => {
    const rows = selectDue.all(now, limit)
    for (const row of rows) setDue.run(leaseUntil, row.id)
    return rows.map(message)
  })
  const setDueIf = db.prepare<[number, string, number]>("UPDATE outbox SET due_at = ? WHERE id = ? AND due_at = ?")
  const setRetry = db.prepare<[number, number, string, string]>("UPDATE outbox SET due_at = ?, attempts = ?, body = ? WHERE id = ?")
  const deleteOne = db.prepare<[string]>("DELETE FROM outbox WHERE id = ?")
  const removeAll = db.transaction((ids: readonly string[]): void => {
    for (const id of ids) deleteOne.run(id)
  })
  const selectNextDue = db.prepare<[], { due: number | null }>("SELECT min(due_at) AS due FROM outbox")

  return {
    insert,
    outbox: {
      async add(messages) {
        addAll(messages)
      },
      async claim(now, leaseUntil, limit) {
        // IMMEDIATE takes the write lock before the read, so no other connection to the file
        // can claim the same rows between this one's read and its update.
        // LIMIT -1 is SQLite's "no limit", for a limit of Infinity.
        return claimDue.immediate(now, leaseUntil, Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1)
      },
      async hasten(id, expectedDueAt, dueAt) {
        return setDueIf.run(dueAt, id, expectedDueAt).changes === 1
      },
      async retry(id, dueAt, attempts, body) {
        setRetry.run(dueAt, attempts, body, id)
      },
      async remove(ids) {
        removeAll(ids)
      },
      async nextDue() {
        return selectNextDue.get()?.due ?? null
      },
    },
  }
}

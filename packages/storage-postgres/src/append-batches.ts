import type { AppendBatch } from "@tandem/server"
import type { Pool } from "pg"
import { insertOutboxSql, outboxColumns } from "./outbox.js"

// Appends to any number of documents in one statement, and so in one transaction and one round
// trip. The upsert on `documents` takes each document's row lock, in name order, so concurrent
// appenders of a document (other instances) wait for each other and appenders of several never
// deadlock; it returns the new head, and the document's updates take the numbers just below it.
// Sequence numbers are thus assigned by the transaction that commits them.
const appendCtes = `
WITH batch AS (
  SELECT * FROM unnest($1::text[], $2::bigint[]) AS b(name, n)
), bumped AS (
  INSERT INTO documents AS d (name, head, updated_at)
  SELECT name, n, now() FROM batch ORDER BY name COLLATE "C"
  ON CONFLICT (name) DO UPDATE SET head = d.head + EXCLUDED.head, updated_at = EXCLUDED.updated_at
  RETURNING d.name, d.head
), stored AS (
  INSERT INTO updates (name, seq, data)
  SELECT u.name, bumped.head - batch.n + u.ord, u.data
  FROM unnest($3::text[], $4::bigint[], $5::bytea[]) AS u(name, ord, data)
  JOIN batch USING (name) JOIN bumped USING (name)
)`
const appendSql = `${appendCtes}
SELECT name, head FROM bumped`
// Outbox messages given with an append are inserted by one more part of the same statement, so
// they commit with its updates or not at all.
const appendWithOutboxSql = `${appendCtes}, queued AS (
  ${insertOutboxSql(6)}
)
SELECT name, head FROM bumped`

/** Appends go as text arrays; merging a document named twice keeps its updates in call order. */
function groupByDocument(batches: readonly AppendBatch[]): Map<string, Uint8Array[]> {
  const byName = new Map<string, Uint8Array[]>()
  for (const { name, updates } of batches) {
    const list = byName.get(name)
    if (list) list.push(...updates)
    else byName.set(name, [...updates])
  }
  return byName
}

/**
 * Appends each batch's updates to its document, in one statement (one transaction, one round
 * trip) whatever the number of documents, with the batches' outbox messages; resolves to each
 * batch's head, the number of its last update, in the order given.
 */
export async function appendBatches(pool: Pool, batches: readonly AppendBatch[]): Promise<number[]> {
  if (batches.length === 0) return []
  const byName = groupByDocument(batches)
  const names: string[] = []
  const counts: number[] = []
  const updateNames: string[] = []
  const ordinals: number[] = []
  const data: Uint8Array[] = []
  for (const [name, updates] of byName) {
    names.push(name)
    counts.push(updates.length)
    updates.forEach((update, i) => {
      updateNames.push(name)
      ordinals.push(i + 1)
      data.push(update)
    })
  }
  const messages = batches.flatMap((batch) => batch.outbox ?? [])
  const values: unknown[] = [names, counts, updateNames, ordinals, data]
  if (messages.length > 0) values.push(...outboxColumns(messages))
  const { rows } = await pool.query<{ name: string; head: string }>(messages.length > 0 ? appendWithOutboxSql : appendSql, values)
  const heads = new Map(rows.map((row) => [row.name, Number(row.head)]))
  // Each batch's head: its document's new head less what later batches of that document added.
  const later = new Map([...byName].map(([name, updates]) => [name, updates.length]))
  return batches.map(({ name, updates }) => {
    const remaining = later.get(name)! - updates.length
    later.set(name, remaining)
    return heads.get(name)! - remaining
  })
}

import type { AppendBatch, DocumentInfo, DocumentStore, Outbox, StoredDocument, StoredUpdate, VersionStore } from "@tandem/server"
import { Pool, type PoolConfig } from "pg"
import { appendBatches } from "./append-batches.js"
import { createOutbox } from "./outbox.js"
import { PostgresStoreError } from "./postgres-store-error.js"
import { migrate } from "./schema.js"
import { inTransaction } from "./transaction.js"
import { createVersionStore, type Track } from "./version-store.js"

/** Options of {@link createPostgresStore}. One of `url` and `pool` is required. */
export interface PostgresStoreOptions {
  /** A connection string: `postgres://user:password@host:5432/database?sslmode=require`. */
  readonly url?: string
  /**
   * node-postgres pool settings, for what a URL cannot say (an `ssl` object, a password
   * function). `url` and the options below take precedence over the same settings here.
   */
  readonly pool?: PoolConfig
  /** Connections to PostgreSQL the store opens at most. Default 10. */
  readonly maxConnections?: number
  /** How long a call waits to get a connection before it rejects. Default 10 s. */
  readonly connectionTimeoutMs?: number
  /**
   * How long PostgreSQL lets one statement run (waiting for a lock included) before cancelling
   * it, which rejects the call with nothing stored. Default 30 s; 0 for no limit.
   */
  readonly statementTimeoutMs?: number
  /**
   * Hears of connections that failed while idle in the pool (PostgreSQL restarted, the network
   * failed). The pool has then already dropped the connection and opens a new one when needed;
   * this is for logs and metrics. Calls that were using a connection reject instead.
   */
  readonly onConnectionError?: (error: Error) => void
}

/** A {@link DocumentStore} on PostgreSQL, as {@link createPostgresStore} makes it. */
export interface PostgresStore extends DocumentStore {
  appendMany(batches: readonly AppendBatch[]): Promise<number[]>
  readonly versions: VersionStore
  readonly outbox: Outbox
  /**
   * The document's stored updates with a sequence number above `seq`, oldest first: what another
   * instance committed after the last update this one has. Resolves to `null` when a compaction
   * already folded some of them into the snapshot, so that only a full {@link DocumentStore.load}
   * has them; to `[]` when there are none, or nothing was ever stored under `name`.
   */
  loadSince(name: string, seq: number): Promise<StoredUpdate[] | null>
}

const defaults = { maxConnections: 10, connectionTimeoutMs: 10_000, statementTimeoutMs: 30_000 }

// One statement, so snapshot and log come from one moment even while another instance compacts.
// The first branch gives the document's row (seq NULL), the second its log.
const loadSql = `
SELECT NULL::bigint AS seq, head, snapshot AS data FROM documents WHERE name = $1
UNION ALL
SELECT seq, NULL, data FROM updates WHERE name = $1`

const loadSinceSql = `
SELECT NULL::bigint AS seq, snapshot_seq AS head, NULL::bytea AS data FROM documents WHERE name = $1
UNION ALL
SELECT seq, NULL, data FROM updates WHERE name = $1 AND seq > $2`

// The snapshot replaces the log only if it folds at least as much as the stored one: another
// instance may have compacted further meanwhile, deleting rows this snapshot does not cover.
// The UPDATE takes the document's row lock, which appends also take, so the log trim that
// follows in the same transaction sees every committed row with seq <= upTo. Rows appended
// later have higher numbers and stay.
const compactSql = `
UPDATE documents SET snapshot = $2, snapshot_seq = GREATEST(snapshot_seq, LEAST($3::bigint, head)), updated_at = now()
WHERE name = $1 AND (snapshot IS NULL OR snapshot_seq <= $3::bigint)
RETURNING name`

const listSql = `
SELECT d.name,
  COALESCE(octet_length(d.snapshot), 0) + COALESCE((SELECT sum(octet_length(u.data)) FROM updates u WHERE u.name = d.name), 0) AS bytes,
  floor(extract(epoch FROM d.updated_at) * 1000)::float8 AS updated_at
FROM documents d
WHERE d.name LIKE $1 ESCAPE '\\' AND ($2::text IS NULL OR d.name > $2)
ORDER BY d.name
LIMIT $3`

interface LogRow {
  seq: string | null
  head: string | null
  data: Buffer | null
}

/**
 * Opens a {@link PostgresStore}: a pool of connections to the database, whose schema it creates
 * or migrates first (see the README for the tables). Several instances of the server may share
 * one database: each document's updates are numbered by the transaction that commits them, and
 * compactions of one document take turns. Resolves once the schema is current.
 *
 * ```ts
 * const store = await createPostgresStore({ url: "postgres://tandem@db.internal/tandem" })
 * ```
 *
 * A call rejects, with node-postgres's error, when PostgreSQL cannot be reached or the connection
 * is lost; the pool reconnects on a later call once PostgreSQL is back.
 *
 * @throws {PostgresStoreError} `invalid-options` when neither `url` nor `pool` is given.
 * Rejects with `schema-too-new` when a newer release migrated the database, and with
 * node-postgres's error when PostgreSQL cannot be reached; no connection is left open then.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  if (!options.url && !options.pool) throw new PostgresStoreError("invalid-options", "createPostgresStore needs a `url` or `pool` settings")
  const statementTimeoutMs = options.statementTimeoutMs ?? defaults.statementTimeoutMs
  const pool = new Pool({
    ...options.pool,
    ...(options.url ? { connectionString: options.url } : {}),
    max: options.maxConnections ?? options.pool?.max ?? defaults.maxConnections,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? options.pool?.connectionTimeoutMillis ?? defaults.connectionTimeoutMs,
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    keepAlive: true,
  })
  // Without a listener, an idle connection's error (PostgreSQL restarting) would be an unhandled
  // 'error' event and end the process. The pool has already dropped that connection.
  pool.on("error", (error) => options.onConnectionError?.(error))
  try {
    await migrate(pool)
  } catch (error) {
    await pool.end()
    throw error
  }

  // Calls in flight, so close() can let them finish before ending the pool: node-postgres would
  // leave a call that is still waiting for a connection unsettled forever.
  const pending = new Set<Promise<unknown>>()
  let closing: Promise<void> | null = null
  const track: Track = (work) => {
    if (closing) return Promise.reject(new PostgresStoreError("closed", "the PostgreSQL store was closed"))
    const call = work()
    pending.add(call)
    const forget = () => pending.delete(call)
    call.then(forget, forget)
    return call
  }

  const readLog = async (sql: string, values: unknown[]) => {
    const { rows } = await pool.query<LogRow>(sql, values)
    const document = rows.find((row) => row.seq === null)
    const updates = rows
      .filter((row) => row.seq !== null)
      .map((row) => ({ seq: Number(row.seq), data: row.data! }))
      .sort((a, b) => a.seq - b.seq)
    return { document, updates }
  }

  const store: PostgresStore = {
    load: (name) =>
      track(async (): Promise<StoredDocument | null> => {
        const { document, updates } = await readLog(loadSql, [name])
        return document ? { snapshot: document.data, updates, head: Number(document.head) } : null
      }),

    loadSince: (name, seq) =>
      track(async () => {
        const { document, updates } = await readLog(loadSinceSql, [name, seq])
        // `head` is the document's snapshot_seq here: rows up to it were deleted by compaction.
        if (document && Number(document.head) > seq) return null
        return updates
      }),

    append: (name, updates, outbox) => track(async () => (await appendBatches(pool, [{ name, updates, outbox }]))[0]!),

    appendMany: (batches) => track(() => appendBatches(pool, batches)),

    compact: (name, snapshot, upTo) =>
      track(() =>
        inTransaction(pool, async (client) => {
          const compacted = await client.query(compactSql, [name, snapshot, upTo])
          if (compacted.rowCount === 0) {
            const exists = await client.query("SELECT 1 FROM documents WHERE name = $1", [name])
            if (exists.rowCount === 0) throw new PostgresStoreError("no-document", `compact: no document "${name}"`)
            return // a newer snapshot is stored already
          }
          await client.query("DELETE FROM updates WHERE name = $1 AND seq <= $2", [name, upTo])
        }),
      ),

    quarantine: (name, parts) =>
      track(() =>
        inTransaction(pool, async (client) => {
          // The row lock keeps compactions and appends of other instances out meanwhile.
          const document = await client.query("SELECT 1 FROM documents WHERE name = $1 FOR UPDATE", [name])
          if (document.rowCount === 0) return
          if (parts.snapshot) {
            await client.query(
              `WITH moved AS (INSERT INTO quarantine (name, seq, data) SELECT name, NULL, snapshot FROM documents WHERE name = $1 AND snapshot IS NOT NULL)
               UPDATE documents SET snapshot = NULL WHERE name = $1`,
              [name],
            )
          }
          if (parts.seqs.length > 0) {
            await client.query(
              `WITH moved AS (DELETE FROM updates WHERE name = $1 AND seq = ANY($2::bigint[]) RETURNING name, seq, data)
               INSERT INTO quarantine (name, seq, data) SELECT name, seq, data FROM moved`,
              [name, parts.seqs],
            )
          }
        }),
      ),

    list: ({ prefix, after, limit }) =>
      track(async (): Promise<DocumentInfo[]> => {
        const pattern = `${prefix.replace(/[\\%_]/g, "\\$&")}%`
        const { rows } = await pool.query<{ name: string; bytes: string; updated_at: number }>(listSql, [pattern, after, Math.max(0, Math.floor(limit))])
        return rows.map((row) => ({ name: row.name, bytes: Number(row.bytes), updatedAt: row.updated_at }))
      }),

    delete: (name) =>
      track(() =>
        inTransaction(pool, async (client) => {
          // Deleting the row first takes its lock, waiting for appends in progress: the deletes
          // below then see every row they committed, and later appends start the document anew.
          // The outbox stays: messages about a document outlive it, its deletion's among them.
          const document = await client.query("DELETE FROM documents WHERE name = $1", [name])
          const { rows } = await client.query<{ found: boolean }>(
            `WITH u AS (DELETE FROM updates WHERE name = $1 RETURNING 1),
                  q AS (DELETE FROM quarantine WHERE name = $1 RETURNING 1),
                  v AS (DELETE FROM versions WHERE name = $1 RETURNING 1)
             SELECT EXISTS (SELECT FROM u) OR EXISTS (SELECT FROM q) OR EXISTS (SELECT FROM v) AS found`,
            [name],
          )
          return (document.rowCount ?? 0) > 0 || rows[0]!.found
        }),
      ),

    versions: createVersionStore(pool, track),

    outbox: createOutbox(pool, track),

    close: () =>
      (closing ??= (async () => {
        await Promise.allSettled([...pending])
        await pool.end()
      })()),
  }
  return store
}

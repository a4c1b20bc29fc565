import type { Pool } from "pg"
import { PostgresStoreError } from "./postgres-store-error.js"
import { inTransaction } from "./transaction.js"

// Migrations, oldest first; migration N brings the schema to version N. Released ones never
// change: a new release appends one. Each runs in the transaction that records it.
//
// Names are COLLATE "C" so that they sort by code point, as `list` promises, whatever the
// database's locale, and so that `LIKE 'prefix%'` can use the primary key.
// `documents.snapshot_seq` is the highest sequence number folded into the snapshot: compactions
// that would fold less are stale (another instance compacted further) and change nothing, and
// `loadSince` knows from it whether rows it is asked for were folded away.
const migrations: readonly string[] = [
  `
  CREATE TABLE documents (
    name text COLLATE "C" PRIMARY KEY,
    head bigint NOT NULL,
    snapshot bytea,
    snapshot_seq bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE updates (
    name text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (name, seq)
  );
  CREATE TABLE quarantine (
    id bigserial PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    seq bigint,
    data bytea NOT NULL,
    moved_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX quarantine_by_name ON quarantine (name);
  CREATE TABLE versions (
    id bigserial PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    kind text NOT NULL CHECK (kind IN ('auto', 'named')),
    label text,
    author text,
    created_at double precision NOT NULL,
    state bytea NOT NULL
  );
  CREATE INDEX versions_by_name ON versions (name, id);
  `,
  // 2: the outbox, messages (webhooks) to deliver at least once, keyed by the caller's ids. Not
  // tied to a document: deleting one keeps the messages about it, its deletion's among them.
  // Times are milliseconds since the epoch, as the caller gives them. The index is the order
  // claims take messages in, so a claim reads only the due ones.
  `
  CREATE TABLE outbox (
    id text COLLATE "C" PRIMARY KEY,
    type text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    due_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0
  );
  CREATE INDEX outbox_by_due ON outbox (due_at, id);
  `,
]

/** The schema version this release of the package migrates a database to. */
export const schemaVersion = migrations.length

/**
 * Brings the database's schema to {@link schemaVersion}, in one transaction. Instances starting
 * at the same moment take turns on an advisory lock, so each migration runs once; when the schema
 * is current this only reads its version. Rejects with a `PostgresStoreError` (`schema-too-new`)
 * when a newer release of the package migrated the database further.
 */
export async function migrate(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    // A migration of a large table may run long; whoever waits for the lock waits with it.
    await client.query("SET LOCAL statement_timeout = 0")
    // Transaction-scoped: released by the commit or rollback, even should the session die.
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('@tandem/storage-postgres schema', 0))")
    await client.query("CREATE TABLE IF NOT EXISTS tandem_schema (version integer PRIMARY KEY, migrated_at timestamptz NOT NULL DEFAULT now())")
    const { rows } = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM tandem_schema")
    const current = rows[0]?.version ?? 0
    if (current > schemaVersion) {
      throw new PostgresStoreError(
        "schema-too-new",
        `the database's schema is at version ${current}, newer than ${schemaVersion}, the newest this release of @tandem/storage-postgres knows; upgrade it`,
      )
    }
    for (let version = current + 1; version <= schemaVersion; version++) {
      await client.query(migrations[version - 1]!)
      await client.query("INSERT INTO tandem_schema (version) VALUES ($1)", [version])
    }
  })
}

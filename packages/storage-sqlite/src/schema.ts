import type Database from "better-sqlite3"
import { SqliteStoreError } from "./sqlite-store-error.js"

// The schema 0.1.0 created, with `CREATE TABLE IF NOT EXISTS` on every open and no version:
// a file it wrote is at user_version 0, as is a new, empty file. Never change this text.
const initialSchema = `
CREATE TABLE IF NOT EXISTS documents (
  name TEXT PRIMARY KEY,
  head INTEGER NOT NULL,
  snapshot BLOB
);
CREATE TABLE IF NOT EXISTS updates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS updates_by_document ON updates (name, seq);
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  seq INTEGER,
  data BLOB NOT NULL,
  moved_at INTEGER NOT NULL
);
`

/** One step of the schema; `now` is the time of the migration, in milliseconds since the epoch. */
type Migration = (db: Database.Database, now: number) => void

// Oldest first: migration N takes the schema from user_version N - 1 to N. Released migrations
// never change; a release that needs another appends it.
const migrations: readonly Migration[] = [
  // 1: when each document was last written (rows written before we kept it count as written
  // now, the closest we know), and versions. AUTOINCREMENT so that a version id is never handed
  // out twice, even after the newest version was removed: a link to a removed version must not
  // come to show another. Names are TEXT in SQLite's BINARY collation, which orders them by
  // code point, as `list` promises.
  (db, now) => {
    db.exec(initialSchema)
    db.exec("ALTER TABLE documents ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0")
    db.prepare<[number]>("UPDATE documents SET updated_at = ?").run(now)
    db.exec(`
      CREATE INDEX quarantine_by_document ON quarantine (name);
      CREATE TABLE versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('auto', 'named')),
        label TEXT,
        author TEXT,
        created_at INTEGER NOT NULL,
        state BLOB NOT NULL
      );
      CREATE INDEX versions_by_document ON versions (name, id);
    `)
  },
  // 2: the outbox, messages (webhooks) to deliver at least once. Ids are the caller's. Not tied
  // to a document: deleting one keeps the messages about it, its deletion's among them. The index
  // is the order claims take messages in, so a claim reads only the due ones.
  (db) => {
    db.exec(`
      CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX outbox_by_due ON outbox (due_at, id);
    `)
  },
  // 3: the log keyed by (name, seq) itself, WITHOUT ROWID, instead of a rowid table with a
  // unique index beside it: an append then writes one b-tree, not two (with the head's row,
  // about 2 pages a commit instead of 3.5).
  (db) => {
    db.exec(`
      CREATE TABLE updates_by_seq (
        name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (name, seq)
      ) WITHOUT ROWID;
      INSERT INTO updates_by_seq (name, seq, data) SELECT name, seq, data FROM updates;
      DROP TABLE updates;
      ALTER TABLE updates_by_seq RENAME TO updates;
    `)
  },
  // 4: an append no longer rewrites its document's row (the head and the time of the last write,
  // beside the snapshot): each update carries the time it was written, and the head is the
  // highest of the row's `head` and the log's last number. The row's `head` is brought up to
  // date only when a compaction or a quarantine takes updates out of the log. A commit then
  // writes one b-tree page instead of two.
  (db) => {
    db.exec("ALTER TABLE updates ADD COLUMN written_at INTEGER")
  },
]

/** The `PRAGMA user_version` this release of the package migrates a database file to. */
export const schemaVersion = migrations.length

/**
 * Brings the file's schema to {@link schemaVersion} in one transaction, which takes the write
 * lock before it reads the version, so that two processes opening one file migrate it once. A
 * file already current is only read.
 *
 * @throws SqliteStoreError (`schema-too-new`) when a newer release migrated the file further;
 * the file is left as it was.
 */
export function migrate(db: Database.Database, now: number): void {
  db.transaction(() => {
    const current = db.pragma("user_version", { simple: true }) as number
    if (current > schemaVersion) {
      throw new SqliteStoreError(
        "schema-too-new",
        `the database's schema is at version ${current}, newer than ${schemaVersion}, the newest this release of @tandem/storage-sqlite knows; upgrade it`,
      )
    }
    for (let version = current; version < schemaVersion; version++) migrations[version]!(db, now)
    if (current < schemaVersion) db.pragma(`user_version = ${schemaVersion}`)
  }).immediate()
}

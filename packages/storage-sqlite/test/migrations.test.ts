import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { describe, expect, it, onTestFinished } from "vitest"
import { createSqliteStore, schemaVersion, SqliteStoreError } from "../src/index.js"

// The schema of 0.1.0, verbatim: files it wrote have these tables and user_version 0.
const schemaOf010 = `
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

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-sqlite-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, "tandem.db")
}

/** Opens the file on a connection of the test's own, closed when the test finishes. */
function openRaw(path: string): Database.Database {
  const db = new Database(path)
  onTestFinished(() => {
    if (db.open) db.close()
  })
  return db
}

/** A file as 0.1.0 left it: a compacted document with a log, and a quarantined update. */
function writeOldFile(path: string): void {
  const db = openRaw(path)
  db.pragma("journal_mode = WAL")
  db.exec(schemaOf010)
  db.prepare("INSERT INTO documents (name, head, snapshot) VALUES (?, ?, ?)").run("notes/a", 3, Buffer.from([9, 9, 9]))
  const insertUpdate = db.prepare("INSERT INTO updates (name, seq, data) VALUES (?, ?, ?)")
  insertUpdate.run("notes/a", 2, Buffer.from([2, 2]))
  insertUpdate.run("notes/a", 3, Buffer.from([3]))
  db.prepare("INSERT INTO documents (name, head, snapshot) VALUES (?, ?, NULL)").run("b", 1)
  insertUpdate.run("b", 1, Buffer.from([1]))
  db.prepare("INSERT INTO quarantine (name, seq, data, moved_at) VALUES (?, ?, ?, ?)").run("notes/a", 1, Buffer.from([0]), 1)
  db.close()
}

// What migration 1 added, verbatim: with the schema of 0.1.0, a file at user_version 1.
const schemaOfVersion1 = `
ALTER TABLE documents ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
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
`

/** A file at schema version 1 (before the outbox): a document with a version. */
function writeVersion1File(path: string): void {
  const db = openRaw(path)
  db.pragma("journal_mode = WAL")
  db.exec(schemaOf010)
  db.exec(schemaOfVersion1)
  db.prepare("INSERT INTO documents (name, head, snapshot, updated_at) VALUES (?, ?, NULL, ?)").run("doc", 1, 1234)
  db.prepare("INSERT INTO updates (name, seq, data) VALUES (?, ?, ?)").run("doc", 1, Buffer.from([1]))
  db.prepare("INSERT INTO versions (name, kind, label, author, created_at, state) VALUES (?, ?, ?, ?, ?, ?)").run("doc", "named", "v1", null, 5, Buffer.from([7]))
  db.pragma("user_version = 1")
  db.close()
}

const userVersion = (path: string) => openRaw(path).pragma("user_version", { simple: true })

describe("sqlite schema migrations", () => {
  it("migrates a file written by 0.1.0 in place, keeping its documents", async () => {
    const path = tempPath()
    writeOldFile(path)
    const before = Date.now()
    const store = createSqliteStore({ path })
    const after = Date.now()
    onTestFinished(() => store.close())

    const loaded = await store.load("notes/a")
    expect({
      snapshot: [...(loaded?.snapshot ?? [])],
      updates: loaded?.updates.map((u) => [u.seq, ...u.data]),
      head: loaded?.head,
    }).toEqual({ snapshot: [9, 9, 9], updates: [[2, 2, 2], [3, 3]], head: 3 })
    // Rows from before the migration count as written when it ran.
    const listed = await store.list({ prefix: "", after: null, limit: 10 })
    expect(listed.map(({ name, bytes }) => ({ name, bytes }))).toEqual([
      { name: "b", bytes: 1 },
      { name: "notes/a", bytes: 3 + 2 + 1 },
    ])
    for (const { updatedAt } of listed) {
      expect(updatedAt).toBeGreaterThanOrEqual(before)
      expect(updatedAt).toBeLessThanOrEqual(after)
    }
    expect(await store.append("notes/a", [new Uint8Array([4])])).toBe(4)
    const version = await store.versions!.save("notes/a", { kind: "named", label: "after the upgrade", author: null, createdAt: 1, state: new Uint8Array([7]) })
    expect(await store.versions!.list("notes/a", { before: null, limit: 10 })).toEqual([version])
    expect(await store.delete("notes/a")).toBe(true)
    expect(await store.list({ prefix: "", after: null, limit: 10 })).toEqual([listed[0]])
    await store.close()

    expect(userVersion(path)).toBe(schemaVersion)
    // delete() took the quarantined row from 0.1.0 with it.
    expect(openRaw(path).prepare("SELECT count(*) AS n FROM quarantine").get()).toEqual({ n: 0 })
  })

  it("opens a migrated file again without migrating it twice", async () => {
    const path = tempPath()
    writeOldFile(path)
    const first = createSqliteStore({ path })
    await first.append("b", [new Uint8Array([2])])
    const [migrated] = await first.list({ prefix: "notes/", after: null, limit: 1 })
    const version = await first.versions!.save("b", { kind: "auto", label: null, author: null, createdAt: 5, state: new Uint8Array([1]) })
    await first.close()

    const second = createSqliteStore({ path })
    onTestFinished(() => second.close())
    // A second run of the migration would fail on the added column, or stamp the old rows anew.
    expect(await second.list({ prefix: "notes/", after: null, limit: 1 })).toEqual([migrated])
    expect((await second.load("b"))?.updates.map((u) => [u.seq, ...u.data])).toEqual([[1, 1], [2, 2]])
    expect(await second.versions!.list("b", { before: null, limit: 10 })).toEqual([version])
    await second.close()
    expect(userVersion(path)).toBe(schemaVersion)
  })

  it("adds the outbox to a file at version 1, keeping its documents, write times and versions", async () => {
    const path = tempPath()
    writeVersion1File(path)
    const store = createSqliteStore({ path })
    onTestFinished(() => store.close())
    expect((await store.load("doc"))?.updates.map((u) => [u.seq, ...u.data])).toEqual([[1, 1]])
    expect(await store.list({ prefix: "", after: null, limit: 10 })).toEqual([{ name: "doc", bytes: 1, updatedAt: 1234 }])
    expect((await store.versions!.list("doc", { before: null, limit: 10 })).map((v) => v.label)).toEqual(["v1"])
    const message = { id: "m", type: "document.changed", body: "{}", createdAt: 1, dueAt: 2, attempts: 0 }
    expect(await store.append("doc", [new Uint8Array([2])], [message])).toBe(2)
    expect(await store.outbox!.claim(2, 3, 10)).toEqual([message])
    await store.close()
    expect(userVersion(path)).toBe(schemaVersion)
  })

  it("creates the current schema in a new file", async () => {
    const path = tempPath()
    const store = createSqliteStore({ path })
    expect(await store.append("doc", [new Uint8Array([1])])).toBe(1)
    await store.close()
    expect(userVersion(path)).toBe(schemaVersion)
    const tables = openRaw(path).prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all()
    expect(tables.map((table) => table.name)).toEqual(["documents", "outbox", "quarantine", "sqlite_sequence", "updates", "versions"])
    // The log is keyed by (name, seq) itself: one b-tree an append writes, no index beside it.
    const log = openRaw(path).prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'updates'").get()!
    expect(log.sql).toMatch(/WITHOUT ROWID/)
    expect(openRaw(path).prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'updates' AND sql IS NOT NULL").all()).toEqual([])
  })

  it("refuses a file a newer release migrated, and leaves it as it was", () => {
    const path = tempPath()
    const db = openRaw(path)
    db.exec(schemaOf010)
    db.pragma(`user_version = ${schemaVersion + 1}`)
    db.close()
    let error: unknown
    try {
      createSqliteStore({ path })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(SqliteStoreError)
    expect(error).toMatchObject({ code: "schema-too-new" })
    expect(userVersion(path)).toBe(schemaVersion + 1)
    expect(openRaw(path).prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'versions'").get()).toEqual({ n: 0 })
  })
})

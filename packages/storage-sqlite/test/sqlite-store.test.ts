import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import type { StoredDocument } from "@tandem/server"
import { runDocumentStoreTests } from "@tandem/storage-testkit"
import Database from "better-sqlite3"
import { describe, expect, it, onTestFinished } from "vitest"
import { Checkpointer } from "../src/checkpointer.js"
import { createSqliteStore } from "../src/index.js"

for (const synchronous of ["normal", "full"] as const) {
  runDocumentStoreTests(`sqlite (synchronous=${synchronous})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-sqlite-"))
    return {
      open: async () => createSqliteStore({ path: join(dir, "nested", "tandem.db"), synchronous }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }, { requireVersions: true, requireOutbox: true })
}

/** A database file in a new folder, removed when the test ends. */
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-sqlite-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, "tandem.db")
}

describe("sqlite checkpoints", () => {
  // More than SQLite's own automatic checkpoint (1,000 pages) would let the log grow to.
  const manyPages = async (store: ReturnType<typeof createSqliteStore>) => {
    const update = new Uint8Array(3000).fill(7)
    for (let i = 0; i < 1500; i++) await store.append("doc", [update])
  }

  it("never checkpoints in a commit, where it would stall the event loop", async () => {
    const path = tempPath()
    const store = createSqliteStore({ path, checkpointIntervalMs: 60_000 })
    onTestFinished(() => store.close())
    await manyPages(store)
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(1000 * 4096)
  })

  it("writes one page per small append, leaving the document's row (and its snapshot) alone", async () => {
    const path = tempPath()
    const store = createSqliteStore({ path, checkpointIntervalMs: 60_000 })
    onTestFinished(() => store.close())
    await store.append("doc", [new Uint8Array([1])])
    // A snapshot spread over many pages, as a long document's is.
    await store.compact("doc", new Uint8Array(100_000).fill(3), 1)
    const walFrames = () => statSync(`${path}-wal`).size
    const before = walFrames()
    for (let i = 0; i < 10; i++) await store.append("doc", [new Uint8Array(40).fill(i)])
    // Each frame is a page (4,096 bytes) and its 24-byte header.
    expect((walFrames() - before) / (4096 + 24)).toBe(10)
    const stored = await store.load("doc")
    expect(stored?.head).toBe(11)
    expect(stored?.updates.map((u) => u.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })

  it("has a worker thread copy the log into the database file", async () => {
    const path = tempPath()
    let report: () => void = () => {}
    const store = createSqliteStore({ path, checkpointIntervalMs: 20, onCheckpoint: () => report() })
    onTestFinished(() => store.close())
    await manyPages(store)
    // The commits never checkpoint (above), so whatever reaches the database file, the worker
    // put there. Each report is a checkpoint that found pages; the last one copies the rest.
    while (statSync(path).size < 1500 * 3000) await new Promise<void>((resolve) => (report = resolve))
    expect((await store.load("doc"))?.updates).toHaveLength(1500)
  })

  it("asks the worker for a checkpoint once the appends wrote checkpointPages, before the interval", async () => {
    const path = tempPath()
    const seen: number[] = []
    let report: () => void = () => {}
    const store = createSqliteStore({
      path,
      checkpointIntervalMs: 600_000,
      checkpointPages: 100,
      onCheckpoint: (result) => {
        seen.push(result.checkpointed)
        report()
      },
    })
    onTestFinished(() => store.close())
    const reported = new Promise<void>((resolve) => (report = resolve))
    // A page each; the interval is ten minutes away, so only the count can bring a checkpoint.
    for (let i = 0; i < 100; i++) await store.append("doc", [new Uint8Array([i])])
    await reported
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeGreaterThanOrEqual(100)
  })

  it("empties the log into the database file on close", async () => {
    const path = tempPath()
    const store = createSqliteStore({ path, checkpointIntervalMs: 60_000 })
    await store.append("doc", [new Uint8Array([1, 2, 3])])
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0)
    await store.close()
    expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0)
    const reopened = new Database(path, { readonly: true })
    onTestFinished(() => {
      reopened.close()
    })
    expect(reopened.prepare("SELECT count(*) AS n FROM updates").get()).toEqual({ n: 1 })
  })
})

describe("sqlite heads kept in memory", () => {
  const bytes = (stored: StoredDocument | null) => stored?.updates.map((u) => [u.seq, ...u.data])

  it("numbers on from a group that failed and rolled back as if it never ran", async () => {
    const store = createSqliteStore({ path: tempPath() })
    onTestFinished(() => store.close())
    const message = { id: "m1", type: "t", body: "{}", createdAt: 1, dueAt: 1, attempts: 0 }
    await store.append("a", [new Uint8Array([1])], [message])
    // The second document's message repeats an id: the whole group rolls back, the first
    // document's append with it.
    await expect(store.appendMany!([{ name: "a", updates: [new Uint8Array([2])] }, { name: "b", updates: [new Uint8Array([3])], outbox: [message] }])).rejects.toThrow()
    expect(await store.appendMany!([{ name: "a", updates: [new Uint8Array([4])] }, { name: "b", updates: [new Uint8Array([5])] }])).toEqual([2, 1])
    expect(bytes(await store.load("a"))).toEqual([[1, 1], [2, 4]])
    expect(bytes(await store.load("b"))).toEqual([[1, 5]])
  })

  it("numbers a document two groups write in one transaction on", async () => {
    const store = createSqliteStore({ path: tempPath() })
    onTestFinished(() => store.close())
    expect(await store.appendMany!([{ name: "a", updates: [new Uint8Array([1])] }, { name: "a", updates: [new Uint8Array([2]), new Uint8Array([3])] }])).toEqual([1, 3])
    expect(bytes(await store.load("a"))).toEqual([[1, 1], [2, 2], [3, 3]])
  })

  it("starts a deleted document again from 1", async () => {
    const store = createSqliteStore({ path: tempPath() })
    onTestFinished(() => store.close())
    await store.append("a", [new Uint8Array([1]), new Uint8Array([2])])
    await store.delete("a")
    expect(await store.append("a", [new Uint8Array([3])])).toBe(1)
    expect(bytes(await store.load("a"))).toEqual([[1, 3]])
  })

  it("loses nothing to a second writer on the file, against the rule: one failed append, then it reads the head again", async () => {
    const path = tempPath()
    const first = createSqliteStore({ path })
    const second = createSqliteStore({ path })
    onTestFinished(async () => {
      await first.close()
      await second.close()
    })
    expect(await first.append("doc", [new Uint8Array([1])])).toBe(1)
    expect(await second.append("doc", [new Uint8Array([2])])).toBe(2)
    // The first store's head says 1: its next number is taken, and its append fails whole.
    await expect(first.append("doc", [new Uint8Array([3])])).rejects.toThrow(/UNIQUE|PRIMARY KEY/)
    expect(await first.append("doc", [new Uint8Array([3])])).toBe(3)
    expect(bytes(await first.load("doc"))).toEqual([[1, 1], [2, 2], [3, 3]])
  })
})

/**
 * Runs the module `body(path)` in a new process, with `createSqliteStore` imported from the built
 * package (as a server process runs it), `Database` from better-sqlite3, and `path` a database
 * file in a new folder. A file, not `node --input-type=module -e`: a worker thread inherits that
 * flag and dies of it, so the store would run without its checkpoint worker.
 */
async function runScript(body: (path: string) => string): Promise<{ path: string; code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tandem-sqlite-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, "tandem.db")
  const require = createRequire(import.meta.url)
  const file = join(dir, "script.mjs")
  writeFileSync(
    file,
    `import { createSqliteStore } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)}
import Database from ${JSON.stringify(pathToFileURL(require.resolve("better-sqlite3")).href)}
${body(JSON.stringify(path))}`,
  )
  const child = spawn(process.execPath, [file])
  onTestFinished(() => {
    child.kill("SIGKILL")
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, "exit")) as [number]
  return { path, code, stdout: stdout.trim(), stderr }
}

describe("sqlite store in a process of its own", () => {
  it("lets close() finish, log emptied, when nothing else keeps the process alive", async () => {
    // Its checkpoint worker does not hold the process open, so close() must, or the process
    // exits with close() unsettled (code 13).
    const { path, ...run } = await runScript(
      (path) => `const store = createSqliteStore({ path: ${path} })
      await store.append("doc", [new Uint8Array([1, 2, 3])])
      await store.close()
      console.log("closed")`,
    )
    expect(run).toEqual({ code: 0, stdout: "closed", stderr: "" })
    expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0)
  })

  it("never waits in the writer's own checkpoint for another connection's reader, whatever the busy timeout", async () => {
    // The reader is on the writer's thread: a checkpoint that waited for it would wait out its
    // busy timeout (a day), and the process would never print.
    const run = await runScript(
      (path) => `let reported = () => {}
      const store = createSqliteStore({
        path: ${path},
        busyTimeoutMs: 86_400_000,
        checkpointIntervalMs: 600_000,
        checkpointPages: 50,
        maxWalPages: 50,
        onCheckpoint: (result) => reported(result),
      })
      await store.append("doc", [new Uint8Array([0])])
      const reader = new Database(${path})
      reader.exec("BEGIN")
      reader.prepare("SELECT count(*) FROM updates").get()
      // The worker does not hold the process open; this does, until its report.
      const alive = setInterval(() => {}, 1000)
      const report = new Promise((resolve) => (reported = resolve))
      for (let i = 1; i <= 60; i++) await store.append("doc", [new Uint8Array([i])])
      // The worker could copy only what the reader does not need, so the log is still long:
      // the next commit checkpoints, with the reader in the way.
      const { log, checkpointed } = await report
      clearInterval(alive)
      const head = await store.append("doc", [new Uint8Array([61])])
      reader.exec("COMMIT")
      reader.close()
      const stored = await store.load("doc")
      await store.close()
      console.log(JSON.stringify({ longLog: log > 50 && checkpointed < log, head, stored: stored.updates.length }))`,
    )
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" })
    expect(JSON.parse(run.stdout)).toEqual({ longLog: true, head: 62, stored: 62 })
  }, 20_000)
})

describe("checkpoint worker", () => {
  it("reports a worker that dies, so the writer can take checkpoints back", async () => {
    let failed!: (error: Error) => void
    const failure = new Promise<Error>((resolve) => (failed = resolve))
    // A database the worker cannot open: its folder does not exist.
    const checkpointer = new Checkpointer(join(tmpdir(), "tandem-no-such-folder", "x", "tandem.db"), 20, () => {}, failed)
    expect((await failure).message).toMatch(/directory does not exist|unable to open/i)
    await checkpointer.stop()
  })
})

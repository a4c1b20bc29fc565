import { once } from "node:events"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import WebSocket from "ws"
import { StorageError, createSyncServer, type Authorizer } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { createAppLogger } from "../src/log.js"

/** A logger writing into an array, one parsed JSON object per line. */
function capture(options: { level?: "debug" | "info" | "warn"; now?: () => number; maxLinesPerSecond?: number } = {}) {
  const lines: string[] = []
  const logger = createAppLogger({ level: options.level ?? "info", pretty: false, sink: { write: (line) => lines.push(line) }, ...options })
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) }
}

describe("the app's logger", () => {
  it("writes JSON lines where a line about a connection names it, its document and its user, and an error keeps its stack", async () => {
    const { logger, entries } = capture()
    const dir = mkdtempSync(join(tmpdir(), "tandem-log-"))
    const store = createSqliteStore({ path: join(dir, "tandem.db") })
    const authorizer: Authorizer = { authorize: async () => ({ userId: "ada", access: "write", expiresAt: null }) }
    const sync = createSyncServer({ store, logger, authorizer })
    const node = createNodeServer({ sync })
    const { port } = await node.listen(0, "127.0.0.1")
    onTestFinished(async () => {
      await node.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const failed = new Promise((resolve) => sync.events.on("connection-failed", resolve))
    const ws = new WebSocket(`ws://127.0.0.1:${port}/sync/team/notes`)
    ws.on("error", () => {})
    await once(ws, "open")
    // Tag 0 (sync), then message type 99: no such sync message.
    ws.send(new Uint8Array([0, 99]))
    await failed
    const line = entries().find((entry) => entry.msg === "closing connection")
    expect(line).toMatchObject({ level: "warn", doc: "team/notes", sub: "ada", code: 1007 })
    expect(line?.connection).toEqual(expect.any(Number))
    expect(line?.time).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/))
    const err = line?.err as { type: string; message: string; stack: string }
    expect(err.type).toBe("ProtocolError")
    expect(err.stack).toMatch(/ProtocolError: .*\n\s+at /)
  })

  it("keeps the causes of an error with their stacks", () => {
    const { logger, entries } = capture()
    logger.error("storage write failed", { doc: "d", error: new StorageError("append-failed", "d", new Error("disk full")) })
    const err = entries()[0]!.err as { stack: string; cause: { message: string; stack: string } }
    expect(err.stack).toContain("StorageError: append-failed")
    expect(err.cause.message).toBe("disk full")
    expect(err.cause.stack).toContain("Error: disk full\n")
  })

  it("leaves out lines below its level, without counting them against the cap", () => {
    const { logger, entries } = capture({ level: "info", maxLinesPerSecond: 2, now: () => 1000 })
    for (let i = 0; i < 100; i++) logger.debug("upgrade refused", { status: 401 })
    logger.info("one")
    logger.warn("two")
    logger.warn("three")
    expect(entries().map((entry) => entry.msg)).toEqual(["one", "two"])
  })

  it("writes at most its budget of lines a second and then says how many it held back", () => {
    let now = 5_000
    const { logger, entries } = capture({ maxLinesPerSecond: 10, now: () => now })
    for (let i = 0; i < 1000; i++) logger.warn("closing connection", { code: 1008, i })
    expect(entries()).toHaveLength(10)
    now += 1000
    logger.info("next second")
    expect(entries().slice(10)).toMatchObject([
      { level: "warn", msg: "log lines suppressed", count: 990 },
      { level: "info", msg: "next second" },
    ])
  })

  it("writes readable lines with the stack below for a terminal", () => {
    const lines: string[] = []
    const logger = createAppLogger({ level: "info", pretty: true, sink: { write: (line) => lines.push(line) } })
    logger.warn("closing connection", { connection: 3, doc: "notes", sub: "ada", error: new Error("rate limit exceeded") })
    expect(lines).toHaveLength(1)
    const [first, ...rest] = lines[0]!.split("\n")
    expect(first).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*WARN.* closing connection connection=3 doc=notes sub=ada$/)
    expect(rest[0]).toBe("    Error: rate limit exceeded")
    expect(rest[1]).toMatch(/^\s+at /)
  })
})

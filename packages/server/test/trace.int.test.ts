import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { connectProvider, get, startServer, synced, untilText } from "./helpers.js"
import { readTrace } from "./trace.js"

describe("a real editing trace", () => {
  it("replays automerge-paper keystroke by keystroke through a provider to exactly its final text", async () => {
    const trace = readTrace("automerge-paper")
    const dir = mkdtempSync(join(tmpdir(), "tandem-trace-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const server = await startServer({ store: createSqliteStore({ path: join(dir, "tandem.db") }) })
    onTestFinished(() => server.store.close())
    const compactions: number[] = []
    server.sync.events.on("compacted", ({ head }) => compactions.push(head))

    const provider = connectProvider(server, "paper")
    await synced(provider)
    const text = provider.doc.getText("content")
    let patches = 0
    for (const txn of trace.txns) {
      // One Yjs transaction, so one update frame, per transaction of the trace.
      provider.doc.transact(() => {
        for (const [pos, del, ins] of txn.patches) {
          if (del > 0) text.delete(pos, del)
          if (ins) text.insert(pos, ins)
          patches++
        }
      })
    }
    expect(patches).toBe(259_778)
    expect(text.toString()).toBe(trace.endContent)

    // A second client receives edits only after the server stored them: once it has the whole
    // text, so does storage.
    const reader = connectProvider(server, "paper")
    await untilText(reader.doc, trace.endContent)
    const stored = await get(server, "/api/docs/paper/text")
    expect(stored.status).toBe(200)
    expect(stored.type).toBe("text/plain; charset=utf-8")
    expect(stored.body).toBe(trace.endContent)
    // The log was folded into snapshots along the way rather than growing without end.
    expect(compactions.length).toBeGreaterThan(0)
  })
})

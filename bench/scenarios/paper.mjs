// The scenarios on the automerge-paper trace: cold load of its final document, and persistence
// of its edits sent as separate updates.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import Database from "better-sqlite3"
import * as Y from "yjs"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { loader, startServer } from "../lib/processes.mjs"
import { servers } from "../lib/servers.mjs"
import { median } from "../lib/stats.mjs"

/** The automerge-paper trace's final document as one update (`tracePath`: the gzipped trace). */
export function paperState(tracePath) {
  const trace = JSON.parse(gunzipSync(readFileSync(tracePath)).toString("utf8"))
  const doc = new Y.Doc()
  // Fixed so runs are comparable (Yjs writes client ids as varints); large, as most random ones are, so the size is the common one.
  doc.clientID = 0x5eed0001
  const text = doc.getText("content")
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins) text.insert(pos, ins)
      }
    })
  }
  return Y.encodeStateAsUpdate(doc)
}

/** A data directory whose SQLite store holds `state` as room "paper", as a Tandem that stopped would leave it. */
async function storedPaper(state) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const store = createSqliteStore({ path: join(dataDir, "tandem.db") })
  await store.append("paper", [state])
  await store.close()
  return dataDir
}

/**
 * Cold load of the automerge-paper document. Tandem's first client is that of a fresh process
 * whose document is in SQLite only; the anchors keep documents in memory only, so a client puts
 * it there first and theirs is the first client after that. The first client's time includes its
 * own decoding of the sync step 2 it receives. Then a client joins once the document is in
 * memory, and 20 clients join at once, all systems with the document in memory; Tandem's 20 are
 * also timed as the first clients of a second fresh process (`twentyFresh`), which is what the
 * issue compares with the anchors' 20 from memory. Every load process first opens a client and
 * decodes a small document on a loopback server of its own (load.mjs warmUp), so no system's
 * first client pays for the load process's cold code, and the anchors' (warmed by pushing the
 * document) are not favoured.
 */
export async function coldLoad(settings, server, state) {
  if (server.dialect === "relay") return null
  const results = []
  const join1 = { dialect: server.dialect, room: "paper" }
  for (let i = 0; i < settings.runs; i++) {
    const dataDir = server.name === "tandem" ? await storedPaper(state) : mkdtempSync(join(tmpdir(), "tandem-bench-"))
    const running = await startServer(server, dataDir, [], settings.serverProcess)
    const load = loader()
    let result
    try {
      await load.run({ kind: "warm-up", dialect: server.dialect })
      // The first client stays, keeping the document in memory for the joins after it.
      if (server.name !== "tandem") await load.run({ kind: "push", url: running.url, ...join1, update: Buffer.from(state).toString("base64") })
      const first = await load.run({ kind: "join", url: running.url, ...join1, count: 1, keep: true, decode: true })
      const warm = await load.run({ kind: "join", url: running.url, ...join1, count: 1 })
      const twenty = await load.run({ kind: "join", url: running.url, ...join1, count: 20 })
      result = { firstDecoded: first.totalMs, warm: warm.totalMs, twenty: twenty.totalMs, twentyFresh: NaN, bytes: warm.step2Bytes }
    } finally {
      await load.stop()
      await running.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
    if (server.name === "tandem") {
      const freshDir = await storedPaper(state)
      const fresh = await startServer(server, freshDir, [], settings.serverProcess)
      const freshLoad = loader()
      try {
        await freshLoad.run({ kind: "warm-up", dialect: server.dialect })
        result.twentyFresh = (await freshLoad.run({ kind: "join", url: fresh.url, ...join1, count: 20 })).totalMs
      } finally {
        await freshLoad.stop()
        await fresh.stop()
        rmSync(freshDir, { recursive: true, force: true })
      }
    }
    results.push(result)
  }
  return {
    firstDecoded: median(results.map((r) => r.firstDecoded)),
    warm: median(results.map((r) => r.warm)),
    twenty: median(results.map((r) => r.twenty)),
    twentyFresh: median(results.map((r) => r.twentyFresh)),
    bytes: results[0].bytes,
  }
}

/**
 * Persistence (Tandem): the trace at `settings.tracePath` sent as separate updates with up to
 * 1,000 unacknowledged, then the bytes SQLite holds once the server has stopped, beside the
 * encoded document's.
 */
export async function persistence(settings) {
  const server = servers[0]
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir, [], settings.serverProcess)
  const load = loader()
  try {
    const r = await load.run({ kind: "persist", url: running.url, dialect: server.dialect, room: "paper", tracePath: settings.tracePath, window: 1000 })
    await running.stop()
    const db = new Database(join(dataDir, "tandem.db"), { readonly: true })
    const stored = db.prepare("SELECT (SELECT coalesce(sum(length(snapshot)), 0) FROM documents) + (SELECT coalesce(sum(length(data)), 0) FROM updates) AS bytes").get().bytes
    db.close()
    return { updatesPerSecond: r.sent / (r.ms / 1000), sent: r.sent, storedBytes: stored, encodedBytes: r.encodedDocBytes }
  } finally {
    load.stop()
    await running.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import * as prng from "lib0/prng"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { validateUpdate } from "@tandem/protocol"
import { RawPeer, startApp } from "./app.js"

const seed = Number(process.env.TANDEM_SEED ?? 31337)
const kills = Number(process.env.TANDEM_CRASH_KILLS ?? 30)
const doc = "crash/target"

/** Opens the database after a crash: SQLite's own integrity check, and every stored part decodes. */
function checkIntegrity(path: string): { rows: number } {
  const db = new Database(path)
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
    const parts = db.prepare<[], { data: Buffer | null }>("SELECT data FROM updates UNION ALL SELECT snapshot AS data FROM documents").all()
    for (const { data } of parts) if (data) validateUpdate(data)
    return { rows: parts.length }
  } finally {
    db.close()
  }
}

/** Each marker `k<kill>u<n>;` and how often it occurs in `text`. */
function markerCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(/k\d+u\d+;/g)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  return counts
}

describe("crash safety", () => {
  it(`loses no acknowledged or relayed update across ${kills} SIGKILLs at random moments (seed ${seed})`, async () => {
    console.log(`crash seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-crash-"))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    // Compacting every few updates, so kills also land while a snapshot is written.
    const env = { TANDEM_COMPACT_AFTER_UPDATES: "5" }
    const mustHave = new Set<string>()
    let ackedChecked = 0
    let relayedChecked = 0

    for (let kill = 0; kill < kills; kill++) {
      const app = await startApp(dataDir, env)
      // What a fresh client loads now must hold everything promised before the last kill.
      const loader = RawPeer.connect(app.port, doc, { subscribe: true })
      await loader.opened
      await loader.until(() => loader.synced)
      const loaded = loader.doc.getText("content").toString()
      const counts = markerCounts(loaded)
      for (const marker of mustHave) expect(counts.get(marker), `seed ${seed}, kill ${kill}: ${marker} lost`).toBe(1)
      for (const [marker, count] of counts) expect(count, `seed ${seed}: ${marker} duplicated`).toBe(1)
      loader.ws.close()

      // A writer whose document is thrown away at the kill, and an observer of what is relayed.
      const observer = RawPeer.connect(app.port, doc, { subscribe: true })
      const writer = RawPeer.connect(app.port, doc)
      await Promise.all([observer.opened, writer.opened])
      const text = writer.doc.getText("content")
      const sent: string[] = []
      const updates: Uint8Array[] = []
      const onUpdate = (update: Uint8Array) => updates.push(update)
      writer.doc.on("update", onUpdate)
      const send = () => {
        const marker = `k${kill}u${sent.length};`
        text.insert(text.length, marker)
        sent.push(marker)
        writer.sendUpdate(updates.pop()!)
      }
      const target = prng.int32(gen, 0, 40)
      while (writer.acked < target) {
        for (let i = prng.int32(gen, 1, 8); i > 0; i--) send()
        const before = writer.acked
        await writer.until(() => writer.acked > before)
      }
      // Kill with a random number of updates still in flight.
      for (let i = prng.int32(gen, 0, 15); i > 0; i--) send()
      app.child.kill("SIGKILL")
      await app.exited

      const acked = sent.slice(0, writer.acked)
      const relayed = [...markerCounts(observer.doc.getText("content").toString()).keys()]
      for (const marker of [...acked, ...relayed]) mustHave.add(marker)
      ackedChecked += acked.length
      relayedChecked += relayed.length
      checkIntegrity(join(dataDir, "tandem.db"))
    }

    // One last load after the final kill.
    const app = await startApp(dataDir, env)
    const response = await fetch(`http://127.0.0.1:${app.port}/api/docs/${doc}/text`)
    const counts = markerCounts(await response.text())
    for (const marker of mustHave) expect(counts.get(marker), `seed ${seed}: ${marker} lost`).toBe(1)
    console.log(`crash test: ${kills} kills, ${ackedChecked} acknowledged and ${relayedChecked} relayed updates checked, ${mustHave.size} markers kept`)
    expect(ackedChecked).toBeGreaterThan(kills)
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(0)
  })

  it("stores everything it accepted when stopped with SIGTERM in the middle of a burst", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-term-"))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const app = await startApp(dataDir)
    const writer = RawPeer.connect(app.port, "burst")
    await writer.opened
    const text = writer.doc.getText("content")
    const updates: Uint8Array[] = []
    writer.doc.on("update", (update: Uint8Array) => updates.push(update))
    const sent: string[] = []
    for (let i = 0; i < 2000; i++) {
      const marker = `b${i};`
      text.insert(text.length, marker)
      sent.push(marker)
      writer.sendUpdate(updates.pop()!)
    }
    // Stop once the server has started storing the burst.
    await writer.until(() => writer.acked > 0)
    app.child.kill("SIGTERM")
    expect(await app.exited).toBe(0)
    expect(await writer.closed).toBe(1001)
    const acked = writer.acked

    const again = await startApp(dataDir)
    const stored = await (await fetch(`http://127.0.0.1:${again.port}/api/docs/burst/text`)).text()
    // Frames are handled in order, so what was stored is exactly the first k markers, k at
    // least what was acknowledged: nothing the server accepted was dropped at the stop.
    const k = stored.length === 0 ? 0 : stored.split(";").length - 1
    expect(stored).toBe(sent.slice(0, k).join(""))
    expect(k).toBeGreaterThanOrEqual(acked)
    checkIntegrity(join(dataDir, "tandem.db"))
  })
})

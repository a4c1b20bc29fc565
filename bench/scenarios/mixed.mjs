// The mixed scenario: Tandem rooms of @codemirror/collab (OT) and Yjs clients beside all-Yjs ones.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { reportedCpuMs, startServer } from "../lib/processes.mjs"
import { servers } from "../lib/servers.mjs"
import { median } from "../lib/stats.mjs"
import { measureFanout } from "./fanout.mjs"

/**
 * The mixed scenario (Tandem only: the anchors have no OT endpoint): rooms of 10 with 5 OT
 * clients on /collab (@codemirror/collab) and 5 Yjs clients on /sync, one OT and one Yjs writer
 * each, beside the same rooms all-Yjs with two Yjs writers. Runs are taken in turn, so a change
 * in the shared machine's load falls on both.
 */
export const mixedShapes = [
  { key: "mixed", label: "5 OT + 5 Yjs", rooms: 10, clients: 10, writers: 2, ot: 5, otWriters: 1, rate: 10 },
  { key: "yjs", label: "10 Yjs", rooms: 10, clients: 10, writers: 2, rate: 10 },
]
// Each measurement is `runs` runs of this long (the fan-outs' 4 s give too few OT pushes for a p99).
// TANDEM_BENCH_MIXED_MS sets it (run.mjs).
export const defaultMixedMs = 10_000

/** One run of one room shape, on a Tandem started for it. */
async function mixedRun(settings, shape, run) {
  const server = servers[0]
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir, [], settings.serverProcess)
  try {
    const rooms = Array.from({ length: shape.rooms }, (_, i) => `${shape.key}-${run}-${i}`)
    const collabUrls = [running.url.replace(/\/sync$/, "/collab")]
    return await measureFanout({ urls: [running.url], collabUrls, dialect: server.dialect, cpuMs: async () => ({ server: await reportedCpuMs(running) }), mark: settings.mark }, rooms, shape, shape.rate, settings.mixedMs)
  } finally {
    await running.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Resolves to the figures of each room shape by key, or `{ error }`, so the rest of a full run is still written. */
export async function mixed(settings) {
  try {
    const tries = Object.fromEntries(mixedShapes.map((shape) => [shape.key, []]))
    for (let run = 0; run < settings.runs; run++) for (const shape of mixedShapes) tries[shape.key].push(await mixedRun(settings, shape, run))
    const results = {}
    for (const shape of mixedShapes) {
      const t = tries[shape.key]
      const pick = (key) => median(t.map((r) => r[key]))
      const path = (name) => ({ p50: median(t.map((r) => r.paths[name]?.p50 ?? NaN)), p99: median(t.map((r) => r.paths[name]?.p99 ?? NaN)) })
      results[shape.key] = {
        p50: pick("p50"),
        p99: pick("p99"),
        ...(shape.ot ? { otToYjs: path("ot->yjs"), otToOt: path("ot->ot"), yjsToOt: path("yjs->ot"), yjsToYjs: path("yjs->yjs") } : {}),
        ...(shape.otWriters ? { confirmP50: pick("confirmP50"), confirmP99: pick("confirmP99"), staleShare: pick("staleShare") } : {}),
        cpuPerDeliveryUs: pick("cpuPerDeliveryUs"),
        deliveredShare: pick("deliveredShare"),
        converged: t.every((r) => r.converged),
      }
    }
    return { results, seconds: settings.mixedMs / 1000 }
  } catch (error) {
    console.error("bench: mixed OT + Yjs room:", error)
    return { error: String(error?.message ?? error).split("\n")[0] }
  }
}

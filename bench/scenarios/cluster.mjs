// The several-instances scenario: Tandem ×2 on PostgreSQL + Redis, @hocuspocus/server ×2 +
// Redis and Tandem ×1, each serving the same rooms of 10.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startPostgres, startRedis } from "../../scripts/services.mjs"
import { cpuMs, exeVersion, familyCpuMs, livePids, packageVersion, procCmdline, procComm, procStat, reportedCpuMs, startServer } from "../lib/processes.mjs"
import { servers } from "../lib/servers.mjs"
import { median } from "../lib/stats.mjs"
import { measureFanout } from "./fanout.mjs"

/**
 * The several-instances scenario: each system serves the same rooms, whose clients alternate
 * between its instances. Tandem ×1 is the baseline, with every client on its one instance.
 */
export const clusterShape = { title: "rooms of 10", rooms: 10, clients: 10, writers: 2, rate: 10 }
export const clusterSystems = [
  {
    name: "tandem-cluster",
    label: "Tandem ×2 (PostgreSQL + Redis)",
    server: { name: "tandem-cluster", script: "tandem-cluster.mjs", dialect: "y-websocket", path: "/sync" },
    instances: 2,
    postgres: true,
    redis: true,
  },
  {
    name: "hocuspocus-redis",
    label: "@hocuspocus/server ×2 + Redis",
    server: { name: "hocuspocus-redis", script: "hocuspocus-redis.mjs", dialect: "hocuspocus", path: "" },
    instances: 2,
    postgres: false,
    redis: true,
  },
  { name: "tandem", label: "Tandem ×1 (SQLite)", server: servers[0], instances: 1, postgres: false, redis: false },
]

/** A throwaway PostgreSQL for the scenario, with a reading of the CPU time of all its processes. */
async function clusterPostgres() {
  const service = await startPostgres()
  // The postmaster is the process started with `-D <its data directory>`; every backend and
  // background worker is its child.
  const postmaster = livePids().find((pid) => {
    const args = procCmdline(pid)
    const at = args.indexOf("-D")
    return at !== -1 && args[at + 1] === service.dataDir
  })
  if (postmaster === undefined) {
    await service.stop()
    throw new Error(`no postgres process for ${service.dataDir} in /proc`)
  }
  return { service, cpuMs: () => familyCpuMs(postmaster), version: /\d+(\.\d+)*/.exec(exeVersion(postmaster))?.[0] ?? "?" }
}

/** A throwaway Redis for the scenario, with a reading of the CPU time of its redis-server. */
async function clusterRedis() {
  const service = await startRedis()
  // startRedis() spawns redis-server as our child.
  const pid = livePids().find((candidate) => {
    const fields = procStat(candidate)
    return fields && Number(fields[1]) === process.pid && procComm(candidate) === "redis-server" && procCmdline(candidate).join(" ").includes(String(service.port))
  })
  if (pid === undefined) {
    await service.stop()
    throw new Error(`no redis-server on port ${service.port} in /proc`)
  }
  return { service, cpuMs: () => cpuMs(pid), version: /v=(\S+)/.exec(exeVersion(pid, "redis-server"))?.[1] ?? "?" }
}

/** One run of one system: its instances started afresh, on rooms of their own in the shared PostgreSQL and Redis. */
async function clusterRun(settings, system, services, run) {
  const dataDirs = []
  const running = []
  try {
    const args = system.postgres ? [services.postgres.service.url, services.redis.service.url] : system.redis ? [services.redis.service.url] : []
    // One after the other, so the first has created the schema when the second starts.
    for (let i = 0; i < system.instances; i++) {
      dataDirs.push(mkdtempSync(join(tmpdir(), "tandem-bench-")))
      running.push(await startServer(system.server, dataDirs[i], args, settings.serverProcess))
    }
    // Every process that serves the rooms: the instances (as they report it, see reportedCpuMs),
    // and PostgreSQL and Redis when used (from /proc, in ticks: processes of their own).
    const serving = async () => ({
      instances: (await Promise.all(running.map(reportedCpuMs))).reduce((sum, ms) => sum + ms, 0),
      ...(system.postgres ? { postgres: services.postgres.cpuMs() } : {}),
      ...(system.redis ? { redis: services.redis.cpuMs() } : {}),
    })
    const rooms = Array.from({ length: clusterShape.rooms }, (_, i) => `${system.name}-${run}-${i}`)
    return await measureFanout({ urls: running.map((r) => r.url), dialect: system.server.dialect, cpuMs: serving, mark: settings.mark }, rooms, clusterShape, clusterShape.rate, 4000)
  } finally {
    for (const r of running) await r.stop()
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Runs the scenario for the systems named in `names` (all when undefined), their runs taken in
 * turn so that a change in the shared machine's load falls on all of them. Resolves to
 * `{ results, versions }`, or `{ error }` should PostgreSQL, Redis or a server fail, so the rest
 * of a full run is still written.
 */
export async function cluster(settings, names) {
  const systems = clusterSystems.filter((s) => names === undefined || names.includes(s.name))
  const services = {}
  try {
    if (systems.some((s) => s.postgres)) services.postgres = await clusterPostgres()
    if (systems.some((s) => s.redis)) services.redis = await clusterRedis()
    const tries = Object.fromEntries(systems.map((s) => [s.name, []]))
    for (let run = 0; run < settings.runs; run++) for (const system of systems) tries[system.name].push(await clusterRun(settings, system, services, run))
    const results = {}
    for (const system of systems) {
      const t = tries[system.name]
      const pick = (key) => median(t.map((r) => r[key]))
      // With one instance no delivery crosses instances: its figure is that of every delivery.
      const single = system.instances === 1
      results[system.name] = {
        p50: pick(single ? "p50" : "crossP50"),
        p99: pick(single ? "p99" : "crossP99"),
        allP50: pick("p50"),
        allP99: pick("p99"),
        crossShare: pick("crossShare"),
        cpuPerDeliveryUs: pick("cpuPerDeliveryUs"),
        // Medians part by part, so they need not add up to the figure above.
        cpuPartsPerDeliveryUs: Object.fromEntries(Object.keys(t[0].cpuPartsPerDeliveryUs).map((part) => [part, median(t.map((r) => r.cpuPartsPerDeliveryUs[part]))])),
        deliveredShare: pick("deliveredShare"),
        converged: t.every((r) => r.converged),
      }
    }
    return { results, versions: { postgres: services.postgres?.version, redis: services.redis?.version, hocuspocusRedis: packageVersion("@hocuspocus/extension-redis") } }
  } catch (error) {
    console.error("bench: several instances:", error)
    return { error: String(error?.message ?? error).split("\n")[0] }
  } finally {
    await services.postgres?.service.stop()
    await services.redis?.service.stop()
  }
}

// `npm run bench`: the same load against Tandem, @y/websocket-server, @hocuspocus/server and a raw
// ws relay, one after another on loopback, in one run; then Tandem ×2 on PostgreSQL + Redis
// against @hocuspocus/server ×2 + Redis and Tandem ×1 (several instances); then Tandem rooms of
// @codemirror/collab (OT) and Yjs clients beside all-Yjs ones. Prints a table, writes it to
// bench/results/ and into the README. Every comparison is a ratio taken within this run.
import { fork, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from "node:fs"
import { createServer } from "node:net"
import { cpus, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { gunzipSync } from "node:zlib"
import Database from "better-sqlite3"
import * as Y from "yjs"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { startPostgres, startRedis } from "../scripts/services.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..")
const tracePath = process.env.TANDEM_TRACES_DIR ? join(process.env.TANDEM_TRACES_DIR, "automerge-paper.json.gz") : join(root, "..", "shared", "data", "traces", "automerge-paper.json.gz")
const quick = process.env.TANDEM_BENCH_QUICK === "1"
const runs = quick ? 1 : 3

const servers = [
  { name: "tandem", label: "Tandem (SQLite on)", script: "tandem.mjs", dialect: "y-websocket", path: "/sync" },
  { name: "y-websocket", label: "@y/websocket-server (memory)", script: "y-websocket.mjs", dialect: "y-websocket", path: "" },
  { name: "hocuspocus", label: "@hocuspocus/server (memory)", script: "hocuspocus.mjs", dialect: "hocuspocus", path: "" },
  { name: "relay", label: "raw ws relay", script: "relay.mjs", dialect: "relay", path: "" },
]

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

/** Starts one server process: `node servers/<script> PORT DATA_DIR ...args`. */
async function startServer(server, dataDir, args = []) {
  const port = await freePort()
  // TANDEM_BENCH_PROFILE=<dir> writes a CPU profile of every server process there.
  const profile = process.env.TANDEM_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.TANDEM_BENCH_PROFILE}`] : []
  const hook = ["--expose-gc", "--import", pathToFileURL(join(here, "servers", "gc-hook.mjs")).href]
  const child = fork(join(here, "servers", server.script), [String(port), dataDir, ...args], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: [...hook, ...profile] })
  await new Promise((resolve, reject) => {
    child.once("message", resolve)
    child.once("exit", (code) => reject(new Error(`${server.name} exited with ${code}`)))
  })
  return {
    child,
    url: `ws://127.0.0.1:${port}${server.path}`,
    async stop() {
      child.kill("SIGTERM")
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)))
    },
  }
}

/** CPU time (ms) and resident memory (bytes) of a process, from /proc. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** The fields of /proc/PID/stat after the command name (state first), or null once it has exited. */
function procStat(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
  } catch {
    return null
  }
}
const livePids = () => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)
function procComm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim()
  } catch {
    return ""
  }
}
function procCmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
  } catch {
    return []
  }
}

/**
 * CPU time (ms) of a process and all it started: its own, that of its children alive now, and
 * that of those that ended (the kernel adds a reaped child's time to its parent's cutime and
 * cstime). PostgreSQL forks a process per connection and reaps them as they close.
 */
function familyCpuMs(parent) {
  const own = procStat(parent)
  if (!own) return NaN
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
  for (const pid of livePids()) {
    const fields = procStat(pid)
    if (fields && Number(fields[1]) === parent) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks * 10
}
function rssBytes(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024
}

function loader() {
  const child = fork(join(here, "load.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  return {
    child,
    run(task) {
      return new Promise((resolve, reject) => {
        child.once("message", (m) => (m.ok ? resolve(m.result) : reject(new Error(m.error))))
        child.send(task)
      })
    },
    stop: () => child.kill(),
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]
}
const percentile = (values, p) => {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** One fan-out run: rooms split over two load processes. */
async function fanoutRun(server, shape, ratePerWriter, durationMs) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir)
  try {
    const rooms = Array.from({ length: shape.rooms }, (_, i) => `fan-${shape.clients}-${i}`)
    return await measureFanout({ urls: [running.url], dialect: server.dialect, cpuMs: () => ({ server: cpuMs(running.child.pid) }) }, rooms, shape, ratePerWriter, durationMs)
  } finally {
    await running.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * Drives a fan-out against running servers: `urls` are the instances (each room's clients
 * alternate between them), `cpuMs()` the CPU time of every process that serves them, by part
 * (`{ server }`, or `{ instances, postgres, redis }`); the figure is their sum.
 */
async function measureFanout({ urls, collabUrls, dialect, cpuMs: serverCpuMs }, rooms, shape, ratePerWriter, durationMs) {
  const loads = [loader(), loader()]
  try {
    await Promise.all(
      loads.map((load, i) =>
        load.run({
          kind: "fanout-open",
          urls,
          dialect,
          rooms: rooms.filter((_, r) => r % loads.length === i),
          clientsPerRoom: shape.clients,
          writersPerRoom: shape.writers,
          // OT clients (the mixed scenario): on the /collab endpoint of the same instances.
          collabUrls,
          otPerRoom: shape.ot ?? 0,
          otWritersPerRoom: shape.otWriters ?? 0,
        }),
      ),
    )
    // A second of the same load first, so the figures are of a warm server (its code compiled,
    // its rooms loaded), as one in production is.
    await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter, durationMs: 1000 })))
    // The server's CPU is read around the sending alone: connecting clients and checking
    // convergence are not part of delivering updates.
    const before = serverCpuMs()
    const results = await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter, durationMs })))
    const after = serverCpuMs()
    const cpuParts = Object.fromEntries(Object.keys(after).map((part) => [part, after[part] - before[part]]))
    const serverCpu = Object.values(cpuParts).reduce((sum, ms) => sum + ms, 0)
    const checks = await Promise.all(loads.map((load) => load.run({ kind: "fanout-check" })))
    const latencies = results.flatMap((r) => r.latencies)
    const crossLatencies = results.flatMap((r) => r.crossLatencies)
    const delivered = results.reduce((s, r) => s + r.delivered, 0)
    const expected = results.reduce((s, r) => s + r.expected, 0)
    const sent = results.reduce((s, r) => s + r.sent, 0)
    const paths = {}
    for (const r of results) for (const [path, values] of Object.entries(r.paths)) paths[path] = (paths[path] ?? []).concat(values)
    const confirms = results.flatMap((r) => r.confirms)
    const pushes = results.reduce((s, r) => s + r.pushes, 0)
    return {
      // By path in a mixed room: from an OT or a Yjs writer to an OT or a Yjs client.
      paths: Object.fromEntries(Object.entries(paths).map(([path, values]) => [path, { p50: percentile(values, 50), p99: percentile(values, 99), count: values.length }])),
      // OT writers: from the edit (when the stock client pushes it, or queues it behind the push in flight) to its `push-result accepted`.
      confirmP50: percentile(confirms, 50),
      confirmP99: percentile(confirms, 99),
      staleShare: results.reduce((s, r) => s + r.stale, 0) / Math.max(1, pushes),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      crossP50: percentile(crossLatencies, 50),
      crossP99: percentile(crossLatencies, 99),
      crossShare: crossLatencies.length / Math.max(1, latencies.length),
      cpuPerDeliveryUs: (serverCpu * 1000) / Math.max(1, delivered),
      cpuPartsPerDeliveryUs: Object.fromEntries(Object.entries(cpuParts).map(([part, ms]) => [part, (ms * 1000) / Math.max(1, delivered)])),
      deliveredShare: delivered / Math.max(1, expected),
      converged: checks.every((r) => r.converged),
      rate: sent / (durationMs / 1000),
      loadCpuMs: results.reduce((s, r) => s + r.loadCpuMs, 0),
      serverCpuMs: serverCpu,
    }
  } finally {
    for (const load of loads) load.stop()
  }
}

async function fanout(server, shape) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(await fanoutRun(server, shape, shape.rate, 4000))
  const pick = (key) => median(results.map((r) => r[key]))
  return { p50: pick("p50"), p99: pick("p99"), cpuPerDeliveryUs: pick("cpuPerDeliveryUs"), converged: results.every((r) => r.converged), loadCpuMs: pick("loadCpuMs") }
}

async function saturation(server) {
  const shape = { rooms: 10, clients: 10, writers: 2 }
  const steps = []
  let sustained = 0
  // Rates per writer (20 writers); TANDEM_BENCH_STEPS (a JSON array) replaces them for a partial run.
  const perWriterRates = process.env.TANDEM_BENCH_STEPS ? JSON.parse(process.env.TANDEM_BENCH_STEPS) : [25, 50, 100, 150, 200, 300, 400, 600, 800]
  for (const perWriter of perWriterRates) {
    const total = perWriter * shape.rooms * shape.writers
    // Each step's figures are medians of several runs, like every other figure here.
    const tries = []
    for (let i = 0; i < runs; i++) tries.push(await fanoutRun(server, shape, perWriter, 2000))
    const r = { p99: median(tries.map((t) => t.p99)), deliveredShare: median(tries.map((t) => t.deliveredShare)) }
    steps.push({ total, p99: r.p99, delivered: r.deliveredShare })
    if (r.p99 > 100 || r.deliveredShare < 0.99) break
    sustained = total
  }
  return { sustained, p99At4000: steps.find((s) => s.total === 4000)?.p99 ?? NaN, steps }
}

async function capacity(server) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir)
  const loads = [loader(), loader()]
  try {
    // Garbage is collected in the server before each reading (servers/gc-hook.mjs).
    const collect = () =>
      new Promise((resolve) => {
        const done = (message) => message === "bench:gc-done" && (running.child.off("message", done), resolve())
        running.child.on("message", done)
        running.child.send("bench:gc")
      })
    await collect()
    const baseline = rssBytes(running.child.pid)
    const perConnection = {}
    let open = 0
    let room = 0
    for (const target of [1000, 5000, 10000]) {
      const add = target - open
      const rooms = Array.from({ length: add / 100 }, () => `idle-${room++}`)
      await Promise.all(loads.map((load, i) => load.run({ kind: "idle", url: running.url, dialect: server.dialect, rooms: rooms.filter((_, r) => r % 2 === i), clientsPerRoom: 100 })))
      open = target
      await collect()
      perConnection[target] = (rssBytes(running.child.pid) - baseline) / target
    }
    return perConnection
  } finally {
    for (const load of loads) load.stop()
    await running.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** The automerge-paper trace's final document as one update. */
function paperState() {
  const trace = JSON.parse(gunzipSync(readFileSync(tracePath)).toString("utf8"))
  const doc = new Y.Doc()
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

async function coldLoad(server, state) {
  if (server.dialect === "relay") return null
  const results = []
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
    if (server.name === "tandem") {
      const store = createSqliteStore({ path: join(dataDir, "tandem.db") })
      await store.append("paper", [state])
      await store.close()
    }
    const running = await startServer(server, dataDir)
    const load = loader()
    try {
      // Tandem loads from storage; the anchors keep documents in memory only, so a client puts it
      // there. The first client stays, keeping the document in memory for the joins after it.
      if (server.name !== "tandem") await load.run({ kind: "push", url: running.url, dialect: server.dialect, room: "paper", update: Buffer.from(state).toString("base64") })
      const first = await load.run({ kind: "join", url: running.url, dialect: server.dialect, room: "paper", count: 1, keep: true })
      const warm = await load.run({ kind: "join", url: running.url, dialect: server.dialect, room: "paper", count: 1 })
      const twenty = await load.run({ kind: "join", url: running.url, dialect: server.dialect, room: "paper", count: 20 })
      results.push({ first: first.totalMs, warm: warm.totalMs, twenty: twenty.totalMs, bytes: warm.step2Bytes })
    } finally {
      load.stop()
      await running.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  return {
    first: median(results.map((r) => r.first)),
    warm: median(results.map((r) => r.warm)),
    twenty: median(results.map((r) => r.twenty)),
    bytes: results[0].bytes,
  }
}

async function persistence() {
  const server = servers[0]
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir)
  const load = loader()
  try {
    const r = await load.run({ kind: "persist", url: running.url, dialect: server.dialect, room: "paper", tracePath, window: 1000 })
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

/**
 * The several-instances scenario: each system serves the same rooms, whose clients alternate
 * between its instances. Tandem ×1 is the baseline, with every client on its one instance.
 */
const clusterShape = { title: "rooms of 10", rooms: 10, clients: 10, writers: 2, rate: 10 }
const clusterSystems = [
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

/** `--version` of a running process's executable, first line (Debian's redis-server is redis-check-rdb, which reads its argv[0]). */
function exeVersion(pid, argv0) {
  try {
    return spawnSync(readlinkSync(`/proc/${pid}/exe`), ["--version"], { encoding: "utf8", ...(argv0 ? { argv0 } : {}) }).stdout.split("\n")[0].trim()
  } catch {
    return "?"
  }
}

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
async function clusterRun(system, services, run) {
  const dataDirs = []
  const running = []
  try {
    const args = system.postgres ? [services.postgres.service.url, services.redis.service.url] : system.redis ? [services.redis.service.url] : []
    // One after the other, so the first has created the schema when the second starts.
    for (let i = 0; i < system.instances; i++) {
      dataDirs.push(mkdtempSync(join(tmpdir(), "tandem-bench-")))
      running.push(await startServer(system.server, dataDirs[i], args))
    }
    // Every process that serves the rooms: the instances, and PostgreSQL and Redis when used.
    const serving = () => ({
      instances: running.reduce((sum, r) => sum + cpuMs(r.child.pid), 0),
      ...(system.postgres ? { postgres: services.postgres.cpuMs() } : {}),
      ...(system.redis ? { redis: services.redis.cpuMs() } : {}),
    })
    const rooms = Array.from({ length: clusterShape.rooms }, (_, i) => `${system.name}-${run}-${i}`)
    return await measureFanout({ urls: running.map((r) => r.url), dialect: system.server.dialect, cpuMs: serving }, rooms, clusterShape, clusterShape.rate, 4000)
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
async function cluster(names) {
  const systems = clusterSystems.filter((s) => names === undefined || names.includes(s.name))
  const services = {}
  try {
    if (systems.some((s) => s.postgres)) services.postgres = await clusterPostgres()
    if (systems.some((s) => s.redis)) services.redis = await clusterRedis()
    const tries = Object.fromEntries(systems.map((s) => [s.name, []]))
    for (let run = 0; run < runs; run++) for (const system of systems) tries[system.name].push(await clusterRun(system, services, run))
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
    return { results, versions: { postgres: services.postgres?.version, redis: services.redis?.version, hocuspocusRedis: version("@hocuspocus/extension-redis") } }
  } catch (error) {
    console.error("bench: several instances:", error)
    return { error: String(error?.message ?? error).split("\n")[0] }
  } finally {
    await services.postgres?.service.stop()
    await services.redis?.service.stop()
  }
}

/** The "Several instances" section of the table. */
function clusterSection(c) {
  if (c.error) return ["", `Several instances: not measured, ${c.error}.`]
  const cols = clusterSystems.filter((s) => c.results[s.name])
  const cell = (value) => cols.map((s) => value(c.results[s.name], s)).join(" | ")
  const tandem2 = c.results["tandem-cluster"]
  const hocuspocus2 = c.results["hocuspocus-redis"]
  const tandem1 = c.results.tandem
  const crossShare = tandem2?.crossShare ?? hocuspocus2?.crossShare
  return [
    "",
    `Several instances: ${clusterShape.title}, ${clusterShape.writers} writers each at ${clusterShape.rate} updates/s, each room's clients alternating between two instances with its writers on different ones` +
      (Number.isFinite(crossShare) ? ` (${fmt(crossShare * 100, 0)}% of deliveries cross instances)` : "") +
      `; Tandem ×1 has every client on its one instance. PostgreSQL ${c.versions.postgres ?? "n/a"} (fsync on) and Redis ${c.versions.redis ?? "n/a"} on the same machine, started for this scenario; @hocuspocus/extension-redis ${c.versions.hocuspocusRedis}.`,
    "",
    `| measure | ${cols.map((s) => s.label).join(" | ")} |`,
    `| --- | ${cols.map(() => "---").join(" | ")} |`,
    `| p50 / p99 cross-instance latency (ms) | ${cell((r, s) => `${fmt(r.p50)} / ${fmt(r.p99)}${s.instances === 1 ? " (every delivery)" : ""}`)} |`,
    `| CPU per delivered update (µs, all processes incl. PostgreSQL and Redis) | ${cell((r) => fmt(r.cpuPerDeliveryUs, 2))} |`,
    `| converged | ${cell((r) => (r.converged ? "yes" : "**no**"))} |`,
    "",
    "Targets (several instances, ratios from this run):",
    `- Cross-instance p99 latency of Tandem ×2: ${ratio(tandem2?.p99, tandem1?.p99)} single-instance Tandem's (target ≤ 2×).`,
    `- CPU per delivered update of Tandem ×2: ${ratio(tandem2?.cpuPerDeliveryUs, hocuspocus2?.cpuPerDeliveryUs)} @hocuspocus/server ×2 + Redis's (target < 1×).`,
  ]
}

/**
 * The mixed scenario (Tandem only: the anchors have no OT endpoint): rooms of 10 with 5 OT
 * clients on /collab (@codemirror/collab) and 5 Yjs clients on /sync, one OT and one Yjs writer
 * each, beside the same rooms all-Yjs with two Yjs writers. Runs are taken in turn, so a change
 * in the shared machine's load falls on both.
 */
const mixedShapes = [
  { key: "mixed", label: "5 OT + 5 Yjs", rooms: 10, clients: 10, writers: 2, ot: 5, otWriters: 1, rate: 10 },
  { key: "yjs", label: "10 Yjs", rooms: 10, clients: 10, writers: 2, rate: 10 },
]
// Each measurement is `runs` runs of this long (the fan-outs' 4 s give too few OT pushes for a p99).
const mixedMs = Number(process.env.TANDEM_BENCH_MIXED_MS ?? 10_000)

async function mixedRun(shape, run) {
  const server = servers[0]
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir)
  try {
    const rooms = Array.from({ length: shape.rooms }, (_, i) => `${shape.key}-${run}-${i}`)
    const collabUrls = [running.url.replace(/\/sync$/, "/collab")]
    return await measureFanout({ urls: [running.url], collabUrls, dialect: server.dialect, cpuMs: () => ({ server: cpuMs(running.child.pid) }) }, rooms, shape, shape.rate, mixedMs)
  } finally {
    await running.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Resolves to the figures of each room shape by key, or `{ error }`, so the rest of a full run is still written. */
async function mixed() {
  try {
    const tries = Object.fromEntries(mixedShapes.map((shape) => [shape.key, []]))
    for (let run = 0; run < runs; run++) for (const shape of mixedShapes) tries[shape.key].push(await mixedRun(shape, run))
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
    return { results, seconds: mixedMs / 1000 }
  } catch (error) {
    console.error("bench: mixed OT + Yjs room:", error)
    return { error: String(error?.message ?? error).split("\n")[0] }
  }
}

/** The "Mixed OT + Yjs room" section of the table. */
function mixedSection(m) {
  if (m.error) return ["", `Mixed OT + Yjs room: not measured, ${m.error}.`]
  const [ot, yjs] = mixedShapes
  const a = m.results[ot.key]
  const b = m.results[yjs.key]
  const pair = (r) => (r ? `${fmt(r.p50)} / ${fmt(r.p99)}` : "n/a")
  return [
    "",
    `Mixed OT + Yjs room (Tandem): ${ot.rooms} rooms of ${ot.clients}, ${ot.ot} clients of each on \`/collab\` (@codemirror/collab ${version("@codemirror/collab")}) and ${ot.clients - ot.ot} on \`/sync\`, one OT and one Yjs writer each at ${ot.rate} updates/s, beside the same rooms all-Yjs with two Yjs writers; ${fmt(m.seconds, 0)} s per run. ${fmt((a?.staleShare ?? NaN) * 100)}% of OT pushes were answered stale and pushed again, rebased.`,
    "",
    `| measure | ${ot.label} | ${yjs.label} |`,
    "| --- | --- | --- |",
    `| p50 / p99 latency, every delivery (ms) | ${pair(a)} | ${pair(b)} |`,
    `| p50 / p99 OT push → Yjs clients (ms) | ${pair(a.otToYjs)} | — |`,
    `| p50 / p99 OT push → confirmed to the pusher (ms) | ${fmt(a.confirmP50)} / ${fmt(a.confirmP99)} | — |`,
    `| p50 / p99 OT push → other OT clients (ms) | ${pair(a.otToOt)} | — |`,
    `| p50 / p99 Yjs update → OT clients (ms) | ${pair(a.yjsToOt)} | — |`,
    `| server CPU per delivered update (µs) | ${fmt(a.cpuPerDeliveryUs, 2)} | ${fmt(b.cpuPerDeliveryUs, 2)} |`,
    `| converged | ${a.converged ? "yes" : "**no**"} | ${b.converged ? "yes" : "**no**"} |`,
    "",
    `Target (mixed room, ratio from this run): CPU per delivered update ${ratio(a.cpuPerDeliveryUs, b.cpuPerDeliveryUs)} the all-Yjs room's (target ≤ 1.5×).`,
  ]
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(join(here, "node_modules", pkg, "package.json"), "utf8")).version
  } catch {
    return "?"
  }
}

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a")

async function main() {
  const started = Date.now()
  const shapes = [
    { key: "fan10", title: "fan-out, rooms of 10", rooms: 10, clients: 10, writers: 2, rate: 10 },
    { key: "fan100", title: "fan-out, rooms of 100", rooms: 2, clients: 100, writers: 2, rate: 10 },
  ]
  const results = {}
  // A partial run, for working on one figure: TANDEM_BENCH_ONLY=servers:scenarios, e.g.
  // "tandem,relay:fan10,saturation". It prints its figures and writes nothing.
  // A value without a colon lists scenarios, for every server: "cluster" runs the several-instances
  // scenario alone, for all its systems (tandem-cluster, hocuspocus-redis and tandem); "mixed" the
  // mixed OT + Yjs rooms beside all-Yjs ones (Tandem only; TANDEM_BENCH_MIXED_MS sets a run's length).
  const only = process.env.TANDEM_BENCH_ONLY?.split(":").map((list) => list.split(","))
  if (only) {
    const [names, scenarios] = only.length === 1 ? [undefined, only[0]] : only
    const perServer = scenarios.filter((s) => s !== "cluster" && s !== "mixed")
    for (const server of servers.filter((s) => perServer.length > 0 && (names === undefined || names.includes(s.name)))) {
      const r = (results[server.name] = {})
      for (const shape of shapes.filter((s) => scenarios.includes(s.key))) r[shape.key] = await fanout(server, shape)
      if (scenarios.includes("saturation")) r.saturation = await saturation(server)
      if (scenarios.includes("capacity")) r.capacity = await capacity(server)
      if (scenarios.includes("cold")) r.cold = await coldLoad(server, paperState())
      console.log(server.name, JSON.stringify(r))
    }
    if (scenarios.includes("cluster")) {
      const several = await cluster(names)
      console.log("cluster", JSON.stringify(several))
      console.log(clusterSection(several).join("\n"))
    }
    if (scenarios.includes("mixed")) {
      const m = await mixed()
      console.log("mixed", JSON.stringify(m))
      console.log(mixedSection(m).join("\n"))
    }
    return
  }
  const state = paperState()
  for (const server of servers) {
    console.log(`bench: ${server.name}`)
    const r = (results[server.name] = {})
    for (const shape of shapes) r[shape.key] = await fanout(server, shape)
    r.saturation = await saturation(server)
    r.capacity = await capacity(server)
    r.cold = await coldLoad(server, state)
  }
  const stored = await persistence()
  console.log("bench: several instances")
  const several = await cluster()
  console.log("bench: mixed OT + Yjs room")
  const mixedRoom = await mixed()
  const seconds = (Date.now() - started) / 1000

  const names = servers.map((s) => s.name)
  const row = (label, value) => `| ${label} | ${names.map((n) => value(results[n], n)).join(" | ")} |`
  const t = results.tandem
  const relay = results.relay
  const anchors = ["y-websocket", "hocuspocus"].map((n) => results[n])
  const lines = [
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}; ${runs} run(s) per figure (median), ${fmt(seconds, 0)} s in all.`,
    `Versions: Tandem ${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}, yjs ${version("yjs")}, ws ${version("ws")}, @y/websocket-server ${version("@y/websocket-server")}, @hocuspocus/server ${version("@hocuspocus/server")}.`,
    "",
    `| measure | ${servers.map((s) => s.label).join(" | ")} |`,
    `| --- | ${servers.map(() => "---").join(" | ")} |`,
    ...shapes.flatMap((shape) => [
      row(`${shape.title}: p50 / p99 latency (ms)`, (r) => `${fmt(r[shape.key].p50)} / ${fmt(r[shape.key].p99)}`),
      row(`${shape.title}: server CPU per delivered update (µs)`, (r) => fmt(r[shape.key].cpuPerDeliveryUs, 2)),
      row(`${shape.title}: converged`, (r) => (r[shape.key].converged ? "yes" : "**no**")),
    ]),
    row("saturation: sustained updates/s (p99 ≤ 100 ms)", (r) => String(r.saturation.sustained)),
    row("p99 latency at 4,000 updates/s (ms)", (r) => fmt(r.saturation.p99At4000)),
    ...[1000, 5000, 10000].map((n) => row(`memory per connection at ${n.toLocaleString("en")} idle (KB)`, (r) => fmt(r.capacity[n] / 1024))),
    row("cold load: first client synced (ms)", (r) => (r.cold ? fmt(r.cold.first) : "n/a")),
    row("cold load: a client joining once in memory (ms)", (r) => (r.cold ? fmt(r.cold.warm) : "n/a")),
    row("cold load: 20 concurrent joins (ms)", (r) => (r.cold ? fmt(r.cold.twenty) : "n/a")),
    "",
    `Persistence (Tandem): the automerge-paper trace sent as ${stored.sent.toLocaleString("en")} separate updates with up to 1,000 unacknowledged: ${fmt(stored.updatesPerSecond, 0)} updates/s durably stored; stored size after compaction ${stored.storedBytes.toLocaleString("en")} bytes for an encoded document of ${stored.encodedBytes.toLocaleString("en")} bytes (${ratio(stored.storedBytes, stored.encodedBytes)}).`,
    "",
    "Targets (ratios from this run):",
    ...shapes.map((shape) => `- ${shape.title}: CPU per delivered update ${ratio(t[shape.key].cpuPerDeliveryUs, relay[shape.key].cpuPerDeliveryUs)} the relay's (target ≤ 1.2×), ${ratio(t[shape.key].cpuPerDeliveryUs, Math.min(...anchors.map((a) => a[shape.key].cpuPerDeliveryUs)))} the best anchor's (target < 1×).`),
    `- Saturation: ${ratio(t.saturation.sustained, relay.saturation.sustained)} the relay's sustained rate (target ≥ 1×), ${ratio(t.saturation.sustained, Math.max(...anchors.map((a) => a.saturation.sustained)))} the best anchor's (target ≥ 1.5×).`,
    `- p99 at 4,000 updates/s: ${ratio(t.saturation.p99At4000, relay.saturation.p99At4000)} the relay's (target ≤ 1.3×).`,
    `- Memory at 10,000 idle connections: ${fmt((t.capacity[10000] - relay.capacity[10000]) / 1024)} KB per connection above the relay (target ≤ 2 KB).`,
    `- Cold load: first join once in memory ${fmt(t.cold?.warm)} ms (target < 50 ms); 20 concurrent joins ${ratio(Math.min(...anchors.map((a) => a.cold?.twenty ?? NaN)), t.cold?.twenty)} as fast as the faster anchor (target ≥ 2×).`,
    `- Storage: ${ratio(stored.storedBytes, stored.encodedBytes)} the encoded document (target ≤ 1.2×).`,
    ...clusterSection(several),
    ...mixedSection(mixedRoom),
  ]
  const table = lines.join("\n")
  console.log("\n" + table)
  mkdirSync(join(here, "results"), { recursive: true })
  writeFileSync(join(here, "results", "latest.md"), table + "\n")
  writeFileSync(join(here, "results", "latest.json"), JSON.stringify({ results, stored, cluster: several, mixed: mixedRoom, seconds }, null, 2) + "\n")
  const readmePath = join(root, "README.md")
  const readme = readFileSync(readmePath, "utf8")
  const start = "<!-- bench:start -->"
  const end = "<!-- bench:end -->"
  if (readme.includes(start) && readme.includes(end)) {
    writeFileSync(readmePath, readme.slice(0, readme.indexOf(start) + start.length) + "\n" + table + "\n" + readme.slice(readme.indexOf(end)))
  }
}

await main()

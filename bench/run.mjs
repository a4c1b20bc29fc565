// `npm run bench`: the same load against Tandem, @y/websocket-server, @hocuspocus/server and a raw
// ws relay, one after another on loopback, in one run; then Tandem ×2 on PostgreSQL + Redis
// against @hocuspocus/server ×2 + Redis and Tandem ×1 (several instances); then Tandem rooms of
// @codemirror/collab (OT) and Yjs clients beside all-Yjs ones. Prints a table ending with the
// issue #15 targets met or not, writes it to bench/results/ and into the README. Every comparison
// is a ratio taken within this run. `node run.mjs --report FILE` prints the table of a saved
// latest.json again.
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

/** The soft open-file limit of a process, from /proc. */
function openFileLimit(pid) {
  const limit = /^Max open files\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))[1]
  return limit === "unlimited" ? Infinity : Number(limit)
}

/**
 * Raises the open-file limit of a process just started (before it has any socket) to `wanted`
 * with prlimit(1). Only a process with CAP_SYS_RESOURCE may raise a hard limit; without it the
 * soft limit is raised to the hard one, which is as far as it goes. Returns the limit the process
 * has and, when it falls short of `wanted`, why.
 */
function raiseOpenFileLimit(pid, wanted) {
  const attempt = spawnSync("prlimit", [`--pid=${pid}`, `--nofile=${wanted}:${wanted}`], { encoding: "utf8" })
  if (openFileLimit(pid) >= wanted) return { limit: openFileLimit(pid) }
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))[1]
  if (hard !== "unlimited") spawnSync("prlimit", [`--pid=${pid}`, `--nofile=${hard}:${hard}`])
  const why = attempt.error ? `prlimit: ${attempt.error.code}` : attempt.stderr.trim() || `prlimit exited with ${attempt.status}`
  return { limit: openFileLimit(pid), why }
}

/** Resolves once a child process has exited, SIGKILLing it if it takes more than `ms` after `signal`. */
function endProcess(child, signal = "SIGTERM", ms = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

/**
 * Starts one server process: `node servers/<script> PORT DATA_DIR ...args`. With `nofile`, its
 * open-file limit is raised to that (see raiseOpenFileLimit; `fdLimit` says what it got).
 */
async function startServer(server, dataDir, args = [], { nofile } = {}) {
  const port = await freePort()
  // TANDEM_BENCH_PROFILE=<dir> writes a CPU profile of every server process there;
  // TANDEM_BENCH_NODE_ARGS adds Node options to them (e.g. --perf-basic-prof, for perf(1)).
  const profile = [
    ...(process.env.TANDEM_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.TANDEM_BENCH_PROFILE}`] : []),
    ...(process.env.TANDEM_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
  ]
  const hook = ["--expose-gc", "--import", pathToFileURL(join(here, "servers", "gc-hook.mjs")).href]
  // TANDEM_BENCH_SERVER_STDOUT=1 lets the servers' stdout through (e.g. with --trace-opt in TANDEM_BENCH_NODE_ARGS).
  const stdout = process.env.TANDEM_BENCH_SERVER_STDOUT ? "inherit" : "ignore"
  const child = fork(join(here, "servers", server.script), [String(port), dataDir, ...args], { stdio: ["ignore", stdout, "inherit", "ipc"], execArgv: [...hook, ...profile] })
  const fdLimit = nofile ? raiseOpenFileLimit(child.pid, nofile) : undefined
  await new Promise((resolve, reject) => {
    child.once("message", resolve)
    child.once("exit", (code) => reject(new Error(`${server.name} exited with ${code}`)))
  })
  return {
    child,
    url: `ws://127.0.0.1:${port}${server.path}`,
    fdLimit,
    stop: () => endProcess(child),
  }
}

/** CPU time (user + system, milliseconds) from a /proc stat file, a process's or a thread's. */
function statCpuMs(path) {
  const fields = readFileSync(path, "utf8").split(") ")[1].split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** CPU time (milliseconds) of a process, all its threads, from /proc. */
const cpuMs = (pid) => statCpuMs(`/proc/${pid}/stat`)

/**
 * CPU time (user + system, milliseconds) of each thread of a process, by thread id; the main
 * thread's id is the process's. For telling the event loop from V8's compiler and GC threads
 * and from worker threads, which /proc does not name apart for Node.
 */
function threadCpuMs(pid) {
  const spent = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      spent[tid] = statCpuMs(`/proc/${pid}/task/${tid}/stat`)
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return spent
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

/** A load process (load.mjs). With `nofile`, its open-file limit is raised to that, as a server's. */
function loader({ nofile } = {}) {
  const child = fork(join(here, "load.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  return {
    child,
    fdLimit: nofile ? raiseOpenFileLimit(child.pid, nofile) : undefined,
    run(task) {
      return new Promise((resolve, reject) => {
        child.once("message", (m) => (m.ok ? resolve(m.result) : reject(new Error(m.error))))
        child.send(task)
      })
    },
    /** Ends the process (and so every client it holds); resolves once it has exited. */
    stop: () => endProcess(child),
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

/**
 * Each fan-out drives its rooms at `rate` times its own rate for `ms` before it measures, so the
 * figures are of a warm server (its code optimized, its rooms loaded), as one in production is.
 * One second at the measured rate, as before issue #15, was not that: V8 was still optimizing
 * Tandem's hot path 16 s into a run of rooms of 10 (--trace-opt), and compiling was about a
 * quarter of its CPU in the window (perf); the anchors' and the relay's figures fell with the
 * change too. The fan-outs of the table take it; the saturation steps (fast already), the
 * several-instances and the mixed scenarios keep one second at their own rate.
 */
const warmUp = { rate: Number(process.env.TANDEM_BENCH_WARM_RATE ?? 10), ms: Number(process.env.TANDEM_BENCH_WARM_MS ?? 2000) }

/** One fan-out run: rooms split over two load processes. */
async function fanoutRun(server, shape, ratePerWriter, durationMs, warm) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir)
  try {
    const rooms = Array.from({ length: shape.rooms }, (_, i) => `fan-${shape.clients}-${i}`)
    // TANDEM_BENCH_THREADS=1: the server's CPU in the window by thread, on stderr (see threadCpuMs).
    const byThread = process.env.TANDEM_BENCH_THREADS ? [] : null
    const cpu = () => {
      byThread?.push(threadCpuMs(running.child.pid))
      return { server: cpuMs(running.child.pid) }
    }
    const result = await measureFanout({ urls: [running.url], dialect: server.dialect, cpuMs: cpu }, rooms, shape, ratePerWriter, durationMs, warm)
    if (byThread?.length === 2) {
      const [before, after] = byThread
      const spent = Object.entries(after).map(([tid, ms]) => [tid, ms - (before[tid] ?? 0)])
      const others = spent.filter(([tid, ms]) => tid !== String(running.child.pid) && ms > 0).map(([tid, ms]) => `${tid} ${ms}`)
      console.error(`${server.name} ${shape.clients}: main thread ${after[running.child.pid] - before[running.child.pid]} ms, others (tid ms): ${others.join(", ") || "none"}`)
    }
    return result
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
async function measureFanout({ urls, collabUrls, dialect, cpuMs: serverCpuMs }, rooms, shape, ratePerWriter, durationMs, warm = { rate: 1, ms: 1000 }) {
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
    // A warm-up of the same rooms first, so the figures are of a warm server: `warm.rate` times
    // the rate for `warm.ms` (see warmUp), a second of the same load by default.
    await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter: ratePerWriter * warm.rate, durationMs: warm.ms })))
    // The server's CPU is read around the sending alone: connecting clients and checking
    // convergence are not part of delivering updates.
    const before = serverCpuMs()
    // TANDEM_BENCH_MARK=1: the window's ends on stdout, to match a server's trace (TANDEM_BENCH_SERVER_STDOUT) to it.
    if (process.env.TANDEM_BENCH_MARK) console.log(`WINDOW START ${Date.now()}`)
    const results = await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter, durationMs })))
    const after = serverCpuMs()
    if (process.env.TANDEM_BENCH_MARK) console.log(`WINDOW END ${Date.now()}`)
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

/**
 * How long each fan-out run measures. 8 s: at 4 s, one 10 ms tick of the kernel's CPU count was
 * 1.4 µs per delivered update in rooms of 10 (4% of the figure), V8 compiling the server's code,
 * a one-time cost, was about a quarter of Tandem's CPU in the window (perf), and runs of the
 * same build differed by up to a third. TANDEM_BENCH_FAN_MS sets it for a partial run.
 */
const fanoutMs = Number(process.env.TANDEM_BENCH_FAN_MS ?? 8000)

async function fanout(server, shape) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(await fanoutRun(server, shape, shape.rate, fanoutMs, warmUp))
  const pick = (key) => median(results.map((r) => r[key]))
  return { p50: pick("p50"), p99: pick("p99"), cpuPerDeliveryUs: pick("cpuPerDeliveryUs"), converged: results.every((r) => r.converged), loadCpuMs: pick("loadCpuMs") }
}

async function saturation(server) {
  const shape = { rooms: 10, clients: 10, writers: 2 }
  const steps = []
  let sustained = 0
  // Rates per writer (20 writers: 500, 2,000, 4,000 ... 16,000 and 20,000 updates/s; 1,000 and
  // 3,000 were left out to keep the run under 15 minutes). A system stops at the first step it
  // fails, so a higher step costs only the systems that pass the one below it; 20,000 because
  // Tandem and the relay passed 16,000, which then said nothing of how far they go.
  // TANDEM_BENCH_STEPS (a JSON array) replaces them for a partial run.
  const perWriterRates = process.env.TANDEM_BENCH_STEPS ? JSON.parse(process.env.TANDEM_BENCH_STEPS) : [25, 100, 200, 300, 400, 600, 800, 1000]
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

/** Collects garbage in a running server (servers/gc-hook.mjs), so that its memory is read from live objects. */
function collectGarbage(running) {
  return new Promise((resolve) => {
    const done = (message) => message === "bench:gc-done" && (running.child.off("message", done), resolve())
    running.child.on("message", done)
    running.child.send("bench:gc")
  })
}

/** Memory per connection at 1,000, 5,000 and 10,000 idle connections; partial runs only (TANDEM_BENCH_ONLY=…:capacity). */
async function capacity(server) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir)
  const loads = [loader(), loader()]
  try {
    // Garbage is collected in the server before each reading.
    const collect = () => collectGarbage(running)
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
async function coldLoad(server, state) {
  if (server.dialect === "relay") return null
  const results = []
  const join1 = { dialect: server.dialect, room: "paper" }
  for (let i = 0; i < runs; i++) {
    const dataDir = server.name === "tandem" ? await storedPaper(state) : mkdtempSync(join(tmpdir(), "tandem-bench-"))
    const running = await startServer(server, dataDir)
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
      const fresh = await startServer(server, freshDir)
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
 * The idle scenario: `idleTarget` WebSocket connections held open on one server, 100 per room,
 * opened by `idleLoads` load processes in one burst with at most `idleInFlight` each waiting
 * for their WebSocket handshake; each client does its dialect's handshake and then nothing.
 */
const idleTarget = 50_000
const idleLoads = 2
const idleInFlight = 256
// Descriptors a process needs besides its connections (Node's own, SQLite's files, IPC, ...).
const fdReserve = 500

/** A machine-wide TcpExt counter from /proc/net/netstat (ListenOverflows: connections dropped for a full accept queue). */
function tcpExt(field) {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((line) => line.startsWith("TcpExt:"))
  const names = lines[0].split(/\s+/)
  return Number(lines[1].split(/\s+/)[names.indexOf(field)])
}

/**
 * Server memory per connection and accept rate with `idleTarget` idle connections (one run: a
 * burst of this size is too slow to take three times per system). Each process's open-file
 * limit is raised to fit; when it cannot be (no CAP_SYS_RESOURCE), the count falls to what fits,
 * rounded down to whole rooms, and the result says so (`connections`, `limitedBy`). Clients are
 * spread over several 127.0.0.x source addresses, each using at most half its ephemeral ports;
 * `slot` picks addresses no other system of the run has used, so none inherits TIME_WAIT sockets.
 * Resolves to `{ error }` should it fail, so the rest of a full run is still written.
 */
async function idleMany(server, slot) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  let running
  const loads = []
  try {
    running = await startServer(server, dataDir, [], { nofile: idleTarget + fdReserve })
    for (let i = 0; i < idleLoads; i++) loads.push(loader({ nofile: Math.ceil(idleTarget / idleLoads) + fdReserve }))
    const fits = Math.min(running.fdLimit.limit - fdReserve, ...loads.map((load) => (load.fdLimit.limit - fdReserve) * idleLoads))
    const connections = Math.min(idleTarget, Math.floor(fits / 100) * 100)
    const limitedBy = connections < idleTarget ? `open-file limit ${Math.min(running.fdLimit.limit, ...loads.map((l) => l.fdLimit.limit))} (${[running.fdLimit, ...loads.map((l) => l.fdLimit)].find((l) => l.why)?.why ?? "?"})` : undefined
    if (limitedBy) console.warn(`bench: ${server.name}: ${connections.toLocaleString("en")} idle connections, not ${idleTarget.toLocaleString("en")}: ${limitedBy}`)
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number)
    const perAddress = Math.floor((high - low + 1) / 2)
    const count = Math.ceil(Math.ceil(idleTarget / perAddress) / idleLoads) * idleLoads
    const addresses = Array.from({ length: count }, (_, k) => `127.0.0.${2 + slot * count + k}`)
    const rooms = Array.from({ length: connections / 100 }, (_, i) => `idle-${i}`)
    await collectGarbage(running)
    const baseline = rssBytes(running.child.pid)
    const overflows = tcpExt("ListenOverflows")
    const cpuBefore = cpuMs(running.child.pid)
    const bursts = await Promise.all(
      loads.map((load, i) =>
        load.run({
          kind: "idle-burst",
          url: running.url,
          dialect: server.dialect,
          rooms: rooms.filter((_, r) => r % idleLoads === i),
          clientsPerRoom: 100,
          localAddresses: addresses.filter((_, a) => a % idleLoads === i),
          inFlight: idleInFlight,
          timeoutMs: 120_000,
        }),
      ),
    )
    // The server's CPU time from the first connect until every client is synced.
    const serverCpuMs = cpuMs(running.child.pid) - cpuBefore
    const listenOverflows = tcpExt("ListenOverflows") - overflows
    await collectGarbage(running)
    const first = Math.min(...bursts.map((b) => b.firstConnectAt))
    return {
      connections,
      limitedBy,
      perConnectionBytes: (rssBytes(running.child.pid) - baseline) / connections,
      acceptPerSecond: connections / ((Math.max(...bursts.map((b) => b.lastOpenAt)) - first) / 1000),
      syncedSeconds: (Math.max(...bursts.map((b) => b.lastSyncedAt)) - first) / 1000,
      serverCpuPerConnectionUs: (serverCpuMs * 1000) / connections,
      loadCpuPerConnectionUs: (bursts.reduce((sum, b) => sum + b.cpuMs, 0) * 1000) / connections,
      listenOverflows,
      addresses,
    }
  } catch (error) {
    console.error(`bench: ${server.name} idle connections:`, error)
    return { error: String(error?.message ?? error).split("\n")[0] }
  } finally {
    // The clients first, so the server is not stopped with every connection still open.
    await Promise.all(loads.map((load) => load.stop()))
    await running?.stop()
    rmSync(dataDir, { recursive: true, force: true })
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

const shapes = [
  { key: "fan10", title: "fan-out, rooms of 10", rooms: 10, clients: 10, writers: 2, rate: 10 },
  { key: "fan100", title: "fan-out, rooms of 100", rooms: 2, clients: 100, writers: 2, rate: 10 },
]
const fifteenMinutes = 900

/**
 * The targets of issue #15, then the earlier ones still held (`earlier: true`), from a run's
 * figures (a full run's, or a saved latest.json's). Each is `{ name, value, unit, op, limit, met }`
 * with `met` null when the figure is missing or was not taken as the target defines it (`note`
 * says why), so runs can be compared by a script.
 */
function targetsOf({ results, stored, seconds }) {
  const t = results.tandem ?? {}
  const relay = results.relay ?? {}
  const yws = results["y-websocket"] ?? {}
  const anchors = ["y-websocket", "hocuspocus"].map((name) => results[name] ?? {})
  const bestAnchorCpu = (key) => Math.min(...anchors.map((a) => a[key]?.cpuPerDeliveryUs ?? NaN))
  const target = (name, value, op, limit, unit, { earlier = false, note } = {}) => ({
    name,
    value,
    unit,
    op,
    limit,
    met: !Number.isFinite(value) || note ? null : op === "≤" ? value <= limit : op === "<" ? value < limit : value >= limit,
    ...(note ? { note } : {}),
    ...(earlier ? { earlier } : {}),
  })
  // The idle targets are set at idleTarget connections; a run held to fewer (the open-file limit) measured something else.
  const idle = t.idle50k
  const relayIdle = relay.idle50k
  const idleNote = [idle, relayIdle].some((r) => r && !r.error && r.connections !== idleTarget)
    ? `measured at ${[idle, relayIdle].map((r) => r?.connections?.toLocaleString("en") ?? "n/a").join(" / ")} connections (Tandem / relay), not ${idleTarget.toLocaleString("en")}: ${idle?.limitedBy ?? relayIdle?.limitedBy ?? "?"}`
    : undefined
  const bestAnchorRate = Math.max(...anchors.map((a) => a.saturation?.sustained ?? NaN))
  return [
    ...shapes.map((shape) => target(`${shape.title}: server CPU per delivered update, × the best anchor's`, t[shape.key]?.cpuPerDeliveryUs / bestAnchorCpu(shape.key), "≤", 0.9, "×")),
    target(`${shapes[0].title}: server CPU per delivered update, × the relay's`, t.fan10?.cpuPerDeliveryUs / relay.fan10?.cpuPerDeliveryUs, "≤", 1.6, "×"),
    target("p99 latency at 4,000 updates/s, × the relay's", t.saturation?.p99At4000 / relay.saturation?.p99At4000, "≤", 1.3, "×"),
    target("cold load: first client of a fresh process, from SQLite, its decoding included, × @y/websocket-server's first client from memory", t.cold?.firstDecoded / yws.cold?.firstDecoded, "≤", 1.5, "×"),
    target("cold load: 20 concurrent first clients of a fresh process, × @y/websocket-server's 20 concurrent joins from memory", t.cold?.twentyFresh / yws.cold?.twenty, "≤", 1, "×"),
    target(`${idleTarget.toLocaleString("en")} idle connections: server memory per connection above the relay's`, (idle?.perConnectionBytes - relayIdle?.perConnectionBytes) / 1024, "≤", 1, " KB", { note: idleNote }),
    target(`${idleTarget.toLocaleString("en")} idle connections: accept rate, × the relay's`, idle?.acceptPerSecond / relayIdle?.acceptPerSecond, "≥", 0.8, "×", { note: idleNote }),
    target("the whole run's time", seconds, "<", fifteenMinutes, " s"),
    target("saturation: sustained rate, × the relay's", t.saturation?.sustained / relay.saturation?.sustained, "≥", 1, "×", { earlier: true }),
    target("saturation: sustained rate, × the best anchor's", t.saturation?.sustained / bestAnchorRate, "≥", 1.5, "×", { earlier: true }),
    target("storage: stored size after compaction, × the encoded document", stored?.storedBytes / stored?.encodedBytes, "≤", 1.2, "×", { earlier: true }),
  ]
}

/** One target as a line of the report: its figure, the target, and whether it is met. */
function targetLine({ name, value, unit, op, limit, met, note }) {
  const figure = Number.isFinite(value) ? `${fmt(value, unit === " s" ? 0 : 2)}${unit}` : "n/a"
  const verdict = met === null ? "not measured" : met ? "met" : "**not met**"
  return `- ${name}: ${figure} (target ${op} ${limit}${unit}): ${verdict}${note ? ` (${note})` : ""}.`
}

/**
 * The report (the table written to bench/results/latest.md and the README) of a run's figures:
 * what main() collects, as written to latest.json. `node run.mjs --report FILE` prints it for a
 * saved file; figures a file lacks (an older run's) show as n/a.
 */
function report(data) {
  const { meta = {}, results, stored, cluster: several, mixed: mixedRoom, seconds, durations = {} } = data
  const names = servers.map((s) => s.name)
  const row = (label, value) => `| ${label} | ${names.map((n) => value(results[n] ?? {}, n)).join(" | ")} |`
  const versions = meta.versions ?? {}
  const capacitySteps = [...new Set(names.flatMap((n) => Object.keys(results[n]?.capacity ?? {})))].map(Number).sort((a, b) => a - b)
  const idles = names.map((n) => results[n]?.idle50k).filter((r) => r && !r.error)
  const idleCount = idles[0]?.connections ?? idleTarget
  const idleCell = (value) => (r) => (!r.idle50k ? "n/a" : r.idle50k.error ? "error" : `${value(r.idle50k)}${r.idle50k.connections !== idleCount ? ` (at ${r.idle50k.connections.toLocaleString("en")})` : ""}`)
  const idleErrors = names.filter((n) => results[n]?.idle50k?.error).map((n) => `${n}: ${results[n].idle50k.error}`)
  const overflows = idles.reduce((sum, r) => sum + (r.listenOverflows ?? 0), 0)
  const targets = targetsOf(data)
  const scenarioSeconds = Object.entries(durations).map(([key, s]) => `${key} ${fmt(s, 0)}`)
  const lines = [
    `Run ${meta.date ?? "n/a"} on ${meta.machine ?? "n/a"}, Node ${meta.node ?? "n/a"}; ${meta.runs ?? "n/a"} run(s) per figure (median) except the idle connections (one run per system), ${fmt(seconds, 0)} s in all.`,
    `Versions: Tandem ${versions.tandem ?? "n/a"}, yjs ${versions.yjs ?? "n/a"}, ws ${versions.ws ?? "n/a"}, @y/websocket-server ${versions["@y/websocket-server"] ?? "n/a"}, @hocuspocus/server ${versions["@hocuspocus/server"] ?? "n/a"}.`,
    "",
    `| measure | ${servers.map((s) => s.label).join(" | ")} |`,
    `| --- | ${servers.map(() => "---").join(" | ")} |`,
    ...shapes.flatMap((shape) => [
      row(`${shape.title}: p50 / p99 latency (ms)`, (r) => `${fmt(r[shape.key]?.p50)} / ${fmt(r[shape.key]?.p99)}`),
      row(`${shape.title}: server CPU per delivered update (µs)`, (r) => fmt(r[shape.key]?.cpuPerDeliveryUs, 2)),
      row(`${shape.title}: converged`, (r) => (!r[shape.key] ? "n/a" : r[shape.key].converged ? "yes" : "**no**")),
    ]),
    row("saturation: sustained updates/s (p99 ≤ 100 ms)", (r) => String(r.saturation?.sustained ?? "n/a")),
    row("p99 latency at 4,000 updates/s (ms)", (r) => fmt(r.saturation?.p99At4000)),
    ...capacitySteps.map((n) => row(`memory per connection at ${n.toLocaleString("en")} idle (KB)`, (r) => fmt(r.capacity?.[n] / 1024))),
    row(`${idleCount.toLocaleString("en")} idle connections: server memory per connection (KB)`, idleCell((r) => fmt(r.perConnectionBytes / 1024, 2))),
    row(`${idleCount.toLocaleString("en")} idle connections: accepted per second, first connect to last open`, idleCell((r) => fmt(r.acceptPerSecond, 0))),
    row(`${idleCount.toLocaleString("en")} idle connections: server CPU per connection, connect to synced (µs)`, idleCell((r) => fmt(r.serverCpuPerConnectionUs, 0))),
    row("cold load: first client synced, its decoding included (ms)", (r) => fmt(r.cold?.firstDecoded)),
    row("cold load: a client joining once in memory (ms)", (r) => (r.cold ? fmt(r.cold.warm) : "n/a")),
    row("cold load: 20 concurrent joins, document in memory (ms)", (r) => (r.cold ? fmt(r.cold.twenty) : "n/a")),
    row("cold load: 20 concurrent first clients of a fresh process (ms)", (r, n) => (n === "tandem" ? fmt(r.cold?.twentyFresh) : "—")),
    "",
    `Cold load: the automerge-paper document; Tandem's first clients are those of a fresh process loading it from SQLite, the in-memory servers' come after a client has put the document in memory (the relay holds none). The first client's time runs until it has applied the sync step 2 it received to a fresh Y.Doc; 20 concurrent clients' until the last has its sync step 2 (not decoded).`,
    `Idle connections: ${idleCount.toLocaleString("en")} WebSocket clients on one server, 100 per room, each doing its handshake (sync step 1) and then nothing, opened by ${idleLoads} load processes with at most ${idleInFlight} each waiting for their WebSocket handshake, from ${idles[0]?.addresses?.length ?? "several"} 127.0.0.x source addresses; memory is the server's RSS after a garbage collection, less its RSS before the clients, per connection; one run per system.` +
      (idleCount !== idleTarget ? ` Not ${idleTarget.toLocaleString("en")}: ${idles[0]?.limitedBy ?? "?"}.` : "") +
      (overflows > 0 ? ` The machine's accept queues overflowed ${overflows} time(s) during these bursts (ListenOverflows).` : "") +
      (idleErrors.length > 0 ? ` Not measured: ${idleErrors.join("; ")}.` : ""),
    "",
    stored
      ? `Persistence (Tandem): the automerge-paper trace sent as ${stored.sent.toLocaleString("en")} separate updates with up to 1,000 unacknowledged: ${fmt(stored.updatesPerSecond, 0)} updates/s durably stored; stored size after compaction ${stored.storedBytes.toLocaleString("en")} bytes for an encoded document of ${stored.encodedBytes.toLocaleString("en")} bytes (${ratio(stored.storedBytes, stored.encodedBytes)}).`
      : "Persistence (Tandem): not measured.",
    "",
    "Targets (issue #15, ratios from this run):",
    ...targets.filter((target) => !target.earlier).map(targetLine),
    "",
    "Earlier targets (ratios from this run):",
    ...targets.filter((target) => target.earlier).map(targetLine),
    ...(scenarioSeconds.length > 0 ? ["", `Seconds by scenario, all systems: ${scenarioSeconds.join(", ")}.`] : []),
    ...(several ? clusterSection(several) : []),
    ...(mixedRoom ? mixedSection(mixedRoom) : []),
  ]
  return lines.join("\n")
}

async function main() {
  // `--report FILE`: prints the report of a saved latest.json, with the targets worked out again, and writes nothing.
  const reportAt = process.argv.indexOf("--report")
  if (reportAt !== -1) {
    console.log(report(JSON.parse(readFileSync(process.argv[reportAt + 1] ?? join(here, "results", "latest.json"), "utf8"))))
    return
  }
  const started = Date.now()
  const results = {}
  // Seconds each scenario took, summed over the systems, so the 15-minute budget can be kept.
  const durations = {}
  const timed = async (key, measure) => {
    const from = Date.now()
    const value = await measure()
    durations[key] = (durations[key] ?? 0) + (Date.now() - from) / 1000
    return value
  }
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
      for (const shape of shapes.filter((s) => scenarios.includes(s.key))) r[shape.key] = await timed(shape.key, () => fanout(server, shape))
      if (scenarios.includes("saturation")) r.saturation = await timed("saturation", () => saturation(server))
      if (scenarios.includes("capacity")) r.capacity = await timed("capacity", () => capacity(server))
      if (scenarios.includes("idle50k")) r.idle50k = await timed("idle50k", () => idleMany(server, servers.indexOf(server)))
      if (scenarios.includes("cold")) r.cold = await timed("cold", () => coldLoad(server, paperState()))
      console.log(server.name, JSON.stringify(r))
    }
    if (scenarios.includes("cluster")) {
      const several = await timed("cluster", () => cluster(names))
      console.log("cluster", JSON.stringify(several))
      console.log(clusterSection(several).join("\n"))
    }
    if (scenarios.includes("mixed")) {
      const m = await timed("mixed", () => mixed())
      console.log("mixed", JSON.stringify(m))
      console.log(mixedSection(m).join("\n"))
    }
    console.log("seconds", JSON.stringify(durations))
    return
  }
  const state = paperState()
  for (const server of servers) {
    console.log(`bench: ${server.name}`)
    const r = (results[server.name] = {})
    for (const shape of shapes) r[shape.key] = await timed(shape.key, () => fanout(server, shape))
    r.saturation = await timed("saturation", () => saturation(server))
    // Memory per idle connection is read at 50,000 (idle50k); the steps of 1,000 to 10,000
    // (capacity) are left to partial runs, to keep the run under 15 minutes.
    r.idle50k = await timed("idle50k", () => idleMany(server, servers.indexOf(server)))
    r.cold = await timed("cold", () => coldLoad(server, state))
  }
  const stored = await timed("persistence", () => persistence())
  console.log("bench: several instances")
  const several = await timed("cluster", () => cluster())
  console.log("bench: mixed OT + Yjs room")
  const mixedRoom = await timed("mixed", () => mixed())
  const seconds = (Date.now() - started) / 1000
  const meta = {
    date: new Date(started).toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
    node: process.version,
    runs,
    versions: {
      tandem: JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version,
      yjs: version("yjs"),
      ws: version("ws"),
      "@y/websocket-server": version("@y/websocket-server"),
      "@hocuspocus/server": version("@hocuspocus/server"),
    },
  }
  const data = { meta, results, stored, cluster: several, mixed: mixedRoom, seconds, durations }
  const table = report(data)
  console.log("\n" + table)
  mkdirSync(join(here, "results"), { recursive: true })
  writeFileSync(join(here, "results", "latest.md"), table + "\n")
  writeFileSync(join(here, "results", "latest.json"), JSON.stringify({ ...data, targets: targetsOf(data) }, null, 2) + "\n")
  const readmePath = join(root, "README.md")
  const readme = readFileSync(readmePath, "utf8")
  const start = "<!-- bench:start -->"
  const end = "<!-- bench:end -->"
  if (readme.includes(start) && readme.includes(end)) {
    writeFileSync(readmePath, readme.slice(0, readme.indexOf(start) + start.length) + "\n" + table + "\n" + readme.slice(readme.indexOf(end)))
  }
}

await main()

// The fan-out scenarios: rooms whose writers send at a fixed rate to every other client of the
// room, measured for latency and server CPU per delivered update; the saturation steps are
// fan-outs at rising rates. measureFanout() also drives the several-instances and mixed scenarios.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loader, reportedCpuMs, startServer, threadCpuMs } from "../lib/processes.mjs"
import { median, percentile } from "../lib/stats.mjs"

/** The fan-outs of the table, by key: `writers` of each room's `clients` send `rate` updates/s each. */
export const shapes = [
  { key: "fan10", title: "fan-out, rooms of 10", rooms: 10, clients: 10, writers: 2, rate: 10 },
  { key: "fan100", title: "fan-out, rooms of 100", rooms: 2, clients: 100, writers: 2, rate: 10 },
]

/**
 * Fan-outs for partial runs only (TANDEM_BENCH_ONLY=…:fan10p): rooms of 10 whose writers also
 * publish their cursor with every edit, as an editor does (an awareness update with the user and
 * a cursor of two relative positions, as y-codemirror.next sets it). Deliveries count edits; the
 * CPU includes the presence. Not in the full run: another fan-out would take it past 15 minutes.
 */
export const presenceShapes = [{ key: "fan10p", title: "fan-out with presence, rooms of 10", rooms: 10, clients: 10, writers: 2, rate: 10, presence: true }]

/**
 * Each fan-out drives its rooms at `rate` times its own rate for `ms` before it measures, so the
 * figures are of a warm server (its code optimized, its rooms loaded), as one in production is.
 * One second at the measured rate, as before issue #15, was not that: V8 was still optimizing
 * Tandem's hot path 16 s into a run of rooms of 10 (--trace-opt), and compiling was about a
 * quarter of its CPU in the window (perf). Ten times the rate for 2 s, after that, still left
 * the code run once a commit rather than once a delivery to be compiled in the window: 60 ms
 * of TurboFan in Tandem's 8 s window (--trace-opt; about 4 µs per delivered update, a fifth of
 * its figure) and about 11 ms in `@y/websocket-server`'s (perf), on V8's own threads. Twenty
 * times for 4 s left none (one run each: ten times for 4 s left 32 ms, for 6 s 1 ms); with the
 * settling below after it, 6 to 15 ms of small functions (Node's own: the tick queue, async
 * ids, stream writes) are compiled in the window again (two traced runs of both fan-outs). The
 * fan-outs of the table take it; the saturation steps (fast already), the several-instances and
 * the mixed scenarios keep one second at their own rate.
 *
 * Then `settleMs` at the measured rate itself, so the window starts in the steady state a server
 * settles in at that rate, and after the one-time work a fresh process does in its first
 * seconds. Tandem's checkpoint worker, an idle V8 isolate, gets two full collections from V8's
 * memory reducer about 8.2 and 8.8 s after it starts (--trace-gc: "Mark-Compact (reduce)"),
 * which the window, from about 5.3 s to 11.3 s of the server's life, took in every run: with
 * V8's concurrent marking, 20 to 50 ms of the window's CPU on other threads than the event loop,
 * about 2 µs per delivered update in rooms of 10 and 1 in rooms of 100. With 5 s more the
 * window starts at about 10.3 s. TANDEM_BENCH_WARM_RATE, TANDEM_BENCH_WARM_MS and
 * TANDEM_BENCH_SETTLE_MS set it (run.mjs).
 */
export const defaultWarmUp = { rate: 20, ms: 4000, settleMs: 5000 }

/**
 * How long each fan-out run measures. 6 s. It was 4 s, then 8 s when the CPU was read from
 * /proc in 10 ms ticks (at 4 s a tick was 1.4 µs per delivered update in rooms of 10, 4% of the
 * figure); the servers now report their CPU to the microsecond (reportedCpuMs), and the 2 s
 * went to the warm-up (the settling, see defaultWarmUp, then made each run 5 s longer).
 * TANDEM_BENCH_FAN_MS sets it for a partial run.
 */
export const defaultFanoutMs = 6000

/**
 * Rates per writer (20 writers: 4,000, 6,000 ... 16,000 and 20,000 updates/s). A system stops at
 * the first step it fails, so a higher step costs only the systems that pass the one below it;
 * 20,000 because Tandem and the relay passed 16,000, which then said nothing of how far they go.
 * Left out to keep the run under 15 minutes: 1,000 and 3,000; 500, to pay for the fan-outs'
 * settling (see defaultWarmUp); and 2,000, which every system passed in every run and which
 * gave no figure of its own (about 50 s: run 31 took 884 s of the 900 with it, when the relay
 * passed one step more than usual). TANDEM_BENCH_STEPS (a JSON array) replaces them for a
 * partial run.
 */
export const defaultSaturationSteps = [200, 300, 400, 600, 800, 1000]

/** One fan-out run: rooms split over two load processes. */
async function fanoutRun({ serverProcess, threads, mark }, server, shape, ratePerWriter, durationMs, warm) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir, [], serverProcess)
  try {
    const rooms = Array.from({ length: shape.rooms }, (_, i) => `fan-${shape.clients}-${i}`)
    // With `threads` (TANDEM_BENCH_THREADS=1): the server's CPU in the window by thread, on stderr (see threadCpuMs).
    const byThread = threads ? [] : null
    const cpu = async () => {
      byThread?.push(threadCpuMs(running.child.pid))
      return { server: await reportedCpuMs(running) }
    }
    const result = await measureFanout({ urls: [running.url], dialect: server.dialect, cpuMs: cpu, mark }, rooms, shape, ratePerWriter, durationMs, warm)
    if (byThread?.length === 2) {
      const [before, after] = byThread
      const spent = Object.entries(after).map(([tid, ms]) => [tid, ms - (before[tid] ?? 0)])
      const others = spent.filter(([tid, ms]) => tid !== String(running.child.pid) && ms > 0).map(([tid, ms]) => `${tid} ${ms.toFixed(1)}`)
      console.error(`${server.name} ${shape.clients}: main thread ${(after[running.child.pid] - before[running.child.pid]).toFixed(1)} ms, others (tid ms): ${others.join(", ") || "none"}`)
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
 * (`{ server }`, or `{ instances, postgres, redis }`), or a promise of it; the figure is their
 * sum. With `mark` (TANDEM_BENCH_MARK=1), the measured window's ends are printed.
 */
export async function measureFanout({ urls, collabUrls, dialect, cpuMs: serverCpuMs, mark }, rooms, shape, ratePerWriter, durationMs, warm = { rate: 1, ms: 1000 }) {
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
          presence: shape.presence ?? false,
        }),
      ),
    )
    // A warm-up of the same rooms first, so the figures are of a warm server: `warm.rate` times
    // the rate for `warm.ms`, then the rate itself for `warm.settleMs` (see defaultWarmUp); a
    // second of the same load by default.
    await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter: ratePerWriter * warm.rate, durationMs: warm.ms })))
    if (warm.settleMs) await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter, durationMs: warm.settleMs })))
    // The server's CPU is read around the sending alone: connecting clients and checking
    // convergence are not part of delivering updates.
    const before = await serverCpuMs()
    // The window's ends on stdout, to match a server's trace (TANDEM_BENCH_SERVER_STDOUT) to it.
    if (mark) console.log(`WINDOW START ${Date.now()}`)
    const results = await Promise.all(loads.map((load) => load.run({ kind: "fanout-drive", ratePerWriter, durationMs })))
    const after = await serverCpuMs()
    if (mark) console.log(`WINDOW END ${Date.now()}`)
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
 * `run(server)` `runs` times for each of `systems`, in rounds: each round runs every system once,
 * starting one further along the list than the round before. The machine is shared, and its speed
 * can change over minutes: with each system's runs in a row, a slow stretch would fall on
 * whichever system ran then, and move the ratios the table is for. In rounds, it falls on all of
 * them alike. (Three full runs each way spread as widely, so the spread has other causes too.)
 * Returns each system's results, by name, in the order they were taken.
 */
async function inRounds(systems, runs, run) {
  const results = Object.fromEntries(systems.map((server) => [server.name, []]))
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < systems.length; k++) {
      const server = systems[(round + k) % systems.length]
      results[server.name].push(await run(server))
    }
  }
  return results
}

/**
 * One fan-out of the table (`shape`, one of `shapes`) on each of `systems`, by name: the medians
 * of `settings.runs` warm runs of `settings.fanoutMs`, taken in rounds (see inRounds).
 */
export async function fanouts(settings, systems, shape) {
  const runs = await inRounds(systems, settings.runs, (server) => fanoutRun(settings, server, shape, shape.rate, settings.fanoutMs, settings.warmUp))
  return Object.fromEntries(
    Object.entries(runs).map(([name, results]) => {
      const pick = (key) => median(results.map((r) => r[key]))
      return [name, { p50: pick("p50"), p99: pick("p99"), cpuPerDeliveryUs: pick("cpuPerDeliveryUs"), converged: results.every((r) => r.converged), loadCpuMs: pick("loadCpuMs") }]
    }),
  )
}

/**
 * The saturation steps (`settings.saturationSteps`, rates per writer) on each of `systems`, by
 * name: the highest total rate with p99 ≤ 100 ms and 99% delivered (`sustained`), the p99 at
 * 4,000 updates/s, and each step taken. Each step's runs are taken in rounds among the systems
 * still going (see inRounds); a system stops at the first step it fails.
 */
export async function saturations(settings, systems) {
  const shape = { rooms: 10, clients: 10, writers: 2 }
  const state = Object.fromEntries(systems.map((server) => [server.name, { sustained: 0, steps: [], going: true }]))
  for (const perWriter of settings.saturationSteps) {
    const going = systems.filter((server) => state[server.name].going)
    if (going.length === 0) break
    const total = perWriter * shape.rooms * shape.writers
    // Each step's figures are medians of several runs, like every other figure here.
    const runs = await inRounds(going, settings.runs, (server) => fanoutRun(settings, server, shape, perWriter, 2000))
    for (const [name, tries] of Object.entries(runs)) {
      const system = state[name]
      const r = { p99: median(tries.map((t) => t.p99)), deliveredShare: median(tries.map((t) => t.deliveredShare)) }
      system.steps.push({ total, p99: r.p99, delivered: r.deliveredShare })
      if (r.p99 > 100 || r.deliveredShare < 0.99) system.going = false
      else system.sustained = total
    }
  }
  return Object.fromEntries(
    Object.entries(state).map(([name, { sustained, steps }]) => [name, { sustained, p99At4000: steps.find((s) => s.total === 4000)?.p99 ?? NaN, steps }]),
  )
}

// `npm run bench`: the same load against Tandem, @y/websocket-server, @hocuspocus/server and a raw
// ws relay on loopback, in one run, the fan-outs' runs in rounds among the systems; then Tandem ×2
// on PostgreSQL + Redis against @hocuspocus/server ×2 + Redis and Tandem ×1 (several instances);
// then Tandem rooms of @codemirror/collab (OT) and Yjs clients beside all-Yjs ones. Prints a table
// ending with the issue #15 targets met or not, writes it to bench/results/ and into the README.
// Every comparison is a ratio taken within this run. `node run.mjs --report FILE` prints the table
// of a saved latest.json again.
// The scenarios are in scenarios/, the processes they start and read in lib/processes.mjs, the
// table in lib/report.mjs; this file reads the TANDEM_BENCH_* variables and runs the scenarios.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { packageVersion } from "./lib/processes.mjs"
import { clusterSection, mixedSection, readmeWithTable, report, targetsOf } from "./lib/report.mjs"
import { servers } from "./lib/servers.mjs"
import { cluster } from "./scenarios/cluster.mjs"
import { defaultFanoutMs, defaultSaturationSteps, defaultWarmUp, fanouts, presenceShapes, saturations, shapes } from "./scenarios/fanout.mjs"
import { capacity, idleMany } from "./scenarios/idle.mjs"
import { defaultMixedMs, mixed } from "./scenarios/mixed.mjs"
import { coldLoad, paperState, persistence } from "./scenarios/paper.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..")

/**
 * What the scenarios take from the environment, read once here and passed to each of them:
 * `runs` (figures are medians of that many runs), `tracePath` (the automerge-paper trace),
 * `serverProcess` (Node options and stdout of every server process, see startServer), `threads`
 * and `mark` (diagnostics of the fan-outs, see measureFanout), `warmUp`, `fanoutMs`,
 * `saturationSteps` and `mixedMs` (each defaulting to its scenario's own, which says why).
 */
function settingsFromEnv(env) {
  return {
    runs: env.TANDEM_BENCH_QUICK === "1" ? 1 : 3,
    tracePath: env.TANDEM_TRACES_DIR ? join(env.TANDEM_TRACES_DIR, "automerge-paper.json.gz") : join(root, "..", "shared", "data", "traces", "automerge-paper.json.gz"),
    serverProcess: {
      // TANDEM_BENCH_PROFILE=<dir> writes a CPU profile of every server process there;
      // TANDEM_BENCH_NODE_ARGS adds Node options to them (e.g. --perf-basic-prof, for perf(1)).
      execArgv: [...(env.TANDEM_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${env.TANDEM_BENCH_PROFILE}`] : []), ...(env.TANDEM_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [])],
      // TANDEM_BENCH_SERVER_STDOUT=1 lets the servers' stdout through (e.g. with --trace-opt in TANDEM_BENCH_NODE_ARGS).
      stdout: env.TANDEM_BENCH_SERVER_STDOUT ? "inherit" : "ignore",
    },
    // TANDEM_BENCH_THREADS=1: the server's CPU in the window by thread, on stderr (see threadCpuMs).
    threads: Boolean(env.TANDEM_BENCH_THREADS),
    // TANDEM_BENCH_MARK=1: the window's ends on stdout, to match a server's trace (TANDEM_BENCH_SERVER_STDOUT) to it.
    mark: Boolean(env.TANDEM_BENCH_MARK),
    warmUp: {
      rate: Number(env.TANDEM_BENCH_WARM_RATE ?? defaultWarmUp.rate),
      ms: Number(env.TANDEM_BENCH_WARM_MS ?? defaultWarmUp.ms),
      settleMs: Number(env.TANDEM_BENCH_SETTLE_MS ?? defaultWarmUp.settleMs),
    },
    fanoutMs: Number(env.TANDEM_BENCH_FAN_MS ?? defaultFanoutMs),
    // TANDEM_BENCH_STEPS (a JSON array of rates per writer) replaces the saturation steps for a partial run.
    saturationSteps: env.TANDEM_BENCH_STEPS ? JSON.parse(env.TANDEM_BENCH_STEPS) : defaultSaturationSteps,
    mixedMs: Number(env.TANDEM_BENCH_MIXED_MS ?? defaultMixedMs),
  }
}

async function main() {
  // `--report FILE`: prints the report of a saved latest.json, with the targets worked out again, and writes nothing.
  const reportAt = process.argv.indexOf("--report")
  if (reportAt !== -1) {
    console.log(report(JSON.parse(readFileSync(process.argv[reportAt + 1] ?? join(here, "results", "latest.json"), "utf8"))))
    return
  }
  const settings = settingsFromEnv(process.env)
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
  /**
   * The fan-outs of `fanShapes` and, with `withSaturation`, the saturation steps, each taken in
   * rounds among `systems` (see inRounds), into each system's results.
   */
  const inRoundsInto = async (systems, fanShapes, withSaturation) => {
    for (const server of systems) results[server.name] = {}
    for (const shape of fanShapes) {
      console.log(`bench: ${shape.title}`)
      const figures = await timed(shape.key, () => fanouts(settings, systems, shape))
      for (const server of systems) results[server.name][shape.key] = figures[server.name]
    }
    if (!withSaturation) return
    console.log("bench: saturation")
    const figures = await timed("saturation", () => saturations(settings, systems))
    for (const server of systems) results[server.name].saturation = figures[server.name]
  }
  // A partial run, for working on one figure: TANDEM_BENCH_ONLY=servers:scenarios, e.g.
  // "tandem,relay:fan10,saturation" (fan10p: rooms of 10 with presence, partial runs only). It
  // prints its figures and writes nothing.
  // A value without a colon lists scenarios, for every server: "cluster" runs the several-instances
  // scenario alone, for all its systems (tandem-cluster, hocuspocus-redis and tandem); "mixed" the
  // mixed OT + Yjs rooms beside all-Yjs ones (Tandem only; TANDEM_BENCH_MIXED_MS sets a run's length).
  const only = process.env.TANDEM_BENCH_ONLY?.split(":").map((list) => list.split(","))
  if (only) {
    const [names, scenarios] = only.length === 1 ? [undefined, only[0]] : only
    const perServer = scenarios.filter((s) => s !== "cluster" && s !== "mixed")
    const chosen = servers.filter((s) => perServer.length > 0 && (names === undefined || names.includes(s.name)))
    // The fan-outs first, their runs in rounds among the chosen systems, as in a full run.
    await inRoundsInto(
      chosen,
      [...shapes, ...presenceShapes].filter((s) => scenarios.includes(s.key)),
      scenarios.includes("saturation"),
    )
    for (const server of chosen) {
      const r = results[server.name]
      if (scenarios.includes("capacity")) r.capacity = await timed("capacity", () => capacity(settings, server))
      if (scenarios.includes("idle50k")) r.idle50k = await timed("idle50k", () => idleMany(settings, server, servers.indexOf(server)))
      if (scenarios.includes("cold")) r.cold = await timed("cold", () => coldLoad(settings, server, paperState(settings.tracePath)))
      console.log(server.name, JSON.stringify(r))
    }
    if (scenarios.includes("cluster")) {
      const several = await timed("cluster", () => cluster(settings, names))
      console.log("cluster", JSON.stringify(several))
      console.log(clusterSection(several).join("\n"))
    }
    if (scenarios.includes("mixed")) {
      const m = await timed("mixed", () => mixed(settings))
      console.log("mixed", JSON.stringify(m))
      console.log(mixedSection(m).join("\n"))
    }
    console.log("seconds", JSON.stringify(durations))
    return
  }
  const state = paperState(settings.tracePath)
  await inRoundsInto(servers, shapes, true)
  for (const server of servers) {
    console.log(`bench: ${server.name}`)
    const r = results[server.name]
    // Memory per idle connection is read at 50,000 (idle50k); the steps of 1,000 to 10,000
    // (capacity) are left to partial runs, to keep the run under 15 minutes.
    r.idle50k = await timed("idle50k", () => idleMany(settings, server, servers.indexOf(server)))
    r.cold = await timed("cold", () => coldLoad(settings, server, state))
  }
  const stored = await timed("persistence", () => persistence(settings))
  console.log("bench: several instances")
  const several = await timed("cluster", () => cluster(settings))
  console.log("bench: mixed OT + Yjs room")
  const mixedRoom = await timed("mixed", () => mixed(settings))
  const seconds = (Date.now() - started) / 1000
  const meta = {
    date: new Date(started).toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
    node: process.version,
    runs: settings.runs,
    versions: {
      tandem: JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version,
      yjs: packageVersion("yjs"),
      ws: packageVersion("ws"),
      "@y/websocket-server": packageVersion("@y/websocket-server"),
      "@hocuspocus/server": packageVersion("@hocuspocus/server"),
    },
  }
  const data = { meta, results, stored, cluster: several, mixed: mixedRoom, seconds, durations }
  const table = report(data)
  console.log("\n" + table)
  mkdirSync(join(here, "results"), { recursive: true })
  writeFileSync(join(here, "results", "latest.md"), table + "\n")
  writeFileSync(join(here, "results", "latest.json"), JSON.stringify({ ...data, targets: targetsOf(data) }, null, 2) + "\n")
  const readmePath = join(root, "README.md")
  const readme = readmeWithTable(readFileSync(readmePath, "utf8"), table)
  if (readme !== undefined) writeFileSync(readmePath, readme)
}

await main()

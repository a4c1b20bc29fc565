// The report of a run's figures: the markdown table written to bench/results/latest.md and into
// the README between its bench markers, with the targets met or not.
import { packageVersion } from "./processes.mjs"
import { servers } from "./servers.mjs"
import { clusterShape, clusterSystems } from "../scenarios/cluster.mjs"
import { shapes } from "../scenarios/fanout.mjs"
import { idleInFlight, idleLoads, idleTarget } from "../scenarios/idle.mjs"
import { mixedShapes } from "../scenarios/mixed.mjs"

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a")

const fifteenMinutes = 900

/**
 * The targets of issue #15, then the earlier ones still held (`earlier: true`), from a run's
 * figures (a full run's, or a saved latest.json's). Each is `{ name, value, unit, op, limit, met }`
 * with `met` null when the figure is missing or was not taken as the target defines it (`note`
 * says why), so runs can be compared by a script.
 */
export function targetsOf({ results, stored, seconds }) {
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
 * what run.mjs's main() collects, as written to latest.json. `node run.mjs --report FILE` prints it for a
 * saved file; figures a file lacks (an older run's) show as n/a.
 */
export function report(data) {
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

/** The "Several instances" section of the table. */
export function clusterSection(c) {
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

/** The "Mixed OT + Yjs room" section of the table. */
export function mixedSection(m) {
  if (m.error) return ["", `Mixed OT + Yjs room: not measured, ${m.error}.`]
  const [ot, yjs] = mixedShapes
  const a = m.results[ot.key]
  const b = m.results[yjs.key]
  const pair = (r) => (r ? `${fmt(r.p50)} / ${fmt(r.p99)}` : "n/a")
  return [
    "",
    `Mixed OT + Yjs room (Tandem): ${ot.rooms} rooms of ${ot.clients}, ${ot.ot} clients of each on \`/collab\` (@codemirror/collab ${packageVersion("@codemirror/collab")}) and ${ot.clients - ot.ot} on \`/sync\`, one OT and one Yjs writer each at ${ot.rate} updates/s, beside the same rooms all-Yjs with two Yjs writers; ${fmt(m.seconds, 0)} s per run. ${fmt((a?.staleShare ?? NaN) * 100)}% of OT pushes were answered stale and pushed again, rebased.`,
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

const tableStart = "<!-- bench:start -->"
const tableEnd = "<!-- bench:end -->"

/** `readme` with `table` in place of what stood between its bench markers, or undefined when it lacks one of them. */
export function readmeWithTable(readme, table) {
  if (!readme.includes(tableStart) || !readme.includes(tableEnd)) return undefined
  return readme.slice(0, readme.indexOf(tableStart) + tableStart.length) + "\n" + table + "\n" + readme.slice(readme.indexOf(tableEnd))
}

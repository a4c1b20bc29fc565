// The idle-connection scenarios: server memory per connection and accept rate with many
// WebSocket clients that do their handshake and then nothing.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { collectGarbage, loader, reportedCpuMs, rssBytes, startServer } from "../lib/processes.mjs"

/**
 * The idle scenario: `idleTarget` WebSocket connections held open on one server, 100 per room,
 * opened by `idleLoads` load processes in one burst with at most `idleInFlight` each waiting
 * for their WebSocket handshake; each client does its dialect's handshake and then nothing.
 */
export const idleTarget = 50_000
export const idleLoads = 2
export const idleInFlight = 256
// Descriptors a process needs besides its connections (Node's own, SQLite's files, IPC, ...).
const fdReserve = 500

/**
 * Memory per connection at 1,000, 5,000 and 10,000 idle connections; partial runs only
 * (TANDEM_BENCH_ONLY=…:capacity). `settings` as run.mjs builds them.
 */
export async function capacity(settings, server) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  const running = await startServer(server, dataDir, [], settings.serverProcess)
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
export async function idleMany(settings, server, slot) {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"))
  let running
  const loads = []
  try {
    running = await startServer(server, dataDir, [], { ...settings.serverProcess, nofile: idleTarget + fdReserve })
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
    const cpuBefore = await reportedCpuMs(running)
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
    // The server's CPU time from the first connect until every client is synced, as it reports it.
    const serverCpuMs = (await reportedCpuMs(running)) - cpuBefore
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

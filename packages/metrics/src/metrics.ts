import type { ServerEvents, SyncServer, UpgradeRefusal } from "@tandem/server"
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client"

/** Options of {@link createMetrics}. Only `sync` is required. */
export interface MetricsOptions {
  /** The server to watch: its events, its running totals (`sync.traffic`) and its stats. */
  readonly sync: SyncServer
  /**
   * Also collect prom-client's process and Node.js metrics: CPU, memory, handles, garbage
   * collection and event-loop lag (`nodejs_eventloop_lag_seconds` and its percentiles). Default
   * true. They watch the whole process, so one registry per process should have them.
   */
  readonly processMetrics?: boolean
  /** Labels added to every series, e.g. `{ instance: "a" }`. Keep their values few and fixed. */
  readonly labels?: Readonly<Record<string, string>>
}

/** The metrics of one server, in a registry of their own. Built by {@link createMetrics}. */
export interface Metrics {
  /** Where the collectors live; register more of your own here if you like. */
  readonly registry: Registry
  /** Every metric in the Prometheus text format, as `GET /metrics` answers it. */
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>
  /** Stops following the server's events. The registry keeps what it counted so far. */
  close(): void
}

/** The HTTP status the Node transport answers each refusal with, to start every series at 0. */
const refusalStatus: Readonly<Record<UpgradeRefusal, number>> = {
  "not-found": 404,
  "bad-name": 400,
  "bad-handshake": 400,
  origin: 403,
  connections: 503,
  "connections-per-ip": 503,
  unauthenticated: 401,
  forbidden: 403,
  "authorizer-failed": 500,
}

/** Close codes the server closes a connection with for what its peer did or hit (see PROTOCOL.md). */
const failureCodes = [1002, 1003, 1007, 1008, 1009, 1011, 4401] as const

/** The storage error codes the server reports as events (a failed deletion is answered to its caller instead). */
const storageErrorCodes = ["load-failed", "append-failed", "compact-failed", "quarantine-failed", "version-failed"] as const

/** Seconds, from half a millisecond (a local SQLite commit) to several seconds (storage in trouble). */
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Registers Prometheus collectors for `sync` in a new registry (never prom-client's global one,
 * so two servers in one process keep apart). What changes with every update (updates received,
 * deliveries, bytes, bus messages) is read from `sync.traffic` when scraped, costing the hot path
 * nothing here; what happens now and then (refusals, drops, commits, storage errors) is counted
 * from `sync.events`. No label carries a document name or a user id: their number has no bound.
 * The bus metrics exist only when the server has a bus (`sync.shared`).
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const { sync } = options
  const { traffic } = sync
  const registry = new Registry()
  if (options.labels) registry.setDefaultLabels({ ...options.labels })
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry })
  const registers = [registry]

  /** A counter whose value is a running total the server keeps, read at each scrape. */
  const total = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  }
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read())
      },
    })
  }

  gauge("tandem_connections", "Open sync connections.", () => sync.stats().connections)
  gauge("tandem_rooms", "Documents loaded in memory (or loading).", () => sync.stats().rooms)
  gauge("tandem_pending_writes", "Updates accepted and not yet committed to storage.", () => sync.stats().pendingWrites)
  total("tandem_updates_received_total", "Yjs updates with content received from peers (update messages and sync step 2 answers).", () => traffic.updatesReceived)
  total("tandem_update_deliveries_total", "Updates sent on to peers: one per update per recipient.", () => traffic.deliveries)
  total("tandem_received_bytes_total", "Bytes of WebSocket messages received from peers.", () => traffic.bytesIn)
  total("tandem_sent_bytes_total", "Bytes of WebSocket messages sent to peers.", () => traffic.bytesOut)
  total("tandem_awareness_received_total", "Awareness messages (cursors, presence) received from peers.", () => traffic.awarenessReceived)
  total("tandem_quarantined_parts_total", "Stored parts of documents moved aside because they did not decode.", () => sync.stats().quarantined)

  const opened = new Counter({ name: "tandem_connections_opened_total", help: "Sync connections opened.", registers })
  const refusals = new Counter({
    name: "tandem_upgrade_refusals_total",
    help: "Sync upgrade requests refused before the upgrade, by HTTP status and reason.",
    labelNames: ["status", "reason"] as const,
    registers,
  })
  for (const [reason, status] of Object.entries(refusalStatus)) refusals.labels(String(status), reason).inc(0)
  const failures = new Counter({
    name: "tandem_connection_failures_total",
    help: "Connections the server closed for what their peer sent or hit, by close code.",
    labelNames: ["code"] as const,
    registers,
  })
  for (const code of failureCodes) failures.labels(String(code)).inc(0)
  const dropped = new Counter({
    name: "tandem_peers_dropped_total",
    help: "Peers cut off without a closing handshake: slow (stopped reading) or ping (missed a ping).",
    labelNames: ["reason"] as const,
    registers,
  })
  const droppedBy = { slow: dropped.labels("slow"), ping: dropped.labels("ping") }
  droppedBy.slow.inc(0)
  droppedBy.ping.inc(0)
  const commitSeconds = new Histogram({
    name: "tandem_commit_duration_seconds",
    help: "How long a storage transaction of accepted updates took to commit.",
    buckets: durationBuckets,
    registers,
  })
  const committed = new Counter({ name: "tandem_committed_updates_total", help: "Updates committed to storage.", registers })
  const loadSeconds = new Histogram({
    name: "tandem_room_load_duration_seconds",
    help: "How long loading a document from storage took.",
    buckets: durationBuckets,
    registers,
  })
  const storageErrors = new Counter({
    name: "tandem_storage_errors_total",
    help: "Failed storage operations, by error code (each failed attempt counts).",
    labelNames: ["code"] as const,
    registers,
  })
  for (const code of storageErrorCodes) storageErrors.labels(code).inc(0)
  const retries = new Counter({ name: "tandem_storage_retries_total", help: "Writes of accepted updates tried again after a failure.", registers })

  const listeners: Array<() => void> = []
  const on = <K extends keyof ServerEvents>(event: K, listener: (payload: ServerEvents[K]) => void): void => {
    listeners.push(sync.events.on(event, listener))
  }
  on("connection-opened", () => opened.inc())
  on("upgrade-refused", ({ status, reason }) => refusals.labels(String(status), reason).inc())
  on("connection-failed", ({ code }) => failures.labels(String(code)).inc())
  on("peer-dropped", ({ reason }) => droppedBy[reason].inc())
  on("commit-finished", ({ ms, updates }) => {
    commitSeconds.observe(ms / 1000)
    committed.inc(updates)
  })
  on("room-loaded", ({ ms }) => loadSeconds.observe(ms / 1000))
  on("save-failed", ({ error }) => {
    storageErrors.labels(error.code).inc()
    // A failed write of updates is tried again until it commits; other failures are not.
    if (error.code === "append-failed") retries.inc()
  })
  on("load-failed", ({ error }) => storageErrors.labels(error.code).inc())

  new Counter({
    name: "tandem_webhook_attempts_total",
    help: "Webhook deliveries by outcome: delivered (a 2xx answer), failed (retried later), abandoned (failing for the whole retry period).",
    labelNames: ["outcome"] as const,
    registers,
    collect() {
      this.reset()
      this.labels("delivered").inc(traffic.webhooksDelivered)
      this.labels("failed").inc(traffic.webhookFailures)
      this.labels("abandoned").inc(traffic.webhooksAbandoned)
    },
  })

  if (sync.shared) {
    new Counter({
      name: "tandem_bus_messages_total",
      help: "Messages over the bus between instances, by direction (in, out) and kind (updates, awareness).",
      labelNames: ["direction", "kind"] as const,
      registers,
      collect() {
        this.reset()
        this.labels("in", "updates").inc(traffic.busUpdatesReceived)
        this.labels("in", "awareness").inc(traffic.busAwarenessReceived)
        this.labels("out", "updates").inc(traffic.busUpdatesPublished)
        this.labels("out", "awareness").inc(traffic.busAwarenessPublished)
      },
    })
    const gaps = new Counter({
      name: "tandem_bus_gaps_filled_total",
      help: "Times a document read from storage updates of other instances that the bus had not brought.",
      registers,
    })
    on("bus-gap-filled", () => gaps.inc())
  }

  return {
    registry,
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
    close() {
      for (const off of listeners.splice(0)) off()
    },
  }
}

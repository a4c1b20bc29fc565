import { once } from "node:events"
import { request } from "node:http"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { createSyncServer, silentLogger, type BusSubscriber, type RoomBus, type SyncServer, type SyncServerOptions } from "@tandem/server"
import { createNodeServer, type NodeServerOptions } from "@tandem/server/node"
import { createMemoryStore } from "@tandem/storage-memory"

// Every stock provider adds a process "exit" listener; many per test are expected here.
process.setMaxListeners(0)

/** A server started in-process on a free loopback port, stopped when the test ends. */
export interface TestServer {
  readonly sync: SyncServer
  /** `ws://127.0.0.1:PORT/sync`, the URL a provider takes. */
  readonly wsUrl: string
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string
}

/** Starts a server; `metrics` builds the `/metrics` option from the sync server, once it exists. */
export async function startServer(
  options: Partial<SyncServerOptions> & { metrics?: (sync: SyncServer) => NodeServerOptions["metrics"] } = {},
): Promise<TestServer> {
  const { metrics, ...syncOptions } = options
  const sync = createSyncServer({ logger: silentLogger, store: createMemoryStore(), ...syncOptions })
  const node = createNodeServer({ sync, ...(metrics ? { metrics: metrics(sync) } : {}) })
  const address = await node.listen(0, "127.0.0.1")
  onTestFinished(() => node.close())
  return { sync, wsUrl: `ws://127.0.0.1:${address.port}/sync`, httpUrl: `http://127.0.0.1:${address.port}` }
}

/** The ws package's client as the provider's WebSocket; the types differ only in DOM details. */
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

/** A stock y-websocket provider on `doc`, destroyed when the test ends. */
export function connectProvider(server: TestServer, doc: string, params?: Record<string, string>): WebsocketProvider {
  const provider = new WebsocketProvider(server.wsUrl, doc, new Y.Doc(), { WebSocketPolyfill: NodeWebSocket, disableBc: true, params })
  onTestFinished(() => {
    provider.destroy()
    provider.doc.destroy()
  })
  return provider
}

/** Resolves when the provider has synced with the server. */
export function synced(provider: WebsocketProvider): Promise<void> {
  if (provider.synced) return Promise.resolve()
  return new Promise((resolve) => {
    const onSync = (isSynced: boolean) => {
      if (!isSynced) return
      provider.off("sync", onSync)
      resolve()
    }
    provider.on("sync", onSync)
  })
}

/** Resolves when the text of `ydoc` is `expected`. */
export function untilText(ydoc: Y.Doc, expected: string): Promise<void> {
  const text = ydoc.getText("content")
  if (text.toString() === expected) return Promise.resolve()
  return new Promise((resolve) => {
    const check = () => {
      if (text.toString() !== expected) return
      ydoc.off("afterTransaction", check)
      resolve()
    }
    ydoc.on("afterTransaction", check)
  })
}

/** A raw WebSocket on `path` (after `/sync/`), open; resolves its close code when it closes. */
export async function connectRaw(server: TestServer, path: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`${server.wsUrl}/${path}`)
  ws.on("error", () => {})
  const closed = once(ws, "close").then(([code]) => code as number)
  onTestFinished(() => ws.terminate())
  await once(ws, "open")
  return { ws, closed }
}

/** The HTTP status a WebSocket upgrade to `path` is answered with (101 when it is accepted). */
export function upgradeStatus(server: TestServer, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.httpUrl)
    const req = request({
      hostname,
      port,
      path,
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" },
    })
    req.on("upgrade", (res, socket) => {
      socket.destroy()
      resolve(res.statusCode ?? 0)
    })
    req.on("response", (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on("error", reject)
    req.end()
  })
}

/** Fetches `/metrics`; `token` goes in an `Authorization: Bearer` header. */
export async function scrape(server: TestServer, token?: string): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(`${server.httpUrl}/metrics`, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } })
  return { status: response.status, body: await response.text(), type: response.headers.get("content-type") }
}

/**
 * The value of one series in Prometheus text: `name` with exactly `labels`, or `undefined` when
 * there is no such series.
 */
export function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(",")
  for (const line of body.split("\n")) {
    if (line.startsWith("#")) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = (match[2] ?? "").split(",").filter(Boolean).sort().join(",")
    if (have === wanted) return Number(match[3])
  }
  return undefined
}

/** Buses of instances in one process, for tests; {@link BusHub.dropNextUpdates} loses a message as Redis might. */
export interface BusHub {
  /** The bus of one instance. */
  bus(instance: string): RoomBus
  /** The next message of updates anyone publishes is lost. */
  dropNextUpdates(): void
}

export function createBusHub(): BusHub {
  const subscribers = new Map<string, Set<{ readonly instance: string; readonly subscriber: BusSubscriber }>>()
  let drop = false
  /** Delivers to every other instance on `doc`, a moment later, as a real bus would. */
  const deliver = (from: string, doc: string, fn: (subscriber: BusSubscriber) => void) => {
    for (const entry of subscribers.get(doc) ?? []) if (entry.instance !== from) queueMicrotask(() => fn(entry.subscriber))
  }
  return {
    dropNextUpdates: () => (drop = true),
    bus: (instance) => ({
      instance,
      healthy: true,
      publishUpdates(doc, fromSeq, updates) {
        if (drop) drop = false
        else deliver(instance, doc, (subscriber) => subscriber.updates(fromSeq, updates, instance))
      },
      publishAwareness: (doc, update) => deliver(instance, doc, (subscriber) => subscriber.awareness(update, instance)),
      publishDeleted: (doc) => deliver(instance, doc, (subscriber) => subscriber.deleted(instance)),
      requestPresence: (doc) => deliver(instance, doc, (subscriber) => subscriber.presenceRequested(instance)),
      async subscribe(doc, subscriber) {
        const entry = { instance, subscriber }
        let set = subscribers.get(doc)
        if (!set) subscribers.set(doc, (set = new Set()))
        set.add(entry)
        return () => set.delete(entry)
      },
      onHealth: () => () => {},
      onInstanceLost: () => () => {},
      close: async () => {},
    }),
  }
}

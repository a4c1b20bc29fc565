import { once } from "node:events"
import { request } from "node:http"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { createMemoryStore } from "@tandem/storage-memory"
import { createSyncServer, silentLogger, type Clock, type DocumentStore, type SyncServer, type SyncServerOptions } from "../src/index.js"
import { createNodeServer, type NodeServer } from "../src/node/index.js"

// Every stock provider adds a process "exit" listener; many per test are expected here.
process.setMaxListeners(0)

/** A server started in-process on a free loopback port, stopped when the test ends. */
export interface TestServer {
  readonly sync: SyncServer
  readonly node: NodeServer
  readonly store: DocumentStore
  /** `ws://127.0.0.1:PORT/sync`, the URL a provider takes. */
  readonly wsUrl: string
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string
  /** Stops the server (idempotent); the store stays open. */
  stop(): Promise<void>
}

export async function startServer(
  options: Partial<SyncServerOptions> & { heartbeatMs?: number; allowedOrigins?: readonly string[] } = {},
): Promise<TestServer> {
  const store = options.store ?? createMemoryStore()
  const sync = createSyncServer({ logger: silentLogger, ...options, store })
  const node = createNodeServer({ sync, heartbeatMs: options.heartbeatMs, allowedOrigins: options.allowedOrigins ?? null })
  const address = await node.listen(0, "127.0.0.1")
  let stopping: Promise<void> | null = null
  const server: TestServer = {
    sync,
    node,
    store,
    wsUrl: `ws://127.0.0.1:${address.port}/sync`,
    httpUrl: `http://127.0.0.1:${address.port}`,
    stop: () => (stopping ??= node.close()),
  }
  onTestFinished(() => server.stop())
  return server
}

/** The ws package's client as the provider's WebSocket; the types differ only in DOM details. */
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

/** A stock y-websocket provider on `doc`, destroyed when the test ends. */
export function connectProvider(
  server: Pick<TestServer, "wsUrl">,
  doc: string,
  options: { ydoc?: Y.Doc; params?: Record<string, string>; connect?: boolean } = {},
): WebsocketProvider {
  const provider = new WebsocketProvider(server.wsUrl, doc, options.ydoc ?? new Y.Doc(), {
    WebSocketPolyfill: NodeWebSocket,
    // Providers in one process would otherwise sync through BroadcastChannel, around the server.
    disableBc: true,
    params: options.params,
    connect: options.connect ?? true,
  })
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

/** Resolves when `check()` is true, checking after each update of `ydoc`. */
export function until(ydoc: Y.Doc, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve()
  return new Promise((resolve) => {
    const onUpdate = () => {
      if (!check()) return
      ydoc.off("afterTransaction", onUpdate)
      resolve()
    }
    ydoc.on("afterTransaction", onUpdate)
  })
}

/** The name `observer` sees for awareness client `clientId`, if any. */
export function seenName(observer: WebsocketProvider, clientId: number): string | undefined {
  return (observer.awareness.getStates().get(clientId) as { user?: { name?: string } } | undefined)?.user?.name
}

/** Resolves when `observer` sees `name` for awareness client `clientId`. */
export function untilSeenName(observer: WebsocketProvider, clientId: number, name: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (seenName(observer, clientId) === name ? resolve() : observer.awareness.once("change", check))
    check()
  })
}

/** Resolves when the text of `ydoc` is `expected`. */
export function untilText(ydoc: Y.Doc, expected: string): Promise<void> {
  const text = ydoc.getText("content")
  // Length first: building the string on every transaction of a long replay is quadratic.
  return until(ydoc, () => text.length === expected.length && text.toString() === expected)
}

/** A raw WebSocket client for sending frames no stock client would send. */
export interface RawClient {
  readonly ws: WebSocket
  /** Frames received so far. */
  readonly received: Uint8Array[]
  /** Resolves with the close code and reason once the socket has closed. */
  readonly closed: Promise<{ code: number; reason: string }>
  /** Resolves with the frames received once there are at least `count` of them. */
  untilFrames(count: number): Promise<Uint8Array[]>
}

export async function connectRaw(
  server: Pick<TestServer, "wsUrl">,
  path: string,
  options: WebSocket.ClientOptions = {},
): Promise<RawClient> {
  const ws = new WebSocket(`${server.wsUrl}/${path}`, options)
  const received: Uint8Array[] = []
  const waiting: Array<{ count: number; resolve: (frames: Uint8Array[]) => void }> = []
  ws.on("message", (data: Buffer) => {
    received.push(new Uint8Array(data))
    for (const waiter of waiting.filter((w) => received.length >= w.count)) {
      waiting.splice(waiting.indexOf(waiter), 1)
      waiter.resolve(received)
    }
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  ws.on("error", () => {})
  onTestFinished(() => ws.terminate())
  await once(ws, "open")
  const untilFrames = (count: number) =>
    received.length >= count ? Promise.resolve(received) : new Promise<Uint8Array[]>((resolve) => waiting.push({ count, resolve }))
  return { ws, received, closed, untilFrames }
}

/** The HTTP status a WebSocket upgrade to `path` is answered with (101 when it is accepted). */
export function upgradeStatus(server: Pick<TestServer, "httpUrl">, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    // Options rather than a URL string, so the path goes out unnormalised.
    const { hostname, port } = new URL(server.httpUrl)
    const req = request({
      hostname,
      port,
      path,
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
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

/** Fetches `path` from the server and returns status and body. */
export async function get(server: Pick<TestServer, "httpUrl">, path: string): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(`${server.httpUrl}${path}`)
  return { status: response.status, body: await response.text(), type: response.headers.get("content-type") }
}

/** A store that delegates to `inner` except for the methods given, for fault and timing tests. */
export function storeWith(inner: DocumentStore, overrides: Partial<DocumentStore>): DocumentStore {
  return {
    load: (name) => inner.load(name),
    append: (name, updates) => inner.append(name, updates),
    compact: (name, snapshot, upTo) => inner.compact(name, snapshot, upTo),
    quarantine: (name, parts) => inner.quarantine(name, parts),
    list: (options) => inner.list(options),
    delete: (name) => inner.delete(name),
    ...(inner.versions ? { versions: inner.versions } : {}),
    close: () => inner.close(),
    ...overrides,
  }
}

/** A store that counts loads and appends, around another store. */
export function countingStore(inner: DocumentStore): DocumentStore & { loads: number; appends: number } {
  const counts = { loads: 0, appends: 0 }
  const store = storeWith(inner, {
    load: (name) => {
      counts.loads++
      return inner.load(name)
    },
    append: (name, updates) => {
      counts.appends++
      return inner.append(name, updates)
    },
  })
  return Object.assign(counts, store)
}

/** The text of `name` as a fresh load from `store` would have it, or `null` if never stored. */
export async function storedText(store: DocumentStore, name: string): Promise<string | null> {
  const stored = await store.load(name)
  if (!stored) return null
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(doc, update.data)
  return doc.getText("content").toString()
}

/**
 * Two providers editing `doc` in another room; returns a check that a fresh edit by one still
 * reaches the other, for "nobody else was hurt".
 */
export async function healthyRoom(server: TestServer, doc: string): Promise<(mark: string) => Promise<void>> {
  const a = connectProvider(server, doc)
  const b = connectProvider(server, doc)
  await Promise.all([synced(a), synced(b)])
  return async (mark) => {
    a.doc.getText("content").insert(0, mark)
    await untilText(b.doc, a.doc.getText("content").toString())
  }
}

/**
 * Two synced providers on `doc`; the first sets its user name, and both resolve once the second
 * has seen it.
 */
export async function namedPair(server: Pick<TestServer, "wsUrl">, doc: string, name: string): Promise<[WebsocketProvider, WebsocketProvider]> {
  const named = connectProvider(server, doc)
  const other = connectProvider(server, doc)
  await Promise.all([synced(named), synced(other)])
  named.awareness.setLocalStateField("user", { name, color: "#e11" })
  await untilSeenName(other, named.doc.clientID, name)
  return [named, other]
}

/** A clock that moves only when told: timers fire, in order, as {@link ManualClock.advance} passes them. */
export interface ManualClock extends Clock {
  /** Moves time on by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void
  /** Timers waiting. */
  readonly pending: number
}

export function createManualClock(start = Date.UTC(2026, 10, 30, 12)): ManualClock {
  let now = start
  let nextId = 1
  const timers = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++
      timers.set(id, { at: now + Math.max(0, ms), fn })
      return id
    },
    clearTimeout(timer) {
      timers.delete(timer as number)
    },
    advance(ms) {
      const end = now + ms
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | null = null
        for (const entry of timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        due[1].fn()
      }
      now = end
    },
    get pending() {
      return timers.size
    },
  }
}

/** Sends a request to the server and returns status, headers and body (text, or JSON when it is JSON). */
export async function call<T = Record<string, unknown>>(
  server: Pick<TestServer, "httpUrl">,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; headers?: Record<string, string>; token?: string } = {},
): Promise<{ status: number; headers: Headers; text: string; json: T; bytes: Uint8Array }> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  const response = await fetch(`${server.httpUrl}${path}`, { method, headers, body: options.body as RequestInit["body"] })
  const bytes = new Uint8Array(await response.arrayBuffer())
  const text = Buffer.from(bytes).toString("utf8")
  const json = ((response.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : undefined) as T
  return { status: response.status, headers: response.headers, text, json, bytes }
}

// A cluster of in-process Tandem instances on one real PostgreSQL and one real Redis, for tests.
import { randomUUID } from "node:crypto"
import pg from "pg"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { createSyncServer, silentLogger, type DocumentStore, type SyncServer, type SyncServerOptions } from "@tandem/server"
import { createNodeServer, type NodeServer } from "@tandem/server/node"
import { createPostgresStore } from "@tandem/storage-postgres"
import { startPostgres, startRedis, type PostgresService, type RedisService } from "../../../scripts/services.mjs"
import { createRedisBus } from "../src/index.js"

process.setMaxListeners(0)

/** The shared services of one test file: started once, stopped after the file. */
export interface Services {
  readonly postgres: PostgresService
  readonly redis: RedisService
}

export async function startServices(): Promise<Services> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()])
  return { postgres, redis }
}

export async function stopServices(services: Services | undefined): Promise<void> {
  await Promise.all([services?.postgres.stop(), services?.redis.stop()])
}

/** A database of its own for one test, on the shared cluster. */
export async function freshDatabase(postgres: PostgresService): Promise<string> {
  const name = `t_${randomUUID().replace(/-/g, "")}`
  const admin = new pg.Client({ connectionString: postgres.url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(postgres.url)
  url.pathname = `/${name}`
  return url.toString()
}

/** One instance: its own store pool, bus connection and HTTP server, as a separate process would have. */
export interface Instance {
  readonly sync: SyncServer
  readonly node: NodeServer
  readonly store: DocumentStore
  readonly wsUrl: string
  readonly httpUrl: string
  /** Stops it as SIGTERM would: closes clients with 1001, stores everything, leaves the bus. */
  stop(): Promise<void>
}

export async function startInstance(databaseUrl: string, redisUrl: string, options: Partial<SyncServerOptions> = {}): Promise<Instance> {
  const store = await createPostgresStore({ url: databaseUrl, maxConnections: 4 })
  const bus = createRedisBus({ url: redisUrl, heartbeatMs: 500, instanceTimeoutMs: 3000 })
  const sync = createSyncServer({ logger: silentLogger, ...options, store, bus })
  const node = createNodeServer({ sync })
  const address = await node.listen(0, "127.0.0.1")
  let stopping: Promise<void> | null = null
  const instance: Instance = {
    sync,
    node,
    store,
    wsUrl: `ws://127.0.0.1:${address.port}/sync`,
    httpUrl: `http://127.0.0.1:${address.port}`,
    stop: () =>
      (stopping ??= (async () => {
        await node.close()
        await bus.close()
        await store.close()
      })()),
  }
  onTestFinished(() => instance.stop())
  return instance
}

const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

/** A stock y-websocket provider on `doc` through `instance`, destroyed when the test ends. */
export function connectProvider(instance: Pick<Instance, "wsUrl">, doc: string, ydoc = new Y.Doc()): WebsocketProvider {
  const provider = new WebsocketProvider(instance.wsUrl, doc, ydoc, { WebSocketPolyfill: NodeWebSocket, disableBc: true })
  onTestFinished(() => {
    provider.destroy()
  })
  return provider
}

/** Resolves when the provider has synced. */
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
  const done = () => text.length === expected.length && text.toString() === expected
  if (done()) return Promise.resolve()
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return
      ydoc.off("afterTransaction", check)
      resolve()
    }
    ydoc.on("afterTransaction", check)
  })
}

/** The text of `doc` as a fresh load from `store` has it, or `null`. */
export async function storedText(store: DocumentStore, doc: string): Promise<string | null> {
  const stored = await store.load(doc)
  if (!stored) return null
  const ydoc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(ydoc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(ydoc, update.data)
  return ydoc.getText("content").toString()
}

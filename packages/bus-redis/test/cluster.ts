// A cluster of in-process Tandem instances on one real PostgreSQL and one real Redis, for tests.
import { randomUUID } from "node:crypto"
import type { Socket } from "node:net"
import pg from "pg"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { createSyncServer, silentLogger, type DocumentStore, type RoomBus, type SyncServer, type SyncServerOptions } from "@tandem/server"
import { createNodeServer, type NodeServer } from "@tandem/server/node"
import { createPostgresStore } from "@tandem/storage-postgres"
import { startPostgres, startRedis, type PostgresService, type RedisService } from "../../../scripts/services.mjs"
import { createRedisBus, type RedisBusOptions } from "../src/index.js"
import { RedisLink } from "./redis-link.js"

export { AckingClient } from "./acking-client.js"

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
  readonly bus: RoomBus
  /** The instance's way to Redis, to cut or silence; only with `linked: true`. */
  readonly link: RedisLink | null
  readonly wsUrl: string
  readonly httpUrl: string
  /** Stops it as SIGTERM would: closes clients with 1001, stores everything, leaves the bus. */
  stop(): Promise<void>
  /**
   * Makes it look dead to everyone else, as a crashed process or a pulled cable would: its
   * connections to Redis go silent (open, but nothing passes either way, so no "leaving" message
   * and no heartbeat gets out), its client sockets are cut without a close frame and it accepts
   * no new ones. Only for an instance started with `linked: true`. `stop()` still releases it.
   */
  kill(): void
}

/** What {@link startInstance} takes: the server's options, and the harness's own. */
export type InstanceOptions = Partial<SyncServerOptions> & {
  /** Reach Redis through a {@link RedisLink}, so a test can cut it or {@link Instance.kill} the instance. */
  readonly linked?: boolean
  /** The bus's timings; by default heartbeats every 0.5 s, and 3 s of silence makes an instance lost. */
  readonly busTimings?: Pick<RedisBusOptions, "heartbeatMs" | "instanceTimeoutMs">
}

export async function startInstance(databaseUrl: string, redisUrl: string, options: InstanceOptions = {}): Promise<Instance> {
  const { linked = false, busTimings, ...serverOptions } = options
  const link = linked ? await RedisLink.open(redisUrl) : null
  const store = await createPostgresStore({ url: databaseUrl, maxConnections: 4 })
  const bus = createRedisBus({ url: link?.url ?? redisUrl, heartbeatMs: 500, instanceTimeoutMs: 3000, ...busTimings })
  const sync = createSyncServer({ logger: silentLogger, ...serverOptions, store, bus })
  const node = createNodeServer({ sync })
  // Every TCP socket of the HTTP server, upgraded ones included, so kill() can cut them.
  const sockets = new Set<Socket>()
  node.http.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })
  const address = await node.listen(0, "127.0.0.1")
  // Started once connected to Redis, as a deployment's readiness check would have it: before
  // that, presence other instances relay is lost (it is not stored, so nothing catches it up
  // until each client renews its state, every 15 s).
  await untilHealth(bus, true)
  let stopping: Promise<void> | null = null
  let killed = false
  const instance: Instance = {
    sync,
    node,
    store,
    bus,
    link,
    wsUrl: `ws://127.0.0.1:${address.port}/sync`,
    httpUrl: `http://127.0.0.1:${address.port}`,
    stop: () =>
      (stopping ??= (async () => {
        if (killed && link) {
          // A silenced link would leave the bus waiting for ever on the reply to its goodbye:
          // cut it, and let the bus see Redis gone (it then says goodbye to nobody).
          await link.close()
          await untilHealth(bus, false)
        }
        await node.close()
        await bus.close()
        await store.close()
        await link?.close()
      })()),
    kill: () => {
      if (!link) throw new Error("kill() needs an instance started with { linked: true }")
      if (killed) return
      killed = true
      // Silence first: the presence removals that cutting the sockets causes must not get out.
      link.silence()
      node.http.close()
      for (const socket of sockets) socket.destroy()
    },
  }
  onTestFinished(() => instance.stop())
  return instance
}

/** Resolves once `bus` reports being connected (`true`) or not (`false`). */
export function untilHealth(bus: RoomBus, healthy: boolean): Promise<void> {
  if (bus.healthy === healthy) return Promise.resolve()
  return new Promise((resolve) => {
    const stop = bus.onHealth((now) => {
      if (now !== healthy) return
      stop()
      resolve()
    })
  })
}

const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

/** A stock y-websocket provider on `doc` through `instance`, destroyed when the test ends. */
export function connectProvider(instance: Pick<Instance, "wsUrl">, doc: string, ydoc = new Y.Doc()): WebsocketProvider {
  const provider = new WebsocketProvider(instance.wsUrl, doc, ydoc, { WebSocketPolyfill: NodeWebSocket, disableBc: true })
  onTestFinished(() => dropProvider(provider))
  return provider
}

/**
 * Closes a provider for good, keeping its Y.Doc for another provider: the awareness the provider
 * made for it goes too (the provider leaves it running, and a new provider makes its own).
 */
export function dropProvider(provider: WebsocketProvider): void {
  provider.destroy()
  provider.awareness.destroy()
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

/** `doc` as a fresh load from `store` has it, or `null` when nothing is stored under that name. */
export async function storedDoc(store: DocumentStore, doc: string): Promise<Y.Doc | null> {
  const stored = await store.load(doc)
  if (!stored) return null
  const ydoc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(ydoc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(ydoc, update.data)
  return ydoc
}

/** The text of `doc` as a fresh load from `store` has it, or `null`. */
export async function storedText(store: DocumentStore, doc: string): Promise<string | null> {
  return (await storedDoc(store, doc))?.getText("content").toString() ?? null
}

/** Whether `ydoc` holds every struct `update` inserts (its deletions are not looked at). */
export function holds(ydoc: Y.Doc, update: Uint8Array): boolean {
  for (const [client, clock] of Y.parseUpdateMeta(update).to) {
    if (Y.getState(ydoc.store, client) < clock) return false
  }
  return true
}

/**
 * Resolves as `promise` does, or rejects naming `what` once `ms` have passed: a bound on a wait,
 * so a test that would hang fails with a message instead.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

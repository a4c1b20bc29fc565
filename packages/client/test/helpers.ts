import { onTestFinished } from "vitest"
import WebSocket from "ws"
import * as Y from "yjs"
import { createMemoryStore } from "@tandem/storage-memory"
import { createSyncServer, silentLogger, type DocumentStore, type SyncServer, type SyncServerOptions } from "@tandem/server"
import { createNodeServer, type NodeServer } from "@tandem/server/node"
import { createClient, type ClientOptions, type ClientStatus, type TandemClient, type Timers } from "../src/index.js"

/** A Tandem server in-process on a loopback port (0: any free one), stopped when the test ends. */
export interface TestServer {
  readonly sync: SyncServer
  readonly node: NodeServer
  readonly store: DocumentStore
  readonly port: number
  /** `ws://127.0.0.1:PORT/sync` */
  readonly url: string
  /** Documents of every connection opened so far, in order. */
  readonly opened: string[]
  stop(): Promise<void>
}

export async function startServer(options: Partial<SyncServerOptions> & { port?: number } = {}): Promise<TestServer> {
  const store = options.store ?? createMemoryStore()
  const sync = createSyncServer({ logger: silentLogger, ...options, store })
  const node = createNodeServer({ sync })
  const { port } = await node.listen(options.port ?? 0, "127.0.0.1")
  const opened: string[] = []
  sync.events.on("connection-opened", ({ doc }) => opened.push(doc))
  let stopping: Promise<void> | null = null
  const server: TestServer = { sync, node, store, port, url: `ws://127.0.0.1:${port}/sync`, opened, stop: () => (stopping ??= node.close()) }
  onTestFinished(() => server.stop())
  return server
}

/** A client on `server` with Node's `ws`, destroyed when the test ends. */
export function connect(server: Pick<TestServer, "url">, doc: string, options: Partial<ClientOptions> = {}): TandemClient {
  // ws's class fits the client's WebSocket interface as is: no cast.
  const client = createClient({ url: server.url, doc, WebSocket, ...options })
  onTestFinished(() => {
    client.destroy()
    client.ydoc.destroy()
  })
  return client
}

/** Resolves with the client's status once `check` holds for it, checking on every status event. */
export function until(client: TandemClient, check: (status: ClientStatus) => boolean): Promise<ClientStatus> {
  if (check(client.status)) return Promise.resolve(client.status)
  return new Promise((resolve) => {
    const stop = client.on("status", (status) => {
      if (!check(status)) return
      stop()
      resolve(status)
    })
  })
}

/** Resolves once `ydoc`'s text is `expected`. */
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

/** Every value `unsaved` took, from the status events, without repeats in a row. */
export function recordUnsaved(client: TandemClient): number[] {
  const seen = [client.status.unsaved]
  client.on("status", ({ unsaved }) => {
    if (seen[seen.length - 1] !== unsaved) seen.push(unsaved)
  })
  return seen
}

/** Timers that fire only when the test moves time on, so reconnects happen exactly when asked. */
export interface ManualTimers extends Timers {
  /** Moves time on by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void
  /** Delays of every timer set so far, in order. */
  readonly delays: number[]
  /** Timers waiting to fire. */
  readonly pending: number
}

export function manualTimers(): ManualTimers {
  let now = 1_000_000
  let nextId = 1
  const timers = new Map<number, { at: number; fn: () => void }>()
  const delays: number[] = []
  return {
    delays,
    now: () => now,
    setTimeout(fn, ms) {
      delays.push(ms)
      timers.set(nextId, { at: now + ms, fn })
      return nextId++
    },
    clearTimeout(id) {
      timers.delete(id)
    },
    advance(ms) {
      const end = now + ms
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
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

/** The document's text as a fresh load from the server's store has it. */
export function storedText(server: TestServer, doc: string): Promise<string | null> {
  return server.sync.readText(doc)
}

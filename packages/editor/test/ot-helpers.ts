import type { ChangeSpec, EditorState, Transaction } from "@codemirror/state"
import { sendableUpdates } from "@codemirror/collab"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { createSyncServer, silentLogger, type SyncServer, type SyncServerOptions } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createMemoryStore } from "@tandem/storage-memory"
import { CollabSession, remotePeers, type CollabHost } from "../src/index.js"

// Every stock provider adds a process "exit" listener; many per test are expected here.
process.setMaxListeners(0)

/** A Tandem server on a free loopback port, stopped when the test ends. */
export async function startTandem(options: Partial<SyncServerOptions> = {}) {
  const store = options.store ?? createMemoryStore()
  const sync: SyncServer = createSyncServer({ logger: silentLogger, ...options, store })
  const node = createNodeServer({ sync })
  const { port } = await node.listen(0, "127.0.0.1")
  let stopping: Promise<void> | null = null
  const stop = () => (stopping ??= node.close())
  onTestFinished(stop)
  return { sync, store, stop, base: `127.0.0.1:${port}` }
}

/** A state holder for a session without a view, as a worker or a bot would run one. */
class StateHost implements CollabHost {
  constructor(public state: EditorState) {}
  dispatch(transaction: Transaction): void {
    this.state = transaction.state
  }
  setState(state: EditorState): void {
    this.state = state
  }
}

/** An OT client in Node: the real @codemirror/state and @codemirror/collab, no browser. */
export interface OtClient {
  readonly session: CollabSession
  readonly state: EditorState
  text(): string
  /** Makes a local change (and selection), then lets the session send what is due. */
  edit(spec: { changes?: ChangeSpec; selection?: { anchor: number; head?: number } }): void
  /** Every text frame the server sent, in order, parsed. */
  readonly received: Array<{ type: string; status?: string }>
  /** Cuts the connection and keeps it down until {@link OtClient.goOnline}. */
  goOffline(): void
  goOnline(): void
  /** Resolves once `check` holds, checked after every change of the session. */
  until(check: () => boolean): Promise<void>
}

export function connectOt(base: string, doc: string, name = "Otto"): OtClient {
  let online = true
  let current: WebSocket | null = null
  const received: OtClient["received"] = []
  // Offline, sockets go to a closed port and fail at once; the session retries with backoff.
  class ControlledWebSocket extends WebSocket {
    constructor(url: string) {
      super(online ? url : "ws://127.0.0.1:1/")
      current = this
      this.on("message", (data: Buffer) => received.push(JSON.parse(data.toString("utf8")) as { type: string }))
      this.on("close", (code: number, reason: Buffer) => received.push({ type: `closed ${code} ${reason.toString()}` }))
      this.on("error", () => {})
    }
  }
  const session = new CollabSession({
    url: `ws://${base}/collab/${doc}`,
    user: { name, color: "#2255aa" },
    extensions: [],
    WebSocket: ControlledWebSocket as unknown as typeof globalThis.WebSocket,
    host: (state) => new StateHost(state),
  })
  onTestFinished(() => session.destroy())
  const waiters = new Set<() => void>()
  session.onChange(() => [...waiters].forEach((check) => check()))
  const client: OtClient = {
    session,
    get state() {
      return session.host.state
    },
    text: () => session.host.state.doc.toString(),
    edit(spec) {
      session.host.dispatch(session.host.state.update({ ...spec, userEvent: "input" }))
      session.flush(true)
    },
    received,
    goOffline() {
      online = false
      current?.terminate()
    },
    goOnline() {
      online = true
    },
    until(check) {
      return new Promise((resolve) => {
        const run = () => {
          if (!check()) return
          waiters.delete(run)
          resolve()
        }
        waiters.add(run)
        run()
      })
    },
  }
  return client
}

/** Whether the client has nothing left to confirm and is on a greeted connection. */
export const settled = (client: OtClient): boolean => client.session.status().synced && sendableUpdates(client.state).length === 0

/** The peers an OT client shows, by awareness id. */
export const peersOf = (client: OtClient) => client.state.field(remotePeers)

/** A stock y-websocket provider on `doc`, destroyed when the test ends. */
export function connectYjs(base: string, doc: string): WebsocketProvider {
  const provider = new WebsocketProvider(`ws://${base}/sync`, doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  onTestFinished(() => {
    provider.destroy()
    provider.doc.destroy()
  })
  return provider
}

/** Resolves when the provider has synced. */
export function yjsSynced(provider: WebsocketProvider): Promise<void> {
  if (provider.synced) return Promise.resolve()
  return new Promise((resolve) => {
    const onSync = (synced: boolean) => {
      if (!synced) return
      provider.off("sync", onSync)
      resolve()
    }
    provider.on("sync", onSync)
  })
}

/** Resolves when `check()` holds, checked after every transaction of `doc`. */
export function untilDoc(doc: Y.Doc, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve()
  return new Promise((resolve) => {
    const run = () => {
      if (!check()) return
      doc.off("afterTransaction", run)
      resolve()
    }
    doc.on("afterTransaction", run)
  })
}

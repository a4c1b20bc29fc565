import { spawn, type ChildProcess } from "node:child_process"
import { once } from "node:events"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import * as Y from "yjs"
import { decodeMessages, encodeAckRequest, encodeSyncStep1, encodeUpdate } from "@tandem/protocol"

// The built server, as `npm start` runs it (`npm test` builds before testing).
export const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))

/** A server process started from the build. */
export interface App {
  readonly child: ChildProcess
  readonly port: number
  /** The line it printed when it started listening. */
  readonly line: string
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>
}

/** Starts the built server on a free port with `dataDir`; killed when the test ends. */
export async function startApp(dataDir: string, env: Record<string, string> = {}): Promise<App> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", TANDEM_DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const exited = once(child, "exit").then(([code]) => code as number | null)
  child.stderr!.resume()
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  })
  let app: App | null = null
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)
    if (match) {
      app = { child, port: Number(match[1]), line, exited }
      break
    }
  }
  if (!app) throw new Error("the server exited before it listened")
  // The server logs to stdout: left unread, the pipe would fill and block its writes.
  child.stdout!.resume()
  return app
}

/** A client speaking the wire protocol directly: asks for acks, keeps its own Y.Doc in sync. */
export class RawPeer {
  readonly doc = new Y.Doc()
  /** Highest ack received. */
  acked = 0
  /** The server's answer to our sync request has arrived. */
  synced = false
  private readonly waiters = new Set<() => void>()
  readonly opened: Promise<void>
  readonly closed: Promise<number>

  constructor(
    readonly ws: WebSocket,
    subscribe: boolean,
  ) {
    ws.on("error", () => {})
    this.opened = once(ws, "open").then(() => {
      ws.send(encodeAckRequest())
      if (subscribe) ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    })
    this.closed = once(ws, "close").then(([code]) => code as number)
    ws.on("message", (data: Buffer) => {
      for (const message of decodeMessages(new Uint8Array(data))) {
        if (message.type === "ack") this.acked = Math.max(this.acked, message.count)
        else if (message.type === "sync-step-2" || message.type === "update") {
          Y.applyUpdate(this.doc, message.update, this)
          if (message.type === "sync-step-2") this.synced = true
        }
      }
      for (const wake of [...this.waiters]) wake()
    })
  }

  static connect(port: number, doc: string, { subscribe = false } = {}): RawPeer {
    const peer = new RawPeer(new WebSocket(`ws://127.0.0.1:${port}/sync/${doc}`), subscribe)
    onTestFinished(() => peer.ws.terminate())
    return peer
  }

  /** Sends an update of this peer's own document. */
  sendUpdate(update: Uint8Array): void {
    this.ws.send(encodeUpdate(update))
  }

  /** Resolves when `check()` holds, checking after every frame received; or when the socket closes. */
  until(check: () => boolean): Promise<void> {
    if (check() || this.ws.readyState >= WebSocket.CLOSING) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        if (!check() && this.ws.readyState < WebSocket.CLOSING) return
        this.waiters.delete(wake)
        resolve()
      }
      this.waiters.add(wake)
      void this.closed.then(wake)
    })
  }
}

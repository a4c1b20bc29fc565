import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { CloseCode, parseDocName } from "@tandem/protocol"
import { WebSocketServer, type RawData, type WebSocket } from "ws"
import type { Socket } from "../connection.js"
import type { SyncServer } from "../sync-server.js"
import { rawPath } from "./docs-api.js"

const syncPrefix = "/sync/"

/** Options of {@link WebSocketTransport}. */
export interface WebSocketTransportOptions {
  readonly sync: SyncServer
  /** How often to ping each peer; a peer that has not answered the previous ping is dropped. */
  readonly heartbeatMs: number
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`)
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

/**
 * Serves `ws://host/sync/<doc>` for a SyncServer: validates the document name before the
 * upgrade, enforces the frame size limit (close code 1009), refuses text frames (1003), and
 * drops peers that stop answering pings. Knows nothing about Yjs.
 */
export class WebSocketTransport {
  private readonly wss: WebSocketServer
  private readonly sockets = new Set<WebSocket>()
  private readonly alive = new WeakSet<WebSocket>()
  private readonly heartbeat: NodeJS.Timeout

  constructor(private readonly options: WebSocketTransportOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.sync.limits.maxFrameBytes,
      perMessageDeflate: false,
    })
    this.heartbeat = setInterval(() => this.ping(), options.heartbeatMs)
    this.heartbeat.unref()
  }

  /** Handles an HTTP upgrade request; pass it the arguments of the server's `upgrade` event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy())
    const path = rawPath(req.url)
    if (!path.startsWith(syncPrefix)) {
      refuse(socket, 404, "Not Found")
      return
    }
    const doc = parseDocName(path.slice(syncPrefix.length))
    if (doc === null) {
      refuse(socket, 400, "Bad Request")
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, doc))
  }

  /** Closes every socket's heartbeat; the SyncServer closes the connections themselves. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat)
    const closing = [...this.sockets].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve()
          ws.once("close", () => resolve())
          // A peer that does not complete the closing handshake is cut off.
          setTimeout(() => ws.terminate(), 2000).unref()
        }),
    )
    await Promise.all(closing)
    this.wss.close()
  }

  private accept(ws: WebSocket, doc: string): void {
    this.sockets.add(ws)
    this.alive.add(ws)
    const socket: Socket = {
      send: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data)
      },
      close: (code, reason) => ws.close(code, reason),
    }
    const connection = this.options.sync.connect(socket, doc)
    ws.on("message", (data, isBinary) => {
      if (isBinary) connection.receive(toBytes(data))
      else connection.fail(CloseCode.UnsupportedData, new Error("text frames are not supported"))
    })
    ws.on("pong", () => this.alive.add(ws))
    // ws closes the socket itself after an error (1009 for an oversized frame, 1002 for a
    // protocol violation); the listener keeps the error from being thrown.
    ws.on("error", (error) => this.options.sync.logger.warn("socket error", { doc, connection: connection.id, error }))
    ws.on("close", () => {
      this.sockets.delete(ws)
      connection.closedByTransport()
    })
  }

  private ping(): void {
    for (const ws of this.sockets) {
      if (!this.alive.has(ws)) {
        ws.terminate()
        continue
      }
      this.alive.delete(ws)
      ws.ping()
    }
  }
}

import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { parseDocName } from "@tandem/protocol"
import { WebSocketServer, type WebSocket } from "ws"
import { AuthError, type Grant } from "../auth.js"
import type { ClientProtocol, SyncServer } from "../sync-server-types.js"
import type { UpgradeRefusal } from "../server-events.js"
import { rawPath, requestToken } from "./http.js"
import { drop, listen, Peer, PeerSocket } from "./peer.js"
import { FrameWriter } from "./wire-frame.js"

/** The paths served, and the protocol each speaks: y-websocket's binary frames, or collab's JSON text. */
const prefixes: ReadonlyArray<readonly [string, ClientProtocol]> = [
  ["/sync/", "y-websocket"],
  ["/collab/", "collab"],
]

/** Options of {@link WebSocketTransport}. */
export interface WebSocketTransportOptions {
  readonly sync: SyncServer
  /** How often to ping each peer; a peer that has not answered the previous ping is dropped. */
  readonly heartbeatMs: number
  /** Origins browsers may connect from; `null` allows any. Requests without an Origin pass. */
  readonly allowedOrigins: readonly string[] | null
}

const statusText: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  503: "Service Unavailable",
}

/**
 * Answers an upgrade request with `status` and reports it as an "upgrade-refused" event (and a
 * debug line: a scan of bad tokens must not crowd out the warnings).
 */
function refuse(sync: SyncServer, socket: Duplex, status: number, reason: UpgradeRefusal, doc: string | null): void {
  const text = statusText[status] ?? "Error"
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`)
  sync.logger.debug("upgrade refused", { status, reason, doc })
  sync.events.emit("upgrade-refused", { status, reason, doc })
}

function destroySocket(this: Duplex): void {
  this.destroy()
}

/**
 * Serves `ws://host/sync/<doc>` (y-websocket) and `ws://host/collab/<doc>` (the collab protocol)
 * for a SyncServer: validates the document name before the upgrade, enforces the frame size
 * limit (close code 1009), refuses frames of the other kind (1003: text on /sync, binary on
 * /collab), and drops peers that stop answering pings. Knows nothing about Yjs.
 */
export class WebSocketTransport {
  private readonly wss: WebSocketServer
  private readonly sockets = new Set<Peer>()
  private readonly heartbeat: NodeJS.Timeout
  /** Open and opening connections, in all and by IP address, for the connection limits. */
  private total = 0
  private readonly perIp = new Map<string, number>()
  private readonly frames = new FrameWriter()

  constructor(private readonly options: WebSocketTransportOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.sync.limits.maxFrameBytes,
      perMessageDeflate: false,
      // The transport tracks its peers itself; ws's own set would cost a listener per socket.
      clientTracking: false,
      WebSocket: PeerSocket,
    })
    // ws answers a handshake it cannot accept (a bad key or version) with 400 itself unless
    // someone listens; listening lets that refusal be reported like the others.
    this.wss.on("wsClientError", (_error: Error, socket: Duplex) => refuse(options.sync, socket, 400, "bad-handshake", null))
    this.heartbeat = setInterval(() => this.ping(), options.heartbeatMs)
    this.heartbeat.unref()
  }

  /**
   * Handles an HTTP upgrade request; pass it the arguments of the server's `upgrade` event.
   * Everything is checked before the upgrade and before the document is touched: the path and
   * document name (404, 400), the origin (403), the connection limits (503), and the token
   * (401, 403).
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", destroySocket)
    const { allowedOrigins, sync } = this.options
    const path = rawPath(req.url)
    const served = prefixes.find(([prefix]) => path.startsWith(prefix))
    if (!served) {
      refuse(sync, socket, 404, "not-found", null)
      return
    }
    const [prefix, protocol] = served
    const doc = parseDocName(path.slice(prefix.length))
    if (doc === null) {
      refuse(sync, socket, 400, "bad-name", null)
      return
    }
    const origin = req.headers.origin
    if (allowedOrigins && origin !== undefined && !allowedOrigins.includes(origin)) {
      refuse(sync, socket, 403, "origin", doc)
      return
    }
    const ip = req.socket.remoteAddress ?? "unknown"
    if (this.total >= sync.limits.maxConnections) {
      refuse(sync, socket, 503, "connections", doc)
      return
    }
    if ((this.perIp.get(ip) ?? 0) >= sync.limits.maxConnectionsPerIp) {
      refuse(sync, socket, 503, "connections-per-ip", doc)
      return
    }
    // The slot is taken now, so requests waiting on the authorizer count against the limits too.
    const release = this.take(ip)
    // Also when ws refuses the handshake itself (a bad key, say) and never hands us a socket.
    // release is idempotent, so `on` does, without the wrapper `once` would add per socket.
    socket.on("close", release)
    sync.authorizer.authorize({ doc, token: requestToken(req) }).then(
      (grant) => {
        if (socket.destroyed) return release()
        // ws writes its 101 answer at once; held, it leaves in one write with the frames the
        // connection sends in the same stretch of code (a loaded room's sync step 1).
        this.frames.hold(socket)
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, doc, grant, release, protocol))
      },
      (error: unknown) => {
        release()
        if (error instanceof AuthError) refuse(sync, socket, error.status, error.code, doc)
        else {
          sync.logger.error("authorizer failed", { doc, error })
          refuse(sync, socket, 500, "authorizer-failed", doc)
        }
      },
    )
  }

  /** Closes every socket's heartbeat; the SyncServer closes the connections themselves. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat)
    const closing = [...this.sockets].map(
      ({ ws }) =>
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

  /**
   * Takes a connection slot for `ip`; the function returned gives it back, once however often it
   * is called. Made here, not in handleUpgrade, so what it keeps alive for the life of the
   * connection is the address alone, not the upgrade request its closures would share.
   */
  private take(ip: string): () => void {
    this.total++
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1)
    let released = false
    return () => {
      if (!released) this.release(ip)
      released = true
    }
  }

  private release(ip: string): void {
    this.total--
    const left = (this.perIp.get(ip) ?? 1) - 1
    if (left > 0) this.perIp.set(ip, left)
    else this.perIp.delete(ip)
  }

  private accept(ws: WebSocket, raw: Duplex, doc: string, grant: Grant, release: () => void, protocol: ClientProtocol): void {
    const peer = new Peer(ws, raw, this.options.sync, release, protocol === "collab", this.frames)
    this.sockets.add(peer)
    peer.connection = this.options.sync.connect(peer, doc, grant, protocol)
    listen(ws, peer, () => {
      this.sockets.delete(peer)
      peer.release()
      peer.connection.closedByTransport()
    })
  }

  private ping(): void {
    for (const peer of this.sockets) {
      if (!peer.alive) {
        if (peer.ws.readyState !== peer.ws.CLOSED) drop(peer, "ping", {})
        continue
      }
      peer.alive = false
      peer.ws.ping()
    }
  }
}

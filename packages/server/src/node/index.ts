import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import express, { type RequestHandler } from "express"
import type { SyncServer } from "../sync-server-types.js"
import { createDocsApi } from "./docs-api.js"
import { createAdminApi, type AdminApiOptions } from "./admin-api.js"
import { createMetricsRoute, type MetricsRouteOptions } from "./metrics-route.js"
import { WebSocketTransport } from "./websocket.js"

export { createDocsApi } from "./docs-api.js"
export { rawPath, requestToken, ApiError, sendError } from "./http.js"
export { WebSocketTransport, type WebSocketTransportOptions } from "./websocket.js"
export { createMetricsRoute, type MetricsRouteOptions, type MetricsSource } from "./metrics-route.js"
export { createAdminApi, type AdminApiOptions } from "./admin-api.js"

/** Options of {@link createNodeServer}. */
export interface NodeServerOptions {
  readonly sync: SyncServer
  /** Extra HTTP handlers (the web app), mounted after the API. */
  readonly routes?: RequestHandler
  /** Ping interval in milliseconds. Default 30 s. */
  readonly heartbeatMs?: number
  /** Origins browsers may open sync connections from; by default any. */
  readonly allowedOrigins?: readonly string[] | null
  /**
   * Serves `GET /metrics` from `source`, open or behind a bearer token (see
   * {@link createMetricsRoute}). Without it (or with `false`) there is no such route: 404.
   */
  readonly metrics?: MetricsRouteOptions | false
  /**
   * The admin API under `/api/admin` (see `createAdminApi`), with a shared admin token or the
   * authorizer's admin tokens. Default: on with no shared token, so only the authorizer's admins
   * get in, and off (404) when the authorizer has none.
   */
  readonly admin?: AdminApiOptions
}

/** A SyncServer served over HTTP and WebSocket by Node. */
export interface NodeServer {
  readonly http: Server
  /** Starts listening; resolves with the bound address (use port 0 for any free port). */
  listen(port: number, host?: string): Promise<AddressInfo>
  /**
   * Stops accepting, closes every connection with 1001, stores everything and resolves once
   * the last socket is closed. The store stays open; its owner closes it.
   */
  close(): Promise<void>
}

/**
 * Serves a SyncServer on Node's HTTP server: WebSocket sync at `/sync/<doc>` (and the collab
 * protocol of `@codemirror/collab` clients at `/collab/<doc>`), `GET /healthz`,
 * `GET /metrics` when `metrics` is given, the documents API under `/api/docs` (see
 * `createDocsApi`), then `routes`.
 */
export function createNodeServer(options: NodeServerOptions): NodeServer {
  const { sync } = options
  // Node loads `performance` and Web Crypto (Yjs draws each document's client id from it) at
  // their first use: without this, a fresh process pays for both inside its first client's join.
  performance.now()
  crypto.getRandomValues(new Uint32Array(1))
  const transport = new WebSocketTransport({
    sync,
    heartbeatMs: options.heartbeatMs ?? 30_000,
    allowedOrigins: options.allowedOrigins ?? null,
  })
  const app = express()
  app.disable("x-powered-by")
  // Only the documents API sets entity tags, and only strong ones of the text itself.
  app.set("etag", false)
  app.get("/healthz", (_req, res) => {
    res.status(200).type("text/plain").send("ok\n")
  })
  if (options.metrics) app.use(createMetricsRoute(options.metrics, (error) => sync.logger.error("could not collect metrics", { error })))
  app.use(createAdminApi(sync, options.admin ?? { token: null }))
  app.use(createDocsApi(sync))
  if (options.routes) app.use(options.routes)
  const http = createServer(app)
  http.on("upgrade", (req, socket, head) => transport.handleUpgrade(req, socket, head))

  return {
    http,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        http.once("error", reject)
        http.listen(port, host, () => {
          http.off("error", reject)
          resolve(http.address() as AddressInfo)
        })
      })
    },
    async close() {
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()))
      await sync.close()
      await transport.close()
      http.closeAllConnections()
      await stopped
    },
  }
}

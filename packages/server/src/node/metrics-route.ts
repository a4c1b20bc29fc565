import { createHash, timingSafeEqual } from "node:crypto"
import express, { type RequestHandler } from "express"

/**
 * What `GET /metrics` serves: `createMetrics` of `@tandem/metrics` builds one, and anything that
 * answers a scrape the same way will do.
 */
export interface MetricsSource {
  /** The current values in the exposition format `contentType` names. Rejects when collecting fails (answered 500). */
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>
}

/** Options of {@link createMetricsRoute}, and the `metrics` option of `createNodeServer`. */
export interface MetricsRouteOptions {
  readonly source: MetricsSource
  /** `null`: anyone may scrape. Otherwise requests need `Authorization: Bearer <token>`, else 401. */
  readonly token: string | null
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest()

/**
 * `GET /metrics`, answered by `source.scrape()`, behind a bearer token when one is set. The token
 * is compared in constant time (as hashes, so its length does not show either). `log` is told
 * when collecting fails.
 */
export function createMetricsRoute(options: MetricsRouteOptions, log: (error: unknown) => void): RequestHandler {
  const { source } = options
  const expected = options.token === null ? null : digest(options.token)
  const router = express.Router()
  router.get("/metrics", (req, res) => {
    if (expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        res.status(401).set("WWW-Authenticate", 'Bearer realm="metrics"').type("text/plain").send("Unauthorized\n")
        return
      }
    }
    source.scrape().then(
      ({ contentType, body }) => {
        res.status(200).set({ "Content-Type": contentType, "Cache-Control": "no-store" }).send(body)
      },
      (error: unknown) => {
        log(error)
        res.status(500).type("text/plain").send("could not collect metrics\n")
      },
    )
  })
  return router
}

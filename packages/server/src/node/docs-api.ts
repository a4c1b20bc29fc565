import { parseDocName } from "@tandem/protocol"
import type { IncomingMessage } from "node:http"
import type { NextFunction, Request, Response } from "express"
import { AuthError } from "../auth.js"
import type { SyncServer } from "../sync-server.js"

const prefix = "/api/docs/"
const textSuffix = "/text"

/** The request path as sent, before any decoding or normalisation of `.` segments. */
export function rawPath(url: string | undefined): string {
  const path = url ?? "/"
  const query = path.indexOf("?")
  return query === -1 ? path : path.slice(0, query)
}

/** The token of a request: the `token` query parameter, else an `Authorization: Bearer` header. */
export function requestToken(req: IncomingMessage): string | null {
  const query = new URL(req.url ?? "/", "http://localhost").searchParams.get("token")
  if (query) return query
  const header = req.headers.authorization
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
  return match?.[1] ?? null
}

/**
 * Express middleware for the document API:
 * `GET /api/docs/<doc>/text` answers the document's text as `text/plain`, 404 when nothing was
 * ever stored under that name, 400 for an invalid name, 401 or 403 when the authorizer refuses
 * (read access is enough), and 503 when storage cannot load it.
 */
export function createDocsApi(sync: SyncServer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = rawPath(req.originalUrl)
    if (!path.startsWith(prefix) || !path.endsWith(textSuffix) || (req.method !== "GET" && req.method !== "HEAD")) {
      next()
      return
    }
    const doc = parseDocName(path.slice(prefix.length, -textSuffix.length))
    if (doc === null) {
      res.status(400).type("text/plain").send("invalid document name\n")
      return
    }
    sync.authorizer
      .authorize({ doc, token: requestToken(req) })
      .then(() => sync.readText(doc))
      .then(
        (text) => {
          if (text === null) res.status(404).type("text/plain").send("no such document\n")
          else res.status(200).type("text/plain; charset=utf-8").send(text)
        },
        (error: unknown) => {
          if (error instanceof AuthError) {
            res.status(error.status).type("text/plain").send(`${error.message}\n`)
            return
          }
          sync.logger.error("could not read document", { doc, error })
          res.status(503).type("text/plain").send("storage unavailable\n")
        },
      )
  }
}

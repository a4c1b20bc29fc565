import { parseDocName } from "@tandem/protocol"
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express"
import type { Grant } from "../auth.js"
import type { VersionInfo } from "../document-store.js"
import * as documents from "../documents.js"
import type { ServerWrite } from "../room-types.js"
import type { SyncServer } from "../sync-server-types.js"
import { ApiError, rawPath, requestToken, sendError } from "./http.js"
import { listDocuments } from "./list-api.js"

export { rawPath, requestToken } from "./http.js"

const prefix = "/api/docs"

/** One route of the documents API, read from the end of the path (document names hold `/`). */
type Route =
  | { readonly kind: "list" }
  | { readonly kind: "doc"; readonly doc: string }
  | { readonly kind: "text" | "update" | "versions"; readonly doc: string }
  | { readonly kind: "version" | "version-text" | "version-diff" | "version-restore"; readonly doc: string; readonly id: string }

const patterns: ReadonlyArray<[RegExp, (doc: string, id: string) => Route]> = [
  [/^(.+)\/versions\/(\d{1,18})\/text$/, (doc, id) => ({ kind: "version-text", doc, id })],
  [/^(.+)\/versions\/(\d{1,18})\/diff$/, (doc, id) => ({ kind: "version-diff", doc, id })],
  [/^(.+)\/versions\/(\d{1,18})\/restore$/, (doc, id) => ({ kind: "version-restore", doc, id })],
  [/^(.+)\/versions\/(\d{1,18})$/, (doc, id) => ({ kind: "version", doc, id })],
  [/^(.+)\/versions$/, (doc) => ({ kind: "versions", doc })],
  [/^(.+)\/text$/, (doc) => ({ kind: "text", doc })],
  [/^(.+)\/update$/, (doc) => ({ kind: "update", doc })],
  [/^(.+)$/, (doc) => ({ kind: "doc", doc })],
]

/** Which methods each route answers. */
const methods: Record<Route["kind"], readonly string[]> = {
  list: ["GET", "HEAD"],
  doc: ["DELETE"],
  text: ["GET", "HEAD", "PUT"],
  update: ["GET", "HEAD", "POST"],
  versions: ["GET", "HEAD", "POST"],
  version: ["GET", "HEAD", "DELETE"],
  "version-text": ["GET", "HEAD"],
  "version-diff": ["GET", "HEAD"],
  "version-restore": ["POST"],
}

/** Reads the route of a raw path under `/api/docs`; `null` for no route, "invalid" for a bad name. */
function route(path: string): Route | null | "invalid" {
  if (path === prefix || path === `${prefix}/`) return { kind: "list" }
  if (!path.startsWith(`${prefix}/`)) return null
  const rest = path.slice(prefix.length + 1)
  for (const [pattern, make] of patterns) {
    const match = pattern.exec(rest)
    if (!match) continue
    const doc = parseDocName(match[1]!)
    if (doc === null) continue
    return make(doc, match[2] ?? "")
  }
  return "invalid"
}

/** A version as the API shows it. */
function versionJson(version: VersionInfo) {
  return { ...version, createdAt: new Date(version.createdAt).toISOString() }
}

/** A whole number from a query parameter, within [1, max]; `fallback` when absent. */
export function limitParam(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (typeof value !== "string" || !Number.isInteger(number) || number < 1) throw new ApiError(400, "bad-request", "limit must be a positive whole number")
  return Math.min(number, max)
}

function base64urlParam(value: unknown, name: string): Uint8Array | null {
  if (value === undefined) return null
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]*$/.test(value)) throw new ApiError(400, "bad-request", `${name} must be base64url`)
  return new Uint8Array(Buffer.from(value, "base64url"))
}

/**
 * Express middleware for the documents API under `/api/docs` (the README's table lists every
 * route). Authorization is the WebSocket's: the `docs` scopes and `access` of the token from
 * `Authorization: Bearer` or `?token=`; every write needs write access, else 403. Errors are JSON
 * `{ "error": code, "message": text }`; bodies past the frame limit get 413. Document names may
 * hold `/` raw or as `%2F`; routes are read from the end of the path, so a name that itself ends
 * in `/versions/<number>` must be sent with `%2F`.
 */
export function createDocsApi(sync: SyncServer): RequestHandler {
  const log = (error: unknown) => sync.logger.error("documents API failed", { error })
  const limit = sync.limits.maxFrameBytes
  const text = express.text({ type: () => true, limit, defaultCharset: "utf-8" })
  const raw = express.raw({ type: () => true, limit })
  const json = express.json({ type: () => true, limit: 64 << 10 })

  const handlers: Record<Route["kind"], (req: Request, res: Response, target: Route, grant: Grant | null) => Promise<void>> = {
    list: async (req, res) => {
      res.json(await listDocuments(sync, req))
    },
    doc: async (_req, res, target) => {
      const existed = await sync.deleteDocument(docOf(target))
      if (!existed) throw new ApiError(404, "not-found", "no such document")
      res.status(204).end()
    },
    text: async (req, res, target, grant) => {
      const doc = docOf(target)
      if (req.method === "PUT") {
        const body: unknown = req.body
        if (typeof body !== "string") throw new ApiError(400, "bad-request", "the body must be text")
        const written = await documents.writeText(sync, doc, body, { ifMatch: req.get("if-match") ?? null, write: writeOf("api", grant) })
        res.status(written.created ? 201 : 200).set("ETag", written.tag).json({ etag: written.tag })
        return
      }
      const read = await documents.readTagged(sync, doc)
      if (!read) throw new ApiError(404, "not-found", "no such document")
      res.set("ETag", read.tag)
      if (req.get("if-none-match") && documents.tagMatches(req.get("if-none-match")!, read.tag)) {
        res.status(304).end()
        return
      }
      res.status(200).type("text/plain; charset=utf-8").send(read.text)
    },
    update: async (req, res, target, grant) => {
      const doc = docOf(target)
      if (req.method === "POST") {
        const body: unknown = req.body
        if (!(body instanceof Buffer)) throw new ApiError(400, "bad-request", "the body must be a binary Yjs update")
        const applied = await documents.applyUpdate(sync, doc, new Uint8Array(body.buffer, body.byteOffset, body.byteLength), writeOf("api", grant))
        // An update waiting on missing dependencies is held, not stored: 202, not 200.
        res.status(applied === "pending" ? 202 : 200).json({ applied })
        return
      }
      const update = await documents.readUpdate(sync, doc, base64urlParam(req.query.since, "since"))
      if (!update) throw new ApiError(404, "not-found", "no such document")
      res.status(200).type("application/octet-stream").send(Buffer.from(update.buffer, update.byteOffset, update.byteLength))
    },
    versions: async (req, res, target, grant) => {
      const doc = docOf(target)
      if (req.method === "POST") {
        const label: unknown = (req.body as { label?: unknown } | undefined)?.label
        if (typeof label !== "string" || label.trim() === "" || label.length > 200) {
          throw new ApiError(400, "bad-request", "label must be a string of 1 to 200 characters")
        }
        const version = await documents.nameVersion(sync, doc, label.trim(), grant?.userId ?? null)
        res.status(201).json(versionJson(version))
        return
      }
      const pageSize = limitParam(req.query.limit, 50, 1000)
      const cursor = req.query.cursor
      if (cursor !== undefined && (typeof cursor !== "string" || !/^\d{1,18}$/.test(cursor))) throw new ApiError(400, "bad-request", "bad cursor")
      const page = await documents.listVersions(sync, doc, cursor ?? null, pageSize)
      res.json({ versions: page.map(versionJson), nextCursor: page.length === pageSize ? page[page.length - 1]!.id : null })
    },
    version: async (req, res, target) => {
      const { doc, id } = versionOf(target)
      if (req.method === "DELETE") {
        await documents.removeVersion(sync, doc, id)
        res.status(204).end()
        return
      }
      const { state: _state, ...version } = await documents.loadVersion(sync, doc, id)
      res.json(versionJson(version))
    },
    "version-text": async (_req, res, target) => {
      const { doc, id } = versionOf(target)
      const version = await documents.loadVersion(sync, doc, id)
      res.status(200).type("text/plain; charset=utf-8").send(documents.stateText(version.state))
    },
    "version-diff": async (req, res, target) => {
      const { doc, id } = versionOf(target)
      const to = req.query.to ?? "current"
      if (typeof to !== "string" || !(to === "current" || /^\d{1,18}$/.test(to))) throw new ApiError(400, "bad-request", 'to must be a version id or "current"')
      res.json({ from: id, to, hunks: await documents.diffVersions(sync, doc, id, to) })
    },
    "version-restore": async (_req, res, target, grant) => {
      const { doc, id } = versionOf(target)
      const restored = await documents.restoreVersion(sync, doc, id, writeOf("restore", grant))
      res
        .status(200)
        .set("ETag", restored.tag)
        .json({ restored: versionJson(restored.restored), saved: versionJson(restored.saved), etag: restored.tag })
    },
  }

  const bodyParser = (target: Route, method: string): RequestHandler | null => {
    if (target.kind === "text" && method === "PUT") return text
    if (target.kind === "update" && method === "POST") return raw
    if (target.kind === "versions" && method === "POST") return json
    return null
  }

  return (req: Request, res: Response, next: NextFunction): void => {
    const path = rawPath(req.originalUrl)
    if (path !== prefix && !path.startsWith(`${prefix}/`)) {
      next()
      return
    }
    const fail = (error: unknown) => sendError(res, error, log)
    const target = route(path)
    if (target === null || target === "invalid") {
      fail(target === "invalid" ? new ApiError(400, "invalid-name", "invalid document name") : new ApiError(404, "not-found", "no such route"))
      return
    }
    if (!methods[target.kind].includes(req.method)) {
      res.set("Allow", methods[target.kind].join(", "))
      fail(new ApiError(405, "method-not-allowed", `${req.method} is not allowed here`))
      return
    }
    const parser = bodyParser(target, req.method)
    const run = async () => {
      const writes = !(req.method === "GET" || req.method === "HEAD")
      // The list authorizes document by document; every other route authorizes its document,
      // before any body is read.
      const grant = target.kind === "list" ? null : await sync.authorizer.authorize({ doc: target.doc, token: requestToken(req) })
      if (grant && writes && grant.access !== "write") throw new ApiError(403, "read-only", "this token may only read")
      if (parser) {
        await new Promise<void>((resolve, reject) => {
          void parser(req, res, (error?: unknown) => (error ? reject(bodyError(error)) : resolve()))
        })
      }
      await handlers[target.kind](req, res, target, grant)
    }
    run().catch(fail)
  }
}

/** A body-parser failure as the API answers it. */
function bodyError(error: unknown): ApiError {
  const type = (error as { type?: unknown }).type
  if (type === "entity.too.large") return new ApiError(413, "too-large", "the body is larger than the frame limit")
  if (type === "entity.parse.failed") return new ApiError(400, "bad-request", "the body is not valid JSON")
  return new ApiError(400, "bad-request", error instanceof Error ? error.message : "bad body")
}

function docOf(target: Route): string {
  if (target.kind === "list") throw new Error("the list has no document")
  return target.doc
}

function versionOf(target: Route): { doc: string; id: string } {
  if (!("id" in target)) throw new Error("not a version route")
  return { doc: target.doc, id: target.id }
}

/** The source of a write the API makes for `grant`'s user; each write an object of its own. */
function writeOf(kind: ServerWrite["kind"], grant: Grant | null): ServerWrite {
  return { kind, userId: grant?.userId ?? null }
}

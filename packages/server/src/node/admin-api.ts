import { createHash, timingSafeEqual } from "node:crypto"
import { parseDocName } from "@tandem/protocol"
import express, { type RequestHandler } from "express"
import type { SyncServer } from "../sync-server-types.js"
import { ApiError, requestToken, sendError } from "./http.js"

/** Options of {@link createAdminApi}, and the `admin` option of `createNodeServer`. */
export interface AdminApiOptions {
  /** A shared admin token (`TANDEM_ADMIN_TOKEN`), or `null` for none. */
  readonly token: string | null
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest()

/**
 * The admin API under `/api/admin`, for operators:
 * `GET /api/admin/rooms` (loaded rooms: connections, users, size, pending writes, last change),
 * `POST /api/admin/rooms/<doc>/unload` (closes its connections with 1001; it unloads once
 * stored) and `POST /api/admin/users/<sub>/disconnect` (closes every connection of that user at
 * once with 4403). Every call needs `Authorization: Bearer` with the admin token (compared in
 * constant time) or a token the authorizer says is an administrator's; else 401, or 403 for a
 * valid token that is not an admin's. With neither configured, the API answers 404.
 */
export function createAdminApi(sync: SyncServer, options: AdminApiOptions): RequestHandler {
  const expected = options.token === null ? null : digest(options.token)
  const log = (error: unknown) => sync.logger.error("admin API failed", { error })
  const enabled = expected !== null || sync.authorizer.isAdmin !== undefined
  const router = express.Router()

  const authorize = async (token: string | null): Promise<void> => {
    if (!token) throw new ApiError(401, "unauthenticated", "an admin token is required")
    if (expected && timingSafeEqual(digest(token), expected)) return
    if (sync.authorizer.isAdmin) {
      if (await sync.authorizer.isAdmin(token)) return
      throw new ApiError(403, "forbidden", "this token is not an administrator's")
    }
    throw new ApiError(401, "unauthenticated", "not the admin token")
  }

  const route = (handler: (params: Record<string, string>) => unknown): RequestHandler => {
    return (req, res) => {
      if (!enabled) {
        sendError(res, new ApiError(404, "not-found", "the admin API is off: set TANDEM_ADMIN_TOKEN"), log)
        return
      }
      authorize(requestToken(req))
        .then(() => res.json(handler(req.params as Record<string, string>)))
        .catch((error: unknown) => sendError(res, error, log))
    }
  }

  router.get(
    "/api/admin/rooms",
    route(() => ({
      rooms: sync.roomsOverview().map((room) => ({ ...room, lastChange: room.lastChange === null ? null : new Date(room.lastChange).toISOString() })),
    })),
  )
  router.post(
    /^\/api\/admin\/rooms\/(.+)\/unload$/,
    route((params) => {
      const doc = parseDocName(params[0] ?? "")
      if (doc === null) throw new ApiError(400, "invalid-name", "invalid document name")
      if (!sync.unloadRoom(doc)) throw new ApiError(404, "not-found", "that document is not loaded")
      return { unloading: doc }
    }),
  )
  router.post(
    "/api/admin/users/:sub/disconnect",
    route((params) => ({ disconnected: sync.disconnectUser(params.sub ?? "") })),
  )
  return router
}

import { AuthError, type Visibility } from "../auth.js"
import type { DocumentInfo } from "../document-store.js"
import type { SyncServer } from "../sync-server-types.js"
import { ApiError, requestToken } from "./http.js"
import type { Request } from "express"

/** How many store pages one listing reads at most while skipping documents the caller may not see. */
const maxScans = 20

/** What `GET /api/docs` answers. */
export interface DocumentList {
  readonly documents: ReadonlyArray<{ readonly name: string; readonly bytes: number; readonly updatedAt: string }>
  /** Pass as `cursor` for the next page; `null` at the end. */
  readonly nextCursor: string | null
}

/**
 * `GET /api/docs?prefix=&limit=&cursor=`: the documents the caller may see, in name order, a page
 * at a time. A token that can open nothing under `prefix` gets 403; one that can open some gets
 * only those. With an authorizer that cannot say what a token covers, each document is asked
 * about in turn.
 */
export async function listDocuments(sync: SyncServer, req: Request): Promise<DocumentList> {
  const prefix = req.query.prefix ?? ""
  if (typeof prefix !== "string" || prefix.length > 200) throw new ApiError(400, "bad-request", "prefix must be a string of at most 200 characters")
  const cursor = req.query.cursor
  if (cursor !== undefined && typeof cursor !== "string") throw new ApiError(400, "bad-request", "bad cursor")
  const limit = readLimit(req.query.limit)
  const token = requestToken(req)
  const visibility = await visibilityOf(sync, token)
  if (visibility && !visibility.coversSomeWith(prefix)) throw new ApiError(403, "forbidden", "the token opens no document under this prefix")
  const covers = async (doc: string): Promise<boolean> => {
    if (visibility) return visibility.covers(doc)
    try {
      await sync.authorizer.authorize({ doc, token })
      return true
    } catch (error) {
      if (error instanceof AuthError && error.code === "forbidden") return false
      throw error
    }
  }
  const found: DocumentInfo[] = []
  let after = cursor ? Buffer.from(cursor, "base64url").toString("utf8") : null
  let exhausted = false
  for (let scan = 0; scan < maxScans && found.length < limit; scan++) {
    const want = limit - found.length
    const page = await sync.store.list({ prefix, after, limit: want })
    for (const info of page) {
      if (await covers(info.name)) found.push(info)
    }
    if (page.length < want) {
      exhausted = true
      break
    }
    after = page[page.length - 1]!.name
  }
  return {
    documents: found.map(({ name, bytes, updatedAt }) => ({ name, bytes, updatedAt: new Date(updatedAt).toISOString() })),
    // The last name read, whether or not the caller could see it: the next page starts after it.
    nextCursor: exhausted || after === null ? null : Buffer.from(after, "utf8").toString("base64url"),
  }
}

function readLimit(value: unknown): number {
  if (value === undefined) return 100
  const number = Number(value)
  if (typeof value !== "string" || !Number.isInteger(number) || number < 1) throw new ApiError(400, "bad-request", "limit must be a positive whole number")
  return Math.min(number, 1000)
}

async function visibilityOf(sync: SyncServer, token: string | null): Promise<Visibility | null> {
  return sync.authorizer.visibility ? sync.authorizer.visibility(token) : null
}

import { authHeaders } from "./auth.js"

/** One saved version of a document, as `GET /api/docs/<doc>/versions` lists it. */
export interface Version {
  readonly id: string
  /** `named` versions were saved by someone on purpose and are kept until deleted. */
  readonly kind: "auto" | "named"
  readonly label: string | null
  readonly author: string | null
  /** ISO 8601. */
  readonly createdAt: string
  readonly bytes: number
}

/** One page of versions, newest first; `nextCursor` asks for the next (older) page. */
export interface VersionPage {
  readonly versions: readonly Version[]
  readonly nextCursor: string | null
}

/** A line of a hunk: kept (`" "`), in the version but gone now (`"-"`), or added since (`"+"`). */
export interface DiffLine {
  readonly op: " " | "-" | "+"
  readonly text: string
}

/** A unified-diff hunk from a version to the current text; line numbers count from 1. */
export interface DiffHunk {
  readonly oldStart: number
  readonly oldLines: number
  readonly newStart: number
  readonly newLines: number
  readonly lines: readonly DiffLine[]
}

/** What a restore did: `saved` is the version of the text just before it. */
export interface Restored {
  readonly restored: Version
  readonly saved: Version
}

/** A failed history request: `code` is the server's error code, or `network` / `bad-response`. */
export class HistoryApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = "HistoryApiError"
  }
}

/** The version-history endpoints of one document, on the server this page came from. */
export interface HistoryApi {
  /** A page of versions, newest first, starting after `cursor` when given. */
  list(cursor: string | null): Promise<VersionPage>
  /** Saves the document as it is now as a named version; 404 if it was never stored. */
  name(label: string): Promise<Version>
  /** The text of a version. */
  text(id: string): Promise<string>
  /** The line diff from a version to the current text. */
  diff(id: string): Promise<readonly DiffHunk[]>
  /** Makes the live text equal to a version's, after saving the current text as a version. */
  restore(id: string): Promise<Restored>
}

/**
 * A client for the version-history API of `doc`. Every method rejects with a
 * {@link HistoryApiError} only: for an error the server reported, for a network failure, and for
 * a response that is not what the API promises. Requests carry the sign-in token, if any
 * (`authHeaders`). `fetcher` is for tests.
 */
export function createHistoryApi(doc: string, fetcher: typeof fetch = (input, init) => fetch(input, { ...init, headers: authHeaders(headerRecord(init?.headers)) })): HistoryApi {
  // Names may hold "/": encoded as %2F, so a name ending in "/versions/1" stays one name.
  const base = `/api/docs/${encodeURIComponent(doc)}/versions`

  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    let response: Response
    try {
      response = await fetcher(base + path, init)
    } catch {
      throw new HistoryApiError("network", 0, "the server could not be reached")
    }
    if (response.ok) return response
    const body: unknown = await response.json().catch(() => null)
    const error = isRecord(body) && typeof body.error === "string" ? body.error : `http-${response.status}`
    const message = isRecord(body) && typeof body.message === "string" ? body.message : `the server answered ${response.status}`
    throw new HistoryApiError(error, response.status, message)
  }
  const json = async (path: string, init?: RequestInit): Promise<unknown> => {
    const response = await request(path, init)
    try {
      return (await response.json()) as unknown
    } catch {
      throw badResponse()
    }
  }
  const post = (body?: unknown): RequestInit =>
    body === undefined ? { method: "POST" } : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }

  return {
    async list(cursor) {
      const query = cursor === null ? "" : `?cursor=${encodeURIComponent(cursor)}`
      const body = await json(query)
      if (!isRecord(body) || !Array.isArray(body.versions)) throw badResponse()
      const nextCursor = typeof body.nextCursor === "string" ? body.nextCursor : null
      return { versions: body.versions.map(decodeVersion), nextCursor }
    },
    async name(label) {
      return decodeVersion(await json("", post({ label })))
    },
    async text(id) {
      return (await request(`/${encodeURIComponent(id)}/text`)).text()
    },
    async diff(id) {
      const body = await json(`/${encodeURIComponent(id)}/diff?to=current`)
      if (!isRecord(body) || !Array.isArray(body.hunks)) throw badResponse()
      return body.hunks.map(decodeHunk)
    },
    async restore(id) {
      const body = await json(`/${encodeURIComponent(id)}/restore`, post())
      if (!isRecord(body)) throw badResponse()
      return { restored: decodeVersion(body.restored), saved: decodeVersion(body.saved) }
    },
  }
}

/** The headers of a request as a plain record, to add the token to (the API client only passes records). */
function headerRecord(headers: HeadersInit | undefined): Record<string, string> {
  return Object.fromEntries(new Headers(headers).entries())
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function badResponse(): HistoryApiError {
  return new HistoryApiError("bad-response", 0, "the server sent an answer this page does not understand")
}

const optionalString = (value: unknown): string | null => (typeof value === "string" ? value : null)

function decodeVersion(value: unknown): Version {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.createdAt !== "string") throw badResponse()
  return {
    id: value.id,
    kind: value.kind === "named" ? "named" : "auto",
    label: optionalString(value.label),
    author: optionalString(value.author),
    createdAt: value.createdAt,
    bytes: typeof value.bytes === "number" ? value.bytes : 0,
  }
}

function decodeHunk(value: unknown): DiffHunk {
  if (!isRecord(value) || !Array.isArray(value.lines)) throw badResponse()
  const number = (field: unknown) => {
    if (typeof field !== "number" || !Number.isInteger(field) || field < 0) throw badResponse()
    return field
  }
  return {
    oldStart: number(value.oldStart),
    oldLines: number(value.oldLines),
    newStart: number(value.newStart),
    newLines: number(value.newLines),
    lines: value.lines.map((line): DiffLine => {
      if (!isRecord(line) || typeof line.text !== "string" || (line.op !== " " && line.op !== "-" && line.op !== "+")) throw badResponse()
      return { op: line.op, text: line.text }
    }),
  }
}

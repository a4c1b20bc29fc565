/** One loaded room, as `GET /api/admin/rooms` lists it. */
export interface AdminRoom {
  readonly name: string
  readonly connections: number
  /** Connected users (tokens' `sub`); anonymous connections are not listed. */
  readonly users: readonly string[]
  /** Estimated size of the document in bytes. */
  readonly bytes: number
  /** Updates accepted and not yet stored. */
  readonly pendingWrites: number
  /** ISO 8601, or `null` when it has not changed since it was loaded. */
  readonly lastChange: string | null
}

/** A failed admin request: the HTTP status, or 0 when the server could not be reached or answered nonsense. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = "AdminApiError"
  }
}

/** The admin API of the server this page came from, called with one admin token. */
export interface AdminApi {
  /** The loaded rooms, sorted by name. */
  rooms(): Promise<AdminRoom[]>
  /** Closes every connection to `doc`, so it unloads once stored; 404 when it is not loaded. */
  unload(doc: string): Promise<void>
  /** Closes every connection of user `sub`; resolves to how many were closed. */
  disconnect(sub: string): Promise<number>
}

/**
 * A client for `/api/admin` that sends `token` as `Authorization: Bearer`. Every method rejects
 * with an {@link AdminApiError} only: with the status the server answered (401 and 403 for a
 * refused token, 404 when the API is off), or with status 0 for a network failure or an answer
 * that is not what the API promises.
 */
export function createAdminApi(token: string): AdminApi {
  const call = async (method: "GET" | "POST", path: string): Promise<object> => {
    let response: Response
    try {
      response = await fetch(`/api/admin/${path}`, { method, headers: { authorization: `Bearer ${token}` }, cache: "no-store" })
    } catch {
      throw new AdminApiError(0, "the server could not be reached")
    }
    const body: unknown = await response.json().catch(() => null)
    if (!response.ok) {
      const message = (body as { message?: unknown } | null)?.message
      throw new AdminApiError(response.status, typeof message === "string" ? message : `the server answered ${response.status}`)
    }
    if (typeof body !== "object" || body === null) throw new AdminApiError(0, "the server's answer was not JSON")
    return body
  }
  return {
    async rooms() {
      const rooms = ((await call("GET", "rooms")) as { rooms?: unknown }).rooms
      if (!Array.isArray(rooms) || !rooms.every(isRoom)) throw new AdminApiError(0, "the server's answer was not a list of rooms")
      // Sorted by name, so rows keep their places from one refresh to the next.
      return [...rooms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },
    async unload(doc) {
      // Names may hold "/": encoded as %2F, so the name stays one path segment.
      await call("POST", `rooms/${encodeURIComponent(doc)}/unload`)
    },
    async disconnect(sub) {
      const { disconnected } = (await call("POST", `users/${encodeURIComponent(sub)}/disconnect`)) as { disconnected?: unknown }
      if (typeof disconnected !== "number") throw new AdminApiError(0, "the server's answer did not say how many were disconnected")
      return disconnected
    },
  }
}

function isRoom(value: unknown): value is AdminRoom {
  const room = value as Partial<Record<keyof AdminRoom, unknown>> | null
  return (
    typeof room === "object" &&
    room !== null &&
    typeof room.name === "string" &&
    typeof room.connections === "number" &&
    Array.isArray(room.users) &&
    room.users.every((user) => typeof user === "string") &&
    typeof room.bytes === "number" &&
    typeof room.pendingWrites === "number" &&
    (room.lastChange === null || typeof room.lastChange === "string")
  )
}

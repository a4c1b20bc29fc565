/** What a connection is allowed to do, decided before it was opened. */
export type Access = "read" | "write"

/** What an {@link Authorizer} decides on: one request to open one document. */
export interface AuthRequest {
  readonly doc: string
  /** The token sent with the request (`?token=` or `Authorization: Bearer`), or `null`. */
  readonly token: string | null
}

/** What a request may do, decided once when it arrives. */
export interface Grant {
  /** Who this is, or `null` when the server runs without auth. */
  readonly userId: string | null
  readonly access: Access
  /** When the grant ends (milliseconds since the epoch); the connection is closed with 4401 then. */
  readonly expiresAt: number | null
}

/** Why a request was refused: `unauthenticated` is HTTP 401 / close 4401, `forbidden` 403 / 4403. */
export type AuthErrorCode = "unauthenticated" | "forbidden"

/** Thrown by an {@link Authorizer} to refuse a request. */
export class AuthError extends Error {
  override readonly name = "AuthError"

  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message)
  }

  /** The HTTP status for this refusal. */
  get status(): 401 | 403 {
    return this.code === "unauthenticated" ? 401 : 403
  }
}

/**
 * Decides who may open which document. Runs once per request, before any socket exists and
 * before the document is loaded. Rejects with an {@link AuthError} to refuse; any other
 * rejection is an internal error (HTTP 500).
 */
export interface Authorizer {
  authorize(request: AuthRequest): Promise<Grant>
  /**
   * Optional: which documents a token may see, for listing them. Rejects with an AuthError
   * (`unauthenticated`) for a token that is no good. Without it, a listing asks
   * {@link Authorizer.authorize} about each document.
   */
  visibility?(token: string | null): Promise<Visibility>
  /**
   * Optional: whether a token is an administrator's (a JWT with `access: "admin"`, say), for the
   * admin API. Resolves to false for any other token, and rejects with an AuthError only for a
   * token that is no good at all.
   */
  isAdmin?(token: string): Promise<boolean>
}

/** Which documents a token opens, as a listing needs to know. */
export interface Visibility {
  readonly userId: string | null
  /** Whether the token opens `doc`. */
  covers(doc: string): boolean
  /** Whether the token could open some document whose name starts with `prefix`. */
  coversSomeWith(prefix: string): boolean
}

/** Lets everyone read and write every document: the server without auth. */
const anyoneMayWrite: Grant = Object.freeze({ userId: null, access: "write", expiresAt: null })

const everything: Visibility = Object.freeze({ userId: null, covers: () => true, coversSomeWith: () => true })

export const openAuthorizer: Authorizer = {
  // One grant shared by every connection.
  authorize: async () => anyoneMayWrite,
  visibility: async () => everything,
}

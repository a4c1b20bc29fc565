import { AuthError, type Authorizer, type Grant, type Visibility } from "@tandem/server"
import * as jose from "jose"

/** Options of {@link createJwtAuthorizer}: exactly one of `secret` and `publicKey`. */
export interface JwtAuthorizerOptions {
  /** A shared secret: tokens are HS256. */
  readonly secret?: string
  /** A public key as PEM (SPKI) or JWK JSON: tokens are ES256 or RS256. */
  readonly publicKey?: string
  /** When set, the `aud` claim must match. */
  readonly audience?: string
  /** When set, the `iss` claim must match. */
  readonly issuer?: string
}

/** The claims Tandem reads from a token. */
export interface TandemClaims {
  /** The user id. */
  readonly sub?: string
  /** Documents the token opens; a trailing `*` matches any suffix (`team/*`). */
  readonly docs?: readonly string[]
  /** `"admin"` opens the admin API only, no document. */
  readonly access?: "read" | "write" | "admin"
}

/** Whether `pattern` (a name, or a prefix ending in `*`) covers document `doc`. */
export function docMatches(pattern: string, doc: string): boolean {
  return pattern.endsWith("*") ? doc.startsWith(pattern.slice(0, -1)) : pattern === doc
}

/** Whether `pattern` covers some document whose name starts with `prefix`. */
export function patternMeets(pattern: string, prefix: string): boolean {
  if (!pattern.endsWith("*")) return pattern.startsWith(prefix)
  const base = pattern.slice(0, -1)
  return base.startsWith(prefix) || prefix.startsWith(base)
}

async function importKey(options: JwtAuthorizerOptions): Promise<{ key: jose.CryptoKey | Uint8Array; algorithms: string[] }> {
  if (options.secret !== undefined) {
    if (options.secret.length < 32) throw new TypeError("createJwtAuthorizer: the secret must be at least 32 characters")
    return { key: new TextEncoder().encode(options.secret), algorithms: ["HS256"] }
  }
  const text = options.publicKey!.trim()
  if (text.startsWith("{")) {
    const jwk = JSON.parse(text) as jose.JWK
    const alg = jwk.alg ?? (jwk.kty === "EC" ? "ES256" : "RS256")
    if (alg !== "ES256" && alg !== "RS256") throw new TypeError(`createJwtAuthorizer: unsupported key algorithm ${alg}`)
    const key = await jose.importJWK(jwk, alg)
    if (key instanceof Uint8Array) throw new TypeError("createJwtAuthorizer: publicKey must be a public key, not a secret")
    return { key, algorithms: [alg] }
  }
  // A PEM does not say which algorithm it is for: try EC, then RSA.
  try {
    return { key: await jose.importSPKI(text, "ES256"), algorithms: ["ES256"] }
  } catch {
    return { key: await jose.importSPKI(text, "RS256"), algorithms: ["RS256"] }
  }
}

/**
 * An Authorizer that reads a JWT. The token must be signed with the configured key and
 * algorithm (a token with `alg: none` or another algorithm is refused), carry `exp`, and cover
 * the document in its `docs` claim; `access` is `"read"` or `"write"` (default `"read"`).
 * A missing, malformed, badly signed or expired token is `unauthenticated` (401); a valid token
 * that does not cover the document is `forbidden` (403).
 *
 * @throws {TypeError} for options that cannot work (no key, both keys, a short secret, a bad key).
 */
export async function createJwtAuthorizer(options: JwtAuthorizerOptions): Promise<Authorizer> {
  if ((options.secret === undefined) === (options.publicKey === undefined)) {
    throw new TypeError("createJwtAuthorizer: give exactly one of secret and publicKey")
  }
  const { key, algorithms } = await importKey(options)
  const verifyOptions: jose.JWTVerifyOptions = { algorithms, audience: options.audience, issuer: options.issuer, requiredClaims: ["exp"] }
  const verify = (token: string) => jose.jwtVerify<TandemClaims>(token, key, verifyOptions)
  /** The token's claims, checked; an AuthError when it is missing or no good. */
  const read = async (token: string | null) => {
    if (!token) throw new AuthError("unauthenticated", "a token is required")
    let claims: TandemClaims & jose.JWTPayload
    try {
      claims = (await verify(token)).payload
    } catch (error) {
      throw new AuthError("unauthenticated", error instanceof Error ? `invalid token: ${error.message}` : "invalid token")
    }
    const access = claims.access ?? "read"
    if (access !== "read" && access !== "write") throw new AuthError("unauthenticated", "invalid token: bad access claim")
    const docs = Array.isArray(claims.docs) ? claims.docs.filter((d): d is string => typeof d === "string") : []
    return { userId: typeof claims.sub === "string" ? claims.sub : null, access, docs, expiresAt: claims.exp! * 1000 } as const
  }
  return {
    async authorize({ doc, token }): Promise<Grant> {
      const { userId, access, docs, expiresAt } = await read(token)
      if (!docs.some((pattern) => docMatches(pattern, doc))) throw new AuthError("forbidden", "the token does not cover this document")
      return { userId, access, expiresAt }
    },
    async isAdmin(token): Promise<boolean> {
      try {
        return (await verify(token)).payload.access === "admin"
      } catch (error) {
        throw new AuthError("unauthenticated", error instanceof Error ? `invalid token: ${error.message}` : "invalid token")
      }
    },
    async visibility(token): Promise<Visibility> {
      const { userId, docs } = await read(token)
      return {
        userId,
        covers: (doc) => docs.some((pattern) => docMatches(pattern, doc)),
        coversSomeWith: (prefix) => docs.some((pattern) => patternMeets(pattern, prefix)),
      }
    },
  }
}

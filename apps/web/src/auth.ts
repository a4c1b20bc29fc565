// The access token of a server with auth (README "## Auth"): where the web app keeps it, how it
// arrives in a link, and how every request to the server carries it. The sign-in box and the
// document page's gate are in sign-in.ts.

/** Why a sign-in is needed, worded by `signInSentence` in status-text.ts. */
export type SignInReason =
  /** The server needs a token and this browser has none. */
  | "missing"
  /** The server did not accept the token (mistyped, badly signed, revoked key). */
  | "rejected"
  /** The token's `exp` has passed. */
  | "expired"
  /** The token is good but does not cover this document (HTTP 403). */
  | "forbidden"

/** What the server says about opening a document with some token, from {@link checkAccess}. */
export type Access = "ok" | "unauthorized" | "forbidden" | "unreachable"

/** How long an access check may take before the server counts as unreachable. */
const checkTimeoutMs = 10_000

/**
 * The localStorage key of this server's token. localStorage is already per origin; the origin
 * in the key keeps the entries of several servers apart where a storage is shared or copied.
 */
function storageKey(): string {
  return `tandem:token:${location.origin}`
}

/**
 * Splits a link's fragment into its token and whatever else it holds: `#token=abc&x=1` gives
 * `{ token: "abc", rest: "#x=1" }`; no token gives `token: null` and the fragment unchanged.
 */
export function tokenFromHash(hash: string): { token: string | null; rest: string } {
  const params = new URLSearchParams(hash.replace(/^#/, ""))
  const token = params.get("token")
  if (token === null) return { token: null, rest: hash }
  params.delete("token")
  const rest = params.toString()
  return { token: token.trim() || null, rest: rest ? `#${rest}` : "" }
}

/**
 * Takes a token given in the link (`#token=…`: a fragment never reaches the server or its logs)
 * into the store, and removes it from the address bar (and so from copied links and history),
 * keeping the rest of the URL. Returns the token, or `null` when the link holds none.
 */
export function takeTokenFromLink(): string | null {
  const { token, rest } = tokenFromHash(location.hash)
  if (token === null && rest === location.hash) return null
  if (token !== null) setToken(token)
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest}`)
  return token
}

/**
 * The token for this server: one in the link first (taken into the store, see
 * {@link takeTokenFromLink}), else the remembered one; `null` when there is none.
 */
export function currentToken(): string | null {
  const linked = takeTokenFromLink()
  if (linked !== null) return linked
  try {
    return localStorage.getItem(storageKey()) || null
  } catch {
    // Storage blocked (a privacy setting): no remembered token.
    return null
  }
}

/** Remembers `token` for this server, in this browser, for every tab. */
export function setToken(token: string): void {
  try {
    localStorage.setItem(storageKey(), token)
  } catch {
    // Storage blocked: the token still works for this page through the caller.
  }
}

/** Forgets this server's token. */
export function clearToken(): void {
  try {
    localStorage.removeItem(storageKey())
  } catch {
    // Nothing was stored.
  }
}

/**
 * Calls `listener` with this server's token when another tab stores or clears it (the `storage`
 * event fires only in the other tabs). Returns the unsubscribe.
 */
export function onTokenStored(listener: (token: string | null) => void): () => void {
  const onStorage = (event: StorageEvent) => {
    if (event.key === storageKey() || event.key === null) listener(event.key === null ? null : event.newValue || null)
  }
  window.addEventListener("storage", onStorage)
  return () => window.removeEventListener("storage", onStorage)
}

/**
 * The headers of a request to the server's `/api`: `headers` plus `Authorization: Bearer` when
 * there is a token (`token`, else {@link currentToken}). Every `fetch` of the app to `/api/...`
 * goes through this, except the admin page, which has an admin token of its own.
 */
export function authHeaders(headers: Record<string, string> = {}, token: string | null = currentToken()): Record<string, string> {
  return token === null ? { ...headers } : { ...headers, authorization: `Bearer ${token}` }
}

/**
 * When a JWT says it expires (milliseconds since the epoch), read without checking its
 * signature: only to word a refusal ("expired" rather than "not accepted"), never to trust it.
 * `null` for anything that is not a JWT with a numeric `exp`.
 */
export function tokenExpiresAt(token: string): number | null {
  const payload = token.split(".")[1]
  if (payload === undefined) return null
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : null
  } catch {
    return null
  }
}

/** The reason to show when the server refused `token` with 401. */
export function refusalReason(token: string | null, now = Date.now()): SignInReason {
  if (token === null) return "missing"
  const expiresAt = tokenExpiresAt(token)
  return expiresAt !== null && expiresAt <= now ? "expired" : "rejected"
}

/**
 * Asks the server whether `token` opens `doc`, with `HEAD /api/docs/<doc>/versions`: 401 is
 * `unauthorized`, 403 `forbidden`, 200 and 404 `ok`. No answer, or another status, is `unreachable`: the connection will find out.
 */
export function checkAccess(doc: string, token: string | null, fetcher: typeof fetch = (input, init) => fetch(input, init)): Promise<Access> {
  // The versions list answers 200 for a document nobody has written yet, where its text would be
  // a 404 (logged by the browser as an error): the token is checked the same way on both.
  return accessOf(`/api/docs/${encodeURIComponent(doc)}/versions`, token, fetcher)
}

/** Like {@link checkAccess}, for listing documents (`HEAD /api/docs?limit=1`), for the start page. */
export function checkListAccess(token: string | null, fetcher: typeof fetch = (input, init) => fetch(input, init)): Promise<Access> {
  return accessOf("/api/docs?limit=1", token, fetcher)
}

async function accessOf(url: string, token: string | null, fetcher: typeof fetch): Promise<Access> {
  let response: Response
  try {
    response = await fetcher(url, { method: "HEAD", headers: authHeaders({}, token), cache: "no-store", signal: AbortSignal.timeout(checkTimeoutMs) })
  } catch {
    return "unreachable"
  }
  switch (response.status) {
    case 200:
    case 404:
      return "ok"
    case 401:
      return "unauthorized"
    case 403:
      return "forbidden"
    default:
      return "unreachable"
  }
}

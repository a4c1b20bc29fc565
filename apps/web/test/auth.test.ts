import { describe, expect, it } from "vitest"
import { checkAccess, refusalReason, tokenExpiresAt, tokenFromHash } from "../src/auth.js"

/** A JWT-shaped token with `payload` (unsigned: only its claims are read here). */
function jwt(payload: unknown): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode(payload)}.signature`
}

describe("tokenFromHash", () => {
  it("takes the token and keeps the rest of the fragment", () => {
    expect(tokenFromHash("#token=abc.def-_")).toEqual({ token: "abc.def-_", rest: "" })
    expect(tokenFromHash("#token=abc&line=4")).toEqual({ token: "abc", rest: "#line=4" })
    expect(tokenFromHash("#line=4")).toEqual({ token: null, rest: "#line=4" })
    expect(tokenFromHash("")).toEqual({ token: null, rest: "" })
  })

  it("drops an empty token from the fragment without taking it", () => {
    expect(tokenFromHash("#token=")).toEqual({ token: null, rest: "" })
  })
})

describe("tokenExpiresAt and refusalReason", () => {
  it("reads exp in milliseconds, and nothing from what is not a JWT", () => {
    expect(tokenExpiresAt(jwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000)
    expect(tokenExpiresAt(jwt({ sub: "ada" }))).toBeNull()
    expect(tokenExpiresAt("not a token")).toBeNull()
    expect(tokenExpiresAt("a.!!!.c")).toBeNull()
  })

  it("words a 401 as missing, expired or not accepted", () => {
    const now = 1_700_000_000_000
    expect(refusalReason(null, now)).toBe("missing")
    expect(refusalReason(jwt({ exp: now / 1000 - 1 }), now)).toBe("expired")
    expect(refusalReason(jwt({ exp: now / 1000 + 60 }), now)).toBe("rejected")
    expect(refusalReason("garbage", now)).toBe("rejected")
  })
})

describe("checkAccess", () => {
  const answering = (status: number) => (async () => new Response(null, { status })) as typeof fetch

  it("asks HEAD on the document's text with the token, and reads the status", async () => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = []
    const fetcher = (async (url: string, init?: RequestInit) => {
      seen.push({ url, init })
      return new Response(null, { status: 404 })
    }) as typeof fetch
    expect(await checkAccess("team/a b", "tok", fetcher)).toBe("ok")
    expect(seen[0]!.url).toBe("/api/docs/team%2Fa%20b/versions")
    expect(seen[0]!.init?.method).toBe("HEAD")
    expect(seen[0]!.init?.headers).toEqual({ authorization: "Bearer tok" })
    await checkAccess("x", null, fetcher)
    expect(seen[1]!.init?.headers).toEqual({})
  })

  it("maps 200 and 404 to ok, 401 and 403 to their refusals, anything else to unreachable", async () => {
    expect(await checkAccess("x", "t", answering(200))).toBe("ok")
    expect(await checkAccess("x", "t", answering(401))).toBe("unauthorized")
    expect(await checkAccess("x", "t", answering(403))).toBe("forbidden")
    expect(await checkAccess("x", "t", answering(503))).toBe("unreachable")
    expect(await checkAccess("x", "t", (async () => Promise.reject(new TypeError("offline"))) as typeof fetch)).toBe("unreachable")
  })
})

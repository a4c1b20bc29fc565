import { describe, expect, it } from "vitest"
import * as jose from "jose"
import { AuthError } from "@tandem/server"
import { createJwtAuthorizer, docMatches } from "../src/index.js"

const secret = "a-test-secret-that-is-long-enough-0123456789"
const key = new TextEncoder().encode(secret)
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600

function sign(claims: jose.JWTPayload, options: { exp?: number | null; alg?: string; key?: Uint8Array } = {}): Promise<string> {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "HS256" })
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? inOneHour())
  return jwt.sign(options.key ?? key)
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthError) return error.code
    throw error
  }
  return "granted"
}

describe("JWT authorizer", () => {
  it("grants what a valid token says, for the documents it names", async () => {
    const authorizer = await createJwtAuthorizer({ secret })
    const token = await sign({ sub: "ada", docs: ["notes", "team/*"], access: "write" })
    await expect(authorizer.authorize({ doc: "notes", token })).resolves.toMatchObject({ userId: "ada", access: "write" })
    await expect(authorizer.authorize({ doc: "team/plan/q3", token })).resolves.toMatchObject({ access: "write" })
    const grant = await authorizer.authorize({ doc: "notes", token: await sign({ docs: ["notes"] }) })
    expect(grant.access).toBe("read")
    expect(grant.expiresAt).toBeGreaterThan(Date.now())
  })

  it("refuses missing, malformed, badly signed, unsigned and expired tokens as unauthenticated", async () => {
    const authorizer = await createJwtAuthorizer({ secret })
    const claims = { docs: ["notes"], access: "write" }
    const valid = await sign(claims)
    const [header, payload] = valid.split(".")
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`
    const cases: Record<string, string | null> = {
      missing: null,
      malformed: "not.a.jwt",
      garbage: "x",
      "wrong key": await sign(claims, { key: new TextEncoder().encode("another-secret-that-is-long-enough-9876543210") }),
      "alg none": unsigned,
      "tampered payload": `${header}.${Buffer.from(JSON.stringify({ ...claims, docs: ["*"] })).toString("base64url")}.${valid.split(".")[2]}`,
      expired: await sign(claims, { exp: Math.floor(Date.now() / 1000) - 10 }),
      "no exp": await sign(claims, { exp: null }),
      "bad access": await sign({ docs: ["notes"], access: "admin" }),
    }
    for (const [name, token] of Object.entries(cases)) {
      expect(await refusal(authorizer.authorize({ doc: "notes", token })), name).toBe("unauthenticated")
    }
  })

  it("refuses a valid token for another document as forbidden", async () => {
    const authorizer = await createJwtAuthorizer({ secret })
    const token = await sign({ docs: ["team/*", "notes"], access: "write" })
    expect(await refusal(authorizer.authorize({ doc: "other", token }))).toBe("forbidden")
    expect(await refusal(authorizer.authorize({ doc: "notes2", token }))).toBe("forbidden")
    expect(await refusal(authorizer.authorize({ doc: "teams", token }))).toBe("forbidden")
    expect(await refusal(authorizer.authorize({ doc: "notes", token: await sign({ access: "write" }) }))).toBe("forbidden")
  })

  it("checks audience and issuer when configured", async () => {
    const authorizer = await createJwtAuthorizer({ secret, audience: "tandem", issuer: "https://id.example" })
    const good = await sign({ docs: ["d"], aud: "tandem", iss: "https://id.example" })
    await expect(authorizer.authorize({ doc: "d", token: good })).resolves.toBeDefined()
    expect(await refusal(authorizer.authorize({ doc: "d", token: await sign({ docs: ["d"], aud: "other", iss: "https://id.example" }) }))).toBe("unauthenticated")
    expect(await refusal(authorizer.authorize({ doc: "d", token: await sign({ docs: ["d"], aud: "tandem" }) }))).toBe("unauthenticated")
  })

  it("verifies ES256 and RS256 tokens with a public key as PEM or JWK, and refuses HS256 then", async () => {
    for (const alg of ["ES256", "RS256"] as const) {
      const pair = await jose.generateKeyPair(alg, { extractable: true })
      const pem = await jose.exportSPKI(pair.publicKey)
      const jwk = JSON.stringify({ ...(await jose.exportJWK(pair.publicKey)), alg })
      const token = await new jose.SignJWT({ docs: ["d"], access: "write" }).setProtectedHeader({ alg }).setExpirationTime("1h").sign(pair.privateKey)
      for (const publicKey of [pem, jwk]) {
        const authorizer = await createJwtAuthorizer({ publicKey })
        await expect(authorizer.authorize({ doc: "d", token }), alg).resolves.toMatchObject({ access: "write" })
        expect(await refusal(authorizer.authorize({ doc: "d", token: await sign({ docs: ["d"] }) })), alg).toBe("unauthenticated")
      }
    }
  })

  it("refuses options that cannot work", async () => {
    await expect(createJwtAuthorizer({})).rejects.toThrow(TypeError)
    await expect(createJwtAuthorizer({ secret: "short" })).rejects.toThrow(TypeError)
    await expect(createJwtAuthorizer({ secret, publicKey: "x" })).rejects.toThrow(TypeError)
  })

  it("matches document patterns by name or by prefix with a trailing *", () => {
    expect(docMatches("a/b", "a/b")).toBe(true)
    expect(docMatches("a/*", "a/b/c")).toBe(true)
    expect(docMatches("*", "anything")).toBe(true)
    expect(docMatches("a/b", "a/b/c")).toBe(false)
    expect(docMatches("a/*", "ab")).toBe(false)
  })
})

import { describe, expect, it } from "vitest"
import * as jose from "jose"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import { CloseCode } from "@tandem/protocol"
import { connect, manualTimers, startServer, until, untilText } from "./helpers.js"

const secret = "client-integration-secret-long-enough-42"
const key = new TextEncoder().encode(secret)

function token(claims: jose.JWTPayload, exp: number | string = "1h"): Promise<string> {
  return new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime(exp).sign(key)
}

async function jwtServer() {
  return startServer({ authorizer: await createJwtAuthorizer({ secret }) })
}

/** `exp` for a token that expires in one to two seconds: long enough to sync, short enough to wait for. */
const soon = () => Math.floor(Date.now() / 1000) + 2

describe("tokens", () => {
  it("asks getToken for a new token on 4401 and reconnects without losing typing", async () => {
    const server = await jwtServer()
    let asked!: () => void
    const askedForToken = new Promise<void>((resolve) => (asked = resolve))
    let give!: (token: string) => void
    let calls = 0
    const getToken = () => {
      calls++
      asked()
      return new Promise<string>((resolve) => (give = resolve))
    }
    const client = connect(server, "expiring", { token: await token({ docs: ["expiring"], access: "write" }, soon()), getToken })
    await client.whenSynced()
    const text = client.ydoc.getText("content")
    text.insert(0, "before expiry. ")

    await askedForToken
    expect(client.status.connection).toBe("connecting")
    text.insert(text.length, "typed while signing in again.")
    give(await token({ docs: ["expiring"], access: "write" }))

    await until(client, (s) => s.connection === "connected" && s.synced && s.unsaved === 0)
    await expect(server.sync.readText("expiring")).resolves.toBe("before expiry. typed while signing in again.")
    expect(calls).toBe(1)
  })

  it("is unauthorized when getToken has none, keeps the edits, and resumes after setToken", async () => {
    const server = await jwtServer()
    const client = connect(server, "signed-out", { token: await token({ docs: ["signed-out"], access: "write" }, soon()), getToken: () => null })
    await client.whenSynced()
    const stopped = await until(client, (s) => s.connection === "unauthorized")
    expect(stopped.error).toMatchObject({ code: CloseCode.Unauthorized })
    expect(stopped.error?.message).toMatch(/sign in again/i)
    expect(stopped.retryAt).toBeNull()
    client.ydoc.getText("content").insert(0, "kept")
    expect(client.status.unsaved).toBe(1)

    client.setToken(await token({ docs: ["signed-out"], access: "write" }))
    client.connect()
    await until(client, (s) => s.connection === "connected" && s.unsaved === 0)
    await expect(server.sync.readText("signed-out")).resolves.toBe("kept")
  })

  it("treats an upgrade refused with 401 as an expired token where the runtime reveals it (Node)", async () => {
    const server = await jwtServer()
    let calls = 0
    const fresh = await token({ docs: ["late"], access: "write" })
    const expired = await token({ docs: ["late"], access: "write" }, Math.floor(Date.now() / 1000) - 5)
    const client = connect(server, "late", { token: expired, getToken: () => (calls++, fresh) })
    await client.whenSynced()
    expect(calls).toBe(1)
    expect(server.opened).toEqual(["late"])
  })
})

describe("close codes that retrying cannot change", () => {
  it("stops on 4403 (access revoked) with a sentence, and never reconnects", async () => {
    const server = await jwtServer()
    const timers = manualTimers()
    const client = connect(server, "revoked", { token: await token({ sub: "eve", docs: ["revoked"], access: "write" }), timers })
    await client.whenSynced()
    server.sync.disconnectUser("eve")
    const stopped = await until(client, (s) => s.connection === "error")
    expect(stopped.error).toMatchObject({ code: CloseCode.Forbidden })
    expect(stopped.error?.message).toMatch(/not allowed/)
    // Nothing scheduled: no retry, no watchdog. A year passing opens nothing.
    expect(stopped.retryAt).toBeNull()
    expect(timers.pending).toBe(0)
    timers.advance(365 * 24 * 3600_000)
    expect(server.opened).toEqual(["revoked"])
  })

  it("stops on 4404 when the document is deleted, rather than creating it again", async () => {
    const server = await startServer()
    const timers = manualTimers()
    const client = connect(server, "doomed", { timers })
    await client.whenSynced()
    client.ydoc.getText("content").insert(0, "soon gone")
    await until(client, (s) => s.unsaved === 0 && s.savesConfirmed)
    await server.sync.deleteDocument("doomed")
    const stopped = await until(client, (s) => s.connection === "error")
    expect(stopped.error).toMatchObject({ code: CloseCode.Deleted })
    expect(stopped.error?.message).toMatch(/deleted/)
    expect(timers.pending).toBe(0)
    expect(server.opened).toEqual(["doomed"])
    await expect(server.sync.readText("doomed")).resolves.toBeNull()
  })

  it("stops when the upgrade is refused with 403 for another document's token", async () => {
    const server = await jwtServer()
    const timers = manualTimers()
    const client = connect(server, "private", { token: await token({ docs: ["public"], access: "write" }), timers })
    const stopped = await until(client, (s) => s.connection === "error")
    expect(stopped.error).toMatchObject({ code: CloseCode.Forbidden })
    expect(timers.pending).toBe(0)
    expect(server.opened).toEqual([])
  })
})

describe("read-only access", () => {
  it("reports readOnly after the server denies a write, and stays connected for live updates", async () => {
    const server = await jwtServer()
    const writer = connect(server, "ro", { token: await token({ docs: ["ro"], access: "write" }) })
    const reader = connect(server, "ro", { token: await token({ docs: ["ro"], access: "read" }) })
    await Promise.all([writer.whenSynced(), reader.whenSynced()])
    expect(reader.status.readOnly).toBe(false)
    reader.ydoc.getText("content").insert(0, "vandalism")
    const denied = await until(reader, (s) => s.readOnly)
    expect(denied).toMatchObject({ connection: "connected", unsaved: 1 })
    writer.ydoc.getText("content").insert(0, "original ")
    await until(writer, (s) => s.unsaved === 0)
    const readerText = reader.ydoc.getText("content")
    await new Promise<void>((resolve) => {
      const check = () => (readerText.toString().includes("original") ? resolve() : reader.ydoc.once("afterTransaction", check))
      check()
    })
    expect(reader.status.connection).toBe("connected")
    await expect(server.sync.readText("ro")).resolves.not.toContain("vandalism")
  })
})

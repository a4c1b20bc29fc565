import { describe, expect, it } from "vitest"
import * as jose from "jose"
import * as Y from "yjs"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import { CloseCode, decodeMessages, encodeSyncStep1, encodeUpdate } from "@tandem/protocol"
import { createMemoryStore } from "@tandem/storage-memory"
import { connectProvider, connectRaw, countingStore, get, startServer, storedText, synced, untilText, upgradeStatus } from "./helpers.js"

const secret = "integration-secret-that-is-long-enough-42"
const key = new TextEncoder().encode(secret)

function token(claims: jose.JWTPayload, exp: number | string = "1h"): Promise<string> {
  return new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime(exp).sign(key)
}

async function jwtServer(options: Parameters<typeof startServer>[0] = {}) {
  const store = countingStore(createMemoryStore())
  const server = await startServer({ store, authorizer: await createJwtAuthorizer({ secret }), ...options })
  return { server, store }
}

describe("auth", () => {
  it("refuses every kind of bad token with 401 and another document's token with 403, loading nothing", async () => {
    const { server, store } = await jwtServer()
    const valid = await token({ docs: ["mine"], access: "write" })
    const expired = await token({ docs: ["secret"], access: "write" }, Math.floor(Date.now() / 1000) - 5)
    const forged = await new jose.SignJWT({ docs: ["secret"] }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode("x".repeat(40)))
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${valid.split(".")[1]}.`
    const cases: Array<[string, number]> = [
      ["/sync/secret", 401],
      ["/sync/secret?token=", 401],
      ["/sync/secret?token=garbage", 401],
      [`/sync/secret?token=${expired}`, 401],
      [`/sync/secret?token=${forged}`, 401],
      [`/sync/secret?token=${unsigned}`, 401],
      [`/sync/secret?token=${valid}`, 403],
    ]
    for (const [path, status] of cases) expect(await upgradeStatus(server, path), path).toBe(status)
    expect(await upgradeStatus(server, "/sync/secret", { Authorization: `Bearer ${valid}` })).toBe(403)
    expect(store.loads).toBe(0)
    expect(await upgradeStatus(server, `/sync/mine?token=${valid}`)).toBe(101)
    expect(server.sync.rooms.names()).not.toContain("secret")
    expect((await get(server, "/api/docs/secret/text")).status).toBe(401)
  })

  it("lets a valid token sync and read the API with a Bearer header", async () => {
    const { server } = await jwtServer()
    const writer = connectProvider(server, "team/doc", { params: { token: await token({ sub: "ada", docs: ["team/*"], access: "write" }) } })
    await synced(writer)
    writer.doc.getText("content").insert(0, "authorized")
    const reader = connectProvider(server, "team/doc", { params: { token: await token({ docs: ["team/doc"], access: "read" }) } })
    await untilText(reader.doc, "authorized")
    const response = await fetch(`${server.httpUrl}/api/docs/team/doc/text`, {
      headers: { Authorization: `Bearer ${await token({ docs: ["team/doc"] })}` },
    })
    expect(await response.text()).toBe("authorized")
    const other = await fetch(`${server.httpUrl}/api/docs/team/doc/text`, { headers: { Authorization: `Bearer ${await token({ docs: ["else"] })}` } })
    expect(other.status).toBe(403)
  })

  it("closes a connection with 4401 when its token expires", async () => {
    const { server } = await jwtServer()
    // JWT expiry is in whole seconds: 2 to 3 s ahead leaves a loaded machine time to connect first.
    const soon = Math.floor(Date.now() / 1000) + 3
    const client = await connectRaw(server, `expiring?token=${await token({ docs: ["expiring"], access: "write" }, soon)}`)
    expect((await client.closed).code).toBe(CloseCode.Unauthorized)
  })

  it("refuses upgrades from origins that are not allowed with 403", async () => {
    const server = await startServer({ allowedOrigins: ["https://app.example"] })
    expect(await upgradeStatus(server, "/sync/doc", { Origin: "https://evil.example" })).toBe(403)
    expect(await upgradeStatus(server, "/sync/doc", { Origin: "https://app.example" })).toBe(101)
    expect(await upgradeStatus(server, "/sync/doc")).toBe(101)
  })

  it("gives back connection slots of handshakes that ws itself refuses", async () => {
    const server = await startServer({ limits: { maxConnectionsPerIp: 2 } })
    for (let i = 0; i < 5; i++) expect(await upgradeStatus(server, "/sync/doc", { "Sec-WebSocket-Key": "not-a-key" })).toBe(400)
    expect(await upgradeStatus(server, "/sync/doc")).toBe(101)
  })

  it("refuses connections past the per-IP limit with 503 before the upgrade", async () => {
    const server = await startServer({ limits: { maxConnectionsPerIp: 3 } })
    const open = await Promise.all([1, 2, 3].map(() => connectRaw(server, "crowd")))
    expect(await upgradeStatus(server, "/sync/crowd")).toBe(503)
    const released = new Promise((resolve) => server.sync.events.on("connection-closed", resolve))
    open[0]!.ws.close()
    await released
    expect(await upgradeStatus(server, "/sync/crowd")).toBe(101)
  })
})

describe("read-only access", () => {
  it("never lets a read connection change the document, and keeps it open for live updates", async () => {
    const { server } = await jwtServer()
    const writer = connectProvider(server, "ro", { params: { token: await token({ sub: "w", docs: ["ro"], access: "write" }) } })
    await synced(writer)
    writer.doc.getText("content").insert(0, "original")
    await expect(get(server, `/api/docs/ro/text?token=${await token({ docs: ["ro"] })}`)).resolves.toMatchObject({ body: "original" })

    // A stock provider with a read token: its handshake passes silently.
    const viewer = connectProvider(server, "ro", { params: { token: await token({ sub: "v", docs: ["ro"], access: "read" }) } })
    await synced(viewer)
    await untilText(viewer.doc, "original")

    // A raw read connection tries an update and a sync step 2 with news.
    const raw = await connectRaw(server, `ro?token=${await token({ docs: ["ro"], access: "read" })}`)
    const rogue = new Y.Doc()
    rogue.getText("content").insert(0, "vandalism ")
    const news = Y.encodeStateAsUpdate(rogue)
    raw.ws.send(encodeUpdate(news))
    raw.ws.send(new Uint8Array([0, 1, ...encodeUpdate(news).subarray(2)]))
    // An empty step 2 (the handshake of a client with nothing new) is answered by nothing.
    raw.ws.send(new Uint8Array([0, 1, 2, 0, 0]))
    raw.ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())))
    const frames = await raw.untilFrames(4)
    const denials = frames.flatMap((frame) => decodeMessages(frame)).filter((m) => m.type === "permission-denied")
    expect(denials).toHaveLength(2)

    // Live updates still arrive, and nothing of the vandal's is anywhere.
    writer.doc.getText("content").insert(8, " + more")
    await untilText(viewer.doc, "original + more")
    await expect(get(server, `/api/docs/ro/text?token=${await token({ docs: ["ro"] })}`)).resolves.toMatchObject({ body: "original + more" })
    expect(writer.doc.getText("content").toString()).toBe("original + more")
    expect(await storedText(server.store, "ro")).toBe("original + more")
    expect(raw.ws.readyState).toBe(raw.ws.OPEN)
  })

  it("refuses a read connection's deletions of what exists", async () => {
    const { server } = await jwtServer()
    const writer = connectProvider(server, "ro-del", { params: { token: await token({ docs: ["ro-del"], access: "write" }) } })
    await synced(writer)
    writer.doc.getText("content").insert(0, "keep me")
    const viewer = connectProvider(server, "ro-del", { params: { token: await token({ docs: ["ro-del"], access: "read" }) } })
    await untilText(viewer.doc, "keep me")
    const denied = new Promise<void>((resolve) => {
      const ws = viewer.ws!
      ws.addEventListener("message", (event: MessageEvent) => {
        const messages = decodeMessages(new Uint8Array(event.data as ArrayBuffer))
        if (messages.some((m) => m.type === "permission-denied")) resolve()
      })
    })
    viewer.doc.getText("content").delete(0, 5)
    await denied
    await expect(get(server, `/api/docs/ro-del/text?token=${await token({ docs: ["ro-del"] })}`)).resolves.toMatchObject({ body: "keep me" })
  })
})

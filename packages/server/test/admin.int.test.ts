import * as jose from "jose"
import { describe, expect, it } from "vitest"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import { CloseCode } from "@tandem/protocol"
import { createNodeServer } from "../src/node/index.js"
import { createMemoryStore } from "@tandem/storage-memory"
import { call, connectProvider, startServer, synced, untilText } from "./helpers.js"

const secret = "admin-secret-that-is-long-enough-for-hs256"
const key = new TextEncoder().encode(secret)
const sign = (claims: jose.JWTPayload) => new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(key)

type Rooms = { rooms: Array<{ name: string; connections: number; users: string[]; bytes: number; pendingWrites: number; lastChange: string | null }> }

/** Resolves with the close code of the provider's next close. */
function nextClose(provider: ReturnType<typeof connectProvider>): Promise<number> {
  return new Promise((resolve) => provider.once("connection-close", (event) => resolve(event?.code ?? 0)))
}

describe("admin API", () => {
  it("lists loaded rooms, disconnects one user everywhere with 4403 at once, and refuses anyone without the admin token", async () => {
    const server = await startServer({ authorizer: await createJwtAuthorizer({ secret }) })
    // The shared admin token, as TANDEM_ADMIN_TOKEN sets it.
    const admin = createNodeServer({ sync: server.sync, admin: { token: "shared-admin-token-0123456789" } })
    const { port } = await admin.listen(0, "127.0.0.1")
    const adminUrl = { httpUrl: `http://127.0.0.1:${port}` }
    const ada = await sign({ sub: "ada", docs: ["team/*"], access: "write" })
    const bob = await sign({ sub: "bob", docs: ["team/*"], access: "write" })
    const adaOne = connectProvider(server, "team/one", { params: { token: ada } })
    const adaTwo = connectProvider(server, "team/two", { params: { token: ada } })
    const bobOne = connectProvider(server, "team/one", { params: { token: bob } })
    await Promise.all([synced(adaOne), synced(adaTwo), synced(bobOne)])
    adaOne.doc.getText("content").insert(0, "hello")
    await untilText(bobOne.doc, "hello")

    expect((await call(adminUrl, "GET", "/api/admin/rooms")).status).toBe(401)
    expect((await call(adminUrl, "GET", "/api/admin/rooms", { token: "wrong" })).status).toBe(401)
    expect((await call(adminUrl, "POST", "/api/admin/users/ada/disconnect", { token: bob })).status).toBe(403)
    const listed = await call<Rooms>(adminUrl, "GET", "/api/admin/rooms", { token: "shared-admin-token-0123456789" })
    expect(listed.status).toBe(200)
    const one = listed.json.rooms.find((room) => room.name === "team/one")
    expect(one).toMatchObject({ connections: 2, pendingWrites: 0 })
    expect([...one!.users].sort()).toEqual(["ada", "bob"])
    expect(one!.bytes).toBeGreaterThan(0)
    expect(Number.isNaN(Date.parse(one!.lastChange!))).toBe(false)

    // A JWT with access "admin" opens the API too.
    const root = await sign({ sub: "root", access: "admin" })
    const closes = [nextClose(adaOne), nextClose(adaTwo)]
    const revoked = await call<{ disconnected: number }>(adminUrl, "POST", "/api/admin/users/ada/disconnect", { token: root })
    expect(revoked.json).toEqual({ disconnected: 2 })
    expect(await Promise.all(closes)).toEqual([CloseCode.Forbidden, CloseCode.Forbidden])
    adaOne.shouldConnect = false
    adaTwo.shouldConnect = false
    // Bob was not touched: his next edit reaches a new reader.
    bobOne.doc.getText("content").insert(5, " bob")
    const reader = connectProvider(server, "team/one", { params: { token: bob } })
    await untilText(reader.doc, "hello bob")
    reader.shouldConnect = false
    reader.disconnect()

    const closing = nextClose(bobOne)
    expect((await call(adminUrl, "POST", "/api/admin/rooms/team%2Fone/unload", { token: root })).json).toEqual({ unloading: "team/one" })
    expect(await closing).toBe(CloseCode.GoingAway)
    bobOne.shouldConnect = false
    expect((await call(adminUrl, "POST", "/api/admin/rooms/team%2Fnone/unload", { token: root })).status).toBe(404)
    await admin.close()
  })

  it("is off without an admin token or an authorizer that knows admins", async () => {
    const server = await startServer({ store: createMemoryStore() })
    expect((await call(server, "GET", "/api/admin/rooms", { token: "anything" })).status).toBe(404)
  })
})

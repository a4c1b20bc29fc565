import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as jose from "jose"
import { describe, expect, it, onTestFinished } from "vitest"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import { createMemoryStore, createMemoryStoreData } from "@tandem/storage-memory"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { versionsToThin, type VersionInfo } from "../src/index.js"
import { call, connectProvider, createManualClock, startServer, synced, until, untilText, type TestServer } from "./helpers.js"

type Version = { id: string; kind: string; label: string | null; author: string | null; createdAt: string; bytes: number }
type VersionPage = { versions: Version[]; nextCursor: string | null }

const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

async function versionsOf(server: Parameters<typeof call>[0], doc: string): Promise<Version[]> {
  return (await call<VersionPage>(server, "GET", `/api/docs/${doc}/versions?limit=1000`)).json.versions
}

/** The versions of `doc` once every version the server is taking is stored. */
async function settledVersions(server: TestServer, doc: string): Promise<Version[]> {
  await server.sync.history!.idle()
  return versionsOf(server, doc)
}

/** Writes `text` through the API; resolves once it is stored. */
async function put(server: TestServer, doc: string, text: string): Promise<void> {
  expect([200, 201]).toContain((await call(server, "PUT", `/api/docs/${doc}/text`, { body: text })).status)
}

describe("version history", () => {
  it("takes automatic versions after two idle minutes and every ten minutes while editing goes on", async () => {
    const clock = createManualClock()
    const server = await startServer({ clock })
    await put(server, "auto", "first")
    clock.advance(2 * minute - 1)
    expect(await settledVersions(server, "auto")).toHaveLength(0)
    clock.advance(1)
    const [idle] = await settledVersions(server, "auto")
    expect(idle).toMatchObject({ kind: "auto", label: null })
    expect((await call(server, "GET", `/api/docs/auto/versions/${idle!.id}/text`)).text).toBe("first")
    // Typing every minute for 12 minutes never leaves two idle minutes; the ten-minute deadline still takes one.
    let text = "first"
    for (let i = 0; i < 12; i++) {
      text += ` ${i}`
      await put(server, "auto", text)
      clock.advance(minute)
    }
    const versions = await settledVersions(server, "auto")
    expect(versions).toHaveLength(2)
    expect(Date.parse(versions[0]!.createdAt) - Date.parse(idle!.createdAt)).toBe(10 * minute)
    // The pause after the last edit takes the third.
    clock.advance(2 * minute)
    const after = await settledVersions(server, "auto")
    expect(after).toHaveLength(3)
    expect((await call(server, "GET", `/api/docs/auto/versions/${after[0]!.id}/text`)).text).toBe(text)
  })

  it("takes the due version of a loaded document when the server stops", async () => {
    const clock = createManualClock()
    const data = createMemoryStoreData()
    const server = await startServer({ clock, store: createMemoryStore({ data }) })
    const reader = connectProvider(server, "open-at-stop")
    await synced(reader)
    await put(server, "open-at-stop", "edited a minute before the stop")
    clock.advance(minute)
    expect(await settledVersions(server, "open-at-stop")).toHaveLength(0)
    await server.stop()
    const again = await startServer({ store: createMemoryStore({ data }) })
    const [version] = await versionsOf(again, "open-at-stop")
    expect(version?.kind).toBe("auto")
    expect((await call(again, "GET", `/api/docs/open-at-stop/versions/${version!.id}/text`)).text).toBe("edited a minute before the stop")
  })

  it("names versions, lists them newest first, diffs them and deletes them", async () => {
    const server = await startServer()
    await call(server, "PUT", "/api/docs/named/text", { body: "one\ntwo\nthree\n" })
    const created = await call<Version>(server, "POST", "/api/docs/named/versions", { body: JSON.stringify({ label: "Draft" }), headers: { "content-type": "application/json" } })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ kind: "named", label: "Draft", author: null })
    await call(server, "PUT", "/api/docs/named/text", { body: "one\n2\nthree\nfour\n" })
    await call(server, "POST", "/api/docs/named/versions", { body: JSON.stringify({ label: "Final" }) })
    const listed = await versionsOf(server, "named")
    expect(listed.map((v) => v.label)).toEqual(["Final", "Draft"])
    const diff = await call<{ hunks: Array<{ lines: Array<{ op: string; text: string }> }> }>(server, "GET", `/api/docs/named/versions/${created.json.id}/diff?to=current`)
    expect(diff.json.hunks.flatMap((h) => h.lines.filter((l) => l.op !== " ").map((l) => `${l.op}${l.text}`))).toEqual(["-two", "+2", "+four"])
    const between = await call<{ hunks: unknown[] }>(server, "GET", `/api/docs/named/versions/${created.json.id}/diff?to=${listed[0]!.id}`)
    expect(between.json.hunks).toEqual(diff.json.hunks)
    const page = await call<VersionPage>(server, "GET", "/api/docs/named/versions?limit=1")
    expect(page.json.versions.map((v) => v.label)).toEqual(["Final"])
    const rest = await call<VersionPage>(server, "GET", `/api/docs/named/versions?limit=1&cursor=${page.json.nextCursor}`)
    expect(rest.json.versions.map((v) => v.label)).toEqual(["Draft"])
    expect((await call(server, "DELETE", `/api/docs/named/versions/${created.json.id}`)).status).toBe(204)
    expect((await versionsOf(server, "named")).map((v) => v.label)).toEqual(["Final"])
    expect((await call(server, "GET", `/api/docs/named/versions/${created.json.id}/text`)).status).toBe(404)
    expect((await call(server, "POST", "/api/docs/named/versions", { body: JSON.stringify({ label: "" }) })).status).toBe(400)
    expect((await call(server, "POST", "/api/docs/never/versions", { body: JSON.stringify({ label: "x" }) })).status).toBe(404)
  })

  it("restores a version while two people edit: everyone converges, and restoring the saved version brings the edits back", async () => {
    const server = await startServer()
    const a = connectProvider(server, "restore")
    const b = connectProvider(server, "restore")
    await Promise.all([synced(a), synced(b)])
    a.doc.getText("content").insert(0, "original text\n")
    await untilText(b.doc, "original text\n")
    const named = await call<Version>(server, "POST", "/api/docs/restore/versions", { body: JSON.stringify({ label: "Original" }) })
    a.doc.getText("content").insert(0, "Alice: hello\n")
    b.doc.getText("content").insert(b.doc.getText("content").length, "Bob: hi\n")
    const edited = "Alice: hello\noriginal text\nBob: hi\n"
    // Each side's edit reached the other through the server, which relays only what it stored.
    await Promise.all([untilText(a.doc, edited), untilText(b.doc, edited)])
    const restored = await call<{ restored: Version; saved: Version }>(server, "POST", `/api/docs/restore/versions/${named.json.id}/restore`)
    expect(restored.status).toBe(200)
    expect(restored.json.restored.id).toBe(named.json.id)
    await Promise.all([untilText(a.doc, "original text\n"), untilText(b.doc, "original text\n")])
    expect((await call(server, "GET", `/api/docs/restore/versions/${restored.json.saved.id}/text`)).text).toBe(edited)
    await call(server, "POST", `/api/docs/restore/versions/${restored.json.saved.id}/restore`)
    await Promise.all([untilText(a.doc, edited), untilText(b.doc, edited)])
    expect((await call(server, "GET", "/api/docs/restore/text")).text).toBe(edited)
  })

  it("restores only the text: the chat kept in the same document is unchanged", async () => {
    const server = await startServer()
    const a = connectProvider(server, "restore-chat")
    const b = connectProvider(server, "restore-chat")
    await Promise.all([synced(a), synced(b)])
    const message = (id: string, text: string) => ({ id, name: "Ada", color: "#d33", text, at: Date.UTC(2026, 0, 1) })
    a.doc.getText("content").insert(0, "first text")
    a.doc.getArray("chat").push([message("1", "before the version")])
    await until(b.doc, () => b.doc.getArray("chat").length === 1 && b.doc.getText("content").toString() === "first text")
    const named = await call<Version>(server, "POST", "/api/docs/restore-chat/versions", { body: JSON.stringify({ label: "First" }) })
    a.doc.getText("content").insert(0, "edited ")
    b.doc.getArray("chat").push([message("2", "after the version")])
    await Promise.all([a, b].map(({ doc }) => until(doc, () => doc.getArray("chat").length === 2 && doc.getText("content").toString() === "edited first text")))
    const chat = a.doc.getArray("chat").toJSON()

    expect((await call(server, "POST", `/api/docs/restore-chat/versions/${named.json.id}/restore`)).status).toBe(200)
    await Promise.all([untilText(a.doc, "first text"), untilText(b.doc, "first text")])
    expect(a.doc.getArray("chat").toJSON()).toEqual(chat)
    expect(b.doc.getArray("chat").toJSON()).toEqual(chat)
    // And as stored: a client that connects now reads the same chat.
    const c = connectProvider(server, "restore-chat")
    await synced(c)
    expect(c.doc.getText("content").toString()).toBe("first text")
    expect(c.doc.getArray("chat").toJSON()).toEqual(chat)
  })

  it("keeps versions across restarts and removes them with the document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-versions-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, "v.db")
    const store = createSqliteStore({ path })
    const server = await startServer({ store })
    await call(server, "PUT", "/api/docs/kept/text", { body: "v1" })
    await call(server, "POST", "/api/docs/kept/versions", { body: JSON.stringify({ label: "first" }) })
    await server.stop()
    await store.close()
    const reopened = createSqliteStore({ path })
    onTestFinished(() => reopened.close())
    const again = await startServer({ store: reopened })
    const [version] = await versionsOf(again, "kept")
    expect(version?.label).toBe("first")
    expect((await call(again, "GET", `/api/docs/kept/versions/${version!.id}/text`)).text).toBe("v1")
    await call(again, "DELETE", "/api/docs/kept")
    await call(again, "PUT", "/api/docs/kept/text", { body: "new life" })
    expect(await versionsOf(again, "kept")).toEqual([])
  })

  it("thins automatic versions as the retention policy says", () => {
    const now = Date.UTC(2026, 10, 30, 12)
    const versions: VersionInfo[] = []
    let id = 0
    // One automatic version every 10 minutes for 10 days, and one named version 9 days ago.
    for (let at = now - 10 * day; at <= now; at += 10 * minute) versions.push({ id: String(++id), kind: "auto", label: null, author: null, createdAt: at, bytes: 1 })
    versions.push({ id: String(++id), kind: "named", label: "keep me", author: "ada", createdAt: now - 9 * day, bytes: 1 })
    const drop = new Set(versionsToThin(versions, now, { keepAllMs: day, hourlyUntilMs: 7 * day }))
    const kept = versions.filter((v) => !drop.has(v.id))
    expect(kept.some((v) => v.kind === "named")).toBe(true)
    const autos = kept.filter((v) => v.kind === "auto")
    // Everything younger than a day.
    expect(autos.filter((v) => now - v.createdAt < day)).toHaveLength(versions.filter((v) => v.kind === "auto" && now - v.createdAt < day).length)
    // One an hour between one and seven days.
    const hourly = autos.filter((v) => now - v.createdAt >= day && now - v.createdAt < 7 * day)
    expect(new Set(hourly.map((v) => Math.floor(v.createdAt / hour))).size).toBe(hourly.length)
    expect(hourly.length).toBeGreaterThanOrEqual(6 * 24 - 1)
    expect(hourly.length).toBeLessThanOrEqual(6 * 24 + 1)
    // One a day after that.
    const daily = autos.filter((v) => now - v.createdAt >= 7 * day)
    expect(new Set(daily.map((v) => Math.floor(v.createdAt / day))).size).toBe(daily.length)
    expect(daily.length).toBeLessThanOrEqual(4)
  })

  it("thins stored automatic versions on the schedule, driven by the clock", async () => {
    const clock = createManualClock()
    const server = await startServer({ clock, store: createMemoryStore({ data: createMemoryStoreData() }) })
    // An edit and two idle minutes, every hour for two days: one automatic version each hour.
    let text = ""
    for (let i = 0; i < 48; i++) {
      text += `${i} `
      await put(server, "thin", text)
      clock.advance(2 * minute)
      expect(await settledVersions(server, "thin")).toHaveLength(i + 1)
      clock.advance(hour - 2 * minute)
    }
    // Versions older than a day are kept one per hour: with one an hour, all 48 stay.
    expect(await settledVersions(server, "thin")).toHaveLength(48)
    // Ten days on, the two days' versions are kept one per day, beside the new one.
    clock.advance(10 * day)
    await put(server, "thin", `${text}!`)
    clock.advance(2 * minute)
    const thinned = await settledVersions(server, "thin")
    const days = new Set(thinned.slice(1).map((v) => Math.floor(Date.parse(v.createdAt) / day)))
    expect(thinned.length - 1).toBe(days.size)
    expect(days.size).toBeLessThanOrEqual(3)
    expect((await call(server, "GET", `/api/docs/thin/versions/${thinned[0]!.id}/text`)).text).toBe(`${text}!`)
  })

  it("gives a read token every read and 403 on every write, and a token for another document 403 everywhere", async () => {
    const secret = "versions-secret-that-is-long-enough-42"
    const key = new TextEncoder().encode(secret)
    const sign = (claims: jose.JWTPayload) => new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(key)
    const server = await startServer({ authorizer: await createJwtAuthorizer({ secret }) })
    const writer = await sign({ sub: "ada", docs: ["team/*"], access: "write" })
    const reader = await sign({ sub: "bob", docs: ["team/*"], access: "read" })
    const stranger = await sign({ sub: "eve", docs: ["elsewhere"], access: "write" })
    expect((await call(server, "PUT", "/api/docs/team/plan/text", { body: "plan", token: writer })).status).toBe(201)
    const version = await call<Version>(server, "POST", "/api/docs/team/plan/versions", { body: JSON.stringify({ label: "v" }), token: writer })
    expect(version.json.author).toBe("ada")
    const id = version.json.id
    const reads = ["/api/docs/team/plan/text", "/api/docs/team/plan/update", "/api/docs/team/plan/versions", `/api/docs/team/plan/versions/${id}/text`, `/api/docs/team/plan/versions/${id}/diff`, "/api/docs?prefix=team/"]
    for (const path of reads) expect((await call(server, "GET", path, { token: reader })).status, path).toBe(200)
    const writes: Array<[string, string]> = [
      ["PUT", "/api/docs/team/plan/text"],
      ["POST", "/api/docs/team/plan/update"],
      ["POST", "/api/docs/team/plan/versions"],
      ["POST", `/api/docs/team/plan/versions/${id}/restore`],
      ["DELETE", `/api/docs/team/plan/versions/${id}`],
      ["DELETE", "/api/docs/team/plan"],
    ]
    for (const [method, path] of writes) {
      const refused = await call(server, method, path, { token: reader, body: method === "DELETE" ? undefined : "x" })
      expect(refused.status, `${method} ${path}`).toBe(403)
      expect(refused.json).toMatchObject({ error: "read-only" })
    }
    for (const path of reads) expect((await call(server, "GET", path, { token: stranger })).status, path).toBe(403)
    for (const [method, path] of writes) expect((await call(server, method, path, { token: stranger, body: method === "DELETE" ? undefined : "x" })).status, `${method} ${path}`).toBe(403)
    // Without a prefix, a stranger's list holds nothing of the team's.
    const list = await call<{ documents: Array<{ name: string }> }>(server, "GET", "/api/docs", { token: stranger })
    expect(list.json.documents).toEqual([])
    expect((await call(server, "GET", "/api/docs/team/plan/text")).status).toBe(401)
    expect((await call(server, "GET", "/api/docs/team/plan/text", { token: reader })).text).toBe("plan")
  })
})

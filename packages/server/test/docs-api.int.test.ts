import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { CloseCode } from "@tandem/protocol"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { call, connectProvider, connectRaw, startServer, storedText, storeWith, synced, untilText } from "./helpers.js"

describe("documents API", () => {
  it("PUT with If-Match keeps the edits of two people typing elsewhere, and their cursors", async () => {
    const server = await startServer()
    const a = connectProvider(server, "put/doc")
    const b = connectProvider(server, "put/doc")
    await Promise.all([synced(a), synced(b)])
    const ta = a.doc.getText("content")
    const tb = b.doc.getText("content")
    ta.insert(0, "Title\n\nThe middle paragraph is old.\n\n")
    await untilText(b.doc, ta.toString())
    ta.insert(0, ">> ")
    tb.insert(tb.length, "Bob was here.")
    // Each edit reached the other side through the server, which relays only what it stored.
    const both = ">> Title\n\nThe middle paragraph is old.\n\nBob was here."
    await Promise.all([untilText(a.doc, both), untilText(b.doc, both)])
    // Bob's cursor, just before "here".
    const cursor = Y.createRelativePositionFromTypeIndex(tb, tb.toString().indexOf("here"))
    const read = await call(server, "GET", "/api/docs/put/doc/text")
    expect(read.status).toBe(200)
    const tag = read.headers.get("etag")!
    expect(tag).toMatch(/^".+"$/)
    const body = read.text.replace("old", "NEW")
    // Alice types again between the script's read and its write: the write is refused.
    ta.insert(0, "!!")
    await untilText(b.doc, ta.toString())
    const stale = await call(server, "PUT", "/api/docs/put/doc/text", { body, headers: { "content-type": "text/plain", "if-match": tag } })
    expect(stale.status).toBe(412)
    expect(stale.json).toMatchObject({ error: "precondition-failed" })
    // Read again, write again: accepted, and nobody's typing is lost.
    const again = await call(server, "GET", "/api/docs/put/doc/text")
    const put = await call(server, "PUT", "/api/docs/put/doc/text", { body: again.text.replace("old", "NEW"), headers: { "if-match": again.headers.get("etag")! } })
    expect(put.status).toBe(200)
    const expected = "!!>> Title\n\nThe middle paragraph is NEW.\n\nBob was here."
    await Promise.all([untilText(a.doc, expected), untilText(b.doc, expected)])
    expect((await call(server, "GET", "/api/docs/put/doc/text")).text).toBe(expected)
    expect(put.headers.get("etag")).toBe((await call(server, "GET", "/api/docs/put/doc/text")).headers.get("etag"))
    // Only "old" became "NEW": Bob's cursor still sits before "here".
    expect(Y.createAbsolutePositionFromRelativePosition(cursor, b.doc)?.index).toBe(expected.indexOf("here"))
    // Without If-Match the write always applies, and the text equals the body.
    expect((await call(server, "PUT", "/api/docs/put/doc/text", { body: "overwrite" })).status).toBe(200)
    await Promise.all([untilText(a.doc, "overwrite"), untilText(b.doc, "overwrite")])
  })

  it("PUT creates a missing document, keeps surrogate pairs whole and answers 304 to a matching If-None-Match", async () => {
    const server = await startServer()
    const created = await call(server, "PUT", "/api/docs/new%2Fone/text", { body: "a😀b\r\nc" })
    expect(created.status).toBe(201)
    const edited = await call(server, "PUT", "/api/docs/new/one/text", { body: "a😁b\r\nc🙂" })
    expect(edited.status).toBe(200)
    const read = await call(server, "GET", "/api/docs/new/one/text")
    expect(read.text).toBe("a😁b\r\nc🙂")
    expect(read.headers.get("etag")).toBe(edited.json.etag)
    expect((await call(server, "GET", "/api/docs/new/one/text", { headers: { "if-none-match": read.headers.get("etag")! } })).status).toBe(304)
    const provider = connectProvider(server, "new/one")
    await synced(provider)
    expect(provider.doc.getText("content").toString()).toBe("a😁b\r\nc🙂")
  })

  it("a binary POST from a stock Y.Doc reaches connected providers live and survives a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-api-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, "t.db")
    const store = createSqliteStore({ path })
    const server = await startServer({ store })
    const viewer = connectProvider(server, "bin/doc")
    await synced(viewer)
    const source = new Y.Doc()
    source.getText("content").insert(0, "from a script")
    const posted = await call(server, "POST", "/api/docs/bin/doc/update", { body: Y.encodeStateAsUpdate(source), headers: { "content-type": "application/octet-stream" } })
    expect(posted.status).toBe(200)
    expect(posted.json).toEqual({ applied: "applied" })
    await untilText(viewer.doc, "from a script")
    // The same update again changes nothing.
    expect((await call(server, "POST", "/api/docs/bin/doc/update", { body: Y.encodeStateAsUpdate(source) })).json).toEqual({ applied: "known" })
    // GET update with a state vector returns only what that state lacks.
    source.getText("content").insert(0, "more ")
    await call(server, "POST", "/api/docs/bin/doc/update", { body: Y.encodeStateAsUpdate(source, Y.encodeStateVector(viewer.doc)) })
    await untilText(viewer.doc, "more from a script")
    const empty = await call(server, "GET", `/api/docs/bin/doc/update?since=${Buffer.from(Y.encodeStateVector(source)).toString("base64url")}`)
    const probe = new Y.Doc()
    Y.applyUpdate(probe, empty.bytes)
    expect(probe.getText("content").toString()).toBe("")
    await server.stop()
    await store.close()
    const reopened = createSqliteStore({ path })
    onTestFinished(() => reopened.close())
    const again = await startServer({ store: reopened })
    const whole = await call(again, "GET", "/api/docs/bin/doc/update")
    expect(whole.headers.get("content-type")).toBe("application/octet-stream")
    const copy = new Y.Doc()
    Y.applyUpdate(copy, whole.bytes)
    expect(copy.getText("content").toString()).toBe("more from a script")
  })

  it("refuses a malformed update with 400 and an oversized body with 413, changing nothing", async () => {
    const server = await startServer({ limits: { maxFrameBytes: 4096 } })
    await call(server, "PUT", "/api/docs/strict/text", { body: "kept" })
    const valid = new Y.Doc()
    valid.getText("content").insert(0, "x".repeat(100))
    const truncated = Y.encodeStateAsUpdate(valid).slice(0, 20)
    const bad = await call(server, "POST", "/api/docs/strict/update", { body: truncated })
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ error: "malformed-update" })
    const big = await call(server, "PUT", "/api/docs/strict/text", { body: "y".repeat(5000) })
    expect(big.status).toBe(413)
    expect(big.json).toMatchObject({ error: "too-large" })
    expect((await call(server, "GET", "/api/docs/strict/text")).text).toBe("kept")
    expect(await storedText(server.store, "strict")).toBe("kept")
    expect((await call(server, "GET", "/api/docs/bad%20name/text")).status).toBe(400)
    expect((await call(server, "PATCH", "/api/docs/strict/text")).status).toBe(405)
    expect((await call(server, "GET", "/api/docs/never/text")).json).toEqual({ error: "not-found", message: "no such document" })
  })

  it("lists documents with their size and time, by prefix and in pages", async () => {
    const server = await startServer()
    for (const name of ["team/a", "team/b", "team/c", "other"]) await call(server, "PUT", `/api/docs/${name}/text`, { body: `text of ${name}` })
    const all = await call<{ documents: Array<{ name: string; bytes: number; updatedAt: string }>; nextCursor: string | null }>(server, "GET", "/api/docs")
    expect(all.json.documents.map((d) => d.name)).toEqual(["other", "team/a", "team/b", "team/c"])
    expect(all.json.documents.every((d) => d.bytes > 0 && !Number.isNaN(Date.parse(d.updatedAt)))).toBe(true)
    const first = await call<{ documents: Array<{ name: string }>; nextCursor: string | null }>(server, "GET", "/api/docs?prefix=team/&limit=2")
    expect(first.json.documents.map((d) => d.name)).toEqual(["team/a", "team/b"])
    const second = await call<{ documents: Array<{ name: string }>; nextCursor: string | null }>(server, "GET", `/api/docs?prefix=team/&limit=2&cursor=${first.json.nextCursor}`)
    expect(second.json.documents.map((d) => d.name)).toEqual(["team/c"])
    expect(second.json.nextCursor).toBeNull()
  })

  it("DELETE folds nothing of the document it deletes, even when its last client leaves meanwhile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-api-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const inner = createSqliteStore({ path: join(dir, "tandem.db") })
    let deleteStarted!: () => void
    const deleting = new Promise<void>((resolve) => (deleteStarted = resolve))
    let finishDelete!: () => void
    const held = new Promise<void>((resolve) => (finishDelete = resolve))
    const server = await startServer({
      // The delete waits until the test lets it go, as a slow database's would.
      store: storeWith(inner, {
        delete: async (name) => {
          deleteStarted()
          await held
          return inner.delete(name)
        },
      }),
    })
    const folds: string[] = []
    const failures: string[] = []
    server.sync.events.on("compacted", ({ doc }) => folds.push(doc))
    server.sync.events.on("save-failed", ({ doc }) => failures.push(doc))
    const left = new Promise<void>((resolve) => server.sync.events.on("connection-closed", () => resolve()))
    // Written, then loaded by a client, whose writes leave a log a fold would have work in.
    expect((await call(server, "PUT", "/api/docs/gone/text", { body: "soon " })).status).toBeLessThan(300)
    const raw = await connectRaw(server, "gone")
    expect((await call(server, "PUT", "/api/docs/gone/text", { body: "soon deleted" })).status).toBeLessThan(300)
    folds.length = 0
    const deleted = call(server, "DELETE", "/api/docs/gone")
    await deleting
    // The client is gone and its room released while the store deletes.
    expect((await raw.closed).code).toBe(CloseCode.Deleted)
    await left
    await server.sync.rooms.idle()
    finishDelete()
    expect((await deleted).status).toBe(204)
    expect(folds).toEqual([])
    expect(failures).toEqual([])
    expect(await inner.load("gone")).toBeNull()
  })

  it("DELETE closes the document's connections with 4404 and the name starts again from empty", async () => {
    const server = await startServer()
    await call(server, "PUT", "/api/docs/gone/text", { body: "soon deleted" })
    const raw = await connectRaw(server, "gone")
    expect((await call(server, "DELETE", "/api/docs/gone")).status).toBe(204)
    expect((await raw.closed).code).toBe(CloseCode.Deleted)
    expect((await call(server, "GET", "/api/docs/gone/text")).status).toBe(404)
    expect(await server.store.load("gone")).toBeNull()
    expect((await call(server, "DELETE", "/api/docs/gone")).status).toBe(404)
    await call(server, "PUT", "/api/docs/gone/text", { body: "fresh" })
    const stored = await server.store.load("gone")
    expect(stored?.head).toBe(1)
    expect(await storedText(server.store, "gone")).toBe("fresh")
  })

})


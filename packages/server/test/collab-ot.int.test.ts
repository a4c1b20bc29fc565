import { collab, getSyncedVersion, receiveUpdates, sendableUpdates } from "@codemirror/collab"
import { ChangeSet, EditorState } from "@codemirror/state"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import * as jose from "jose"
import { CloseCode } from "@tandem/protocol"
import { createMemoryStore } from "@tandem/storage-memory"
import { changes, connectCollab, join } from "./collab-helpers.js"
import { call, connectProvider, get, healthyRoom, startServer, storeWith, storedText, synced, untilText, upgradeStatus } from "./helpers.js"

const text = (provider: { doc: Y.Doc }) => provider.doc.getText("content")

describe("the collab endpoint", () => {
  it("sends the document, and confirms a push only after it is stored, to Yjs peers too", async () => {
    const server = await startServer()
    const yjs = connectProvider(server, "shared")
    await synced(yjs)
    text(yjs).insert(0, "hello")
    const ot = await connectCollab(server, "shared")
    const doc = await join(ot)
    expect(doc).toMatchObject({ doc: "hello", access: "write" })
    ot.send({ type: "push", version: doc.version, updates: [{ clientID: "ot-1", changes: changes({ from: 5, insert: " world" }, 5) }] })
    const back = await ot.next("updates", (m) => m.updates.some((u) => u.clientID === "ot-1"))
    // What a collab client sees, storage holds already.
    expect(await storedText(server.store, "shared")).toBe("hello world")
    expect(back.version).toBe(doc.version)
    const result = await ot.next("push-result")
    expect(result).toEqual({ type: "push-result", status: "accepted", version: doc.version + 1 })
    await untilText(yjs.doc, "hello world")
    expect((await get(server, "/api/docs/shared/text")).body).toBe("hello world")
  })

  it("sends Yjs, API and restore changes as updates under the Yjs client id, each stored first", async () => {
    const server = await startServer()
    const ot = await connectCollab(server, "from-yjs")
    const doc = await join(ot)
    const yjs = connectProvider(server, "from-yjs")
    await synced(yjs)
    text(yjs).insert(0, "typed")
    const first = await ot.next("updates")
    expect(await storedText(server.store, "from-yjs")).toBe("typed")
    expect(first).toEqual({ type: "updates", version: doc.version, updates: [{ clientID: "tandem:yjs", changes: [[0, "typed"]] }] })
    expect((await call(server, "PUT", "/api/docs/from-yjs/text", { body: "typed by the API" })).status).toBe(200)
    const second = await ot.next("updates")
    expect(second.version).toBe(doc.version + 1)
    let state = ChangeSet.fromJSON(first.updates[0]!.changes).apply(EditorState.create({ doc: "" }).doc)
    for (const update of second.updates) state = ChangeSet.fromJSON(update.changes).apply(state)
    expect(state.toString()).toBe("typed by the API")
  })

  it("answers a push at an old version stale; the stock client rebases it and it lands", async () => {
    const server = await startServer()
    const a = await connectCollab(server, "stale")
    const b = await connectCollab(server, "stale")
    const start = await join(a)
    await join(b)
    a.send({ type: "push", version: 0, updates: [{ clientID: "a", changes: changes({ from: 0, insert: "AAA" }, 0) }] })
    await a.next("push-result")
    // b typed "bbb" on version 0 too, with the real @codemirror/collab.
    let state = EditorState.create({ doc: start.doc, extensions: [collab({ clientID: "b" }), EditorState.lineSeparator.of("\n")] })
    state = state.update({ changes: { from: 0, insert: "bbb" } }).state
    const push = () => ({ type: "push" as const, version: getSyncedVersion(state), updates: sendableUpdates(state).map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() as never })) })
    b.send(push())
    expect(await b.next("push-result")).toEqual({ type: "push-result", status: "stale", version: 1 })
    const missed = await b.next("updates")
    state = receiveUpdates(state, missed.updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }))).state
    b.send(push())
    const own = await b.next("updates", (m) => m.updates[0]?.clientID === "b")
    state = receiveUpdates(state, own.updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }))).state
    expect(await b.next("push-result")).toMatchObject({ status: "accepted", version: 2 })
    expect(sendableUpdates(state)).toHaveLength(0)
    expect(state.doc.toString()).toBe(await server.sync.readText("stale"))
    expect(["AAAbbb", "bbbAAA"]).toContain(state.doc.toString())
  })

  it("resumes a client within the log, and sends the document to one further behind or from another epoch", async () => {
    const server = await startServer({ collab: { maxLogUpdates: 4 } })
    const yjs = connectProvider(server, "resume")
    await synced(yjs)
    const ot = await connectCollab(server, "resume")
    const doc = await join(ot)
    text(yjs).insert(0, "a")
    await ot.next("updates")
    ot.ws.close()
    text(yjs).insert(1, "b")
    const near = await connectCollab(server, "resume")
    near.send({ type: "hello", epoch: doc.epoch, version: doc.version + 1 })
    expect(await near.next("resumed")).toMatchObject({ epoch: doc.epoch, version: doc.version + 1 })
    const missed = await near.next("updates")
    expect(missed.updates.map((u) => u.changes)).toEqual([[1, [0, "b"]]])
    for (const letter of "cdefghij") {
      text(yjs).insert(text(yjs).length, letter)
      await near.next("updates")
    }
    const far = await connectCollab(server, "resume")
    far.send({ type: "hello", epoch: doc.epoch, version: doc.version + 1 })
    expect(await far.next("doc")).toMatchObject({ doc: "abcdefghij", version: doc.version + 10 })
    const stranger = await connectCollab(server, "resume")
    stranger.send({ type: "hello", epoch: "another-instance", version: doc.version + 10 })
    expect(await stranger.next("doc")).toMatchObject({ doc: "abcdefghij", epoch: doc.epoch })
  })

  it("sends a client joining between two commits the stored text, not the text still being stored", async () => {
    const inner = createMemoryStore()
    // While `holding`, each commit waits for the test to let it go, as a slow database's would.
    let holding = false
    const held: Array<() => void> = []
    let onHeld = () => {}
    const store = storeWith(inner, {
      appendMany: async (batches) => {
        if (holding) {
          await new Promise<void>((resolve) => {
            held.push(resolve)
            onHeld()
          })
        }
        return inner.appendMany!(batches)
      },
    })
    const nextHeld = () => new Promise<void>((resolve) => (onHeld = resolve))
    onTestFinished(() => {
      holding = false
      for (const release of held.splice(0)) release()
    })
    const server = await startServer({ store })
    const a = await connectCollab(server, "between")
    const start = await join(a)
    holding = true
    let heldOne = nextHeld()
    a.send({ type: "push", version: start.version, updates: [{ clientID: "a", changes: changes({ from: 0, insert: "one" }, 0) }] })
    await heldOne
    // The second push is applied while the first is being stored: it waits for the next commit.
    a.send({ type: "push", version: start.version + 1, updates: [{ clientID: "a", changes: changes({ from: 3, insert: "two" }, 3) }] })
    // Presence is sent on at once, and after the push before it: once it is back, that push was applied.
    a.send({ type: "presence", version: start.version + 2, user: { name: "a", color: "#30bced" }, selection: null })
    await a.next("presence")
    heldOne = nextHeld()
    held.shift()!()
    expect(await a.next("push-result")).toMatchObject({ status: "accepted", version: start.version + 1 })
    await heldOne
    const b = await connectCollab(server, "between")
    expect(await join(b)).toMatchObject({ doc: "one", version: start.version + 1 })
    held.shift()!()
    holding = false
    const rest = await b.next("updates")
    expect(rest).toEqual({ type: "updates", version: start.version + 1, updates: [{ clientID: "a", changes: [3, [0, "two"]] }] })
    expect(await storedText(server.store, "between")).toBe("onetwo")
  })

  it("keeps surrogate pairs, combining marks and CRLF where they are, both ways", async () => {
    const server = await startServer()
    const yjs = connectProvider(server, "unicode")
    await synced(yjs)
    const ot = await connectCollab(server, "unicode")
    const doc = await join(ot)
    const typed = "line one\r\nnai\u0308ve 😀 café\r\n"
    ot.send({ type: "push", version: doc.version, updates: [{ clientID: "u", changes: changes({ from: 0, insert: typed }, 0) }] })
    await ot.next("push-result")
    await untilText(yjs.doc, typed)
    // A Yjs edit right after the emoji and inside the CRLF-terminated line.
    text(yjs).insert(typed.indexOf("😀") + 2, "!")
    const update = await ot.next("updates", (m) => m.updates[0]?.clientID === "tandem:yjs")
    const after = ChangeSet.fromJSON(update.updates[0]!.changes).apply(EditorState.create({ doc: typed, extensions: EditorState.lineSeparator.of("\n") }).doc)
    expect(after.sliceString(0, after.length, "\n")).toBe(text(yjs).toString())
    expect(await storedText(server.store, "unicode")).toBe(text(yjs).toString())
  })

  it("follows Yjs when a Yjs client splits a surrogate pair, so both sides hold the same replacement characters", async () => {
    const server = await startServer()
    const yjs = connectProvider(server, "split")
    await synced(yjs)
    text(yjs).insert(0, "a😀b")
    const ot = await connectCollab(server, "split")
    const doc = await join(ot)
    // Between the two halves: Yjs turns both into U+FFFD, and says nothing of it in its event.
    text(yjs).insert(2, "x")
    let mirror = EditorState.create({ doc: doc.doc, extensions: EditorState.lineSeparator.of("\n") }).doc
    for (;;) {
      const message = await ot.next("updates")
      for (const u of message.updates) mirror = ChangeSet.fromJSON(u.changes).apply(mirror)
      if ((await server.sync.readText("split")) === mirror.toString()) break
    }
    expect(mirror.toString()).toBe("a\uFFFDx\uFFFDb")
    expect(text(yjs).toString()).toBe(mirror.toString())
  })

  it("passes presence both ways: Yjs cursors as positions, collab selections as y-codemirror.next relative positions", async () => {
    const server = await startServer()
    const yjs = connectProvider(server, "presence")
    await synced(yjs)
    text(yjs).insert(0, "0123456789")
    const ot = await connectCollab(server, "presence")
    const doc = await join(ot)
    const at = (index: number) => JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(text(yjs), index))) as unknown
    yjs.awareness.setLocalState({ user: { name: "Yan", color: "#123456", joinedAt: 1700 }, cursor: { anchor: at(2), head: at(5) } })
    const seen = await ot.next("presence", (m) => m.peers.some((p) => p.id === yjs.doc.clientID && p.selection !== null))
    expect(seen.peers.find((p) => p.id === yjs.doc.clientID)).toEqual({ id: yjs.doc.clientID, user: { name: "Yan", color: "#123456", joinedAt: 1700 }, selection: { anchor: 2, head: 5 } })
    // A join time a collab client would refuse is not passed on (the rest of the user is).
    yjs.awareness.setLocalState({ user: { name: "Yan", color: "#123456", joinedAt: "soon" }, cursor: null })
    const odd = await ot.next("presence", (m) => m.peers.some((p) => p.id === yjs.doc.clientID && p.selection === null))
    expect(odd.peers.find((p) => p.id === yjs.doc.clientID)?.user).toEqual({ name: "Yan", color: "#123456" })

    ot.send({ type: "presence", version: doc.version, user: { name: "Otto", color: "#654321", joinedAt: 1800 }, selection: { anchor: 10, head: 10 } })
    const state = await new Promise<{ user: unknown; cursor: { anchor: Record<string, unknown>; head: Record<string, unknown> } }>((resolve) => {
      const check = () => {
        const found = [...yjs.awareness.getStates()].find(([id]) => id === doc.you)?.[1]
        if (found) resolve(found as never)
        else yjs.awareness.once("change", check)
      }
      check()
    })
    expect(state.user).toEqual({ name: "Otto", color: "#654321", joinedAt: 1800 })
    // Every field kept, nulls included: what y-codemirror.next publishes and reads.
    expect(Object.keys(state.cursor.head).sort()).toEqual(["assoc", "item", "tname", "type"])
    expect(Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(state.cursor.head), yjs.doc)?.index).toBe(10)
    ot.ws.close()
    await new Promise<void>((resolve) => {
      const check = () => (yjs.awareness.getStates().has(doc.you) ? yjs.awareness.once("change", check) : resolve())
      check()
    })
  })

  it("denies a read-only client's push and keeps it connected; nothing is stored", async () => {
    const secret = "collab-secret-that-is-long-enough-123"
    const sign = (access: string) =>
      new jose.SignJWT({ docs: ["ro"], access }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret))
    const server = await startServer({ authorizer: await createJwtAuthorizer({ secret }) })
    expect(await upgradeStatus(server, "/collab/ro")).toBe(401)
    expect(await upgradeStatus(server, `/collab/other?token=${await sign("write")}`)).toBe(403)
    const reader = await connectCollab(server, `ro?token=${await sign("read")}`)
    const doc = await join(reader)
    expect(doc.access).toBe("read")
    reader.send({ type: "push", version: doc.version, updates: [{ clientID: "r", changes: changes({ from: 0, insert: "nope" }, 0) }] })
    expect(await reader.next("push-result")).toMatchObject({ status: "denied" })
    const writer = await connectCollab(server, `ro?token=${await sign("write")}`)
    await join(writer)
    writer.send({ type: "push", version: doc.version, updates: [{ clientID: "w", changes: changes({ from: 0, insert: "yes" }, 0) }] })
    await reader.next("updates")
    expect(await storedText(server.store, "ro")).toBe("yes")
  })

  it("closes a client that sends bad input with its own code, and nobody else", async () => {
    const server = await startServer({ limits: { maxFrameBytes: 4096 } })
    const healthy = await healthyRoom(server, "bystanders")
    const cases: Array<[string, (client: Awaited<ReturnType<typeof connectCollab>>, version: number) => void, number]> = [
      ["not JSON", (c) => c.ws.send("{nope"), CloseCode.Malformed],
      ["unknown type", (c) => c.ws.send('{"type":"pull"}'), CloseCode.Malformed],
      ["changes of the wrong length", (c, v) => c.send({ type: "push", version: v, updates: [{ clientID: "x", changes: changes({ from: 0, insert: "x" }, 3) }] }), CloseCode.Malformed],
      ["changes that do not decode", (c, v) => c.ws.send(JSON.stringify({ type: "push", version: v, updates: [{ clientID: "x", changes: [[1, 2]] }] })), CloseCode.Malformed],
      ["a binary frame", (c) => c.ws.send(new Uint8Array([1, 2, 3])), CloseCode.UnsupportedData],
      ["an oversized frame", (c) => c.ws.send("x".repeat(5000)), CloseCode.TooBig],
      ["changes between the halves of a surrogate pair", (c, v) => c.send({ type: "push", version: v, updates: [{ clientID: "x", changes: changes({ from: 1, insert: "x" }, 2) }] }), CloseCode.Malformed],
      ["another client's id", (c, v) => c.send({ type: "push", version: v, updates: [{ clientID: "owned", changes: [2] }] }), CloseCode.Policy],
      ["the Yjs side's id", (c, v) => c.send({ type: "push", version: v, updates: [{ clientID: "tandem:yjs", changes: [2] }] }), CloseCode.Policy],
    ]
    const owner = await connectCollab(server, "bad")
    const start = await join(owner)
    owner.send({ type: "push", version: start.version, updates: [{ clientID: "owned", changes: changes({ from: 0, insert: "😀" }, 0) }] })
    await owner.next("push-result")
    for (const [name, send, code] of cases) {
      const client = await connectCollab(server, "bad")
      const doc = await join(client)
      send(client, doc.version)
      expect((await client.closed).code, name).toBe(code)
    }
    const early = await connectCollab(server, "bad")
    early.send({ type: "push", version: 0, updates: [{ clientID: "e", changes: [] }] })
    expect((await early.closed).code).toBe(CloseCode.Policy)
    await healthy("still fine")
    owner.send({ type: "push", version: start.version + 1, updates: [{ clientID: "owned", changes: changes({ from: 0, insert: "ok" }, 2) }] })
    expect(await owner.next("push-result")).toMatchObject({ status: "accepted" })
  })
})

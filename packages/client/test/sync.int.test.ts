import { describe, expect, it } from "vitest"
import { connect, startServer, until, untilText } from "./helpers.js"

describe("syncing with a Tandem server", () => {
  it("converges two clients that edit the same document at once", async () => {
    const server = await startServer()
    const a = connect(server, "team/notes")
    const b = connect(server, "team/notes")
    await Promise.all([a.whenSynced(), b.whenSynced()])
    a.ydoc.getText("content").insert(0, "from a. ")
    b.ydoc.getText("content").insert(0, "from b. ")
    await Promise.all([until(a, (s) => s.unsaved === 0), until(b, (s) => s.unsaved === 0)])
    const stored = (await server.sync.readText("team/notes"))!
    await Promise.all([untilText(a.ydoc, stored), untilText(b.ydoc, stored)])
    expect(stored.length).toBe("from a. from b. ".length)
    // The name keeps its slash: the server opened "team/notes", not "team%2Fnotes".
    expect(server.opened).toEqual(["team/notes", "team/notes"])
  })

  it("counts edits, not characters, and falls to zero exactly when the server acknowledges them", async () => {
    const server = await startServer()
    const client = connect(server, "counting")
    await client.whenSynced()
    await until(client, (s) => s.savesConfirmed)
    const text = client.ydoc.getText("content")
    text.insert(0, "a whole sentence pasted at once")
    expect(client.status.unsaved).toBe(1)
    text.insert(0, "x")
    client.ydoc.transact(() => {
      text.insert(0, "two changes ")
      text.delete(0, 4)
    })
    expect(client.status.unsaved).toBe(3)
    const saved = await until(client, (s) => s.unsaved === 0)
    expect(saved).toMatchObject({ connection: "connected", synced: true, savesConfirmed: true, readOnly: false, error: null })
    await expect(server.sync.readText("counting")).resolves.toBe(text.toString())
  })

  it("does not count remote changes as unsaved", async () => {
    const server = await startServer()
    const writer = connect(server, "remote")
    const reader = connect(server, "remote")
    await Promise.all([writer.whenSynced(), reader.whenSynced()])
    writer.ydoc.getText("content").insert(0, "hello")
    await untilText(reader.ydoc, "hello")
    expect(reader.status.unsaved).toBe(0)
  })

  it("shares presence, and others see it go when the client is destroyed", async () => {
    const server = await startServer()
    const ada = connect(server, "presence")
    const bob = connect(server, "presence")
    await Promise.all([ada.whenSynced(), bob.whenSynced()])
    const seesAda = () => (bob.awareness.getStates().get(ada.awareness.clientID) as { user?: { name?: string } } | undefined)?.user?.name
    const seen = new Promise<void>((resolve) => {
      const check = () => (seesAda() === "Ada" ? resolve() : bob.awareness.once("change", check))
      check()
    })
    ada.awareness.setLocalStateField("user", { name: "Ada" })
    await seen
    const gone = new Promise<void>((resolve) => {
      const check = () => (bob.awareness.getStates().has(ada.awareness.clientID) ? bob.awareness.once("change", check) : resolve())
      check()
    })
    ada.destroy()
    await gone
  })
})

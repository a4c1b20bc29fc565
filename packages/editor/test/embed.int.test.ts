// @vitest-environment jsdom
import { describe, expect, it, onTestFinished } from "vitest"
import WebSocket from "ws"
import { createSyncServer, silentLogger } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createMemoryStore } from "@tandem/storage-memory"
import { createEditor, type EditorStatus } from "../src/index.js"

describe("createEditor", () => {
  it("connects, reports connected, synced and saved, and releases its socket on destroy", async () => {
    const sync = createSyncServer({ store: createMemoryStore(), logger: silentLogger })
    const node = createNodeServer({ sync })
    const { port } = await node.listen(0, "127.0.0.1")
    onTestFinished(() => node.close())
    const parent = document.body.appendChild(document.createElement("div"))
    const editor = createEditor({
      parent,
      serverUrl: `ws://127.0.0.1:${port}/sync`,
      doc: "embedded",
      user: { name: "Ada", color: "#d33a2c", joinedAt: 1796150000000 },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    })
    expect(editor.status().connection).toBe("connecting")
    const ready = await new Promise<EditorStatus>((resolve) => {
      const off = editor.onStatus((status) => {
        if (status.connection !== "connected" || !status.synced || !status.savesConfirmed) return
        off()
        resolve(status)
      })
    })
    expect(ready.peers).toEqual([{ clientId: editor.ydoc.clientID, name: "Ada", color: "#d33a2c", joinedAt: 1796150000000, self: true }])
    editor.view.dispatch({ changes: { from: 0, insert: "typed in the embed" } })
    await new Promise<void>((resolve) => {
      const off = editor.onStatus((status) => status.unsaved === 0 && (off(), resolve()))
    })
    await expect(sync.readText("embedded")).resolves.toBe("typed in the embed")

    const closed = new Promise((resolve) => sync.events.on("connection-closed", resolve))
    await editor.destroy()
    await closed
    expect(sync.stats().connections).toBe(0)
    expect(parent.querySelector(".cm-editor")).toBeNull()
    expect(editor.client.status.connection).toBe("offline")
    expect(editor.client.status.retryAt).toBeNull()
  })

  it("refuses a paste over the server's frame limit with a sentence, stays connected, and syncs typing after it", async () => {
    const limits = { maxFrameBytes: 16 << 10 }
    const sync = createSyncServer({ store: createMemoryStore(), logger: silentLogger, limits })
    const opened: string[] = []
    const failed: number[] = []
    sync.events.on("connection-opened", ({ doc }) => opened.push(doc))
    sync.events.on("connection-failed", ({ code }) => failed.push(code))
    const node = createNodeServer({ sync })
    const { port } = await node.listen(0, "127.0.0.1")
    onTestFinished(() => node.close())
    const editor = createEditor({
      parent: document.body.appendChild(document.createElement("div")),
      serverUrl: `ws://127.0.0.1:${port}/sync`,
      doc: "paste",
      user: { name: "Ada", color: "#d33a2c" },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      limits,
    })
    onTestFinished(() => editor.destroy())
    await until(editor, (status) => status.connection === "connected" && status.synced && status.savesConfirmed)

    // 20 KiB of text, of which some characters take several bytes in UTF-8.
    const pasted = "é".repeat(5 << 10) + "x".repeat(10 << 10)
    editor.view.dispatch({ changes: { from: 0, insert: pasted }, userEvent: "input.paste" })
    const refused = editor.status()
    expect(refused.refused).toMatch(/was not made/)
    expect(refused.connection).toBe("connected")
    expect(editor.view.state.doc.toString()).toBe("")
    expect(editor.ytext.toString()).toBe("")
    expect(refused.unsaved).toBe(0)

    // A small paste passes, under the same limit, and clears the message.
    editor.view.dispatch({ changes: { from: 0, insert: "typed after" }, userEvent: "input.type" })
    expect(editor.status().refused).toBeNull()
    await until(editor, (status) => status.unsaved === 0)
    await expect(sync.readText("paste")).resolves.toBe("typed after")
    // The same connection throughout: nothing was refused by the server, nothing reconnected.
    expect(editor.status().connection).toBe("connected")
    expect(opened).toEqual(["paste"])
    expect(failed).toEqual([])
  })

  it("still lets a document at its size limit shrink", async () => {
    const sync = createSyncServer({ store: createMemoryStore(), logger: silentLogger })
    const node = createNodeServer({ sync })
    const { port } = await node.listen(0, "127.0.0.1")
    onTestFinished(() => node.close())
    const editor = createEditor({
      parent: document.body.appendChild(document.createElement("div")),
      serverUrl: `ws://127.0.0.1:${port}/sync`,
      doc: "full",
      user: { name: "Ada", color: "#d33a2c" },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      limits: { maxDocumentBytes: 8 << 10 },
    })
    onTestFinished(() => editor.destroy())
    await until(editor, (status) => status.synced)
    editor.view.dispatch({ changes: { from: 0, insert: "a".repeat(6 << 10) } })
    expect(editor.status().refused).toBeNull()
    editor.view.dispatch({ changes: { from: 0, insert: "b".repeat(2 << 10) } })
    expect(editor.status().refused).toMatch(/larger than/)
    editor.view.dispatch({ changes: { from: 0, to: 1024 } })
    expect(editor.status().refused).toBeNull()
    expect(editor.ytext.length).toBe((6 << 10) - 1024)
  })
})

/** Resolves with the editor's status once `check` holds (at once if it already does). */
function until(editor: { status(): EditorStatus; onStatus(listener: (status: EditorStatus) => void): () => void }, check: (status: EditorStatus) => boolean): Promise<EditorStatus> {
  if (check(editor.status())) return Promise.resolve(editor.status())
  return new Promise((resolve) => {
    const off = editor.onStatus((status) => {
      if (!check(status)) return
      off()
      resolve(status)
    })
  })
}

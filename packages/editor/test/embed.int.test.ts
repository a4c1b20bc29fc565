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
      user: { name: "Ada", color: "#d33a2c" },
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
    expect(ready.peers).toEqual([{ clientId: editor.ydoc.clientID, name: "Ada", color: "#d33a2c", self: true }])
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
    expect(editor.provider.shouldConnect).toBe(false)
  })
})

// @vitest-environment jsdom
import { describe, expect, it } from "vitest"
import WebSocket from "ws"
import { createCollabEditor, type EditorStatus } from "../src/index.js"
import { startTandem } from "./ot-helpers.js"

// jsdom lays nothing out: CodeMirror's selection layer measures text ranges, which have no rects here.
Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList
Range.prototype.getBoundingClientRect = () => new DOMRect()

describe("createCollabEditor", () => {
  it("connects, reports connected, synced and saved in the Yjs editor's terms, and releases its socket on destroy", async () => {
    const { base, sync } = await startTandem()
    const parent = document.body.appendChild(document.createElement("div"))
    const editor = createCollabEditor({
      parent,
      serverUrl: `ws://${base}/collab`,
      doc: "embedded/ot",
      user: { name: "Ada", color: "#d33a2c", joinedAt: 1796150000000 },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    })
    expect(editor.status().connection).toBe("connecting")
    const until = (check: (status: EditorStatus) => boolean) =>
      new Promise<EditorStatus>((resolve) => {
        const off = editor.onStatus((status) => check(status) && (off(), resolve(status)))
      })
    const ready = await until((status) => status.connection === "connected" && status.synced && status.savesConfirmed && status.peers.length > 0)
    expect(ready.peers).toEqual([{ clientId: editor.session.status().you, name: "Ada", color: "#d33a2c", joinedAt: 1796150000000, self: true }])
    editor.view.dispatch({ changes: { from: 0, insert: "typed in the OT embed\r\nsecond line" } })
    expect(editor.status().unsaved).toBe(1)
    await until((status) => status.unsaved === 0)
    await expect(sync.readText("embedded/ot")).resolves.toBe("typed in the OT embed\r\nsecond line")
    // CRLF stays two code units: the editor's length is the text's.
    expect(editor.view.state.doc.length).toBe("typed in the OT embed\r\nsecond line".length)

    const closed = new Promise((resolve) => sync.events.on("connection-closed", resolve))
    await editor.destroy()
    await closed
    expect(sync.stats().connections).toBe(0)
    expect(parent.querySelector(".cm-editor")).toBeNull()
  })
})

import { describe, expect, it, onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { createSyncServer, silentLogger } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createMemoryStore } from "@tandem/storage-memory"
import { trackSaves, type SaveState, type SaveTracker } from "../src/index.js"

async function setup() {
  const inner = createMemoryStore()
  let gate: Promise<void> = Promise.resolve()
  const store = { ...inner, append: async (name: string, updates: readonly Uint8Array[]) => (await gate, inner.append(name, updates)) }
  const sync = createSyncServer({ store, logger: silentLogger })
  const node = createNodeServer({ sync })
  const { port } = await node.listen(0, "127.0.0.1")
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, "saves", new Y.Doc(), {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  const tracker = trackSaves(provider)
  onTestFinished(async () => {
    tracker.destroy()
    provider.destroy()
    await node.close()
  })
  return {
    provider,
    tracker,
    inner,
    hold(): () => void {
      let release!: () => void
      gate = new Promise((resolve) => (release = resolve))
      return release
    },
  }
}

/** Resolves with the tracker's state once `check` holds. */
function until(tracker: SaveTracker, check: (state: SaveState) => boolean): Promise<SaveState> {
  return new Promise((resolve) => {
    const off = tracker.onChange((state) => {
      if (!check(state)) return
      off()
      resolve(state)
    })
  })
}

describe("save tracking against a Tandem server", () => {
  it("counts every keystroke as unsaved until the server confirms it stored", async () => {
    const { provider, tracker, hold } = await setup()
    await until(tracker, (state) => state.confirmed)
    const release = hold()
    const text = provider.doc.getText("content")
    for (let i = 0; i < 20; i++) text.insert(text.length, `${i} `)
    expect(tracker.state().unsaved).toBe(20)
    release()
    expect(await until(tracker, (state) => state.unsaved === 0)).toEqual({ unsaved: 0, confirmed: true })
  })

  it("keeps offline changes unsaved until the sync after reconnecting is acknowledged", async () => {
    const { provider, tracker, inner } = await setup()
    await until(tracker, (state) => state.confirmed)
    provider.disconnect()
    provider.doc.getText("content").insert(0, "written offline")
    provider.doc.getText("content").delete(0, 8)
    expect(tracker.state().unsaved).toBe(2)
    provider.connect()
    await until(tracker, (state) => state.unsaved === 0)
    const stored = await inner.load("saves")
    const doc = new Y.Doc()
    for (const update of stored?.updates ?? []) Y.applyUpdate(doc, update.data)
    expect(doc.getText("content").toString()).toBe("offline")
  })
})

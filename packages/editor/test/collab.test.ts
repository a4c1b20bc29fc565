// @vitest-environment jsdom
import { history, undo as cmUndo } from "@codemirror/commands"
import { EditorSelection, EditorState, Transaction, type Extension } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import * as prng from "lib0/prng"
import { afterEach, describe, expect, it } from "vitest"
import * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import { collab, getUndoManager, yRedo, yUndo } from "../src/index.js"

interface Peer {
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly awareness: awarenessProtocol.Awareness
  readonly view: EditorView
  readonly transactions: Transaction[]
}

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function peer(extra: Extension = []): Peer {
  const doc = new Y.Doc()
  const text = doc.getText("content")
  const awareness = new awarenessProtocol.Awareness(doc)
  const transactions: Transaction[] = []
  const view = new EditorView({
    parent: document.body.appendChild(document.createElement("div")),
    state: EditorState.create({ doc: text.toString(), extensions: [collab({ ytext: text, awareness }), extra] }),
    dispatchTransactions(trs, view) {
      transactions.push(...trs)
      view.update(trs)
    },
  })
  cleanups.push(() => {
    view.destroy()
    awareness.destroy()
    doc.destroy()
  })
  return { doc, text, awareness, view, transactions }
}

/** Wires two peers through queues that the test flushes, so edits can be concurrent. */
function link(a: Peer, b: Peer) {
  const toA: Uint8Array[] = []
  const toB: Uint8Array[] = []
  a.doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "net" && toB.push(update))
  b.doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "net" && toA.push(update))
  a.awareness.on("update", ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
    if (origin !== "net") awarenessProtocol.applyAwarenessUpdate(b.awareness, awarenessProtocol.encodeAwarenessUpdate(a.awareness, [...added!, ...updated!, ...removed!]), "net")
  })
  b.awareness.on("update", ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
    if (origin !== "net") awarenessProtocol.applyAwarenessUpdate(a.awareness, awarenessProtocol.encodeAwarenessUpdate(b.awareness, [...added!, ...updated!, ...removed!]), "net")
  })
  return {
    flush() {
      while (toA.length || toB.length) {
        for (const u of toA.splice(0)) Y.applyUpdate(a.doc, u, "net")
        for (const u of toB.splice(0)) Y.applyUpdate(b.doc, u, "net")
      }
    },
    /** Delivers queued updates in an order chosen by `gen`. */
    flushOne(gen: prng.PRNG) {
      const queue = prng.bool(gen) ? (toA.length ? toA : toB) : toB.length ? toB : toA
      const update = queue.shift()
      if (update) Y.applyUpdate(queue === toA ? a.doc : b.doc, update, "net")
    },
  }
}

const type = (p: Peer, at: number, insert: string) => p.view.dispatch({ changes: { from: at, insert }, userEvent: "input.type" })

describe("collab binding", () => {
  it("converges two editors edited concurrently", () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "hello")
    net.flush()
    type(a, 5, " from a")
    type(b, 0, "b says: ")
    b.view.dispatch({ changes: { from: 8, to: 10 } })
    net.flush()
    expect(a.view.state.doc.toString()).toBe(b.view.state.doc.toString())
    expect(a.view.state.doc.toString()).toBe(a.text.toString())
    expect(b.text.toString()).toBe("b says: llo from a")
  })

  it("marks changes from others as remote and keeps them out of CodeMirror's history", () => {
    const a = peer([history()])
    const b = peer()
    const net = link(a, b)
    type(b, 0, "remote text")
    net.flush()
    const last = a.transactions.at(-1)!
    expect(last.annotation(Transaction.remote)).toBe(true)
    expect(last.annotation(Transaction.addToHistory)).toBe(false)
    expect(cmUndo(a.view)).toBe(false)
    expect(a.view.state.doc.toString()).toBe("remote text")
  })

  it("undoes only the local user's edits and redoes them", () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "mine")
    net.flush()
    type(b, 4, " theirs")
    net.flush()
    expect(yUndo(a.view)).toBe(true)
    net.flush()
    expect(a.view.state.doc.toString()).toBe(" theirs")
    expect(b.view.state.doc.toString()).toBe(" theirs")
    expect(yUndo(a.view)).toBe(false)
    expect(yRedo(a.view)).toBe(true)
    net.flush()
    expect(b.view.state.doc.toString()).toBe("mine theirs")
  })

  it("puts the selection back where it was before the undone change", () => {
    const a = peer()
    type(a, 0, "abc")
    getUndoManager(a.view.state)!.stopCapturing()
    a.view.dispatch({ selection: EditorSelection.cursor(1) })
    a.view.dispatch({ changes: { from: 1, insert: "XYZ" }, selection: EditorSelection.cursor(4) })
    a.view.dispatch({ selection: EditorSelection.cursor(6) })
    expect(yUndo(a.view)).toBe(true)
    expect(a.view.state.doc.toString()).toBe("abc")
    expect(a.view.state.selection.main.head).toBe(1)
    expect(yUndo(a.view)).toBe(true)
    expect(a.view.state.doc.toString()).toBe("")
  })

  it("maps the local selection through remote edits so the cursor does not jump", () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "hello world")
    net.flush()
    a.view.dispatch({ selection: EditorSelection.range(6, 11) })
    type(b, 0, ">> ")
    b.view.dispatch({ changes: { from: 3, to: 9 } })
    net.flush()
    expect(a.view.state.doc.toString()).toBe(">> world")
    expect(a.view.state.sliceDoc(a.view.state.selection.main.from, a.view.state.selection.main.to)).toBe("world")
  })

  it("draws another user's caret with their name and colour, and refuses unsafe colours", async () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "shared text")
    net.flush()
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1188ff" })
    b.awareness.setLocalStateField("cursor", {
      anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(b.text, 2)),
      head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(b.text, 6)),
    })
    await Promise.resolve()
    const label = a.view.dom.querySelector(".cm-ySelectionInfo") as HTMLElement
    expect(label.textContent).toBe("Grace")
    expect(label.style.backgroundColor).toBe("rgb(17, 136, 255)")
    expect(a.view.dom.querySelector(".cm-ySelection")?.textContent).toBe("ared")
    b.awareness.setLocalStateField("user", { name: "<img src=x onerror=alert(1)>", color: "red; background: url(x)" })
    await Promise.resolve()
    const hostile = a.view.dom.querySelector(".cm-ySelectionInfo") as HTMLElement
    // Shortened to 24 characters in the label; the whole name is the caret's tooltip.
    expect(hostile.textContent).toBe("<img src=x onerror=aler…")
    expect((hostile.parentElement as HTMLElement).title).toBe("<img src=x onerror=alert(1)>")
    expect(hostile.querySelector("img")).toBeNull()
    expect(hostile.style.backgroundColor).toBe("rgb(122, 122, 122)")
  })

  it("publishes the focused selection in y-codemirror.next's layout, null fields kept, at the start, middle and end", async () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "shared")
    net.flush()
    a.awareness.setLocalStateField("user", { name: "Ada", color: "#1188ff" })
    a.view.focus()
    for (const at of [0, 3, 6]) {
      a.view.dispatch({ selection: EditorSelection.cursor(at) })
      const position = Y.createRelativePositionFromTypeIndex(a.text, at)
      // y-codemirror.next publishes the Y.RelativePosition objects; the JSON must be the same.
      const published = (a.awareness.getLocalState() as { cursor: unknown }).cursor
      expect(JSON.stringify(published)).toBe(JSON.stringify({ anchor: position, head: position }))
      await Promise.resolve()
      const caret = b.view.dom.querySelector(".cm-ySelectionCaret")!
      expect(b.view.posAtDOM(caret)).toBe(at)
    }
    expect((a.awareness.getLocalState() as { cursor: unknown }).cursor).toEqual({
      anchor: { type: null, tname: "content", item: null, assoc: 0 },
      head: { type: null, tname: "content", item: null, assoc: 0 },
    })
  })

  it("draws a caret at the end of the text from a cursor with its null fields left out", async () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "shared text")
    net.flush()
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1188ff" })
    const end = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(b.text, 11))
    expect(end).toEqual({ tname: "content", assoc: 0 })
    b.awareness.setLocalStateField("cursor", { anchor: end, head: end })
    await Promise.resolve()
    expect(a.view.posAtDOM(a.view.dom.querySelector(".cm-ySelectionCaret")!)).toBe(11)
  })

  it("ignores cursors in other types or malformed, and never creates a type a peer names", async () => {
    const a = peer()
    const b = peer()
    const net = link(a, b)
    type(a, 0, "shared text")
    net.flush()
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1188ff" })
    for (const cursor of [
      { anchor: { tname: "elsewhere" }, head: { tname: "elsewhere" } },
      { anchor: { item: { client: 1, clock: -3 } }, head: { tname: "content" } },
      { anchor: { item: { client: 99, clock: 4 } }, head: { item: { client: 99, clock: 4 } } },
      { anchor: "start", head: null },
    ]) {
      b.awareness.setLocalStateField("cursor", cursor)
      await Promise.resolve()
      expect(a.view.dom.querySelector(".cm-ySelectionCaret")).toBeNull()
    }
    expect(a.doc.share.has("elsewhere")).toBe(false)
  })

  const seed = Number(process.env.TANDEM_SEED ?? 424242)
  it(`ends with equal editor text and Y.Text after random concurrent edits (seed ${seed})`, () => {
    console.log(`editor convergence seed: ${seed}`)
    const gen = prng.create(seed)
    const a = peer()
    const b = peer()
    const net = link(a, b)
    for (let step = 0; step < 2000; step++) {
      const p = prng.bool(gen) ? a : b
      const length = p.view.state.doc.length
      const roll = prng.int32(gen, 0, 9)
      if (roll < 5) type(p, prng.int32(gen, 0, length), prng.word(gen, 1, 4))
      else if (roll < 7 && length > 0) {
        const from = prng.int32(gen, 0, length - 1)
        p.view.dispatch({ changes: { from, to: Math.min(length, from + prng.int32(gen, 1, 3)) } })
      } else if (roll < 8) yUndo(p.view)
      else net.flushOne(gen)
      expect(p.view.state.doc.toString(), `seed ${seed} step ${step}`).toBe(p.text.toString())
    }
    net.flush()
    expect(a.view.state.doc.toString(), `seed ${seed}`).toBe(b.view.state.doc.toString())
    expect(a.text.toString(), `seed ${seed}`).toBe(a.view.state.doc.toString())
  })
})

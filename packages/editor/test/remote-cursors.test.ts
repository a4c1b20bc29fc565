// @vitest-environment jsdom
import { EditorState } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import { collab } from "../src/index.js"
import { CaretWidget } from "../src/caret-widget.js"
import { labelShownMs } from "../src/remote-cursors.js"
import { contrastRatio, labelTextColor, shortenName } from "../src/user-info.js"

interface Peer {
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly awareness: awarenessProtocol.Awareness
  readonly view: EditorView
}

const cleanups: Array<() => void> = []

function peer(): Peer {
  const doc = new Y.Doc()
  const text = doc.getText("content")
  const awareness = new awarenessProtocol.Awareness(doc)
  const view = new EditorView({
    parent: document.body.appendChild(document.createElement("div")),
    state: EditorState.create({ doc: text.toString(), extensions: [collab({ ytext: text, awareness })] }),
  })
  cleanups.push(() => {
    view.destroy()
    awareness.destroy()
    doc.destroy()
  })
  return { doc, text, awareness, view }
}

/** Relays document and awareness updates between two peers as they happen. */
function link(a: Peer, b: Peer): void {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    from.doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "net" && Y.applyUpdate(to.doc, update, "net"))
    from.awareness.on("update", ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
      if (origin !== "net") awarenessProtocol.applyAwarenessUpdate(to.awareness, awarenessProtocol.encodeAwarenessUpdate(from.awareness, [...added!, ...updated!, ...removed!]), "net")
    })
  }
}

const cursorAt = (p: Peer, at: number) => {
  const position = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(p.text, at))
  p.awareness.setLocalStateField("cursor", { anchor: position, head: position })
}

/** Lets the plugin's queued redraw run. */
const redraw = () => Promise.resolve()

const caretIn = (p: Peer) => p.view.dom.querySelector(".cm-ySelectionCaret") as HTMLElement | null

describe("shortenName", () => {
  it("keeps names up to 24 characters and shortens longer ones with an ellipsis", () => {
    expect(shortenName("Grace Hopper")).toBe("Grace Hopper")
    expect(shortenName("x".repeat(24))).toBe("x".repeat(24))
    const long = shortenName("n".repeat(64))
    expect(Array.from(long)).toHaveLength(24)
    expect(long.endsWith("…")).toBe(true)
  })

  it("never splits an emoji", () => {
    const shortened = shortenName("😀".repeat(30))
    expect(shortened).toBe(`${"😀".repeat(23)}…`)
  })
})

describe("labelTextColor", () => {
  it("gives every colour a label text at WCAG AA contrast", () => {
    for (let r = 0; r < 256; r += 17) {
      for (let g = 0; g < 256; g += 17) {
        for (let b = 0; b < 256; b += 17) {
          const color = `#${[r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")}`
          expect(contrastRatio(color, labelTextColor(color))).toBeGreaterThanOrEqual(4.5)
        }
      }
    }
  })

  it("uses white on dark colours and black on light ones, in any hex form", () => {
    expect(labelTextColor("#1a6fd6")).toBe("#ffffff")
    expect(labelTextColor("#ffd400")).toBe("#000000")
    expect(labelTextColor("#fd0")).toBe("#000000")
    expect(labelTextColor("#ffd400cc")).toBe("#000000")
    expect(contrastRatio("#ffffff", "#000000")).toBeCloseTo(21)
  })
})

describe("CaretWidget", () => {
  it("updates its element in place when only the label's state changes, so the label can fade", () => {
    const resting = new CaretWidget("Grace", "#1a6fd6", false)
    const active = new CaretWidget("Grace", "#1a6fd6", true)
    expect(resting.eq(active)).toBe(false)
    const dom = resting.toDOM()
    expect(dom.classList.contains("cm-ySelectionCaret-active")).toBe(false)
    expect(active.updateDOM(dom)).toBe(true)
    expect(dom.classList.contains("cm-ySelectionCaret-active")).toBe(true)
    expect(dom.getAttribute("aria-hidden")).toBe("true")
    const label = dom.querySelector(".cm-ySelectionInfo") as HTMLElement
    expect(label.style.color).toBe("rgb(255, 255, 255)")
  })

  it("lets the editor handle mouse events on the caret (so clicks beside it place the local cursor) and ignores others", () => {
    const widget = new CaretWidget("Grace", "#1a6fd6")
    expect(widget.ignoreEvent(new MouseEvent("mousedown"))).toBe(false)
    expect(widget.ignoreEvent(new KeyboardEvent("keydown"))).toBe(true)
  })
})

describe("remote cursor labels", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] })
  })
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    vi.useRealTimers()
  })

  it("shows a label when its user moves, then hides it after the moment", async () => {
    const a = peer()
    const b = peer()
    link(a, b)
    b.text.insert(0, "line one\nline two")
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1a6fd6" })
    cursorAt(b, 3)
    await redraw()
    expect(caretIn(a)?.classList.contains("cm-ySelectionCaret-active")).toBe(true)
    const element = caretIn(a)

    vi.advanceTimersByTime(labelShownMs - 100)
    await redraw()
    expect(caretIn(a)?.classList.contains("cm-ySelectionCaret-active")).toBe(true)
    vi.advanceTimersByTime(200)
    await redraw()
    expect(caretIn(a)?.classList.contains("cm-ySelectionCaret-active")).toBe(false)
    // The same element, updated: its label fades rather than vanishing.
    expect(caretIn(a)).toBe(element)
    expect(vi.getTimerCount()).toBe(0)

    // Moving again shows it again.
    cursorAt(b, 12)
    await redraw()
    expect(caretIn(a)?.classList.contains("cm-ySelectionCaret-active")).toBe(true)
    expect(a.view.posAtDOM(caretIn(a)!)).toBe(12)
  })

  it("shows the label when its user types, though typing leaves a Yjs cursor where it was", async () => {
    const a = peer()
    const b = peer()
    link(a, b)
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1a6fd6" })
    b.text.insert(0, "abc")
    cursorAt(b, 3)
    await redraw()
    vi.advanceTimersByTime(labelShownMs)
    await redraw()
    expect(caretIn(a)?.classList.contains("cm-ySelectionCaret-active")).toBe(false)

    const before = JSON.stringify(b.awareness.getLocalState())
    b.text.insert(3, "d")
    expect(JSON.stringify(b.awareness.getLocalState())).toBe(before)
    await redraw()
    expect(caretIn(a)?.classList.contains("cm-ySelectionCaret-active")).toBe(true)
  })

  it("does not show a label for a change of name or colour alone, nor for the local user's own edits", async () => {
    const a = peer()
    const b = peer()
    link(a, b)
    b.text.insert(0, "abc")
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1a6fd6" })
    cursorAt(b, 1)
    await redraw()
    vi.advanceTimersByTime(labelShownMs)
    await redraw()
    b.awareness.setLocalStateField("user", { name: "Grace H", color: "#d32f2f" })
    a.view.dispatch({ changes: { from: 0, insert: "x" } })
    await redraw()
    const caret = caretIn(a)!
    expect(caret.classList.contains("cm-ySelectionCaret-active")).toBe(false)
    expect(caret.textContent).toBe("Grace H")
  })

  it("puts a shortened name in the label and the whole name in the tooltip", async () => {
    const a = peer()
    const b = peer()
    link(a, b)
    const name = "A very long name that somebody typed into the box, 64 chars long"
    expect(name).toHaveLength(64)
    b.awareness.setLocalStateField("user", { name, color: "#ffd400" })
    cursorAt(b, 0)
    await redraw()
    const caret = caretIn(a)!
    const label = caret.querySelector(".cm-ySelectionInfo") as HTMLElement
    expect(label.textContent).toBe("A very long name that s…")
    expect(caret.title).toBe(name)
    expect(label.style.color).toBe("rgb(0, 0, 0)")
  })

  it("starts with the labels of people already there hidden, and leaves no timer behind", async () => {
    const b = peer()
    b.awareness.setLocalStateField("user", { name: "Grace", color: "#1a6fd6" })
    b.text.insert(0, "abc")
    cursorAt(b, 2)
    // `a` joins after b is there: its awareness holds b's state before its editor exists.
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(b.doc))
    const awareness = new awarenessProtocol.Awareness(doc)
    awarenessProtocol.applyAwarenessUpdate(awareness, awarenessProtocol.encodeAwarenessUpdate(b.awareness, [b.awareness.clientID]), "net")
    const text = doc.getText("content")
    const view = new EditorView({ parent: document.body, state: EditorState.create({ doc: text.toString(), extensions: [collab({ ytext: text, awareness })] }) })
    cleanups.push(() => {
      awareness.destroy()
      doc.destroy()
    })
    const caret = view.dom.querySelector(".cm-ySelectionCaret")!
    expect(caret.classList.contains("cm-ySelectionCaret-active")).toBe(false)

    // A move after that shows it, and destroying the editor mid-moment cancels its timer.
    const moved = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(b.text, 0))
    b.awareness.setLocalStateField("cursor", { anchor: moved, head: moved })
    awarenessProtocol.applyAwarenessUpdate(awareness, awarenessProtocol.encodeAwarenessUpdate(b.awareness, [b.awareness.clientID]), "net")
    await redraw()
    expect(view.dom.querySelector(".cm-ySelectionCaret-active")).not.toBeNull()
    expect(vi.getTimerCount()).toBe(1)
    view.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })
})

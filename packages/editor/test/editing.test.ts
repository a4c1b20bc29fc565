// @vitest-environment jsdom
import { Compartment, EditorState, type Extension } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { afterEach, describe, expect, it } from "vitest"
import * as awarenessProtocol from "y-protocols/awareness"
import * as Y from "yjs"
import { collab, editingBasics, spellcheckAttribute } from "../src/index.js"

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** An editor with the shared basics, bound to a Y.Text of its own. */
function editor(initial = "", extra: { extensions?: Extension } = {}) {
  const doc = new Y.Doc()
  const ytext = doc.getText("content")
  ytext.insert(0, initial)
  const awareness = new awarenessProtocol.Awareness(doc)
  const view = new EditorView({
    parent: document.body.appendChild(document.createElement("div")),
    state: EditorState.create({ doc: ytext.toString(), extensions: [editingBasics(), collab({ ytext, awareness }), extra.extensions ?? []] }),
  })
  cleanups.push(() => {
    view.destroy()
    awareness.destroy()
    doc.destroy()
  })
  return { doc, ytext, view }
}

describe("line endings", () => {
  it("keeps a pasted CRLF in the Y.Text, position for position", () => {
    const { ytext, view } = editor()
    // A paste goes through state.toText, as a string insert does: both split at the line separator.
    view.dispatch(view.state.replaceSelection(view.state.toText("a\r\nb\r\n")))
    expect(ytext.toString()).toBe("a\r\nb\r\n")
    expect(view.state.doc.toString()).toBe("a\r\nb\r\n")
    expect(view.state.doc.lines).toBe(3)
    expect(view.state.doc.length).toBe(ytext.length)
    // An edit after the CRLF lands at the same index in both.
    view.dispatch({ changes: { from: view.state.doc.line(2).from, insert: "X" } })
    expect(ytext.toString()).toBe("a\r\nXb\r\n")
  })

  it("shows a remote CRLF as two lines, the \\r hidden", () => {
    const { ytext, view } = editor()
    ytext.insert(0, "x\r\ny")
    expect(view.state.doc.toString()).toBe("x\r\ny")
    expect(view.state.doc.lines).toBe(2)
    const lines = [...view.contentDOM.querySelectorAll(".cm-line")].map((line) => line.textContent)
    expect(lines).toEqual(["x", "y"])
  })

  it("loads a stored CRLF document as it is, and a lone \\n stays one", () => {
    const { ytext, view } = editor("one\r\ntwo\nthree")
    expect(view.state.doc.lines).toBe(3)
    expect(view.state.doc.line(1).text).toBe("one\r")
    expect(view.state.doc.line(2).text).toBe("two")
    view.dispatch({ changes: { from: view.state.doc.length, insert: "\r\nfour" } })
    expect(ytext.toString()).toBe("one\r\ntwo\nthree\r\nfour")
  })

  it("types before the hidden \\r at the end of a CRLF line", () => {
    const { ytext, view } = editor("ab\r\ncd")
    const end = view.state.doc.line(1).to
    view.dispatch({ selection: { anchor: end } })
    // What the browser's input reaches CodeMirror through.
    const handled = view.state.facet(EditorView.inputHandler).some((handler) => handler(view, end, end, "c", () => view.state.update({ changes: { from: end, insert: "c" } })))
    expect(handled).toBe(true)
    expect(ytext.toString()).toBe("abc\r\ncd")
    expect(view.state.selection.main.head).toBe(3)
  })
})

describe("spellcheck", () => {
  it("is on by default, and an app's compartment switches it off and on", () => {
    const plain = editor()
    expect(plain.view.contentDOM.getAttribute("spellcheck")).toBe("true")

    const compartment = new Compartment()
    const { view } = editor("", { extensions: compartment.of(spellcheckAttribute(false)) })
    expect(view.contentDOM.getAttribute("spellcheck")).toBe("false")
    view.dispatch({ effects: compartment.reconfigure(spellcheckAttribute(true)) })
    expect(view.contentDOM.getAttribute("spellcheck")).toBe("true")
    view.dispatch({ effects: compartment.reconfigure(spellcheckAttribute(false)) })
    expect(view.contentDOM.getAttribute("spellcheck")).toBe("false")
  })
})

// The page of a stock Yjs editor, for cursor-interop.spec.ts, which bundles this file for the
// browser: y-codemirror.next's own binding (yCollab, with its remote selections) on y-websocket,
// exactly as its README sets it up, and nothing of Tandem's.
import { EditorState } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { yCollab } from "y-codemirror.next"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"

/** What the test reads through `window.stockEditor`. */
export interface StockEditor {
  readonly view: EditorView
  readonly ytext: Y.Text
  readonly provider: WebsocketProvider
}

declare global {
  interface Window {
    stockEditor?: StockEditor
  }
}

const params = new URLSearchParams(location.search)
const ydoc = new Y.Doc()
const ytext = ydoc.getText("content")
const provider = new WebsocketProvider(params.get("server") ?? "", params.get("doc") ?? "", ydoc)
provider.awareness.setLocalStateField("user", { name: params.get("name") ?? "Stock", color: "#30bced" })
const view = new EditorView({
  parent: document.getElementById("editor") ?? document.body,
  state: EditorState.create({ doc: ytext.toString(), extensions: [yCollab(ytext, provider.awareness)] }),
})
window.stockEditor = { view, ytext, provider }

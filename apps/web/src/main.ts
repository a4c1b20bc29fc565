import type { CollabEditorHandle, EditorHandle } from "@tandem/editor"
import { parseDocName } from "@tandem/protocol"
import { mountAdminPage } from "./admin-page.js"
import { mountDocumentPage } from "./document-page.js"
import { h } from "./dom.js"
import { mountHome } from "./home.js"
import "./style.css"

const root = document.getElementById("app")!
const path = location.pathname

if (path.startsWith("/d/")) {
  const doc = parseDocName(path.slice(3))
  // The handle is on window for the console and for end-to-end tests.
  if (doc) window.tandemEditor = mountDocumentPage(root, doc)
  else root.replaceChildren(h("main", { class: "home" }, h("h1", {}, "No such document name"), h("a", { href: "/" }, "Back to Tandem")))
} else if (path === "/admin") {
  mountAdminPage(root)
} else {
  mountHome(root)
}

declare global {
  interface Window {
    tandemEditor?: EditorHandle | CollabEditorHandle
  }
}

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
  else notFound("That is not a document name", "Names use letters, digits and - _ . ~ /, with no empty, . or .. parts.")
} else if (path === "/admin") {
  mountAdminPage(root)
} else if (path === "/") {
  mountHome(root)
} else {
  notFound("Page not found", `Nothing lives at ${path}.`)
}

/** What the server answered with a 404: the page says why, and the way back. */
function notFound(title: string, detail: string): void {
  document.title = `${title} · Tandem`
  root.replaceChildren(h("main", { class: "home" }, h("h1", {}, title), h("p", {}, detail), h("a", { href: "/" }, "Back to Tandem")))
}

declare global {
  interface Window {
    tandemEditor?: EditorHandle | CollabEditorHandle
  }
}

import type { CollabEditorHandle, EditorHandle } from "@tandem/editor"
import { parseDocName } from "@tandem/protocol"
import { h } from "./dom.js"
import { mountHome } from "./home.js"
import { registerServiceWorker } from "./pwa.js"
import "./style.css"

const root = document.getElementById("app")!
const path = location.pathname

// The start page is the only one bundled here: the document page (CodeMirror, Yjs, Markdown) and
// the admin page are imported when their URL is opened, so `/` loads none of their code.
if (path.startsWith("/d/")) {
  const doc = parseDocName(path.slice(3))
  if (doc) {
    void load(import("./document-page.js"), ({ mountDocumentPage }) => {
      // The handle is on window for the console and for end-to-end tests.
      window.tandemEditor = mountDocumentPage(root, doc)
    })
  } else notFound("That is not a document name", "Names use letters, digits and - _ . ~ /, with no empty, . or .. parts.")
} else if (path === "/admin") {
  void load(import("./admin-page.js"), ({ mountAdminPage }) => mountAdminPage(root))
} else if (path === "/") {
  mountHome(root)
} else {
  notFound("Page not found", `Nothing lives at ${path}.`)
}
registerServiceWorker()

/**
 * Mounts a page once its code has arrived. Should it not arrive (the server went away before the
 * offline copy was installed, or a new build replaced the files this page was built with), the
 * page says so and offers a reload instead of staying blank.
 */
async function load<Page>(page: Promise<Page>, mount: (page: Page) => void): Promise<void> {
  let loaded: Page
  try {
    loaded = await page
  } catch (error) {
    console.error("Tandem: a part of the app could not be loaded", error)
    document.title = "Could not load · Tandem"
    const reload = h("button", { type: "button" }, "Reload")
    reload.addEventListener("click", () => location.reload())
    root.replaceChildren(h("main", { class: "home" }, h("h1", {}, "Tandem could not load this page"), h("p", {}, "The server may be unreachable, or Tandem was just updated."), reload))
    return
  }
  mount(loaded)
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

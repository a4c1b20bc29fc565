import { isValidDocName } from "@tandem/protocol"
import { fetchDocuments, documentList } from "./document-list.js"
import { docPath, h } from "./dom.js"
import { recentDocs } from "./local-state.js"
import { randomDocName } from "./names.js"

/** The start page: create a document, open one by name, or go back to a recent one. */
export function mountHome(root: HTMLElement): void {
  const input = h("input", { name: "doc", placeholder: "team/notes.md", "aria-label": "Document name", autocomplete: "off", "data-testid": "doc-name" })
  const error = h("p", { class: "error", role: "alert" })
  const open = h("form", { class: "open" }, input, h("button", { type: "submit" }, "Open"))
  open.addEventListener("submit", (event) => {
    event.preventDefault()
    const name = input.value.trim()
    if (!isValidDocName(name)) {
      error.textContent = "Use 1 to 200 letters, digits and - _ . ~ /, with no empty, . or .. parts."
      return
    }
    location.assign(docPath(name))
  })
  const create = h("button", { class: "primary", "data-testid": "new-doc" }, "New document")
  create.addEventListener("click", () => location.assign(docPath(randomDocName())))

  const recent = recentDocs()
  const recentList = h("ul", { class: "recent", "data-testid": "recent" }, ...recent.map((name) => h("li", {}, h("a", { href: docPath(name) }, name))))
  // The server's documents, when it lists them for us (without a token it may not); this
  // browser's recent ones stay below, new documents nobody has written in yet among them.
  const listed = h("div", { "data-testid": "documents" })
  void fetchDocuments().then((documents) => {
    if (documents !== null) listed.replaceChildren(documentList(documents))
  })
  const recentSection = recent.length > 0 ? [h("h2", {}, "Recently opened"), recentList] : []
  root.replaceChildren(
    h(
      "main",
      { class: "home" },
      h("h1", {}, "Tandem"),
      h("p", { class: "lead" }, "Write together in real time. Every document has a link; share it to invite people."),
      create,
      h("h2", {}, "Open a document"),
      open,
      error,
      listed,
      ...recentSection,
    ),
  )
  input.focus()
}

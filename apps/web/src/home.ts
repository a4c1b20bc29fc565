import { isValidDocName } from "@tandem/protocol"
import { authHeaders } from "./auth.js"
import { fetchDocuments, documentList } from "./document-list.js"
import { docPath, h } from "./dom.js"
import { createOpenFileControl } from "./file-io.js"
import { recentDocs } from "./local-state.js"
import { randomDocName } from "./names.js"
import { createListSignIn } from "./sign-in.js"
import { docExists, leavePendingTitle, maxTitleLength, normalizeTitle, slugFromTitle, uniqueDocName, untitled } from "./title.js"

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
  const create = createNewDocumentForm()

  const recent = recentDocs()
  const recentList = h("ul", { class: "recent", "data-testid": "recent" }, ...recent.map((name) => h("li", {}, h("a", { href: docPath(name) }, name))))
  // The server's documents, when it lists them for us (without a token it may not); this
  // browser's recent ones stay below, new documents nobody has written in yet among them.
  const listed = h("div", { "data-testid": "documents" })
  void fetchDocuments().then((documents) => {
    // Sign-in (sign-in.ts): a server with auth answered 401; once signed in, the list loads.
    if (documents === "sign-in") listed.replaceChildren(createListSignIn(() => location.reload()))
    else if (documents !== null) listed.replaceChildren(documentList(documents))
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
      // Open a local .md or .txt file into a new document (file-io.ts).
      createOpenFileControl(),
      listed,
      ...recentSection,
    ),
  )
  create.querySelector("input")?.focus()
}

/**
 * "New document": a form with a Title box. The title gives the URL name (slugFromTitle, made
 * unique against the server: `-2`, `-3` …), and is left for the document page, which writes it
 * into the document once synced. An empty title means "Untitled", under a random name (so that
 * untitled documents don't pile up as untitled-2, untitled-3 …).
 */
function createNewDocumentForm(): HTMLFormElement {
  const title = h("input", { id: "new-title", name: "title", placeholder: untitled, maxlength: String(maxTitleLength), autocomplete: "off", "data-testid": "new-title" })
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "new-doc" }, "New document")
  const form = h("form", { class: "create" }, h("label", { for: "new-title" }, "Title"), h("div", { class: "row" }, title, submit))
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    const chosen = normalizeTitle(title.value)
    const base = chosen === "" ? randomDocName() : slugFromTitle(chosen)
    submit.disabled = true
    void uniqueDocName(base, (name) => docExists(name, authHeaders())).then((name) => {
      leavePendingTitle(name, chosen === "" ? untitled : chosen)
      location.assign(docPath(name))
    })
  })
  return form
}

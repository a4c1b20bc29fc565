import { markdown } from "@codemirror/lang-markdown"
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language"
import type { Extension } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { createCollabEditor, createEditor, type CollabEditorHandle, type EditorHandle, type EditorStatus } from "@tandem/editor"
import { createChatModel } from "./chat-model.js"
import { createChatPanel } from "./chat-panel.js"
import { h } from "./dom.js"
import { createHistoryPanel } from "./history-panel.js"
import { loadUser, rememberDoc, saveUser } from "./local-state.js"
import { connectionPill, noticeText, savePill, type PillText } from "./status-text.js"

/** Markdown highlighting for `.md` documents; plain text otherwise. */
function languageFor(name: string): Extension {
  return /\.(md|markdown)$/i.test(name) ? [markdown(), syntaxHighlighting(defaultHighlightStyle)] : []
}

/** The sync URL of the server this page came from, so the app works behind a proxy. */
function syncUrl(endpoint: "sync" | "collab" = "sync"): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/${endpoint}`
}

/** How long "Link copied" shows before the button reads "Copy link" again. */
const copiedForMs = 2000

function showPill(pill: HTMLElement, shown: PillText): void {
  // Written only on change: the pills are live regions, and a rewrite can be announced again.
  if (pill.textContent !== shown.text) pill.textContent = shown.text
  pill.dataset.state = shown.state
  pill.title = shown.title
}

/** The editor page for one document. Returns the editor handle. */
export function mountDocumentPage(root: HTMLElement, doc: string): EditorHandle | CollabEditorHandle {
  rememberDoc(doc)
  document.title = `${doc} · Tandem`
  const user = loadUser()

  // Live regions: screen readers announce the connection and save state as they change.
  const connection = h("span", { class: "pill connection", role: "status", "aria-label": "Connection", "data-testid": "connection" })
  const sync = h("span", { class: "pill sync", role: "status", "aria-label": "Save status", "data-testid": "sync" })
  const people = h("ul", { class: "people", "aria-label": "People here", "data-testid": "people" })
  const nameInput = h("input", { value: user.name, "aria-label": "Your name", maxlength: "64", "data-testid": "your-name" })
  const share = h("button", { type: "button", class: "share", "data-testid": "share" }, "Copy link")
  const shareStatus = h("span", { class: "visually-hidden", role: "status" })
  // Why the editor stopped, or refused a change: a sentence saying what happened and what to do.
  const notice = h("p", { class: "notice", role: "alert", "data-testid": "notice", hidden: "" })
  const editorParent = h("main", { class: "editor", "data-testid": "editor" })
  const history = createHistoryPanel({ doc })

  root.replaceChildren(
    h(
      "div",
      { class: "page" },
      h(
        "header",
        {},
        // Two groups that never wrap inside: one row on wide screens, two rows of fixed height on
        // phones (style.css), so a pill changing its text never moves the editor.
        h(
          "div",
          { class: "header-doc" },
          h("a", { href: "/", class: "brand" }, "Tandem"),
          h("h1", { class: "doc-name", title: doc, "data-testid": "doc-title" }, doc),
          connection,
          sync,
        ),
        h("div", { class: "header-tools" }, people, h("label", { class: "you" }, h("span", { class: "you-label" }, "You: "), nameInput), share, shareStatus, history.toggle),
      ),
      notice,
      h("div", { class: "workspace" }, editorParent, history.element),
    ),
  )

  const options = { parent: editorParent, serverUrl: syncUrl(), doc, user, persistence: true, extensions: [languageFor(doc), EditorView.contentAttributes.of({ "aria-label": doc })] }
  // `?client=ot`: the same document through CodeMirror's own collab on /collab, beside Yjs editors.
  const ot = new URLSearchParams(location.search).get("client") === "ot"
  const editor = ot ? createCollabEditor({ ...options, serverUrl: syncUrl("collab") }) : createEditor(options)

  const render = (status: EditorStatus) => {
    showPill(connection, connectionPill(status))
    showPill(sync, savePill(status))
    sync.dataset.unsaved = String(status.unsaved)
    const shown = noticeText(status)
    // Written only on change: an alert is announced again when its text is rewritten.
    if (notice.textContent !== shown) notice.textContent = shown
    notice.hidden = shown === ""
    people.replaceChildren(
      ...status.peers.map((peer) => {
        const item = h("li", { title: peer.self ? `${peer.name} (you)` : peer.name }, h("span", { class: "dot" }), h("span", { class: "name" }, peer.self ? `${peer.name} (you)` : peer.name))
        item.style.setProperty("--color", peer.color)
        return item
      }),
    )
  }
  render(editor.status())
  editor.onStatus(render)

  // ---- Chat beside the document (chat-panel.ts): its messages live in the document itself. ----
  // (A Yjs feature: the OT editor has no Y.Doc to keep them in.)
  if ("ydoc" in editor) {
    const chat = createChatPanel({ model: createChatModel(editor.ydoc), awareness: editor.client.awareness, author: () => user })
    history.toggle.after(chat.toggle)
    history.element.after(chat.element)
    chat.update(editor.status())
    editor.onStatus((status) => chat.update(status))
  }
  // ---- end of chat ----

  nameInput.addEventListener("change", () => {
    const name = nameInput.value.trim() || user.name
    nameInput.value = name
    user.name = name
    saveUser(user)
    editor.setUser(user)
  })
  let copiedTimer: ReturnType<typeof setTimeout> | undefined
  share.addEventListener("click", () => {
    const link = location.href
    const done = () => {
      share.textContent = "Link copied"
      share.dataset.copied = link
      shareStatus.textContent = "Link copied to the clipboard"
      clearTimeout(copiedTimer)
      copiedTimer = setTimeout(() => {
        share.textContent = "Copy link"
        shareStatus.textContent = ""
      }, copiedForMs)
    }
    if (navigator.clipboard) navigator.clipboard.writeText(link).then(done, () => window.prompt("Copy this link", link))
    else window.prompt("Copy this link", link)
  })
  editor.view.focus()
  return editor
}

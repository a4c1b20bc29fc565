import { markdown } from "@codemirror/lang-markdown"
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language"
import type { Extension } from "@codemirror/state"
import { createEditor, type EditorHandle, type EditorStatus } from "@tandem/editor"
import { h } from "./dom.js"
import { createHistoryPanel } from "./history-panel.js"
import { loadUser, rememberDoc, saveUser } from "./local-state.js"

/** Markdown highlighting for `.md` documents; plain text otherwise. */
function languageFor(name: string): Extension {
  return /\.(md|markdown)$/i.test(name) ? [markdown(), syntaxHighlighting(defaultHighlightStyle)] : []
}

/** The sync URL of the server this page came from, so the app works behind a proxy. */
function syncUrl(): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/sync`
}

const connectionText: Record<EditorStatus["connection"], string> = {
  connecting: "Connecting…",
  connected: "Connected",
  offline: "Offline: edits are kept and sent on reconnect",
}

/** The editor page for one document. Returns the editor handle. */
export function mountDocumentPage(root: HTMLElement, doc: string): EditorHandle {
  rememberDoc(doc)
  document.title = `${doc} · Tandem`
  const user = loadUser()

  const connection = h("span", { class: "pill", "data-testid": "connection" })
  const sync = h("span", { class: "pill", "data-testid": "sync" })
  const people = h("ul", { class: "people", "aria-label": "People here", "data-testid": "people" })
  const nameInput = h("input", { value: user.name, "aria-label": "Your name", maxlength: "64", "data-testid": "your-name" })
  const share = h("button", { "data-testid": "share" }, "Copy link")
  const editorParent = h("div", { class: "editor", "data-testid": "editor" })
  const history = createHistoryPanel({ doc })

  root.replaceChildren(
    h(
      "div",
      { class: "page" },
      h(
        "header",
        {},
        h("a", { href: "/", class: "brand" }, "Tandem"),
        h("span", { class: "doc-name", "data-testid": "doc-title" }, doc),
        connection,
        sync,
        h("span", { class: "spacer" }),
        people,
        h("label", { class: "you" }, "You: ", nameInput),
        share,
        history.toggle,
      ),
      h("div", { class: "workspace" }, editorParent, history.element),
    ),
  )

  const editor = createEditor({ parent: editorParent, serverUrl: syncUrl(), doc, user, persistence: true, extensions: languageFor(doc) })

  const render = (status: EditorStatus) => {
    connection.textContent = connectionText[status.connection]
    connection.dataset.state = status.connection
    // "Saved" only when the server has confirmed that every change is in its storage.
    const saved = status.connection === "connected" && status.synced && status.savesConfirmed && status.unsaved === 0
    const changes = status.unsaved === 1 ? "1 change" : `${status.unsaved} changes`
    if (!status.localLoaded) sync.textContent = "Loading…"
    else if (saved) sync.textContent = "Saved"
    else if (status.connection === "connected" && status.synced && !status.savesConfirmed) sync.textContent = "Synced"
    else if (status.connection === "connected") sync.textContent = `Saving ${changes}…`
    else sync.textContent = status.savedLocally ? `${changes} kept on this device` : `Keeping ${changes} on this device…`
    sync.dataset.state = saved ? "saved" : status.savedLocally ? "saved-locally" : "unsaved"
    sync.dataset.unsaved = String(status.unsaved)
    people.replaceChildren(
      ...status.peers.map((peer) => {
        const item = h("li", { title: peer.self ? `${peer.name} (you)` : peer.name }, h("span", { class: "dot" }), peer.self ? `${peer.name} (you)` : peer.name)
        item.style.setProperty("--color", peer.color)
        return item
      }),
    )
  }
  render(editor.status())
  editor.onStatus(render)

  nameInput.addEventListener("change", () => {
    const name = nameInput.value.trim() || user.name
    nameInput.value = name
    user.name = name
    saveUser(user)
    editor.setUser(user)
  })
  share.addEventListener("click", () => {
    const link = location.href
    const done = () => {
      share.textContent = "Link copied"
      share.dataset.copied = link
    }
    if (navigator.clipboard) navigator.clipboard.writeText(link).then(done, () => window.prompt("Copy this link", link))
    else window.prompt("Copy this link", link)
  })
  editor.view.focus()
  return editor
}

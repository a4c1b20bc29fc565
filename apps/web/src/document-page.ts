import { EditorView } from "@codemirror/view"
import { browserCopyName, createCollabEditor, createEditor, type CollabEditorHandle, type EditorHandle, type EditorStatus } from "@tandem/editor"
import { browserId, peopleOf } from "./browser-id.js"
import { createChatModel } from "./chat-model.js"
import { assignFreeColour, createColourPicker } from "./colour-picker.js"
import { createChatPanel } from "./chat-panel.js"
import { h } from "./dom.js"
import { createDownloadControl } from "./file-io.js"
import { createHistoryPanel } from "./history-panel.js"
import { createMarkdownMode } from "./markdown-mode.js"
import { createMarkdownPreview } from "./markdown-preview.js"
import { readTitle, takePendingTitle, writeTitle } from "./title.js"
import { createTitleHeading } from "./title-heading.js"
import { createDocumentActions, readOnlyByToken } from "./document-actions.js"
import { forgetDoc, loadUser, rememberDoc, saveUser } from "./local-state.js"
import { createSpellcheckToggle } from "./spellcheck-toggle.js"
import { authHeaders, currentToken } from "./auth.js"
import { createSignInGate } from "./sign-in.js"
import { connectionPill, noticeText, savePill, type PillText } from "./status-text.js"

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
  // The same in every tab of this browser: the people list shows one person for all of them.
  const id = browserId()
  // When this page joined: a clash of colours moves whoever joined later (colour-picker.ts).
  const joinedAt = Date.now()

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

  // Markdown mode (kept in the document) and its preview: their extensions go in at creation.
  const markdownMode = createMarkdownMode(doc)
  const preview = createMarkdownPreview()
  const spellcheck = createSpellcheckToggle(() => editor.view)
  const options = { parent: editorParent, serverUrl: syncUrl(), doc, user: { ...user, id, joinedAt }, persistence: true, extensions: [markdownMode.extension, preview.extension, spellcheck.extension, EditorView.contentAttributes.of({ "aria-label": doc })] }
  // ---- Sign-in (sign-in.ts): the client asks `getToken` before connecting (no `token` is passed,
  // so it does), and the gate answers once the server says the token opens the document; until
  // then the sign-in box shows, and the editor too once it was open (typing goes on).
  const signIn = createSignInGate({ doc, onChange: () => render(editor.status()) })
  notice.after(signIn.element)
  // ---- end of sign-in ----
  // `?client=ot`: the same document through CodeMirror's own collab on /collab, beside Yjs editors.
  const ot = new URLSearchParams(location.search).get("client") === "ot"
  // The OT editor takes no `getToken`: it opens with the stored token, and a new sign-in reloads it.
  const otToken = ot ? currentToken() : null
  const editor = ot ? createCollabEditor({ ...options, serverUrl: syncUrl("collab"), token: otToken ?? undefined }) : createEditor({ ...options, getToken: signIn.getToken })
  if ("client" in editor) signIn.attach(editor.client)
  else
    void signIn.getToken().then((token) => {
      if (token !== null && token !== otToken) location.reload()
    })

  const render = (status: EditorStatus) => {
    showPill(connection, connectionPill(status, signIn.reason()))
    showPill(sync, savePill(status))
    sync.dataset.unsaved = String(status.unsaved)
    const shown = noticeText(status, signIn.reason())
    // Signed out before the document ever opened: the sign-in box is the page, not an empty editor.
    editorParent.parentElement!.hidden = signIn.reason() !== null && !signIn.opened()
    // Written only on change: an alert is announced again when its text is rewritten.
    if (notice.textContent !== shown) notice.textContent = shown
    notice.hidden = shown === ""
    people.replaceChildren(
      ...peopleOf(status.peers).map((peer) => {
        const item = h("li", { title: peer.self ? `${peer.name} (you)` : peer.name }, h("span", { class: "dot" }), h("span", { class: "name" }, peer.self ? `${peer.name} (you)` : peer.name))
        item.style.setProperty("--color", peer.color)
        return item
      }),
    )
  }
  render(editor.status())
  editor.onStatus(render)

  // ---- Markdown mode, preview and download (markdown-mode.ts, markdown-preview.ts, file-io.ts) ----
  markdownMode.attach(editor)
  preview.attach(editor.view)
  preview.setAvailable(markdownMode.current() === "markdown")
  markdownMode.onChange((mode) => preview.setAvailable(mode === "markdown"))
  const download = createDownloadControl({
    doc,
    // The Y.Text as stored (CodeMirror's own copy normalises line endings to \n).
    text: () => ("ydoc" in editor ? editor.ytext.toString() : editor.view.state.doc.toString()),
    title: () => ("ydoc" in editor ? readTitle(editor.ydoc) : null),
  })
  // The preview toggle (shown in Markdown mode only) stays in the header; the mode switch,
  // spellcheck and download go in "More" below, so the header holds one row.
  share.before(preview.toggle)
  editorParent.after(preview.element)
  // ---- end of Markdown ----

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

  // ---- Title and delete (title.ts, title-heading.ts, document-actions.ts) ----
  // The heading shows the title kept in the document (the slug under the OT editor, which has no
  // Y.Doc); "More" at the end of the header holds Rename and Delete.
  const titleDoc = "ydoc" in editor ? editor.ydoc : null
  const actions = createDocumentActions({
    doc,
    title: () => heading.shown(),
    ...(titleDoc ? { rename: () => heading.startRename() } : {}),
    headers: () => authHeaders(),
    deleted: async () => {
      await editor.destroy()
      // The browser copy would otherwise bring the document back on the next visit.
      indexedDB.deleteDatabase(browserCopyName(doc))
      forgetDoc(doc)
    },
  })
  const heading = createTitleHeading({ doc, ydoc: titleDoc }, () => actions.summary)
  root.querySelector("h1.doc-name")?.replaceWith(...heading.elements)
  root.querySelector(".header-tools")?.append(actions.element)
  actions.menu.prepend(markdownMode.toggle, spellcheck.button, download)
  root.append(actions.dialog)
  // A title left by the start page for a new document: written once synced, if it has none yet.
  let pendingTitle = takePendingTitle(doc)
  const followAccess = (status: EditorStatus) => {
    // Read-only: said by the server on a refused write, or up front by the token's claims.
    const readOnly = status.readOnly || readOnlyByToken(currentToken())
    actions.setWritable(!readOnly)
    heading.setWritable(!readOnly)
    if (pendingTitle !== null && titleDoc && status.synced && !readOnly) {
      if (readTitle(titleDoc) === null) writeTitle(titleDoc, pendingTitle)
      pendingTitle = null
    }
  }
  followAccess(editor.status())
  editor.onStatus(followAccess)
  // ---- end of title and delete ----

  // ---- Your colour (colour-picker.ts): picked and remembered, else one nobody else here has. ----
  const setColour = (color: string, chosen: boolean) => {
    user.color = color
    if (chosen) user.colorChosen = true
    saveUser(user)
    editor.setUser({ ...user, id, joinedAt })
  }
  const colourPicker = createColourPicker({ color: user.color, onPick: (color) => setColour(color, true) })
  nameInput.closest("label")!.after(colourPicker.element)
  assignFreeColour({
    editor,
    isMe: (peer) => peer.self || peer.id === id,
    color: () => user.color,
    chosen: () => user.colorChosen === true,
    assign: (color) => {
      setColour(color, false)
      colourPicker.setColor(color)
    },
  })
  // ---- end of your colour ----

  nameInput.addEventListener("change", () => {
    const name = nameInput.value.trim() || user.name
    nameInput.value = name
    user.name = name
    saveUser(user)
    editor.setUser({ ...user, id, joinedAt })
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

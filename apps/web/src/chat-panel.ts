import type { EditorHandle, EditorStatus } from "@tandem/editor"
import { characterCount, maxMessageLength, type ChatMessage, type ChatModel } from "./chat-model.js"
import { h } from "./dom.js"

type Awareness = EditorHandle["client"]["awareness"]

/** What {@link createChatPanel} needs. */
export interface ChatPanelOptions {
  readonly model: ChatModel
  /** Presence, for the quiet "joined" and "left" notices; they are never stored. */
  readonly awareness: Awareness
  /** Who posts, read at each post, so a change of name applies to the next message. */
  author(): { name: string; color: string }
}

/** The Chat panel of a document page: put `toggle` in the header and `element` beside the editor. */
export interface ChatPanel {
  /** The header button that opens and closes the panel; it shows the unread count while closed. */
  readonly toggle: HTMLButtonElement
  /** The panel: an `<aside>` labelled "Chat". */
  readonly element: HTMLElement
  /** Tells the panel the editor's state: whether it is synced (for unread counts and notices) and read-only. */
  update(status: Pick<EditorStatus, "connection" | "synced" | "readOnly">): void
  /** Stops listening to the document and to presence. */
  destroy(): void
}

/** How many messages are shown at first, and how many more each step back loads. */
const pageSize = 500
/** How many presence notices are kept in the list. */
const maxNotices = 50
// Narrow screens show the panel as a sheet over the editor (style.css); it starts closed there.
const sheetQuery = "(max-width: 700px)"

/** Someone came or went; the name is looked up when shown, so a rename right after joining shows. */
interface Notice {
  readonly clientId: number
  readonly verb: "joined" | "left"
  readonly at: number
}

/**
 * Builds the Chat panel over a {@link ChatModel}: the newest 500 messages with each author's
 * name, colour and time, older ones loaded on scrolling up; who joined and left, from presence;
 * and a box to post (Enter sends, Shift+Enter starts a new line, at most 2,000 characters).
 * Everything from others is set as text, never as HTML. While closed, the toggle counts messages
 * from others that arrived after the document first synced.
 */
export function createChatPanel(options: ChatPanelOptions): ChatPanel {
  const { model, awareness } = options
  const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" })
  const dayTime = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" })
  let shown = pageSize
  let unread = 0
  let notices: Notice[] = []
  let status: Pick<EditorStatus, "connection" | "synced" | "readOnly"> = { connection: "connecting", synced: false, readOnly: false }
  // Remote messages count as unread only once the document has synced: the history that arrives
  // with the first sync has been there all along.
  let everSynced = false
  // The last name seen of each client; a client that left keeps its name for the notice.
  const names = new Map<number, string>()
  const present = new Set<number>()

  const badge = h("span", { class: "chat-unread", "aria-hidden": "true", "data-testid": "chat-unread", hidden: "" })
  const toggle = h("button", { type: "button", class: "chat-toggle", "aria-expanded": "false", "aria-controls": "chat-panel", "data-testid": "chat-toggle" }, "Chat", badge)
  const title = h("h2", { id: "chat-title", tabindex: "-1" }, "Chat")
  const close = h("button", { type: "button", class: "close", "aria-label": "Close chat" }, "×")
  const older = h("button", { type: "button", class: "chat-older", hidden: "" }, "Show older messages")
  const log = h("div", { class: "chat-log", role: "log", "aria-label": "Chat", "data-testid": "chat-log" })
  const scroller = h("div", { class: "chat-scroll" }, older, log)
  const box = h("textarea", { id: "chat-message", rows: "2", "aria-describedby": "chat-hint", placeholder: "Write a message", "data-testid": "chat-message" })
  const send = h("button", { type: "submit" }, "Send")
  const hint = h("p", { id: "chat-hint", class: "chat-hint", "aria-live": "polite" })
  const form = h(
    "form",
    { class: "chat-form", "aria-label": "Send a message" },
    h("label", { for: "chat-message", class: "visually-hidden" }, "Message"),
    h("div", { class: "row" }, box, send),
    hint,
  )
  const element = h("aside", { id: "chat-panel", class: "chat", hidden: "", "aria-labelledby": "chat-title", "data-testid": "chat-panel" }, h("div", { class: "chat-head" }, title, close), scroller, form)

  const timeOf = (at: number) => {
    const date = new Date(at)
    const today = new Date().toDateString() === date.toDateString()
    return h("time", { datetime: date.toISOString(), title: full.format(date) }, (today ? time : dayTime).format(date))
  }
  const messageItem = (message: ChatMessage) => {
    const item = h(
      "div",
      { class: "chat-message", "data-id": message.id },
      h("div", { class: "chat-meta" }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { class: "chat-name" }, message.name), " ", timeOf(message.at)),
      h("p", { class: "chat-text" }, message.text),
    )
    item.style.setProperty("--color", message.color)
    return item
  }
  const noticeItem = (notice: Notice) => h("div", { class: "chat-notice" }, `${names.get(notice.clientId) ?? "Someone"} ${notice.verb}`, " ", timeOf(notice.at))

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40
  const render = (stick: boolean) => {
    const fromBottom = scroller.scrollHeight - scroller.scrollTop
    const length = model.length()
    const from = Math.max(0, length - shown)
    const messages = model.messagesFrom(from)
    // Notices go in among the messages by time; they are local and never stored.
    const items: HTMLElement[] = []
    let next = 0
    for (const message of messages) {
      while (next < notices.length && notices[next]!.at <= message.at) items.push(noticeItem(notices[next++]!))
      items.push(messageItem(message))
    }
    while (next < notices.length) items.push(noticeItem(notices[next++]!))
    if (items.length === 0) items.push(h("p", { class: "chat-empty" }, "No messages yet. Everyone with this document open sees what you write here."))
    log.replaceChildren(...items)
    older.hidden = from === 0
    // Stay at the newest message when the reader was there; otherwise keep what they were reading in place.
    scroller.scrollTop = stick ? scroller.scrollHeight : scroller.scrollHeight - fromBottom
  }
  const loadOlder = () => {
    if (model.length() <= shown) return
    shown += pageSize
    render(false)
  }
  const renderUnread = () => {
    badge.hidden = unread === 0 || !element.hidden
    badge.textContent = unread === 0 ? "" : `${unread > 99 ? "99+" : unread}`
    toggle.setAttribute("aria-label", unread > 0 && element.hidden ? `Chat, ${unread} unread` : "Chat")
  }
  const setOpen = (open: boolean) => {
    element.hidden = !open
    toggle.setAttribute("aria-expanded", String(open))
    if (open) {
      unread = 0
      render(true)
      if (window.matchMedia(sheetQuery).matches) box.focus()
    }
    renderUnread()
  }

  const say = (text: string, tone: "info" | "error" = "info") => {
    hint.textContent = text
    hint.dataset.tone = tone
  }
  const checkLength = (): boolean => {
    const count = characterCount(box.value)
    const over = count > maxMessageLength
    box.setAttribute("aria-invalid", String(over))
    if (over) say(`${count.toLocaleString()} characters: a message can have at most ${maxMessageLength.toLocaleString()}.`, "error")
    else if (hint.dataset.tone === "error") say("")
    return !over
  }
  const renderAccess = () => {
    box.disabled = status.readOnly
    send.disabled = status.readOnly
    if (status.readOnly) {
      box.placeholder = "Read-only"
      say("You can read this chat but not post: your access to this document is read-only.", "info")
    } else if (box.placeholder !== "Write a message") {
      box.placeholder = "Write a message"
      say("")
    }
  }
  const post = () => {
    const text = box.value.replace(/\s+$/, "")
    if (status.readOnly || text.trim() === "" || !checkLength()) return
    const author = options.author()
    model.post({ name: author.name, color: author.color }, text)
    box.value = ""
    say("")
    render(true)
  }

  const onChange = ({ addedRemote }: { addedRemote: number }) => {
    if (everSynced && element.hidden && addedRemote > 0) {
      unread += addedRemote
      renderUnread()
    }
    // While the reader is scrolled back, new messages do not push older ones out of the window.
    const stick = atBottom()
    if (!stick) shown += addedRemote
    if (!element.hidden) render(stick)
  }
  const stopModel = model.onChange(onChange)

  const nameOf = (clientId: number): string | null => {
    const user = (awareness.getStates().get(clientId) as { user?: { name?: unknown } } | undefined)?.user
    return typeof user?.name === "string" && user.name.trim() !== "" ? [...user.name.trim()].slice(0, 64).join("") : null
  }
  const onPresence = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
    // Presence is announced when this tab joins and dropped when its connection does: only
    // changes seen while connected and synced are someone else's coming and going.
    const live = status.connection === "connected" && status.synced
    const said: Notice[] = []
    let renamed = false
    for (const clientId of [...added, ...updated]) {
      if (clientId === awareness.clientID) continue
      const name = nameOf(clientId)
      if (name === null) continue
      if (live && !present.has(clientId)) said.push({ clientId, verb: "joined", at: Date.now() })
      renamed ||= names.has(clientId) && names.get(clientId) !== name
      present.add(clientId)
      names.set(clientId, name)
    }
    for (const clientId of removed) {
      if (!present.delete(clientId)) continue
      if (live) said.push({ clientId, verb: "left", at: Date.now() })
    }
    if (said.length === 0 && !(renamed && notices.length > 0)) return
    notices = [...notices, ...said].slice(-maxNotices)
    const kept = new Set(notices.map((notice) => notice.clientId))
    for (const clientId of names.keys()) if (!present.has(clientId) && !kept.has(clientId)) names.delete(clientId)
    if (!element.hidden) render(atBottom())
  }
  awareness.on("change", onPresence)

  // Beside the editor on wide screens it starts open; as a sheet it would cover the editor, so
  // it starts closed on narrow ones and closes when the window narrows, opening again as it was
  // when the window widens.
  const sheet = window.matchMedia(sheetQuery)
  let openWhenWide = true
  const onWidth = () => setOpen(sheet.matches ? false : openWhenWide)
  sheet.addEventListener("change", onWidth)
  toggle.addEventListener("click", () => {
    if (!sheet.matches) openWhenWide = element.hidden
    setOpen(element.hidden)
  })
  close.addEventListener("click", () => {
    if (!sheet.matches) openWhenWide = false
    setOpen(false)
    toggle.focus()
  })
  element.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !sheet.matches) return
    setOpen(false)
    toggle.focus()
  })
  older.addEventListener("click", loadOlder)
  scroller.addEventListener("scroll", () => {
    if (scroller.scrollTop < 40) loadOlder()
  })
  box.addEventListener("keydown", (event) => {
    // Enter while composing (IME) picks a candidate; it does not send.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return
    event.preventDefault()
    post()
  })
  box.addEventListener("input", () => void checkLength())
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    post()
  })

  setOpen(!sheet.matches)
  return {
    toggle,
    element,
    update(next) {
      status = next
      if (next.synced) everSynced = true
      renderAccess()
    },
    destroy() {
      stopModel()
      awareness.off("change", onPresence)
      sheet.removeEventListener("change", onWidth)
    },
  }
}

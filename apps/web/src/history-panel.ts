import { h } from "./dom.js"
import { createHistoryApi, HistoryApiError, type HistoryApi, type Version } from "./history-api.js"
import { renderPreview } from "./history-preview.js"
import { createTimeFormat, type TimeFormat } from "./history-time.js"

/** What {@link createHistoryPanel} needs. */
export interface HistoryPanelOptions {
  readonly doc: string
  /** Defaults to the history API of the server this page came from. */
  readonly api?: HistoryApi
  /** Defaults to the browser's locale and clock. */
  readonly time?: TimeFormat
}

/** The History panel of a document page: put `toggle` in the header and `element` beside the editor. */
export interface HistoryPanel {
  /** The header button that opens and closes the panel. */
  readonly toggle: HTMLButtonElement
  /** The panel: an `<aside>` labelled "History", hidden until opened. */
  readonly element: HTMLElement
}

// Narrow screens show the panel as a sheet over the editor (style.css): focus moves into it.
const sheetQuery = "(max-width: 700px)"

/**
 * Builds the History panel of `doc`: the document's versions, newest first and paged; a form to
 * name the current text as a version; a preview of a selected version with what changed since
 * marked; and restoring it after a confirmation, which the editor then receives live through
 * sync. The list is fetched again on every opening and after naming or restoring. Failures of
 * the API are shown as a sentence in the panel's live region; nothing is thrown.
 */
export function createHistoryPanel(options: HistoryPanelOptions): HistoryPanel {
  const api = options.api ?? createHistoryApi(options.doc)
  const time = options.time ?? createTimeFormat()
  let versions: Version[] = []
  let nextCursor: string | null = null
  let selected: Version | null = null
  // Answers that arrive after a newer request of the same kind was made are dropped.
  let listRequest = 0
  let previewRequest = 0

  const toggle = h("button", { type: "button", class: "history-toggle", "aria-expanded": "false", "aria-controls": "history-panel", "data-testid": "history-toggle" }, "History")
  const title = h("h2", { id: "history-title", tabindex: "-1" }, "History")
  const close = h("button", { type: "button", class: "close", "aria-label": "Close panel" }, "×")
  const nameInput = h("input", { name: "label", "aria-label": "Version name", placeholder: "e.g. First draft", maxlength: "200", required: "", autocomplete: "off" })
  const nameSubmit = h("button", { type: "submit" }, "Save version")
  const nameForm = h("form", { class: "name-version", "aria-label": "Name this version" }, h("span", { class: "form-title" }, "Name this version"), h("div", { class: "row" }, nameInput, nameSubmit))
  const status = h("p", { class: "history-status", role: "status", "data-testid": "history-status" })
  const list = h("ol", { class: "versions", "aria-label": "Versions", "aria-busy": "false", "data-testid": "versions" })
  const older = h("button", { type: "button", class: "load-older", hidden: "" }, "Load older")
  const previewTitle = h("h3", { id: "history-preview-title" })
  const previewMeta = h("p", { class: "preview-meta" })
  const restore = h("button", { type: "button", class: "restore" }, "Restore this version…")
  const legend = h("p", { class: "legend", "data-testid": "history-legend" })
  const previewText = h("pre", { class: "preview-text", tabindex: "0", "aria-labelledby": "history-preview-title", "data-testid": "history-preview" })
  const preview = h(
    "section",
    { class: "preview", hidden: "", "aria-labelledby": "history-preview-title" },
    h("div", { class: "preview-head" }, h("div", {}, previewTitle, previewMeta), restore),
    legend,
    previewText,
  )
  const confirmText = h("p", {})
  const confirm = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "history-confirm-title" },
    h(
      "form",
      { method: "dialog" },
      h("h3", { id: "history-confirm-title" }, "Restore this version?"),
      confirmText,
      h("div", { class: "actions" }, h("button", { value: "cancel", autofocus: "" }, "Cancel"), h("button", { value: "restore", class: "confirm-action" }, "Restore")),
    ),
  )
  const element = h(
    "aside",
    { id: "history-panel", class: "history", hidden: "", "aria-labelledby": "history-title", "data-testid": "history-panel" },
    h("div", { class: "history-head" }, title, close),
    nameForm,
    status,
    h("div", { class: "versions-wrap" }, list, older),
    preview,
    confirm,
  )

  // Busy buttons are aria-disabled rather than disabled, so they keep the keyboard focus.
  const busy = (button: HTMLButtonElement) => button.getAttribute("aria-disabled") === "true"
  const setBusy = (button: HTMLButtonElement, value: boolean) => button.setAttribute("aria-disabled", String(value))
  const say = (text: string, tone: "info" | "error" = "info") => {
    status.textContent = text
    status.dataset.tone = tone
  }
  const labelOf = (version: Version): string => {
    if (version.label === null) return version.kind === "named" ? "Untitled version" : "Automatic save"
    // The server notes "Before restoring version 12"; the name of version 12, if it has one and
    // is loaded, says more to people than its number.
    const restored = version.kind === "auto" ? /^Before restoring version (\d+)$/.exec(version.label) : null
    const named = restored ? versions.find((known) => known.id === restored[1] && known.label !== null && known.kind === "named") : undefined
    return named ? `Before restoring ‘${named.label}’` : version.label
  }
  const whoOf = (version: Version) => version.author ?? (version.kind === "auto" ? "automatic" : "anonymous")

  const row = (version: Version): HTMLLIElement => {
    const named = version.kind === "named"
    const button = h(
      "button",
      { type: "button", class: "version", "aria-pressed": String(selected?.id === version.id), "data-version-id": version.id },
      ...(named ? [h("span", { class: "marker", "aria-hidden": "true" }, "★"), h("span", { class: "visually-hidden" }, "Named version: ")] : []),
      h("span", { class: "label" }, labelOf(version)),
      h("span", { class: "meta" }, `${whoOf(version)} · `, h("time", { datetime: version.createdAt, title: time.absolute(version.createdAt) }, time.relative(version.createdAt))),
    )
    button.addEventListener("click", () => void select(version))
    return h("li", { "data-kind": version.kind }, button)
  }
  const renderList = () => {
    list.replaceChildren(...(versions.length > 0 ? versions.map(row) : [h("li", { class: "empty" }, "No versions yet. Name one above; versions are also saved automatically as you write.")]))
    older.hidden = nextCursor === null
  }

  const refresh = async () => {
    const request = ++listRequest
    list.setAttribute("aria-busy", "true")
    try {
      const page = await api.list(null)
      if (request !== listRequest) return
      versions = [...page.versions]
      nextCursor = page.nextCursor
      renderList()
    } catch (error) {
      if (request === listRequest) say(explain("load the history", error), "error")
    } finally {
      if (request === listRequest) list.setAttribute("aria-busy", "false")
    }
  }

  const loadOlder = async () => {
    if (nextCursor === null || busy(older)) return
    const request = listRequest
    setBusy(older, true)
    try {
      const page = await api.list(nextCursor)
      if (request !== listRequest) return
      const known = new Set(versions.map((version) => version.id))
      const added = page.versions.filter((version) => !known.has(version.id))
      versions.push(...added)
      nextCursor = page.nextCursor
      renderList()
      // The button may be gone now: focus goes on to the first older version.
      if (added[0]) list.querySelector<HTMLButtonElement>(`button[data-version-id="${CSS.escape(added[0].id)}"]`)?.focus()
    } catch (error) {
      say(explain("load older versions", error), "error")
    } finally {
      setBusy(older, false)
    }
  }

  const select = async (version: Version) => {
    selected = version
    for (const button of list.querySelectorAll<HTMLButtonElement>("button.version")) {
      button.setAttribute("aria-pressed", String(button.dataset.versionId === version.id))
    }
    preview.hidden = false
    previewTitle.textContent = labelOf(version)
    previewMeta.textContent = `${whoOf(version)} · ${time.absolute(version.createdAt)}`
    legend.replaceChildren()
    previewText.replaceChildren(h("span", { class: "muted" }, "Loading…"))
    previewText.setAttribute("aria-busy", "true")
    const request = ++previewRequest
    try {
      const [text, hunks] = await Promise.all([api.text(version.id), api.diff(version.id)])
      if (request !== previewRequest) return
      const laidOut = renderPreview(text, hunks)
      previewText.replaceChildren(...laidOut.lines)
      legend.replaceChildren(
        ...(laidOut.removed + laidOut.added === 0
          ? ["This is the current text: nothing changed since."]
          : [
              "Changes since this version: ",
              h("del", { class: "key" }, `${laidOut.removed} removed or changed`),
              " ",
              h("ins", { class: "key" }, `${laidOut.added} added`),
            ]),
      )
    } catch (error) {
      if (request !== previewRequest) return
      previewText.replaceChildren(h("span", { class: "muted" }, "No preview."))
      say(explain("show this version", error), "error")
    } finally {
      if (request === previewRequest) previewText.setAttribute("aria-busy", "false")
    }
  }

  const restoreSelected = async (version: Version) => {
    if (busy(restore)) return
    setBusy(restore, true)
    say("Restoring…")
    try {
      const { restored } = await api.restore(version.id)
      const label = restored.label === null ? "" : ` (“${labelOf(restored)}”)`
      say(`Restored version from ${time.absolute(restored.createdAt)}${label}; the previous text was saved as a version.`)
      await refresh()
      // Shown again: it now matches the current text, so nothing is marked.
      if (selected?.id === version.id) await select(versions.find((known) => known.id === version.id) ?? version)
    } catch (error) {
      say(explain("restore the version", error), "error")
    } finally {
      setBusy(restore, false)
    }
  }

  const nameVersion = async () => {
    const label = nameInput.value.trim()
    if (label === "") {
      say("Give the version a name first.", "error")
      return
    }
    if (busy(nameSubmit)) return
    setBusy(nameSubmit, true)
    try {
      const version = await api.name(label)
      nameInput.value = ""
      say(`Saved this version as “${labelOf(version)}”.`)
      versions = [version, ...versions.filter((known) => known.id !== version.id)]
      renderList()
      await refresh()
    } catch (error) {
      const unsaved = error instanceof HistoryApiError && error.status === 404
      say(unsaved ? "Could not save the version: this document is not on the server yet. Write something first." : explain("save the version", error), "error")
    } finally {
      setBusy(nameSubmit, false)
    }
  }
  const setOpen = (open: boolean) => {
    element.hidden = !open
    toggle.setAttribute("aria-expanded", String(open))
    if (!open) return
    void refresh()
    if (window.matchMedia(sheetQuery).matches) title.focus()
  }

  toggle.addEventListener("click", () => setOpen(element.hidden))
  close.addEventListener("click", () => {
    setOpen(false)
    toggle.focus()
  })
  element.addEventListener("keydown", (event) => {
    // Escape in the open dialog closes only the dialog.
    if (event.key !== "Escape" || confirm.open) return
    setOpen(false)
    toggle.focus()
  })
  list.addEventListener("keydown", (event) => {
    // Up and down move between versions, so a long list is not a long walk with Tab.
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return
    const buttons = [...list.querySelectorAll<HTMLButtonElement>("button.version")]
    const at = buttons.findIndex((button) => button === document.activeElement)
    if (at < 0) return
    event.preventDefault()
    buttons[Math.max(0, Math.min(buttons.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))]?.focus()
  })
  older.addEventListener("click", () => void loadOlder())
  nameForm.addEventListener("submit", (event) => {
    event.preventDefault()
    void nameVersion()
  })
  restore.addEventListener("click", () => {
    if (!selected || busy(restore)) return
    confirmText.textContent = `The text of “${labelOf(selected)}” (${time.absolute(selected.createdAt)}) replaces the current text for everyone editing. The current text is saved as a version first, so you can go back.`
    confirm.returnValue = ""
    confirm.showModal()
  })
  confirm.addEventListener("close", () => {
    if (confirm.returnValue === "restore" && selected) void restoreSelected(selected)
  })

  return { toggle, element }
}

/** A sentence for a failed request, e.g. "Could not load the history: the server could not be reached." */
function explain(action: string, error: unknown): string {
  if (!(error instanceof HistoryApiError)) return `Could not ${action}: something went wrong in this page.`
  if (error.status === 401) return `Could not ${action}: you are not signed in to this server.`
  if (error.status === 403) return `Could not ${action}: you may not change this document's history.`
  const reason = error.message.replace(/[.\s]+$/, "")
  return `Could not ${action}: ${reason}${error.code === "network" ? ". Check the connection and try again." : "."}`
}

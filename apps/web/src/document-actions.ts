import { h } from "./dom.js"

/** What {@link createDocumentActions} needs. */
export interface DocumentActionsOptions {
  /** The document's name (its slug), for the API. */
  readonly doc: string
  /** The title to name in the confirmation (the slug when there is none). */
  readonly title: () => string
  /** Starts renaming in place; omitted where there is no title to edit (the OT editor). */
  readonly rename?: () => void
  /** Headers for the API request (a token, when signed in). */
  readonly headers: () => Record<string, string>
  /**
   * Runs after the server deleted the document (or never had it), before leaving for the start
   * page: stop the editor and forget the browser copy, so nothing brings the document back.
   */
  readonly deleted: () => Promise<void>
}

/** The document page's "More" menu; see {@link createDocumentActions}. */
export interface DocumentActions {
  /** The disclosure to place at the end of the header. */
  readonly element: HTMLElement
  /** The confirmation dialog, to place anywhere in the page. */
  readonly dialog: HTMLDialogElement
  /** Where focus goes back to after a rename: the menu's button. */
  readonly summary: HTMLElement
  /** The menu's list, for the page's other less frequent controls (Markdown, spellcheck, download). */
  readonly menu: HTMLElement
  /** Offers renaming and deleting, or hides them (read-only access). */
  setWritable(writable: boolean): void
}

/** The sentence for a delete the server refused, by status; `null` for a success. */
export function deleteFailure(status: number | null): string | null {
  if (status === 204 || status === 404) return null
  if (status === null) return "The server could not be reached, so the document was not deleted. Check the connection and try again."
  if (status === 401) return "Sign in to delete this document: the server did not accept this browser's access."
  if (status === 403) return "Your access lets you open this document but not delete it. Ask its owner."
  return `The server could not delete the document (error ${status}). Try again later.`
}

/**
 * Whether `token` (a JWT) says `access: "read"`, read without checking its signature: only to
 * hide Rename and Delete from someone the server would refuse anyway, never to grant anything.
 * Without a token, or with one that does not say, `false` (the server's refusal then tells).
 */
export function readOnlyByToken(token: string | null): boolean {
  const payload = token?.split(".")[1]
  if (payload === undefined) return false
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="))
    return (JSON.parse(json) as { access?: unknown }).access === "read"
  } catch {
    return false
  }
}

/**
 * The header's "More" disclosure with "Rename" and "Delete…", and the confirmation behind
 * "Delete…": a modal `<dialog>` naming the document, with Cancel (focused first) and Delete. Delete
 * calls `DELETE /api/docs/<doc>`; on 204 (or 404: the server never stored it) it runs `deleted` and
 * goes to the start page, otherwise the dialog stays open with a sentence saying why.
 */
export function createDocumentActions(options: DocumentActionsOptions): DocumentActions {
  const summary = h("summary", { class: "more-toggle", "data-testid": "more" }, "More")
  const renameButton = h("button", { type: "button", "data-testid": "rename" }, "Rename")
  const deleteButton = h("button", { type: "button", class: "danger", "data-testid": "delete" }, "Delete…")
  const menu = h("div", { class: "more-menu" }, ...(options.rename ? [renameButton] : []), deleteButton)
  const element = h("details", { class: "more" }, summary, menu)

  const dialogText = h("p", {})
  const dialogError = h("p", { class: "error", role: "alert", "data-testid": "delete-error" })
  const cancel = h("button", { type: "button", autofocus: "" }, "Cancel")
  const confirm = h("button", { type: "button", class: "danger-action", "data-testid": "confirm-delete" }, "Delete")
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "delete-confirm-title", "aria-describedby": "delete-confirm-text", "data-testid": "delete-dialog" },
    h("h2", { id: "delete-confirm-title" }, "Delete this document?"),
    dialogText,
    dialogError,
    h("div", { class: "actions" }, cancel, confirm),
  )
  dialogText.id = "delete-confirm-text"

  const close = () => {
    element.open = false
  }
  // Escape closes the menu, and a click anywhere else does too, as menus do.
  element.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !element.open) return
    event.stopPropagation()
    close()
    summary.focus()
  })
  document.addEventListener("pointerdown", (event) => {
    if (element.open && !element.contains(event.target as Node)) close()
  })

  renameButton.addEventListener("click", () => {
    close()
    options.rename?.()
  })
  deleteButton.addEventListener("click", () => {
    close()
    dialogText.textContent = `“${options.title()}” will be deleted for everyone, with its history. This cannot be undone.`
    dialogError.textContent = ""
    confirm.disabled = false
    dialog.showModal()
  })
  cancel.addEventListener("click", () => dialog.close())
  dialog.addEventListener("close", () => summary.focus())
  confirm.addEventListener("click", async () => {
    confirm.disabled = true
    dialogError.textContent = ""
    const response = await fetch(`/api/docs/${encodeURIComponent(options.doc)}`, { method: "DELETE", headers: options.headers() }).catch(() => null)
    const failure = deleteFailure(response?.status ?? null)
    if (failure !== null) {
      dialogError.textContent = failure
      confirm.disabled = false
      return
    }
    await options.deleted()
    location.assign("/")
  })

  return {
    element,
    dialog,
    summary,
    menu,
    setWritable(writable) {
      // The menu stays (Markdown, spellcheck and download live there too); its writes go.
      renameButton.hidden = !writable
      deleteButton.hidden = !writable
    },
  }
}

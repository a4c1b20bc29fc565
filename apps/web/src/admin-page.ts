import { AdminApiError, createAdminApi, type AdminApi } from "./admin-api.js"
import { createRoomsTable, type AdminAction } from "./admin-rooms-table.js"
import { h } from "./dom.js"

const tokenKey = "tandem:admin-token"
const refreshMs = 2_000

function readToken(): string | null {
  try {
    return sessionStorage.getItem(tokenKey)
  } catch {
    return null
  }
}

// The token lives in this tab's session storage: a reload keeps it, closing the tab forgets it.
// Where storage is off, it lasts until the next reload.
function writeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(tokenKey)
    else sessionStorage.setItem(tokenKey, token)
  } catch {
    return
  }
}

/** Where an alert came from: a refresh's is cleared by the next good refresh, an action's by the next action. */
type AlertSource = "sign-in" | "refresh" | "action"

/**
 * The page at `/admin`, for operators. It asks for the admin token (kept in this tab's session
 * storage until "Sign out"), then lists the server's loaded documents, refreshed every 2 s while
 * the tab is visible and at once when it is shown again (see {@link createRoomsTable}). Unloading
 * a document or disconnecting a user calls the admin API; results go to a polite live region,
 * failures to an alert. A refused token (401 or 403) is forgotten and asked for again.
 */
export function mountAdminPage(root: HTMLElement): void {
  document.title = "Admin · Tandem"
  const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" })
  // The API with the token in use, or `null` when signed out.
  let api: AdminApi | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  // Bumped on every sign-in and sign-out, and by every refresh: late answers of older ones are dropped.
  let session = 0
  let latest = 0

  const alert = h("p", { class: "admin-alert", role: "alert", "data-testid": "admin-alert" })
  const status = h("p", { class: "admin-status", role: "status", "data-testid": "admin-status" })
  const tokenInput = h("input", { id: "admin-token", type: "password", name: "token", autocomplete: "off", spellcheck: "false", required: "", "aria-describedby": "admin-token-hint" })
  const signInButton = h("button", { type: "submit", class: "primary" }, "Sign in")
  const signIn = h(
    "form",
    { class: "admin-sign-in", hidden: "", "aria-label": "Sign in" },
    h("label", { for: "admin-token" }, "Admin token"),
    h("div", { class: "row" }, tokenInput, signInButton),
    h("p", { id: "admin-token-hint", class: "hint" }, "The server's TANDEM_ADMIN_TOKEN, or a token with admin access. This tab keeps it until you sign out or close the tab."),
  )
  const title = h("h2", { id: "admin-rooms-title", tabindex: "-1" }, "Loaded documents")
  const refreshed = h("p", { class: "admin-refreshed", "data-testid": "admin-refreshed" })
  const signOut = h("button", { type: "button" }, "Sign out")

  const showAlert = (text: string, source: AlertSource) => {
    alert.textContent = text
    alert.dataset.source = source
  }
  const announce = (text: string) => {
    status.textContent = text
    if (alert.dataset.source === "action") showAlert("", "action")
  }
  const table = createRoomsTable({ labelledBy: title.id, focusFallback: title, announce, onAction: (action, target) => void act(action, target) })
  const dashboard = h(
    "section",
    { class: "admin-dashboard", hidden: "", "aria-labelledby": title.id },
    h("div", { class: "admin-bar" }, title, refreshed, h("span", { class: "spacer" }), signOut),
    table.element,
  )
  root.replaceChildren(h("main", { class: "admin" }, h("a", { href: "/", class: "brand" }, "Tandem"), h("h1", {}, "Admin"), alert, status, signIn, dashboard))

  const show = (signedIn: boolean) => {
    signIn.hidden = signedIn
    dashboard.hidden = !signedIn
  }
  const stop = () => {
    session++
    api = null
    clearTimeout(timer)
    writeToken(null)
    table.clear()
    refreshed.textContent = ""
    show(false)
  }
  const refuse = (error: AdminApiError) => {
    stop()
    showAlert(error.status === 403 ? "That token was refused: it is not an administrator's." : "That token was refused.", "sign-in")
    tokenInput.focus()
  }
  const fail = (error: unknown, action: string, source: AlertSource) => {
    if (error instanceof AdminApiError && (error.status === 401 || error.status === 403)) refuse(error)
    else if (error instanceof AdminApiError && error.status === 404 && source !== "action") showAlert("The admin API is off on this server: start it with TANDEM_ADMIN_TOKEN set.", source)
    else showAlert(`Could not ${action}: ${error instanceof AdminApiError ? error.message : "something went wrong in this page"}.`, source)
  }

  /** Fetches the rooms and shows them, then schedules the next refresh; resolves to whether it worked. */
  const refresh = async (): Promise<boolean> => {
    const request = ++latest
    const current = session
    clearTimeout(timer)
    if (api === null) return false
    try {
      const rooms = await api.rooms()
      if (request !== latest || current !== session) return false
      table.render(rooms)
      const now = new Date()
      refreshed.replaceChildren("Updated ", h("time", { datetime: now.toISOString() }, clock.format(now)), " · refreshes every 2 seconds")
      if (alert.dataset.source !== "action") showAlert("", "refresh")
      return true
    } catch (error) {
      if (request === latest && current === session) {
        if (dashboard.hidden) fail(error, "sign in", "sign-in")
        else fail(error, "refresh", "refresh")
      }
      return false
    } finally {
      // One refresh at a time, after the previous answer; a hidden tab is not polled.
      if (request === latest && current === session && api !== null && document.visibilityState === "visible") {
        clearTimeout(timer)
        timer = setTimeout(() => void refresh(), refreshMs)
      }
    }
  }

  const enter = async (candidate: string) => {
    const tried = createAdminApi(candidate)
    api = tried
    session++
    signInButton.setAttribute("aria-disabled", "true")
    const ok = await refresh()
    signInButton.setAttribute("aria-disabled", "false")
    // Refused: refresh() has asked for the token again already.
    if (api !== tried) return
    if (!ok) {
      // Unreachable, or the API is off: nothing is kept, the alert says why.
      session++
      api = null
      clearTimeout(timer)
      return
    }
    writeToken(candidate)
    tokenInput.value = ""
    show(true)
    title.focus()
  }

  const act = async (action: AdminAction, target: string) => {
    if (api === null) return
    const current = session
    try {
      if (action === "Unload") {
        await api.unload(target)
        announce(`Closed every connection to ${target}; it unloads once everything is stored. Editors still open reconnect and load it again.`)
      } else {
        const count = await api.disconnect(target)
        announce(`Disconnected ${target}: ${count === 1 ? "1 connection" : `${count} connections`} closed.`)
      }
    } catch (error) {
      if (current !== session) return
      if (action === "Unload" && error instanceof AdminApiError && error.status === 404) announce(`${target} is not loaded any more.`)
      else fail(error, `${action.toLowerCase()} ${target}`, "action")
    }
    if (current === session) await refresh()
  }

  signIn.addEventListener("submit", (event) => {
    event.preventDefault()
    const candidate = tokenInput.value.trim()
    if (candidate !== "" && signInButton.getAttribute("aria-disabled") !== "true") void enter(candidate)
  })
  signOut.addEventListener("click", () => {
    stop()
    showAlert("", "sign-in")
    announce("Signed out: this tab has forgotten the admin token.")
    tokenInput.focus()
  })
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && api !== null && !dashboard.hidden) void refresh()
    else clearTimeout(timer)
  })

  const stored = readToken()
  if (stored === null) {
    show(false)
    tokenInput.focus()
    return
  }
  api = createAdminApi(stored)
  show(true)
  void refresh()
}

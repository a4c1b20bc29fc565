import type { AdminRoom } from "./admin-api.js"
import { docPath, h } from "./dom.js"
import { createTimeFormat, type TimeFormat } from "./history-time.js"

/** What the buttons of the table do: unload a document, or disconnect a user everywhere. */
export type AdminAction = "Unload" | "Disconnect"

/** What {@link createRoomsTable} needs. */
export interface RoomsTableOptions {
  /** The id of the heading that names the table. */
  readonly labelledBy: string
  /** Called on the confirming second click of an action button. */
  readonly onAction: (action: AdminAction, target: string) => void
  /** Says a sentence in the page's polite live region. */
  readonly announce: (text: string) => void
  /** Takes the keyboard focus when the row that had it goes away. */
  readonly focusFallback: HTMLElement
  /** Defaults to the browser's locale and clock. */
  readonly time?: TimeFormat
}

/** The loaded documents of the admin page. */
export interface RoomsTable {
  /** The table, or a sentence when nothing is loaded. */
  readonly element: HTMLElement
  /** Shows `rooms` (sorted by name), updating rows in place. */
  render(rooms: readonly AdminRoom[]): void
  /** Empties the table, e.g. on signing out. */
  clear(): void
}

// How long an action button waits for its confirming second click.
const armedMs = 5_000

/** "512 B", "1.5 kB", "3.2 MB" in the reader's locale. */
function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${new Intl.NumberFormat().format(bytes)} B`
  const units = ["kilobyte", "megabyte", "gigabyte", "terabyte"] as const
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return new Intl.NumberFormat(undefined, { style: "unit", unit: units[unit], unitDisplay: "short", maximumFractionDigits: 1 }).format(value)
}

/** The cells of one room's row that change between refreshes. */
interface RoomRow {
  readonly row: HTMLTableRowElement
  readonly connections: HTMLTableCellElement
  readonly users: HTMLTableCellElement
  readonly bytes: HTMLTableCellElement
  readonly pendingWrites: HTMLTableCellElement
  readonly lastChange: HTMLTableCellElement
  usersShown: string | null
}

/**
 * Builds the table of loaded documents: the document (a link to it), connections, signed-in
 * users, size, pending writes and last change. Each row has an "Unload" button and each user a
 * "Disconnect" button; a first click arms a button ("Confirm unload"), a second click on it within
 * 5 s calls `onAction`, and anything else disarms it. Rows are kept in place and updated, never
 * rebuilt, so a refresh neither moves nor takes away the keyboard focus.
 */
export function createRoomsTable(options: RoomsTableOptions): RoomsTable {
  const time = options.time ?? createTimeFormat()
  const rows = new Map<string, RoomRow>()
  let armed: { button: HTMLButtonElement; timer: ReturnType<typeof setTimeout> } | null = null

  const body = h("tbody", {})
  const column = (label: string, numeric = false) => h("th", { scope: "col", ...(numeric ? { class: "num" } : {}) }, label)
  const head = h(
    "tr",
    {},
    column("Document"),
    column("Connections", true),
    column("Users"),
    column("Size", true),
    column("Pending writes", true),
    column("Last change"),
    h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
  )
  const table = h("table", { class: "admin-rooms", "aria-labelledby": options.labelledBy, "data-testid": "admin-rooms" }, h("thead", {}, head), body)
  const empty = h("p", { class: "admin-empty", hidden: "" }, "No documents are loaded: nobody has one open.")
  const wrap = h("div", { class: "admin-table-wrap" }, table)
  const element = h("div", {}, wrap, empty)

  const disarm = () => {
    if (!armed) return
    clearTimeout(armed.timer)
    const { button } = armed
    armed = null
    delete button.dataset.armed
    button.textContent = button.dataset.verb ?? ""
    button.setAttribute("aria-label", `${button.dataset.verb} ${button.dataset.target}`)
  }
  const arm = (button: HTMLButtonElement, verb: AdminAction, target: string) => {
    disarm()
    const text = `Confirm ${verb.toLowerCase()}`
    button.textContent = text
    button.dataset.armed = "true"
    // The visible text starts the accessible name, which also says which document or user.
    button.setAttribute("aria-label", `${text} of ${target}`)
    armed = { button, timer: setTimeout(disarm, armedMs) }
    options.announce(`Press “${text}” to close every connection ${verb === "Unload" ? "to" : "of"} ${target}.`)
  }
  const actionButton = (verb: AdminAction, target: string) => {
    const button = h("button", { type: "button", class: "admin-action", "data-verb": verb, "data-target": target, "aria-label": `${verb} ${target}` }, verb)
    button.addEventListener("click", () => {
      if (armed?.button !== button) {
        arm(button, verb, target)
        return
      }
      disarm()
      options.onAction(verb, target)
    })
    button.addEventListener("blur", () => {
      if (armed?.button === button) disarm()
    })
    return button
  }

  const userItem = (user: string) => h("li", {}, h("span", { class: "user" }, user), actionButton("Disconnect", user))
  const createRow = (name: string): RoomRow => {
    const cell = (numeric: boolean, testId: string) => h("td", { ...(numeric ? { class: "num" } : {}), "data-testid": testId })
    const view: RoomRow = {
      row: h("tr", { "data-doc": name }),
      connections: cell(true, "room-connections"),
      users: cell(false, "room-users"),
      bytes: cell(true, "room-size"),
      pendingWrites: cell(true, "room-pending-writes"),
      lastChange: cell(false, "room-last-change"),
      usersShown: null,
    }
    view.row.append(
      h("th", { scope: "row" }, h("a", { href: docPath(name) }, name)),
      view.connections,
      view.users,
      view.bytes,
      view.pendingWrites,
      view.lastChange,
      h("td", {}, actionButton("Unload", name)),
    )
    return view
  }
  const setText = (cell: HTMLElement, text: string) => {
    if (cell.textContent !== text) cell.textContent = text
  }
  const updateRow = (view: RoomRow, room: AdminRoom) => {
    setText(view.connections, String(room.connections))
    setText(view.bytes, formatBytes(room.bytes))
    setText(view.pendingWrites, String(room.pendingWrites))
    view.lastChange.replaceChildren(
      room.lastChange === null
        ? h("span", { class: "muted" }, "none yet")
        : h("time", { datetime: room.lastChange, title: time.absolute(room.lastChange) }, time.relative(room.lastChange)),
    )
    // Rebuilt only when the users change, so a focused or armed button stays as it is.
    const shown = room.users.join("\n")
    if (view.usersShown === shown) return
    view.usersShown = shown
    const focused = view.users.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.target : undefined
    view.users.replaceChildren(room.users.length === 0 ? h("span", { class: "muted" }, "none signed in") : h("ul", { class: "admin-users" }, ...room.users.map(userItem)))
    if (focused !== undefined) (view.users.querySelector<HTMLButtonElement>(`button[data-target="${CSS.escape(focused)}"]`) ?? view.row.querySelector("a"))?.focus()
  }

  return {
    element,
    render(rooms) {
      const names = new Set(rooms.map((room) => room.name))
      for (const [name, view] of rows) {
        if (names.has(name)) continue
        const hadFocus = view.row.contains(document.activeElement)
        view.row.remove()
        rows.delete(name)
        if (hadFocus) options.focusFallback.focus()
      }
      // Rows already shown are in order and stay where they are; a new one goes in before its successor.
      let next: HTMLTableRowElement | null = null
      for (const room of [...rooms].reverse()) {
        let view = rows.get(room.name)
        if (!view) {
          view = createRow(room.name)
          rows.set(room.name, view)
          body.insertBefore(view.row, next)
        }
        updateRow(view, room)
        next = view.row
      }
      wrap.hidden = rooms.length === 0
      empty.hidden = rooms.length > 0
    },
    clear() {
      disarm()
      rows.clear()
      body.replaceChildren()
    },
  }
}

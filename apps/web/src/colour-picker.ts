import type { EditorStatus, Peer } from "@tandem/editor"
import { h } from "./dom.js"
import { firstFreeColor, palette } from "./names.js"

/** What {@link createColourPicker} needs. */
export interface ColourPickerOptions {
  /** The colour shown as the person's at first. */
  readonly color: string
  /** Called with the palette colour the person picked (with the mouse or keyboard). */
  readonly onPick: (color: string) => void
}

/** A "Your colour" control: a button showing the colour that opens a radio group of the palette. */
export interface ColourPicker {
  readonly element: HTMLElement
  /** Shows `color` as the person's (when the page assigns one); does not call `onPick`. */
  setColor(color: string): void
  /** Removes the document listener an open menu holds. */
  destroy(): void
}

function colourName(color: string): string {
  return palette.find((entry) => entry.color === color.toLowerCase())?.name ?? color
}

/**
 * The colour picker beside the name box. The button opens a radio group of palette swatches:
 * arrow keys move the choice (and apply it, as radio buttons do), Enter, Escape or a click
 * outside closes it, and focus goes back to the button. The caller stores and publishes the pick.
 */
export function createColourPicker(options: ColourPickerOptions): ColourPicker {
  let current = options.color
  const swatch = h("span", { class: "colour-swatch", "aria-hidden": "true" })
  const button = h("button", { type: "button", class: "colour-button", "aria-haspopup": "true", "aria-expanded": "false", "data-testid": "your-colour" }, swatch)
  const radios = palette.map((entry) =>
    h("button", { type: "button", role: "radio", class: "colour-option", "aria-label": entry.name, title: entry.name, "data-color": entry.color }, h("span", { class: "colour-swatch", "aria-hidden": "true" })),
  )
  for (const [index, radio] of radios.entries()) radio.style.setProperty("--color", palette[index]!.color)
  const menu = h("div", { class: "colour-menu", role: "radiogroup", "aria-label": "Your colour", "data-testid": "colour-menu", hidden: "" }, ...radios)
  const element = h("div", { class: "colour-picker" }, button, menu)

  const show = (color: string) => {
    current = color
    button.style.setProperty("--color", color)
    button.setAttribute("aria-label", `Your colour: ${colourName(color)}`)
    button.title = `Your colour: ${colourName(color)}`
    for (const radio of radios) {
      const checked = radio.dataset.color === color.toLowerCase()
      radio.setAttribute("aria-checked", String(checked))
    }
    // One tab stop in the group: the checked swatch, or the first when none is.
    const focusable = radios.find((radio) => radio.getAttribute("aria-checked") === "true") ?? radios[0]!
    for (const radio of radios) radio.tabIndex = radio === focusable ? 0 : -1
  }

  const onOutside = (event: PointerEvent) => {
    if (!element.contains(event.target as Node)) close(false)
  }
  function open(): void {
    menu.hidden = false
    button.setAttribute("aria-expanded", "true")
    document.addEventListener("pointerdown", onOutside)
    radios.find((radio) => radio.tabIndex === 0)?.focus()
  }
  function close(refocus: boolean): void {
    if (menu.hidden) return
    menu.hidden = true
    button.setAttribute("aria-expanded", "false")
    document.removeEventListener("pointerdown", onOutside)
    if (refocus) button.focus()
  }
  const pick = (color: string) => {
    if (color === current) return
    show(color)
    options.onPick(color)
  }

  button.addEventListener("click", () => (menu.hidden ? open() : close(true)))
  for (const [index, radio] of radios.entries()) {
    radio.addEventListener("click", () => {
      pick(palette[index]!.color)
      close(true)
    })
  }
  menu.addEventListener("keydown", (event) => {
    const at = radios.indexOf(document.activeElement as HTMLButtonElement)
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key]
    if (step !== undefined && at >= 0) {
      event.preventDefault()
      const next = (at + step + radios.length) % radios.length
      pick(palette[next]!.color)
      radios[next]!.focus()
    } else if (event.key === "Escape") {
      event.preventDefault()
      close(true)
    }
  })
  // Tabbing out of the open group closes it.
  element.addEventListener("focusout", (event) => {
    if (!element.contains(event.relatedTarget as Node | null)) close(false)
  })

  show(options.color)
  return {
    element,
    setColor: show,
    destroy: () => close(false),
  }
}

/** What {@link assignFreeColour} needs; the editor is either of the two editors' handles. */
export interface ColourAssignmentOptions {
  readonly editor: { status(): EditorStatus; onStatus(listener: (status: EditorStatus) => void): () => void }
  /** Whether a peer is this person: this page, or another tab of the same browser. */
  readonly isMe: (peer: Peer) => boolean
  /** The person's colour now. */
  readonly color: () => string
  /** Whether the person picked their colour themselves: then it is never changed. */
  readonly chosen: () => boolean
  /** Gives the person `color` (stores and publishes it). */
  readonly assign: (color: string) => void
}

/**
 * Whether `a` joined the document before `b`: by the join times they publish, a missing one
 * counting as the earliest, then by client id. Every page orders the same peers the same way,
 * since each reads the same published values.
 */
export function joinedBefore(a: Peer, b: Peer): boolean {
  const at = a.joinedAt ?? 0
  const bt = b.joinedAt ?? 0
  return at !== bt ? at < bt : a.clientId < b.clientId
}

/**
 * The colour `self` should move to, or null to stay. It moves when someone who joined earlier
 * (see {@link joinedBefore}) has its colour, to the first palette colour nobody else has; with
 * every colour taken it stays. The earlier of two people never moves for the later one, so the
 * two never swap back and forth; and a move never lands on anyone's colour, so pages that move
 * at the same moment settle within as many rounds as there are people (colour-picker.test.ts).
 */
export function colourToMoveTo(self: Peer, color: string, peers: readonly Peer[], isMe: (peer: Peer) => boolean): string | null {
  const others = peers.filter((peer) => !isMe(peer))
  const mine = color.toLowerCase()
  if (!others.some((peer) => peer.color.toLowerCase() === mine && joinedBefore(peer, self))) return null
  const colours = others.map((peer) => peer.color.toLowerCase())
  const next = firstFreeColor(colours)
  return colours.includes(next) ? null : next
}

/**
 * Keeps a person who never picked a colour off the colours of people who joined before them:
 * while the page is synced, whenever someone earlier has this person's colour, this person
 * moves (see {@link colourToMoveTo}). Every page applies the same rule to the same published
 * join times, so in a clash the later person moves, whenever either one's presence arrives;
 * there is no window to miss. A picked colour is never changed. Returns a stop function.
 */
export function assignFreeColour(options: ColourAssignmentOptions): () => void {
  let unsubscribe: () => void = () => {}
  let stopped = false
  const stop = () => {
    stopped = true
    unsubscribe()
  }
  const check = (status: EditorStatus) => {
    if (stopped) return
    if (options.chosen()) return stop()
    if (!status.synced) return
    const self = status.peers.find((peer) => peer.self)
    if (!self) return
    const next = colourToMoveTo(self, options.color(), status.peers, options.isMe)
    if (next !== null) options.assign(next)
  }
  unsubscribe = options.editor.onStatus(check)
  check(options.editor.status())
  return stop
}

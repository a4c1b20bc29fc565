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
  /** How long after the first sync a clash is looked for; peers' awareness can come a little after the document. */
  readonly settleMs?: number
}

/**
 * Gives a person who never picked a colour one that nobody else in the document has: once the
 * document has synced, and for `settleMs` after, if someone else has the same colour this
 * person moves to the first free palette colour, once. Only the newcomer moves (the others are
 * past their own window), so two people never swap back and forth. Returns a stop function.
 */
export function assignFreeColour(options: ColourAssignmentOptions): () => void {
  const settleMs = options.settleMs ?? 2000
  let started = false
  let done = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let unsubscribe: () => void = () => {}
  const stop = () => {
    done = true
    clearTimeout(timer)
    unsubscribe()
  }
  const check = (status: EditorStatus) => {
    if (done) return
    if (options.chosen()) return stop()
    if (!started) {
      if (!status.synced) return
      started = true
      timer = setTimeout(stop, settleMs)
    }
    const others = status.peers.filter((peer) => !options.isMe(peer)).map((peer) => peer.color.toLowerCase())
    if (!others.includes(options.color().toLowerCase())) return
    stop()
    options.assign(firstFreeColor(others))
  }
  unsubscribe = options.editor.onStatus(check)
  check(options.editor.status())
  return stop
}

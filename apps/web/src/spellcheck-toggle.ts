import { Compartment, type Extension } from "@codemirror/state"
import type { EditorView } from "@codemirror/view"
import { spellcheckAttribute } from "@tandem/editor"
import { h } from "./dom.js"

const spellcheckKey = "tandem:spellcheck"

/** The remembered choice: on unless this browser switched it off. */
function loadSpellcheck(): boolean {
  try {
    return localStorage.getItem(spellcheckKey) !== "off"
  } catch {
    return true
  }
}

function saveSpellcheck(on: boolean): void {
  try {
    localStorage.setItem(spellcheckKey, on ? "on" : "off")
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
}

/** A header button that switches the editor's spellcheck, see {@link createSpellcheckToggle}. */
export interface SpellcheckToggle {
  /** Goes in the editor's extensions: the `spellcheck` attribute, in a compartment of its own. */
  readonly extension: Extension
  /** A toggle button, `aria-pressed` while spellcheck is on. */
  readonly button: HTMLButtonElement
}

/**
 * The spellcheck switch: remembered per browser (localStorage), on by default. Clicking it
 * reconfigures the compartment in `view()` (called at click time, so the editor can be made after
 * the button) and remembers the choice.
 */
export function createSpellcheckToggle(view: () => EditorView): SpellcheckToggle {
  const compartment = new Compartment()
  let on = loadSpellcheck()
  // On phones only the short mark shows; the word stays the button's name (style.css).
  const button = h(
    "button",
    { type: "button", class: "spellcheck-toggle", "aria-pressed": String(on), title: "Underline misspelt words", "data-testid": "spellcheck" },
    h("span", { class: "spellcheck-mark", "aria-hidden": "true" }, "abc"),
    h("span", { class: "spellcheck-text" }, "Spellcheck"),
  )
  button.addEventListener("click", () => {
    on = !on
    button.setAttribute("aria-pressed", String(on))
    saveSpellcheck(on)
    view().dispatch({ effects: compartment.reconfigure(spellcheckAttribute(on)) })
  })
  return { extension: compartment.of(spellcheckAttribute(on)), button }
}

// @vitest-environment jsdom
import type { EditorStatus, Peer } from "@tandem/editor"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { assignFreeColour, createColourPicker } from "../src/colour-picker.js"
import { palette } from "../src/names.js"

const [red, orange, gold] = palette.map((entry) => entry.color) as [string, string, string]

/** A stand-in for an editor handle: the test sets its status and announces it. */
function fakeEditor(peers: Peer[]) {
  let status = { synced: false, peers } as unknown as EditorStatus
  const listeners = new Set<(status: EditorStatus) => void>()
  return {
    status: () => status,
    onStatus(listener: (status: EditorStatus) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    announce(next: Partial<{ synced: boolean; peers: Peer[] }>) {
      status = { ...status, ...next } as EditorStatus
      for (const listener of listeners) listener(status)
    },
    listeners,
  }
}

const peer = (clientId: number, color: string, self = false): Peer => ({ clientId, name: `P${clientId}`, color, self })

describe("assignFreeColour", () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function setup(color: string, chosen = false) {
    const me = { color, chosen }
    const assigned: string[] = []
    const editor = fakeEditor([peer(1, color, true)])
    assignFreeColour({
      editor,
      isMe: (p) => p.self,
      color: () => me.color,
      chosen: () => me.chosen,
      assign: (next) => {
        assigned.push(next)
        me.color = next
      },
    })
    return { editor, assigned, me }
  }

  it("waits for the first sync, then moves a newcomer off a colour someone has to the first free one", () => {
    const { editor, assigned } = setup(red)
    editor.announce({ peers: [peer(1, red, true), peer(2, red)] })
    expect(assigned).toEqual([])
    editor.announce({ synced: true })
    expect(assigned).toEqual([orange])
    expect(editor.listeners.size).toBe(0)
  })

  it("also catches peers whose awareness arrives a moment after the document", () => {
    const { editor, assigned } = setup(red)
    editor.announce({ synced: true })
    vi.advanceTimersByTime(1000)
    editor.announce({ peers: [peer(1, red, true), peer(2, red), peer(3, orange)] })
    expect(assigned).toEqual([gold])
  })

  it("changes colour once at most, and not for someone arriving later (they move instead)", () => {
    const { editor, assigned, me } = setup(red)
    editor.announce({ synced: true, peers: [peer(1, red, true)] })
    vi.advanceTimersByTime(2000)
    editor.announce({ peers: [peer(1, me.color, true), peer(2, red)] })
    expect(assigned).toEqual([])
    expect(editor.listeners.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it("never changes a colour the person picked", () => {
    const { editor, assigned } = setup(red, true)
    editor.announce({ synced: true, peers: [peer(1, red, true), peer(2, red)] })
    expect(assigned).toEqual([])
  })

  it("does not count other tabs of the same person as a clash", () => {
    const me = { color: red }
    const assigned: string[] = []
    const editor = fakeEditor([])
    assignFreeColour({ editor, isMe: (p) => p.self || p.clientId === 7, color: () => me.color, chosen: () => false, assign: (c) => assigned.push(c) })
    editor.announce({ synced: true, peers: [peer(1, red, true), peer(7, red)] })
    expect(assigned).toEqual([])
  })
})

describe("createColourPicker", () => {
  it("shows the colour, opens a labelled radio group, and picks with arrows and clicks", () => {
    const picks: string[] = []
    const picker = createColourPicker({ color: red, onPick: (color) => picks.push(color) })
    document.body.append(picker.element)
    const button = picker.element.querySelector("button.colour-button") as HTMLButtonElement
    const menu = picker.element.querySelector('[role="radiogroup"]') as HTMLElement
    expect(button.getAttribute("aria-label")).toBe("Your colour: Red")
    expect(menu.getAttribute("aria-label")).toBe("Your colour")
    expect(menu.hidden).toBe(true)

    button.click()
    expect(menu.hidden).toBe(false)
    expect(button.getAttribute("aria-expanded")).toBe("true")
    const radios = [...menu.querySelectorAll<HTMLElement>('[role="radio"]')]
    expect(radios).toHaveLength(palette.length)
    expect(document.activeElement).toBe(radios[0])
    expect(radios.filter((radio) => radio.tabIndex === 0)).toEqual([radios[0]])

    radios[0]!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }))
    expect(picks).toEqual([orange])
    expect(document.activeElement).toBe(radios[1])
    expect(radios[1]!.getAttribute("aria-checked")).toBe("true")
    expect(radios[0]!.getAttribute("aria-checked")).toBe("false")

    radios[1]!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }))
    expect(menu.hidden).toBe(true)
    expect(document.activeElement).toBe(button)

    button.click()
    radios[2]!.click()
    expect(picks).toEqual([orange, gold])
    expect(menu.hidden).toBe(true)
    expect(button.getAttribute("aria-label")).toBe("Your colour: Gold")

    // Set by the page: shown, not reported as a pick.
    picker.setColor(red)
    expect(button.getAttribute("aria-label")).toBe("Your colour: Red")
    expect(picks).toEqual([orange, gold])
    picker.element.remove()
  })
})

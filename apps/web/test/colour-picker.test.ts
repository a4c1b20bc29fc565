// @vitest-environment jsdom
import type { EditorStatus, Peer } from "@tandem/editor"
import { describe, expect, it } from "vitest"
import { assignFreeColour, colourToMoveTo, createColourPicker } from "../src/colour-picker.js"
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

const peer = (clientId: number, color: string, self = false, joinedAt?: number): Peer => ({
  clientId,
  name: `P${clientId}`,
  color,
  self,
  ...(joinedAt !== undefined ? { joinedAt } : {}),
})

describe("assignFreeColour", () => {
  /** This person: client 5, joined at time 100, starting on `color`. */
  function setup(color: string, chosen = false) {
    const me = { color, chosen }
    const assigned: string[] = []
    const editor = fakeEditor([peer(5, color, true, 100)])
    const stop = assignFreeColour({
      editor,
      isMe: (p) => p.self,
      color: () => me.color,
      chosen: () => me.chosen,
      assign: (next) => {
        assigned.push(next)
        me.color = next
      },
    })
    const self = () => peer(5, me.color, true, 100)
    return { editor, assigned, me, self, stop }
  }

  it("waits for the first sync, then moves off the colour of someone who joined earlier, to the first free one", () => {
    const { editor, assigned, self } = setup(red)
    editor.announce({ peers: [self(), peer(2, red, false, 50)] })
    expect(assigned).toEqual([])
    editor.announce({ synced: true })
    expect(assigned).toEqual([orange])
    editor.announce({ peers: [self(), peer(2, red, false, 50)] })
    expect(assigned).toEqual([orange])
  })

  it("stays when someone who joined later has its colour: they move", () => {
    const { editor, assigned } = setup(red)
    editor.announce({ synced: true, peers: [peer(5, red, true, 100), peer(2, red, false, 150)] })
    expect(assigned).toEqual([])
  })

  it("catches an earlier person's colour however late their presence arrives", () => {
    const { editor, assigned, self } = setup(red)
    editor.announce({ synced: true, peers: [self(), peer(3, orange, false, 20)] })
    expect(assigned).toEqual([])
    // Long after the sync (the old rule looked for 2 s only): someone who was here first shows up.
    editor.announce({ peers: [self(), peer(3, orange, false, 20), peer(2, red, false, 50)] })
    expect(assigned).toEqual([gold])
  })

  it("orders equal join times by client id, and a missing join time as the earliest", () => {
    const tie = setup(red)
    tie.editor.announce({ synced: true, peers: [tie.self(), peer(9, red, false, 100)] })
    expect(tie.assigned).toEqual([])
    tie.editor.announce({ peers: [tie.self(), peer(4, red, false, 100)] })
    expect(tie.assigned).toEqual([orange])

    const old = setup(red)
    old.editor.announce({ synced: true, peers: [old.self(), peer(9, red)] })
    expect(old.assigned).toEqual([orange])
  })

  it("stays when every colour is taken", () => {
    const { editor, assigned, self } = setup(red)
    const others = palette.map((entry, i) => peer(10 + i, entry.color, false, 10))
    editor.announce({ synced: true, peers: [self(), ...others] })
    expect(assigned).toEqual([])
  })

  it("never changes a colour the person picked, and stops listening", () => {
    const { editor, assigned } = setup(red, true)
    editor.announce({ synced: true, peers: [peer(5, red, true, 100), peer(2, red, false, 50)] })
    expect(assigned).toEqual([])
    expect(editor.listeners.size).toBe(0)
  })

  it("does not count other tabs of the same person as a clash", () => {
    const me = { color: red }
    const assigned: string[] = []
    const editor = fakeEditor([])
    assignFreeColour({ editor, isMe: (p) => p.self || p.clientId === 7, color: () => me.color, chosen: () => false, assign: (c) => assigned.push(c) })
    editor.announce({ synced: true, peers: [peer(1, red, true, 100), peer(7, red, false, 50)] })
    expect(assigned).toEqual([])
  })

  it("stops when told to", () => {
    const { editor, assigned, self, stop } = setup(red)
    stop()
    editor.announce({ synced: true, peers: [self(), peer(2, red, false, 50)] })
    expect(assigned).toEqual([])
    expect(editor.listeners.size).toBe(0)
  })
})

describe("colourToMoveTo, as every page applies it", () => {
  // Rooms of pages that each apply the rule to the colours they see, in seeded random orders of
  // arrival and moves: they must settle, and on distinct colours while there are enough.
  const seed = Number(process.env.TANDEM_SEED ?? 20261201)
  it(`settles every room on distinct colours, whatever the order of arrival and moves (seed ${seed})`, () => {
    console.log(`colour settling seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    let state = seed >>> 0
    const random = () => {
      // mulberry32
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const below = (n: number) => Math.floor(random() * n)
    for (let room = 0; room < 500; room++) {
      const size = 2 + below(palette.length + 3)
      const people = Array.from({ length: size }, () => ({
        clientId: below(2 ** 32),
        // Few distinct times, so ties happen; some publish none.
        joinedAt: random() < 0.2 ? undefined : below(4),
        // Everyone on one colour, or on random ones.
        color: room % 2 === 0 ? red : palette[below(palette.length)]!.color,
      }))
      // Rounds until one moves nobody. In half the rooms each page decides on what it sees after
      // the moves before it (a random order each round); in the others every page decides on the
      // same view, as when everyone's presence arrives at once, and they all move together.
      const together = room % 4 >= 2
      let rounds = 0
      for (let moved = true; moved; ) {
        moved = false
        expect(++rounds, `room ${room}: still moving`).toBeLessThanOrEqual(size + 1)
        const seen = people.map((p) => p.color)
        const order = people.map((_, i) => i).sort(() => random() - 0.5)
        for (const who of order) {
          const view = people.map((p, i) => peer(p.clientId, together ? seen[i]! : p.color, i === who, p.joinedAt))
          const next = colourToMoveTo(view[who]!, view[who]!.color, view, (p) => p.self)
          if (next === null) continue
          people[who]!.color = next
          moved = true
        }
      }
      for (let i = 0; i < size; i++) {
        const view = people.map((p, j) => peer(p.clientId, p.color, j === i, p.joinedAt))
        expect(colourToMoveTo(view[i]!, people[i]!.color, view, (p) => p.self), `room ${room}: settled`).toBeNull()
      }
      const used = new Set(people.map((p) => p.color)).size
      expect(used, `room ${room} of ${size}`).toBe(Math.min(size, palette.length))
    }
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

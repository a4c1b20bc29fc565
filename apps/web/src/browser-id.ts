import type { Peer } from "@tandem/editor"

const browserIdKey = "tandem:browser-id"
const idPattern = /^[0-9a-f]{32}$/

function randomId(): string {
  // getRandomValues, not randomUUID: the latter exists only on https or localhost pages.
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
}

/**
 * This browser's id: random, made on first use and kept in localStorage, so every tab of the
 * browser publishes the same `user.id` and counts as one person. Where storage is blocked each
 * page gets an id of its own (and counts as a person of its own).
 */
export function browserId(): string {
  try {
    const stored = localStorage.getItem(browserIdKey)
    if (stored !== null && idPattern.test(stored)) return stored
    const id = randomId()
    localStorage.setItem(browserIdKey, id)
    return id
  } catch {
    return randomId()
  }
}

/** One person in the people list: one browser (however many tabs), or one peer without an id. */
export interface Person {
  readonly name: string
  readonly color: string
  /** One of the tabs is this page: the list says "(you)". */
  readonly self: boolean
}

/**
 * The people list for `peers`: the tabs of one browser (same `id`) merge into one entry, shown
 * with this page's name if it is one of them, else the first tab's; peers without an id stay
 * separate. Order is the order of each person's first tab.
 */
export function peopleOf(peers: readonly Peer[]): Person[] {
  const people: Person[] = []
  const byId = new Map<string, number>()
  for (const peer of peers) {
    const at = peer.id === undefined ? undefined : byId.get(peer.id)
    if (at === undefined) {
      if (peer.id !== undefined) byId.set(peer.id, people.length)
      people.push({ name: peer.name, color: peer.color, self: peer.self })
    } else if (peer.self) {
      people[at] = { name: peer.name, color: peer.color, self: true }
    }
  }
  return people
}

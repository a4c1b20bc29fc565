const adjectives = ["amber", "brisk", "calm", "clever", "cosy", "crisp", "eager", "fair", "gentle", "golden", "jolly", "keen", "lucky", "mellow", "merry", "nimble", "quiet", "rapid", "silver", "sunny", "swift", "tidy", "vivid", "witty"]
const nouns = ["badger", "comet", "falcon", "fern", "harbor", "heron", "lantern", "maple", "meadow", "otter", "pebble", "quill", "river", "robin", "sparrow", "spruce", "summit", "thistle", "willow", "wren"]

function pick<T>(items: readonly T[]): T {
  const random = new Uint32Array(1)
  crypto.getRandomValues(random)
  return items[random[0]! % items.length]!
}

/** A readable random document name such as `brisk-otter-482`. */
export function randomDocName(): string {
  const number = new Uint16Array(1)
  crypto.getRandomValues(number)
  return `${pick(adjectives)}-${pick(nouns)}-${100 + (number[0]! % 900)}`
}

/** A colour people can have: their caret, their label's background and their dot in the people list. */
export interface PaletteColor {
  /** What the colour picker calls it. */
  readonly name: string
  /** The colour itself, `#rrggbb`. */
  readonly color: string
  /** The label text on it; editors derive the same by contrast (labelTextColor in @tandem/editor). */
  readonly text: string
}

/**
 * Colours for people. Every one carries its label text at WCAG AA contrast (4.5:1 or more), and
 * as a 2px caret keeps 3:1 against both a white and a dark (#1e1e1e) editor background
 * (names.test.ts checks both).
 */
export const palette: readonly PaletteColor[] = [
  { name: "Red", color: "#d32f2f", text: "#ffffff" },
  { name: "Orange", color: "#b35c00", text: "#ffffff" },
  { name: "Gold", color: "#8a6d00", text: "#ffffff" },
  { name: "Green", color: "#2e7d32", text: "#ffffff" },
  { name: "Teal", color: "#00796b", text: "#ffffff" },
  { name: "Blue", color: "#1a6fd6", text: "#ffffff" },
  { name: "Violet", color: "#7e57c2", text: "#ffffff" },
  { name: "Magenta", color: "#b0379b", text: "#ffffff" },
  { name: "Pink", color: "#d81b60", text: "#ffffff" },
]

/** Whether `color` is one of the palette's (case-insensitive). */
export function inPalette(color: string): boolean {
  return palette.some((entry) => entry.color === color.toLowerCase())
}

/** A random colour from the palette. */
export function randomColor(): string {
  return pick(palette).color
}

/**
 * The first palette colour nobody in `taken` has (compared case-insensitively), or, when all
 * are taken, the least used one (the earliest on a tie), so a big room still spreads out.
 */
export function firstFreeColor(taken: Iterable<string>): string {
  const counts = new Map(palette.map((entry) => [entry.color, 0]))
  for (const color of taken) {
    const key = color.toLowerCase()
    const count = counts.get(key)
    if (count !== undefined) counts.set(key, count + 1)
  }
  let best = palette[0]!.color
  for (const entry of palette) if (counts.get(entry.color)! < counts.get(best)!) best = entry.color
  return best
}

/** A random guest name such as `Guest heron`. */
export function randomUserName(): string {
  return `Guest ${pick(nouns)}`
}

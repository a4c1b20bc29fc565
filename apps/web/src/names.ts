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

/** Colours for people, readable with white text. */
export const palette = ["#d33a2c", "#e07b00", "#b58900", "#2e9d4b", "#138a8a", "#1f6fd1", "#6a4fd8", "#b0379b"] as const

/** A random colour from the palette. */
export function randomColor(): string {
  return pick(palette)
}

/** A random guest name such as `Guest heron`. */
export function randomUserName(): string {
  return `Guest ${pick(nouns)}`
}

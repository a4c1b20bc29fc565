import * as prng from "lib0/prng"
import type * as Y from "yjs"
import { embed } from "../src/collab/text-changes.js"

/**
 * No surrogate pairs: Yjs replaces a pair it splits with U+FFFD without an event (the collab
 * authority reconciles that apart, see splitsSurrogates), which no plain string edit models.
 */
const pieces = ["a", "bc", "def\n", "\n", "xyz ", "é", "long piece of text "]

/**
 * Makes a random edit of `text` (inserts, deletes, embeds, and formatting unless `formats` is
 * false: Yjs keeps no search markers in a text with any) and returns what it does to the text
 * as `indexedText` reads it.
 */
export function randomEdit(gen: prng.PRNG, text: Y.Text, formats = true): (before: string) => string {
  const action = prng.uint32(gen, 0, 99)
  const at = prng.uint32(gen, 0, text.length)
  if (action < 55 || text.length === 0) {
    const piece = prng.oneOf(gen, pieces)
    text.insert(at, piece)
    return (before) => before.slice(0, at) + piece + before.slice(at)
  }
  const from = Math.min(at, text.length - 1)
  if (action < 85 || (!formats && action >= 92)) {
    const count = prng.uint32(gen, 1, Math.min(12, text.length - from))
    text.delete(from, count)
    return (before) => before.slice(0, from) + before.slice(from + count)
  }
  if (action < 92) {
    text.insertEmbed(at, { image: "x" })
    return (before) => before.slice(0, at) + embed + before.slice(at)
  }
  text.format(from, 1, { bold: prng.bool(gen) ? true : null })
  return (before) => before
}

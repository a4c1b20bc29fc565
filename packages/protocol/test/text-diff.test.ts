import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import { applyTextEdits, textChangeSpecs, textDiff, type TextEdit } from "../src/index.js"

/** `edits` applied to `from` as a string, through the same calls Y.Text takes. */
function applied(from: string, edits: readonly TextEdit[]): string {
  let text = from
  applyTextEdits({ insert: (index, s) => (text = text.slice(0, index) + s + text.slice(index)), delete: (index, n) => (text = text.slice(0, index) + text.slice(index + n)) }, edits)
  return text
}

/** Whether `at` falls between the two halves of a surrogate pair of `text`. */
const splitsPair = (text: string, at: number) => at > 0 && at < text.length && /[\uD800-\uDBFF]/.test(text[at - 1]!) && /[\uDC00-\uDFFF]/.test(text[at]!)

/** Every position an edit touches in `from` (where each step starts and ends), for the pair check. */
function touched(edits: readonly TextEdit[]): number[] {
  const at: number[] = []
  let pos = 0
  for (const edit of edits) {
    if (edit.op === "keep") pos += edit.length
    else if (edit.op === "delete") at.push(pos, (pos += edit.length))
    else at.push(pos)
  }
  return at
}

/** Half a surrogate pair, alone. */
const lonePair = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const seed = Number(process.env.TANDEM_SEED ?? 1)

describe("text diff", () => {
  it("turns one text into the other exactly, never splitting a surrogate pair", () => {
    const cases: Array<[string, string]> = [
      ["a😀b", "a😁b"],
      ["😀😀", "😀"],
      ["line\r\nnext", "line\r\nnext\r\nmore"],
      ["nai\u0308ve", "naive"],
      ["", "👍🏽"],
      ["same", "same"],
      ["gone", ""],
    ]
    for (const [from, to] of cases) {
      const edits = textDiff(from, to)
      expect(applied(from, edits)).toBe(to)
      for (const at of touched(edits)) expect(splitsPair(from, at), `${JSON.stringify(from)} split at ${at}`).toBe(false)
    }
    expect(textDiff("same", "same")).toEqual([{ op: "keep", length: 4 }])
  })

  it(`does so for random edits of random texts (seed ${seed})`, () => {
    console.log(`text diff seed: ${seed}`)
    const gen = prng.create(seed)
    const alphabet = ["a", "b", " ", "\n", "\r\n", "é", "😀", "😁", "👍🏽"]
    const word = (n: number) => Array.from({ length: n }, () => prng.oneOf(gen, alphabet)).join("")
    let checked = 0
    for (let i = 0; i < 500; i++) {
      const from = word(prng.uint32(gen, 0, 40))
      let to = from
      for (let k = prng.uint32(gen, 0, 4); k > 0; k--) {
        const at = prng.uint32(gen, 0, to.length)
        to = to.slice(0, at) + word(prng.uint32(gen, 0, 5)) + to.slice(at + prng.uint32(gen, 0, 6))
      }
      // Random cuts can leave half a pair; the diff must still give `to` back exactly, and split
      // no pair of `from` when `to` has no half pair either.
      const edits = textDiff(from, to)
      expect(applied(from, edits), `${JSON.stringify(from)} -> ${JSON.stringify(to)}`).toBe(to)
      if (lonePair.test(to)) continue
      checked++
      for (const at of touched(edits)) expect(splitsPair(from, at), `${JSON.stringify(from)} -> ${JSON.stringify(to)} split at ${at}`).toBe(false)
    }
    expect(checked).toBeGreaterThan(100)
  })

  it("gives CodeMirror change specs at positions in the old text", () => {
    expect(textChangeSpecs(textDiff("abcdef", "aXcdeY"))).toEqual([
      { from: 1, to: 2 },
      { from: 2, insert: "X" },
      { from: 5, to: 6 },
      { from: 6, insert: "Y" },
    ])
  })
})

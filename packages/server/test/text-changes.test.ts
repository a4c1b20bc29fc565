import { ChangeSet } from "@codemirror/state"
import { describe, expect, it } from "vitest"
import { lineSeparator, splitsSurrogates, textOf } from "../src/collab/text-changes.js"

const high = "\uD83D"
const low = "\uDE00"
const isHigh = (c: string | undefined) => c !== undefined && c >= "\uD800" && c <= "\uDBFF"
const isLow = (c: string | undefined) => c !== undefined && c >= "\uDC00" && c <= "\uDFFF"

/** The rule on a plain string: a half of a pair without its other half right at `pos`. */
function loneAtReference(text: string, pos: number): boolean {
  const before = pos > 0 ? text[pos - 1] : undefined
  const after = text[pos]
  return (isHigh(before) && !isLow(after)) || (isLow(after) && !isHigh(before))
}

describe("splitsSurrogates", () => {
  it("finds a lone half at either edge of every change, as on a plain string, ends of the document included", () => {
    // Every document of up to 4 code units from these, every insert of one of them at every
    // position: the edges fall at the start, the end and between every two units.
    const units = ["a", high, low]
    const documents = [""]
    for (let n = 0; n < 4; n++) for (const d of documents.filter((d) => d.length === n)) for (const u of units) documents.push(d + u)
    let checked = 0
    let found = 0
    for (const before of documents) {
      for (let at = 0; at <= before.length; at++) {
        for (const insert of units) {
          const changes = ChangeSet.of([{ from: at, insert }], before.length, lineSeparator)
          const after = before.slice(0, at) + insert + before.slice(at)
          const expected = loneAtReference(after, at) || loneAtReference(after, at + 1)
          expect(splitsSurrogates(changes, textOf(after)), JSON.stringify({ before, at, insert })).toBe(expected)
          checked++
          if (expected) found++
        }
      }
    }
    // Both answers occur, so the comparison says something.
    expect(checked).toBeGreaterThan(500)
    expect(found).toBeGreaterThan(100)
    expect(checked - found).toBeGreaterThan(100)
  })
})

import { ChangeSet } from "@codemirror/state"
import { describe, expect, it } from "vitest"
import { diffChanges, rebaseOnto } from "../src/index.js"
import { textOf } from "../src/ot/rebase.js"

const insert = (length: number, from: number, text: string) => ChangeSet.of({ from, insert: text }, length, "\n")

describe("rebasing unconfirmed changes onto a document sent whole", () => {
  it("diffs by code point and keeps CRLF as two code units", () => {
    const cases: Array<[string, string]> = [
      ["a😀b", "a😁b"],
      ["line\r\nnext", "line\r\nnext\r\nmore"],
      ["nai\u0308ve", "naive"],
      ["", "👍🏽"],
      ["same", "same"],
    ]
    for (const [from, to] of cases) {
      const changes = diffChanges(from, to)
      expect(changes.apply(textOf(from)).toString()).toBe(to)
      changes.iterChanges((fromA, toA) => {
        for (const at of [fromA, toA]) {
          const code = from.charCodeAt(at)
          expect(at > 0 && code >= 0xdc00 && code <= 0xdfff, `${JSON.stringify(from)} split at ${at}`).toBe(false)
        }
      })
    }
  })

  it("makes local changes again on a document others changed", () => {
    const ours = rebaseOnto(textOf("hello"), [insert(5, 5, " world")], 0, "well, hello")
    expect(ours?.apply(textOf("well, hello")).toString()).toBe("well, hello world")
  })

  it("does not make again a push the server applied before the connection dropped", () => {
    const pending = [insert(3, 3, "X"), insert(4, 0, ">")]
    const ours = rebaseOnto(textOf("abc"), pending, 1, "abcX!")
    expect(ours?.apply(textOf("abcX!")).toString()).toBe(">abcX!")
  })

  it("makes again a push the server never got, after what others put at the same place", () => {
    const ours = rebaseOnto(textOf("abc"), [insert(3, 3, "X")], 1, "abc!")
    // As receiveUpdates orders them: the server's first, then the local change.
    expect(ours?.apply(textOf("abc!")).toString()).toBe("abc!X")
  })

  it("has nothing to make when nothing is pending", () => {
    expect(rebaseOnto(textOf("abc"), [], 0, "xyz")).toBeNull()
  })
})

import { ChangeSet } from "@codemirror/state"
import { ProtocolError, type CollabUpdate } from "@tandem/protocol"
import { describe, expect, it } from "vitest"
import { readPush } from "../src/collab/collab-push.js"
import { lineSeparator, textOf } from "../src/collab/text-changes.js"

/** An update as a client sends it: `changes` made on a document of `length` code units. */
const update = (clientID: string, length: number, spec: { from: number; to?: number; insert?: string }): CollabUpdate => ({
  clientID,
  changes: ChangeSet.of([spec], length, lineSeparator).toJSON() as CollabUpdate["changes"],
})

/** The ProtocolError `fn` throws, or a failure when it throws none. */
function refusal(fn: () => unknown): ProtocolError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return error as ProtocolError
  }
  throw new Error("expected a ProtocolError")
}

describe("readPush", () => {
  it("reads each update on top of the one before it, keeping the pusher's ids in order", () => {
    const text = textOf("hello")
    // The second update is made on "hello world" (11 units), not on "hello" (5).
    const push = readPush(text, [update("a", 5, { from: 5, insert: " world" }), update("b", 11, { from: 0, to: 1, insert: "J" })])
    expect(push.after.toString()).toBe("Jello world")
    expect(push.entries.map((entry) => entry.clientID)).toEqual(["a", "b"])
    expect(push.entries.map((entry) => entry.changes.length)).toEqual([5, 11])
    // The JSON sent on to other clients is the changes as pushed.
    expect(push.entries[0]!.json).toEqual(update("a", 5, { from: 5, insert: " world" }))
    expect(push.bytes).toBeGreaterThanOrEqual(" world".length + "J".length)
    expect(push.splits).toBe(false)
    // The text it was read against is left as it was.
    expect(text.toString()).toBe("hello")
  })

  it("refuses an update made on the text before the push's earlier updates", () => {
    const error = refusal(() => readPush(textOf("hello"), [update("a", 5, { from: 5, insert: "!" }), update("a", 5, { from: 0, insert: "?" })]))
    expect(error.code).toBe("malformed")
    expect(error.message).toMatch(/do not fit/)
  })

  it("refuses changes that do not decode, and changes between the halves of a surrogate pair", () => {
    expect(refusal(() => readPush(textOf("ab"), [{ clientID: "a", changes: [[1, 2]] as unknown as CollabUpdate["changes"] }])).message).toMatch(/do not decode/)
    const pair = "\uD83D\uDE00"
    const error = refusal(() => readPush(textOf(`a${pair}b`), [update("a", 4, { from: 2, insert: "x" })]))
    expect(error.code).toBe("malformed")
    expect(error.message).toMatch(/surrogate pair/)
  })

  it("says when an update leaves half of a surrogate pair at one of its edges", () => {
    // Inserting a lone high half before "b": Yjs would hold U+FFFD there, so the authority reconciles.
    const push = readPush(textOf("ab"), [update("a", 2, { from: 1, insert: "\uD83D" })])
    expect(push.splits).toBe(true)
    expect(push.after.length).toBe(3)
  })
})

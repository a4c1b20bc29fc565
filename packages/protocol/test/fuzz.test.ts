import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { decodeMessages, encodeUpdate } from "../src/index.js"

const seed = Number(process.env.TANDEM_SEED ?? 1)

describe("update validation under fuzzing", () => {
  it(`never lets Yjs throw half way through an update it accepted (seed ${seed})`, () => {
    console.log(`update fuzz seed: ${seed}`)
    const gen = prng.create(seed)
    const base = new Y.Doc()
    base.clientID = 7
    const text = base.getText("content")
    text.insert(0, "hello world")
    text.delete(2, 3)
    text.insert(4, "abc")
    const other = new Y.Doc()
    other.clientID = 9
    Y.applyUpdate(other, Y.encodeStateAsUpdate(base))
    other.getText("content").insert(3, "XYZ")
    other.getText("content").delete(0, 2)
    other.getMap("meta").set("k", { a: 1 })
    const seeds = [Y.encodeStateAsUpdate(base), Y.encodeStateAsUpdate(other), Y.encodeStateAsUpdate(other, Y.encodeStateVector(base))]
    const baseState = Y.encodeStateAsUpdate(base)
    let accepted = 0
    for (let i = 0; i < 20_000; i++) {
      const update = prng.oneOf(gen, seeds).slice()
      for (let flips = prng.int32(gen, 1, 3); flips > 0; flips--) {
        const bit = prng.int32(gen, 0, update.length * 8 - 1)
        update[bit >> 3]! ^= 1 << (bit & 7)
      }
      let message
      try {
        ;[message] = decodeMessages(encodeUpdate(update))
      } catch {
        continue
      }
      accepted++
      const doc = new Y.Doc()
      Y.applyUpdate(doc, baseState)
      expect(() => Y.applyUpdate(doc, message!.type === "update" ? message!.update : update), `seed ${seed}, update ${Buffer.from(update).toString("hex")}`).not.toThrow()
    }
    expect(accepted).toBeGreaterThan(1000)
  })

  it("refuses structs that refer to themselves and empty deletions, which make Yjs throw", () => {
    // Found by the fuzzer above: each of these threw inside Y.applyUpdate after part of it applied.
    const selfReference = "01036500040107636f6e74656e740454686520816503068465492162726f776e20666f78206a756d7073206f76657220746865206c617a7920646f670165010406"
    const emptyDeletion =
      "00020900c4070d07060358595a2801016d016b01760101617d01050700010107636f6e74656e740584070401208407050177840706046f726c64cc07060707036162630107010005"
    for (const hex of [selfReference, emptyDeletion]) {
      expect(() => decodeMessages(encodeUpdate(new Uint8Array(Buffer.from(hex, "hex"))))).toThrow(/refers to itself|empty deletion/)
    }
  })
})

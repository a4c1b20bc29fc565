import * as prng from "lib0/prng"
import { describe, expect, it } from "vitest"
import * as Y from "yjs"
import { ProtocolError, validateUpdate, type UpdateSummary } from "../src/index.js"

const seed = Number(process.env.TANDEM_SEED ?? 1)
// CI runs a modest number; `TANDEM_FUZZ_FRAMES=1000000` runs the full campaign.
const frames = Number(process.env.TANDEM_FUZZ_FRAMES ?? 30_000)

/** What the server did before the walker: decode every struct with Yjs, then check. The reference. */
function decodeAndCheck(update: Uint8Array): UpdateSummary {
  const decoded = Y.decodeUpdate(update)
  const clocks = new Map<number, { from: number; to: number }>()
  let gaps = false
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) {
      gaps = true
      continue
    }
    const { client, clock } = struct.id
    if (struct.length < 1) throw new Error("empty struct")
    if (struct instanceof Y.Item) {
      for (const ref of [struct.origin, struct.rightOrigin, struct.parent]) {
        if (ref instanceof Y.ID && ref.client === client && ref.clock >= clock) throw new Error("self reference")
      }
    }
    const range = clocks.get(client)
    const end = clock + struct.length
    if (!range) clocks.set(client, { from: clock, to: end })
    else {
      range.from = Math.min(range.from, clock)
      range.to = Math.max(range.to, end)
    }
  }
  const deletes: Array<{ client: number; clock: number; length: number }> = []
  for (const [client, items] of decoded.ds.clients) {
    for (const item of items) {
      if (item.len < 1) throw new Error("empty deletion")
      deletes.push({ client, clock: item.clock, length: item.len })
    }
  }
  return { clocks, deletes, gaps }
}

const comparable = (summary: UpdateSummary) => ({
  clocks: [...summary.clocks].sort((a, b) => a[0] - b[0]),
  deletes: [...summary.deletes].sort((a, b) => a.client - b.client || a.clock - b.clock || a.length - b.length),
  gaps: summary.gaps,
})

/** Updates with every kind of content Yjs writes: text (astral and combining), formats, embeds, maps, arrays, XML, binary, JSON, subdocuments, deletions. */
function corpus(): Uint8Array[] {
  const a = new Y.Doc()
  a.clientID = 11
  const text = a.getText("content")
  text.insert(0, "hello wörld 👋🏽 e\u0301 \r\n שלום")
  text.format(0, 5, { bold: true })
  text.insertEmbed(3, { image: "x.png" })
  text.delete(2, 4)
  const map = a.getMap("meta")
  map.set("title", "Notes")
  map.set("n", 42)
  map.set("f", 1.5)
  map.set("big", 2 ** 60)
  map.set("nested", { list: [1, "two", null, true, { deep: [new Uint8Array([1, 2])] }] })
  map.set("bin", new Uint8Array([0, 255, 7]))
  map.set("sub", new Y.Doc({ guid: "child" }))
  map.set("gone", "x")
  map.delete("gone")
  const array = a.getArray<unknown>("chat")
  array.push([{ id: "1", text: "hi" }, "plain", -7])
  array.delete(1, 1)
  const xml = a.getXmlFragment("xml")
  const element = new Y.XmlElement("p")
  element.setAttribute("class", "lead")
  element.insert(0, [new Y.XmlText("inside")])
  xml.insert(0, [element, new Y.XmlText("after")])
  const b = new Y.Doc()
  b.clientID = 12
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  b.getText("content").insert(1, "B")
  b.getText("content").delete(0, 1)
  const updates = [Y.encodeStateAsUpdate(a), Y.encodeStateAsUpdate(b), Y.encodeStateAsUpdate(b, Y.encodeStateVector(a))]
  // Legacy JSON content (ContentJSON), as old clients wrote it: the struct of a map entry in a hand-made update.
  const c = new Y.Doc()
  c.clientID = 13
  c.getText("content").insert(0, "x")
  updates.push(Y.mergeUpdates([Y.encodeStateAsUpdate(c), updates[1]!]))
  return updates
}

function mutate(gen: prng.PRNG, update: Uint8Array): Uint8Array {
  const out = update.slice()
  const op = prng.int32(gen, 0, 9)
  if (op < 6) {
    for (let flips = prng.int32(gen, 1, 3); flips > 0; flips--) {
      const bit = prng.int32(gen, 0, out.length * 8 - 1)
      out[bit >> 3]! ^= 1 << (bit & 7)
    }
    return out
  }
  if (op < 8) {
    out[prng.int32(gen, 0, out.length - 1)] = prng.int32(gen, 0, 255)
    return out
  }
  // Cut short, or with a stretch repeated.
  const at = prng.int32(gen, 0, out.length - 1)
  return op === 8 ? out.subarray(0, at) : new Uint8Array([...out.subarray(0, at), ...out.subarray(at - Math.min(at, 5))])
}

describe("the update walker", () => {
  it("reads every kind of content exactly as decoding with Yjs does", () => {
    for (const update of corpus()) expect(comparable(validateUpdate(update))).toEqual(comparable(decodeAndCheck(update)))
  })

  it("reports, when asked, the latest struct of each other client that the structs refer to", () => {
    for (const update of corpus()) {
      const expected = new Map<number, number>()
      for (const struct of Y.decodeUpdate(update).structs) {
        if (!(struct instanceof Y.Item)) continue
        const parent = struct.parent instanceof Y.ID ? struct.parent : null
        for (const id of [struct.origin, struct.rightOrigin, parent]) {
          if (id && id.client !== struct.id.client) expected.set(id.client, Math.max(expected.get(id.client) ?? 0, id.clock + 1))
        }
      }
      expect(validateUpdate(update, { references: true }).references).toEqual(expected)
      expect(validateUpdate(update).references).toBeUndefined()
    }
    // Two writers, the second after the first's text: it needs the first's structs.
    const first = new Y.Doc()
    first.getText("t").insert(0, "abc")
    const second = new Y.Doc()
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first))
    second.getText("t").insert(3, "d")
    const summary = validateUpdate(Y.encodeStateAsUpdate(second, Y.encodeStateVector(first)), { references: true })
    expect(summary.references).toEqual(new Map([[first.clientID, 3]]))
  })

  it(`accepts only what Yjs decodes, with the same summary, over ${frames} mutated updates (seed ${seed})`, () => {
    console.log(`update walker fuzz seed: ${seed}, frames: ${frames} (rerun with TANDEM_SEED=${seed} TANDEM_FUZZ_FRAMES=${frames})`)
    const gen = prng.create(seed)
    const updates = corpus()
    let accepted = 0
    const stricter: string[] = []
    for (let i = 0; i < frames; i++) {
      const update = mutate(gen, prng.oneOf(gen, updates))
      let reference: UpdateSummary | null = null
      try {
        reference = decodeAndCheck(update)
      } catch {
        reference = null
      }
      let walked: UpdateSummary | null = null
      let refusal = ""
      try {
        walked = validateUpdate(update)
      } catch (error) {
        // Anything but a ProtocolError is a bug in the walker.
        if (!(error instanceof ProtocolError)) throw error
        refusal = error.message
      }
      const hex = () => Buffer.from(update).toString("hex")
      if (walked === null) {
        if (reference !== null) stricter.push(`${refusal}: ${hex()}`)
        continue
      }
      accepted++
      expect(reference, `seed ${seed}, frame ${i}: walker accepted what Yjs does not decode: ${hex()}`).not.toBeNull()
      expect(comparable(walked), `seed ${seed}, frame ${i}: ${hex()}`).toEqual(comparable(reference!))
    }
    const reasons = new Map<string, number>()
    for (const entry of stricter) reasons.set(entry.split(":")[0]!, (reasons.get(entry.split(":")[0]!) ?? 0) + 1)
    console.log(`accepted ${accepted}; refused though Yjs decodes them: ${stricter.length}`, Object.fromEntries(reasons))
    expect(accepted).toBeGreaterThan(frames / 20)
    // Refusing more than Yjs is safe (the walker refuses subdocument options that are not an
    // object, which Yjs may throw on while applying), but only there: a real client's update is
    // never refused.
    expect(stricter.filter((entry) => !entry.startsWith("subdocument options")), stricter.slice(0, 3).join("\n")).toEqual([])
  }, Math.max(60_000, frames / 5))
})

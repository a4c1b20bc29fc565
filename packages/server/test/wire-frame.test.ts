import type { EventEmitter } from "node:events"
import { createRequire } from "node:module"
import { describe, expect, it } from "vitest"
import { wireFrame } from "../src/node/wire-frame.js"

// ws's frame parser, which its type declarations leave out.
const { Receiver } = createRequire(import.meta.url)("ws") as {
  Receiver: new (options: { isServer: boolean; binaryType: string; maxPayload: number }) => EventEmitter & { write(chunk: Buffer): void }
}

/** What ws's own parser, as a client runs it, reads from `bytes`. */
function parse(bytes: Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false, binaryType: "nodebuffer", maxPayload: 0 })
    receiver.on("message", (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }))
    receiver.on("error", reject)
    receiver.write(bytes)
  })
}

describe("wire frames", () => {
  // Each side of the three length encodings: 7 bits, 16 bits, 64 bits.
  for (const length of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
    it(`frames a ${length}-byte payload as ws reads it`, async () => {
      const payload = new Uint8Array(length).map((_, i) => (i * 7) & 0xff)
      const { data, isBinary } = await parse(wireFrame(payload))
      expect(isBinary).toBe(true)
      expect(Buffer.compare(data, Buffer.from(payload))).toBe(0)
    })
  }

  it("frames a payload sent to many peers once, and a new payload anew", () => {
    const first = new Uint8Array([1, 2, 3])
    expect(wireFrame(first)).toBe(wireFrame(first))
    expect([...wireFrame(new Uint8Array([4]))]).toEqual([0x82, 1, 4])
  })

  it("frames the collab protocol's JSON as text, and never hands out a binary frame of the same bytes for it", async () => {
    const json = new TextEncoder().encode('{"type":"updates","text":"é😀"}')
    const binary = wireFrame(json)
    const text = wireFrame(json, true)
    expect(text[0]).toBe(0x81)
    expect(binary[0]).toBe(0x82)
    const parsed = await parse(text)
    expect(parsed.isBinary).toBe(false)
    expect(parsed.data.toString("utf8")).toBe('{"type":"updates","text":"é😀"}')
  })
})

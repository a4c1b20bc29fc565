import type { EventEmitter } from "node:events"
import { createRequire } from "node:module"
import { PassThrough } from "node:stream"
import { describe, expect, it } from "vitest"
import { FrameWriter, wireFrame } from "../src/node/wire-frame.js"

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
    const writer = new FrameWriter()
    const first = new Uint8Array([1, 2, 3])
    expect(writer.frame(first, false)).toBe(writer.frame(first, false))
    expect([...writer.frame(new Uint8Array([4]), false)]).toEqual([0x82, 1, 4])
  })

  it("frames the collab protocol's JSON as text, and never hands out a binary frame of the same bytes for it", async () => {
    const json = new TextEncoder().encode('{"type":"updates","text":"é😀"}')
    const writer = new FrameWriter()
    const binary = writer.frame(json, false)
    const text = writer.frame(json, true)
    expect(text[0]).toBe(0x81)
    expect(binary[0]).toBe(0x82)
    const parsed = await parse(text)
    expect(parsed.isBinary).toBe(false)
    expect(parsed.data.toString("utf8")).toBe('{"type":"updates","text":"é😀"}')
  })
})

describe("frame writers", () => {
  it("frame a payload once for the peers it goes to in a row, and keep nothing between two writers", () => {
    const a = new FrameWriter()
    const b = new FrameWriter()
    const payload = new Uint8Array([1, 2, 3])
    expect(a.frame(payload, false)).toBe(a.frame(payload, false))
    expect(a.frame(payload, true)).not.toBe(a.frame(new Uint8Array([1, 2, 3]), true))
    // Another transport's writer frames its own copy.
    const framed = a.frame(payload, false)
    expect(b.frame(payload, false)).not.toBe(framed)
    expect(Buffer.compare(b.frame(payload, false), framed)).toBe(0)
  })

  it("write small and large payloads to a socket as the frames ws reads, large ones without copying them into the frame", async () => {
    const writer = new FrameWriter()
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on("data", (chunk: Buffer) => chunks.push(chunk))
    const small = new Uint8Array([9, 8, 7])
    const large = new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff)
    writer.write(out, small, false)
    writer.write(out, large.subarray(10), false)
    // Corked until the end of this stretch of code, then written.
    await new Promise((resolve) => process.nextTick(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    const bytes = Buffer.concat(chunks)
    const smallFrame = wireFrame(small)
    expect(Buffer.compare(bytes.subarray(0, smallFrame.byteLength), smallFrame)).toBe(0)
    const parsed = await parse(bytes.subarray(smallFrame.byteLength))
    expect(parsed.isBinary).toBe(true)
    expect(Buffer.compare(parsed.data, Buffer.from(large.subarray(10)))).toBe(0)
  })
})

import * as decoding from "lib0/decoding"
import * as encoding from "lib0/encoding"
import { describe, expect, it } from "vitest"
import * as authProtocol from "y-protocols/auth"
import * as awarenessProtocol from "y-protocols/awareness"
import * as syncProtocol from "y-protocols/sync"
import * as Y from "yjs"
import {
  CloseCode,
  ProtocolError,
  decodeMessages,
  encodeAwareness,
  encodeAwarenessEntries,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from "../src/index.js"

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"))

/** A fixed update: client 1 inserted "hi" into the text "content". */
function fixedUpdate(): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 1
  doc.getText("content").insert(0, "hi")
  return Y.encodeStateAsUpdate(doc)
}

/** What y-protocols itself writes, for wire compatibility. */
function stockFrame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

describe("encoding", () => {
  it("writes sync messages byte for byte as y-protocols does", () => {
    const doc = new Y.Doc()
    doc.clientID = 1
    doc.getText("content").insert(0, "hi")
    const update = fixedUpdate()
    expect(hex(encodeSyncStep1(Y.encodeStateVector(doc)))).toBe(
      hex(stockFrame((e) => (encoding.writeVarUint(e, 0), syncProtocol.writeSyncStep1(e, doc)))),
    )
    expect(hex(encodeSyncStep2(update))).toBe(hex(stockFrame((e) => (encoding.writeVarUint(e, 0), syncProtocol.writeSyncStep2(e, doc)))))
    expect(hex(encodeUpdate(update))).toBe(hex(stockFrame((e) => (encoding.writeVarUint(e, 0), syncProtocol.writeUpdate(e, update)))))
  })

  it("writes the auth and awareness messages as y-protocols reads them", () => {
    let denied = ""
    const decoder = decoding.createDecoder(encodePermissionDenied("read-only"))
    expect(decoding.readVarUint(decoder)).toBe(2)
    authProtocol.readAuthMessage(decoder, new Y.Doc(), (_doc, reason) => (denied = reason))
    expect(denied).toBe("read-only")
    expect([...encodeQueryAwareness()]).toEqual([3])
  })

  it("writes each side of the payload length's byte counts as lib0 does", () => {
    for (const length of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152]) {
      const payload = new Uint8Array(length).map((_, i) => i & 0xff)
      for (const [encode, tag] of [[encodeSyncStep1, 0], [encodeSyncStep2, 1], [encodeUpdate, 2]] as const) {
        const stock = encoding.createEncoder()
        encoding.writeVarUint(stock, 0)
        encoding.writeVarUint(stock, tag)
        encoding.writeVarUint8Array(stock, payload)
        expect(Buffer.compare(Buffer.from(encode(payload)), Buffer.from(encoding.toUint8Array(stock))), `length ${length}, tag ${tag}`).toBe(0)
      }
    }
  })

  it("keeps the golden frames recorded with y-protocols 1.0.7 and Yjs 13.6", () => {
    // Recorded once: if these bytes change, deployed clients and servers stop understanding us.
    const update = fixedUpdate()
    expect(hex(update)).toBe("01010100040107636f6e74656e7402686900")
    expect(hex(encodeSyncStep1(fromHex("010102")))).toBe("000003010102")
    expect(hex(encodeSyncStep2(update))).toBe("00011201010100040107636f6e74656e7402686900")
    expect(hex(encodeUpdate(update))).toBe("00021201010100040107636f6e74656e7402686900")
    expect(hex(encodePermissionDenied("read-only"))).toBe("020009726561642d6f6e6c79")
    const decoded = decodeMessages(fromHex("00021201010100040107636f6e74656e7402686900"))
    const doc = new Y.Doc()
    for (const message of decoded) if (message.type === "update") Y.applyUpdate(doc, message.update)
    expect(doc.getText("content").toString()).toBe("hi")
  })
})

describe("decodeMessages", () => {
  it("round-trips every message type", () => {
    const update = fixedUpdate()
    const stateVector = Y.encodeStateVector(new Y.Doc())
    const awarenessDoc = new Y.Doc()
    awarenessDoc.clientID = 7
    const awareness = new awarenessProtocol.Awareness(awarenessDoc)
    awareness.setLocalState({ user: { name: "Ada", color: "#f00" } })
    const awarenessUpdate = awarenessProtocol.encodeAwarenessUpdate(awareness, [7])
    awareness.destroy()

    expect(decodeMessages(encodeSyncStep1(stateVector))).toEqual([{ type: "sync-step-1", stateVector }])
    const summary = { clocks: new Map([[1, { from: 0, to: 2 }]]), deletes: [], gaps: false, references: new Map() }
    expect(decodeMessages(encodeSyncStep2(update))).toEqual([{ type: "sync-step-2", update, summary }])
    expect(decodeMessages(encodeUpdate(update))).toEqual([{ type: "update", update, summary }])
    expect(decodeMessages(encodeQueryAwareness())).toEqual([{ type: "query-awareness" }])
    expect(decodeMessages(encodePermissionDenied("no"))).toEqual([{ type: "permission-denied", reason: "no" }])
    expect(decodeMessages(encodeAwareness(awarenessUpdate))).toEqual([
      {
        type: "awareness",
        update: awarenessUpdate,
        entries: [{ clientId: 7, clock: 1, state: { user: { name: "Ada", color: "#f00" } }, bytes: 38 }],
      },
    ])
  })

  it("summarises the clock ranges and deletions an update carries", () => {
    const doc = new Y.Doc()
    doc.clientID = 5
    const text = doc.getText("content")
    text.insert(0, "abcdef")
    text.delete(1, 2)
    const [message] = decodeMessages(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    expect(message?.type === "update" && message.summary).toEqual({
      clocks: new Map([[5, { from: 0, to: 6 }]]),
      deletes: [{ client: 5, clock: 1, length: 2 }],
      gaps: false,
      references: new Map(),
    })
  })

  it("says when an update leaves a gap in a client's clocks", () => {
    const doc = new Y.Doc()
    doc.clientID = 5
    const updates: Uint8Array[] = []
    doc.on("update", (update: Uint8Array) => updates.push(update))
    const text = doc.getText("content")
    for (const char of "abc") text.insert(text.length, char)
    // The first and the last edit merged: clock 1 is missing, which Yjs writes as a Skip.
    const [message] = decodeMessages(encodeUpdate(Y.mergeUpdates([updates[0]!, updates[2]!])))
    expect(message?.type === "update" && message.summary.gaps).toBe(true)
    expect(message?.type === "update" && message.summary.clocks).toEqual(new Map([[5, { from: 0, to: 3 }]]))
  })

  it("re-encodes awareness entries as y-protocols reads them", () => {
    const entries = [
      { clientId: 3, clock: 4, state: { user: { name: "B" } }, bytes: JSON.stringify({ user: { name: "B" } }).length },
      { clientId: 9, clock: 2, state: null, bytes: 4 },
    ]
    const [message] = decodeMessages(encodeAwareness(encodeAwarenessEntries(entries)))
    expect(message?.type === "awareness" && message.entries).toEqual(entries)
  })

  it("reads several messages sent back to back in one frame", () => {
    const update = fixedUpdate()
    const frame = new Uint8Array([...encodeUpdate(update), ...encodeQueryAwareness()])
    expect(decodeMessages(frame).map((m) => m.type)).toEqual(["update", "query-awareness"])
  })

  it("rejects every truncation of a valid update frame", () => {
    const frame = encodeUpdate(fixedUpdate())
    for (let length = 0; length < frame.length; length++) {
      expect(() => decodeMessages(frame.subarray(0, length)), `length ${length}`).toThrow(ProtocolError)
    }
  })

  it("rejects unknown tags, bad state vectors, bad JSON and bad updates with 1007", () => {
    const cases: Record<string, Uint8Array> = {
      "empty frame": new Uint8Array(0),
      "unknown tag": new Uint8Array([9]),
      "unknown sync tag": new Uint8Array([0, 7, 0]),
      "unknown auth tag": new Uint8Array([2, 5]),
      "state vector": new Uint8Array([0, 0, 2, 5, 0xff]),
      "awareness JSON": encodeAwareness(stockFrame((e) => {
        encoding.writeVarUint(e, 1)
        encoding.writeVarUint(e, 1)
        encoding.writeVarUint(e, 1)
        encoding.writeVarString(e, "{not json")
      })),
      "update garbage": encodeUpdate(new Uint8Array([5, 200, 1, 9, 9, 9])),
      "length past the end": fromHex("0002ff01"),
    }
    for (const [name, frame] of Object.entries(cases)) {
      let caught: unknown
      try {
        decodeMessages(frame)
      } catch (error) {
        caught = error
      }
      expect(caught, name).toBeInstanceOf(ProtocolError)
      expect((caught as ProtocolError).closeCode, name).toBe(CloseCode.Malformed)
    }
  })

  it("never reads past the end of a frame that is a view on a larger buffer", () => {
    // A frame claiming 4 bytes of update, with real bytes after it in the same ArrayBuffer.
    const backing = new Uint8Array([0, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(() => decodeMessages(backing.subarray(0, 4))).toThrow(ProtocolError)
  })
})

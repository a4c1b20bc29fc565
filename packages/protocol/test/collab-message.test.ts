import { describe, expect, it } from "vitest"
import {
  ProtocolError,
  decodeCollabClientMessage,
  decodeCollabServerMessage,
  encodeCollabClientMessage,
  encodeCollabServerMessage,
  type CollabClientMessage,
  type CollabServerMessage,
} from "../src/index.js"

describe("collab messages", () => {
  it("round-trip every client and server message", () => {
    const client: CollabClientMessage[] = [
      { type: "hello", epoch: null, version: null },
      { type: "hello", epoch: "e1", version: 7 },
      { type: "push", version: 3, updates: [{ clientID: "abc", changes: [2, [1, "x\r", "y"], [3], 4] }] },
      { type: "presence", version: 3, user: { name: "Ada", color: "#d33" }, selection: { anchor: 1, head: 4 } },
      { type: "presence", version: 0, user: { name: "Ada", color: "#d33" }, selection: null },
      { type: "presence", version: 0, user: { name: "Ada", color: "#d33", joinedAt: 1796150000000 }, selection: null },
    ]
    for (const message of client) expect(decodeCollabClientMessage(encodeCollabClientMessage(message))).toEqual(message)
    const server: CollabServerMessage[] = [
      { type: "doc", epoch: "e", version: 0, doc: "a\r\nb😀", access: "write", you: 12 },
      { type: "resumed", epoch: "e", version: 5, access: "read", you: 4294967295 },
      { type: "updates", version: 5, updates: [{ clientID: "tandem:yjs", changes: [[0, "hi"]] }] },
      { type: "push-result", status: "stale", version: 9 },
      { type: "presence", version: 9, peers: [{ id: 1, user: null, selection: { anchor: 0, head: 0 } }], removed: [2] },
      { type: "presence", version: 9, peers: [{ id: 1, user: { name: "Bo", color: "#36c", joinedAt: 5 }, selection: null }], removed: [] },
    ]
    for (const message of server) expect(decodeCollabServerMessage(encodeCollabServerMessage(message))).toEqual(message)
  })

  it("refuses what is not a collab message with the close code for a bad frame", () => {
    const bad = [
      "{nope",
      "[]",
      '{"type":"pull"}',
      '{"type":"push","version":-1,"updates":[{"clientID":"a","changes":[]}]}',
      '{"type":"push","version":1.5,"updates":[{"clientID":"a","changes":[]}]}',
      '{"type":"push","version":1,"updates":[]}',
      '{"type":"push","version":1,"updates":[{"clientID":"","changes":[]}]}',
      '{"type":"push","version":1,"updates":[{"clientID":"a","changes":[[1,2]]}]}',
      '{"type":"push","version":1,"updates":[{"clientID":"a","changes":["3"]}]}',
      '{"type":"presence","version":1,"user":{"name":1,"color":"#fff"},"selection":null}',
      '{"type":"presence","version":1,"user":{"name":"a","color":"#fff","joinedAt":"now"},"selection":null}',
      '{"type":"presence","version":1,"user":{"name":"a","color":"#fff","joinedAt":-1},"selection":null}',
      '{"type":"hello","epoch":5,"version":null}',
      "[".repeat(100_000),
    ]
    for (const text of bad) {
      let caught: unknown
      try {
        decodeCollabClientMessage(text)
      } catch (error) {
        caught = error
      }
      expect(caught, text.slice(0, 60)).toBeInstanceOf(ProtocolError)
      expect((caught as ProtocolError).closeCode, text.slice(0, 60)).toBe(1007)
    }
  })
})

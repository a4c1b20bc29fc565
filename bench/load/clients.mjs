// The load processes' clients: the frames of each server dialect, opening a client until it is
// synced, and reading the send times that fan-out edits carry.
import * as decoding from "lib0/decoding"
import * as encoding from "lib0/encoding"
import WebSocket from "ws"
import * as Y from "yjs"

const marker = Buffer.from("t=")

/** Frames for one server dialect: y-websocket's, or Hocuspocus's (every message prefixed with the document name). */
export function dialect(kind, doc) {
  const wrap = (write) => {
    const e = encoding.createEncoder()
    if (kind === "hocuspocus") encoding.writeVarString(e, doc)
    write(e)
    return encoding.toUint8Array(e)
  }
  const strip = (frame) => {
    if (kind !== "hocuspocus") return { type: frame[0], sub: frame[1] }
    const d = decoding.createDecoder(frame)
    decoding.readVarString(d)
    return { type: decoding.readVarUint(d), sub: decoding.hasContent(d) ? decoding.readVarUint(d) : -1 }
  }
  return {
    hello: kind === "hocuspocus" ? [wrap((e) => (encoding.writeVarUint(e, 2), encoding.writeVarUint(e, 0), encoding.writeVarString(e, "")))] : [],
    step1: wrap((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 0), encoding.writeVarUint8Array(e, Y.encodeStateVector(new Y.Doc())))),
    step2: (u) => wrap((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 1), encoding.writeVarUint8Array(e, u))),
    update: (u) => wrap((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, u))),
    ackRequest: wrap((e) => (encoding.writeVarUint(e, 100), encoding.writeVarUint(e, 0))),
    /** An awareness message with one client's state (y-protocols' encoding: count, then id, clock and JSON). */
    awareness: (clientID, clock, state) =>
      wrap((e) => {
        const update = encoding.createEncoder()
        encoding.writeVarUint(update, 1)
        encoding.writeVarUint(update, clientID)
        encoding.writeVarUint(update, clock)
        encoding.writeVarString(update, JSON.stringify(state))
        encoding.writeVarUint(e, 1)
        encoding.writeVarUint8Array(e, encoding.toUint8Array(update))
      }),
    /** Whether a frame is the answer to our sync step 1 (Hocuspocus may answer with its SyncReply tag 4). */
    isStep2: (frame) => {
      const { type, sub } = strip(frame)
      return (type === 0 || type === 4) && sub === 1
    },
    /** The update a frame carries (sync step 2 or update), or null. */
    updateOf: (frame) => {
      const d = decoding.createDecoder(frame)
      if (kind === "hocuspocus") decoding.readVarString(d)
      if (decoding.readVarUint(d) !== 0) return null
      const sub = decoding.readVarUint(d)
      return sub === 1 || sub === 2 ? decoding.readVarUint8Array(d) : null
    },
    ackOf: (frame) => {
      if (frame[0] !== 100 || frame[1] !== 1) return null
      const d = decoding.createDecoder(frame)
      decoding.readVarUint(d)
      decoding.readVarUint(d)
      return decoding.readVarUint(d)
    },
  }
}

/**
 * Opens a client; resolves once it is synced (or open, for the relay, which holds no document).
 * `task.localAddress` picks the source address (one address has only so many ephemeral ports);
 * `onOpen` is called when the WebSocket handshake is done, before the dialect's own.
 */
export function open(task, doc, onFrame, onOpen) {
  const d = dialect(task.dialect, doc)
  const ws = new WebSocket(`${task.url}/${doc}`, { perMessageDeflate: false, ...(task.localAddress ? { localAddress: task.localAddress } : {}) })
  ws.binaryType = "nodebuffer"
  const started = performance.now()
  return new Promise((resolve, reject) => {
    let synced = task.dialect === "relay"
    ws.on("error", reject)
    ws.on("open", () => {
      onOpen?.()
      for (const frame of d.hello) ws.send(frame)
      if (task.dialect !== "relay") ws.send(d.step1)
      else resolve({ ws, d, ms: performance.now() - started, step2Bytes: 0 })
    })
    ws.on("message", (frame) => {
      if (!synced && d.isStep2(frame)) {
        synced = true
        resolve({ ws, d, ms: performance.now() - started, step2Bytes: frame.length, frame })
        return
      }
      onFrame?.(frame)
    })
  })
}

/**
 * The send times carried by a frame's `t=<ms>;` markers, found in its bytes without decoding it
 * (this runs for every delivery). The bytes around the text can hold "t=" too (a varint's last
 * byte then the next one's first): only a marker whose digits run to its ";" counts.
 */
export function stamps(frame) {
  const found = []
  for (let at = frame.indexOf(marker); at !== -1; at = frame.indexOf(marker, at + 2)) {
    const end = frame.indexOf(59, at)
    const digits = end === -1 ? "" : frame.toString("latin1", at + 2, end)
    if (/^\d+(\.\d+)?$/.test(digits)) found.push(Number(digits))
  }
  return found
}

/**
 * How many `t=<ms>;` markers a document's text holds. A whole document is counted from its
 * decoded text, not with {@link stamps}: its encoding is large enough for a chance
 * "t=<digits>;" among the bytes around the text (in rooms of 10 after this bench's warm-up, a
 * fresh client was once counted 1,815 updates of the 1,814 sent).
 */
export function countStamps(text) {
  return text.match(/t=\d+(\.\d+)?;/g)?.length ?? 0
}

export const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

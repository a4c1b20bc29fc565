// The peers of the WebSocket transport (websocket.ts): each accepted socket as the Socket its
// Connection sends through, and the listeners, shared by all of them, that hand it what arrives.
import type { Duplex } from "node:stream"
import { CloseCode } from "@tandem/protocol"
import { WebSocket, type RawData } from "ws"
import type { Connection, Socket } from "../connection.js"
import type { SyncServer } from "../sync-server-types.js"
import type { FrameWriter } from "./wire-frame.js"

/** Cuts a peer off without a closing handshake, and reports it as a "peer-dropped" event. */
export function drop(peer: Peer, reason: "slow" | "ping", fields: Record<string, unknown>): void {
  const { connection, sync } = peer
  peer.ws.terminate()
  if (reason === "slow") sync.logger.warn("dropping a peer that does not read", { ...connection.logFields(), ...fields })
  else sync.logger.debug("dropping a peer that missed a ping", connection.logFields())
  sync.events.emit("peer-dropped", { doc: connection.doc, connection: connection.id, reason })
}

/** The close code ws sends, having closed the socket itself, for the error it reports. */
function closeCodeOf(error: Error): number {
  switch ((error as Error & { code?: unknown }).code) {
    case "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH":
    case "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH":
      return CloseCode.TooBig
    case "WS_ERR_INVALID_UTF8":
      return CloseCode.Malformed
    case "WS_ERR_TOO_MANY_BUFFERED_PARTS":
      return CloseCode.Policy
    default:
      return CloseCode.ProtocolViolation
  }
}

/** ws's socket with a slot for its Peer, so shared listeners find it without a closure or a map. */
export class PeerSocket extends WebSocket {
  peer: Peer | null = null
}
const peerOf = (ws: WebSocket): Peer => (ws as PeerSocket).peer!

/**
 * One accepted WebSocket: the Socket its Connection sends through, and what the transport
 * tracks of it. Its listeners are shared functions, not closures: an idle server holds one of
 * these per peer, and memory per connection is something people size servers by.
 */
export class Peer implements Socket {
  /** Answered the last ping. */
  alive = true
  connection!: Connection

  constructor(
    readonly ws: WebSocket,
    readonly raw: Duplex,
    readonly sync: SyncServer,
    readonly release: () => void,
    /** The client speaks the collab protocol: JSON in text frames, both ways. */
    readonly text: boolean,
    readonly frames: FrameWriter,
  ) {}

  send(data: Uint8Array): void {
    const { ws, raw, sync } = this
    if (ws.readyState !== ws.OPEN || !raw.writable) return
    sync.traffic.bytesOut += data.byteLength
    // Written to the socket as one finished frame, shared by every peer the same bytes go to.
    // Safe beside ws's own writes (pings, the close frame): ws queues nothing without
    // compression, so frames never interleave.
    this.frames.write(raw, data, this.text)
    // A peer that stops reading would make us buffer without bound. No close frame can reach it
    // through the full buffer, so it is cut off.
    if (raw.writableLength > sync.limits.maxBufferedBytes) drop(this, "slow", { buffered: raw.writableLength })
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const { connection, sync, text } = peerOf(this)
  const bytes = toBytes(data)
  sync.traffic.bytesIn += bytes.byteLength
  // Each endpoint takes one kind of frame: binary on /sync, text (UTF-8, which ws checked) on /collab.
  if (isBinary !== text) connection.receive(bytes)
  else connection.fail(CloseCode.UnsupportedData, new Error(text ? "binary frames are not supported" : "text frames are not supported"))
}

function onPong(this: WebSocket): void {
  peerOf(this).alive = true
}

/**
 * ws reports a frame that breaks the WebSocket rules (oversized, unmasked, bad UTF-8) and closes
 * the socket itself with the matching code; the connection fails with that code, so the refusal
 * is logged and counted like the core's own.
 */
function onError(this: WebSocket, error: Error): void {
  peerOf(this).connection.fail(closeCodeOf(error), error)
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

/**
 * Listens on `ws`, the socket of `peer`, for what it receives and for its end; `closed` runs once
 * it has closed, whoever closed it.
 */
export function listen(ws: WebSocket, peer: Peer, closed: () => void): void {
  ;(ws as PeerSocket).peer = peer
  ws.on("message", onMessage)
  ws.on("pong", onPong)
  // ws closes the socket itself after an error (1009 for an oversized frame, 1002 for a
  // protocol violation); the listener keeps the error from being thrown.
  ws.on("error", onError)
  ws.on("close", closed)
}

import type { Duplex } from "node:stream"

/**
 * `data` as one unmasked, final, binary WebSocket frame (RFC 6455, section 5.2). With `text`, a
 * text frame: `data` must then be UTF-8 (the collab protocol's JSON).
 */
export function wireFrame(data: Uint8Array, text = false): Buffer {
  const frame = frameHeader(data.byteLength, text, data.byteLength)
  frame.set(data, frame.byteLength - data.byteLength)
  return frame
}

/** The header of a frame of `length` bytes, in a buffer with room for `extra` bytes after it. */
function frameHeader(length: number, text: boolean, extra: number): Buffer {
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + extra)
  frame[0] = text ? 0x81 : 0x82
  if (length < 126) frame[1] = length
  else if (length < 65536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  return frame
}

/**
 * Payloads from this size on are written after their header rather than copied into one frame
 * with it: a whole document sent to a joining client is not copied again for each of them.
 */
const copyLimit = 16 * 1024

/**
 * Writes finished frames straight to sockets, for one transport. A room sends the same bytes to
 * many peers in a row, so the payload last framed is framed once for all of them; and the writes
 * to one socket in a stretch of synchronous code (the updates one commit relays, say) leave in
 * one write, corked until the end of it. Per transport, not per module: two servers in one
 * process share nothing.
 */
export class FrameWriter {
  private lastPayload: Uint8Array | null = null
  private lastText = false
  private lastFrame: Buffer = Buffer.alloc(0)
  /** Sockets corked until the end of this stretch of synchronous code. */
  private readonly corked: Duplex[] = []

  /** `data` framed, shared with the previous call when it framed the same bytes the same way. */
  frame(data: Uint8Array, text: boolean): Buffer {
    if (data === this.lastPayload && text === this.lastText) return this.lastFrame
    this.lastFrame = wireFrame(data, text)
    this.lastPayload = data
    this.lastText = text
    return this.lastFrame
  }

  /**
   * Holds what is written to `raw` until the end of this stretch of synchronous code, so that it
   * leaves in one write: the frames of a commit, or a handshake's answer and the first frames.
   */
  hold(raw: Duplex): void {
    if (raw.writableCorked !== 0) return
    raw.cork()
    this.corked.push(raw)
    if (this.corked.length === 1) process.nextTick(this.uncorkAll)
  }

  /** Writes `data` to `raw` as one frame, corking it until the end of this stretch of code. */
  write(raw: Duplex, data: Uint8Array, text: boolean): void {
    this.hold(raw)
    if (data.byteLength < copyLimit) raw.write(this.frame(data, text))
    else {
      raw.write(frameHeader(data.byteLength, text, 0))
      raw.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    }
  }

  private readonly uncorkAll = (): void => {
    for (const raw of this.corked.splice(0)) raw.uncork()
  }
}

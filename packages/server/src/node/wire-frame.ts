/** The payload last framed, its kind and its frame: a room sends the same bytes to many peers in a row. */
let lastPayload: Uint8Array | null = null
let lastText = false
let lastFrame: Buffer = Buffer.alloc(0)

/**
 * `data` as one unmasked, final, binary WebSocket frame (RFC 6455, section 5.2), framed once
 * for all the peers it goes to instead of once per peer. With `text`, a text frame: `data` must
 * then be UTF-8 (the collab protocol's JSON).
 */
export function wireFrame(data: Uint8Array, text = false): Buffer {
  if (data === lastPayload && text === lastText) return lastFrame
  const length = data.byteLength
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = text ? 0x81 : 0x82
  if (length < 126) frame[1] = length
  else if (length < 65536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  frame.set(data, headerLength)
  lastPayload = data
  lastText = text
  lastFrame = frame
  return frame
}

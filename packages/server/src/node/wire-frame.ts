/** The payload last framed, and its frame: a room sends the same bytes to many peers in a row. */
let lastPayload: Uint8Array | null = null
let lastFrame: Buffer = Buffer.alloc(0)

/**
 * `data` as one unmasked, final, binary WebSocket frame (RFC 6455, section 5.2), framed once
 * for all the peers it goes to instead of once per peer.
 */
export function wireFrame(data: Uint8Array): Buffer {
  if (data === lastPayload) return lastFrame
  const length = data.byteLength
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x82
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
  lastFrame = frame
  return frame
}

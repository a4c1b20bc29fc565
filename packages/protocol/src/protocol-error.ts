import { CloseCode } from "./close-code.js"

/** Why a frame was rejected. Each reason maps to the close code in {@link ProtocolError.closeCode}. */
export type ProtocolErrorCode = "malformed" | "unknown-message" | "too-big"

/**
 * Thrown by the decoders when bytes from a peer are not a valid message. Carries a typed `code`
 * and the close code the connection that sent the bytes must be closed with.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError"
  readonly code: ProtocolErrorCode

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  /** The WebSocket close code for this error. */
  get closeCode(): CloseCode {
    return this.code === "too-big" ? CloseCode.TooBig : CloseCode.Malformed
  }
}

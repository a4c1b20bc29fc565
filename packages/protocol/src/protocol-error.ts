import { CloseCode } from "./close-code.js"

/** Why a frame was rejected. Each reason maps to the close code in {@link ProtocolError.closeCode}. */
export type ProtocolErrorCode = "malformed" | "unknown-message" | "too-big" | "policy"

/**
 * Thrown when what a peer sent cannot be accepted: by the decoders for bytes that are not a
 * valid message, and by the server for messages that break a rule or a limit. Carries a typed `code`
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
    switch (this.code) {
      case "too-big":
        return CloseCode.TooBig
      case "policy":
        return CloseCode.Policy
      case "malformed":
      case "unknown-message":
        return CloseCode.Malformed
    }
  }
}

import { CloseCode } from "@tandem/protocol"

/** Why the client stopped for good: the close code and a sentence a person can act on. */
export interface ClientError {
  /** A WebSocket close code (see `CloseCode` in `@tandem/protocol`); an HTTP status for refused upgrades seen in Node. */
  readonly code: number
  readonly message: string
}

/** What to do after a connection closed with some code. */
export type CloseVerdict =
  | { readonly action: "retry" }
  | { readonly action: "refresh-token" }
  | { readonly action: "stop"; readonly error: ClientError }

const sentences: Readonly<Record<number, string>> = {
  [CloseCode.ProtocolViolation]: "The server refused this client's data as malformed (WebSocket framing). Reconnecting would fail the same way; reload the page or update the app.",
  [CloseCode.UnsupportedData]: "The server refused this client's data as the wrong kind of message. Reconnecting would fail the same way; reload the page or update the app.",
  [CloseCode.Malformed]: "The server could not read a change from this client, so it closed the connection. Reconnecting would send it again; reload the page.",
  [CloseCode.Policy]: "The server closed the connection because this client broke one of its rules (too many messages, or another user's identity). Reload the page.",
  [CloseCode.TooBig]: "A change, or the document it would make, is larger than the server accepts, so it was not saved. Undo the large change, or reload the page to start from the saved document.",
  [CloseCode.Forbidden]: "You are not allowed to open this document. Ask its owner for access, or sign in as someone who has it.",
  [CloseCode.Deleted]: "This document was deleted. Reconnecting would create it again, so the editor stopped.",
  [CloseCode.Unauthorized]: "Your sign-in expired or is missing. Sign in again to keep editing; your changes are kept until then.",
}

/** The plain-English sentence for a close code the client stops on; a generic one for others. */
export function describeClose(code: number): string {
  return sentences[code] ?? `The server closed the connection for good (code ${code}). Reload the page to try again.`
}

/**
 * Decides what a close code means for reconnecting. Codes retrying cannot change stop the client:
 * a permission or deletion decision (4403, 4404, and like the stock provider any 4400–4499 but
 * 4401), and anything saying this client's own data was refused (1002, 1003, 1007, 1008, 1009),
 * which it would only send again. 4401 asks for a fresh token. Everything else (1000, 1001,
 * 1006 for a network drop, 1011, 1013, 4500–4599) is transient.
 */
export function judgeClose(code: number): CloseVerdict {
  if (code === CloseCode.Unauthorized) return { action: "refresh-token" }
  const permanent: readonly number[] = [CloseCode.ProtocolViolation, CloseCode.UnsupportedData, CloseCode.Malformed, CloseCode.Policy, CloseCode.TooBig]
  if (permanent.includes(code) || (code >= 4400 && code < 4500)) {
    return { action: "stop", error: { code, message: describeClose(code) } }
  }
  return { action: "retry" }
}

/**
 * The verdict for an upgrade the server refused with an HTTP status, which only some WebSocket
 * implementations reveal (Node's `ws` does; browsers report a bare 1006 and the client retries).
 */
export function judgeHttpStatus(status: number): CloseVerdict {
  switch (status) {
    case 401:
      return { action: "refresh-token" }
    case 403:
      return judgeClose(CloseCode.Forbidden)
    case 400:
    case 404:
      return { action: "stop", error: { code: status, message: `The server does not serve this document name (HTTP ${status}). Check the address.` } }
    default:
      return { action: "retry" }
  }
}

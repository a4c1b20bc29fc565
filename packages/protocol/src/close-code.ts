/**
 * WebSocket close codes the server uses. One table, documented in PROTOCOL.md; a client can tell
 * from the code whether reconnecting makes sense (the stock y-websocket provider stops
 * reconnecting on codes 4400 to 4499).
 */
export const CloseCode = {
  /** The server is shutting down or the room is going away. Reconnect. */
  GoingAway: 1001,
  /** A frame broke the WebSocket framing rules (unmasked, bad opcode); the WebSocket library sends it itself. */
  ProtocolViolation: 1002,
  /** A frame of the wrong kind: text on `/sync` (binary only), binary on `/collab` (JSON text only). */
  UnsupportedData: 1003,
  /** A frame could not be decoded, or carried an update Yjs cannot read. */
  Malformed: 1007,
  /** The connection broke a rule: rate limits, another client's identity. */
  Policy: 1008,
  /** A frame, document or awareness state is larger than the configured limit. */
  TooBig: 1009,
  /** The server failed internally (for example storage could not load the document). */
  Internal: 1011,
  /** The server is overloaded; try again later. */
  Overloaded: 1013,
  /** Not authenticated, or the token expired. */
  Unauthorized: 4401,
  /** Authenticated, but not allowed to open this document. */
  Forbidden: 4403,
  /** The document was deleted (through the documents API). Do not reconnect: it would create it again. */
  Deleted: 4404,
} as const

/** One of the values of {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/**
 * Running totals of what passes through one server, for monitoring. They change with every
 * update, frame and delivery, so they are plain numbers rather than events: the room, the room
 * manager and the transport add to them, and a monitor (`@tandem/metrics`) reads them when it is
 * scraped. They only grow. One per sync server, as `sync.traffic`.
 */
export class Traffic {
  /**
   * Yjs updates received from peers: update messages and sync step 2 answers that carry any
   * content (the empty answer a fresh client gives to the server's sync request is not counted).
   */
  updatesReceived = 0
  /** Updates sent on to peers: one per update per recipient, whether it came from a peer, the API or another instance. */
  deliveries = 0
  /** Bytes of WebSocket messages received from peers (payloads, without WebSocket framing). */
  bytesIn = 0
  /** Bytes of WebSocket messages sent to peers (payloads, without WebSocket framing). */
  bytesOut = 0
  /** Awareness messages received from peers. */
  awarenessReceived = 0
  /** Messages of committed updates received from other instances over the bus. */
  busUpdatesReceived = 0
  /** Awareness messages received from other instances over the bus. */
  busAwarenessReceived = 0
  /** Messages of committed updates published to the other instances. */
  busUpdatesPublished = 0
  /** Awareness messages published to the other instances. */
  busAwarenessPublished = 0
  /** Webhook messages a receiver took (answered 2xx). */
  webhooksDelivered = 0
  /** Webhook attempts that failed (a status other than 2xx, or no answer); each is retried. */
  webhookFailures = 0
  /** Webhook messages given up on after failing for the whole retry period. */
  webhooksAbandoned = 0
}

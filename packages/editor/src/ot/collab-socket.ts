/** What a {@link CollabSocket} reports. */
export interface CollabSocketHandler {
  /** A connection opened. */
  open(): void
  /** A text frame arrived on the open connection. */
  message(text: string): void
  /** The connection closed (or never opened), with the close code; a retry follows unless it is final. */
  close(code: number, final: boolean): void
}

/** Longest wait between two connection attempts, as the stock y-websocket provider has it. */
const maxBackoffMs = 2500

/**
 * One WebSocket at a time to a collab endpoint, opened again with exponential backoff (100 ms,
 * doubling, at most 2.5 s) whenever it closes, except after a close code from 4400 to 4499
 * (unauthorized, forbidden, deleted): reconnecting would not help, as the stock provider judges.
 */
export class CollabSocket {
  private ws: WebSocket | null = null
  private failures = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private destroyed = false

  constructor(
    private readonly url: string,
    private readonly WebSocketClass: typeof WebSocket,
    private readonly handler: CollabSocketHandler,
  ) {
    this.connect()
  }

  /** Whether a connection is open now. */
  get open(): boolean {
    return this.ws !== null && this.ws.readyState === this.WebSocketClass.OPEN
  }

  /** Sends a text frame on the open connection; false when none is open. */
  send(text: string): boolean {
    if (!this.open) return false
    this.ws!.send(text)
    return true
  }

  /** Closes the connection (the client's own choice, code 4000) and opens a new one at once. */
  restart(reason: string): void {
    this.failures = 0
    this.ws?.close(4000, reason.slice(0, 100))
  }

  /** Closes for good. */
  destroy(): void {
    this.destroyed = true
    if (this.timer) clearTimeout(this.timer)
    this.ws?.close(1000, "closed")
    this.ws = null
  }

  private connect(): void {
    this.timer = null
    if (this.destroyed) return
    const ws = new this.WebSocketClass(this.url)
    this.ws = ws
    ws.onopen = () => {
      if (this.ws !== ws) return
      this.failures = 0
      this.handler.open()
    }
    ws.onmessage = (event: MessageEvent) => {
      if (this.ws === ws && typeof event.data === "string") this.handler.message(event.data)
    }
    ws.onerror = () => {}
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return
      this.ws = null
      const final = this.destroyed || (event.code >= 4400 && event.code <= 4499)
      this.handler.close(event.code, final)
      if (final) return
      const delay = event.code === 4000 ? 0 : Math.min(100 * 2 ** this.failures++, maxBackoffMs)
      this.timer = setTimeout(() => this.connect(), delay)
    }
  }
}

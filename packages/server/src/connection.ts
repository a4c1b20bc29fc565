import { CloseCode, ProtocolError, decodeMessages, encodeAck, type Message } from "@tandem/protocol"
import type { Access, Grant } from "./auth.js"

/**
 * The least a transport must offer the core: send a binary frame, close with a code. The Node
 * adapter wraps a `ws` socket in it; tests use an in-memory fake.
 */
export interface Socket {
  send(data: Uint8Array): void
  close(code: number, reason: string): void
}

/** Who handles a connection's messages and its end. */
export interface ConnectionHandler {
  /** Handles one decoded message. Throws a ProtocolError to close with its code; anything else closes with 1011. */
  receive(connection: Connection, message: Message): void
  /** The connection has closed, whichever side closed it. Called once. */
  closed(connection: Connection): void
  /** A frame was refused or failed; the connection is being closed with `code`. */
  failed(connection: Connection, code: number, error: unknown): void
}

/** The per-connection limits a Connection enforces itself. */
export interface ConnectionLimits {
  readonly maxMessagesPerSecond: number
  readonly maxBytesPerSecond: number
  readonly maxFrameBytes: number
  readonly maxQueuedFrames: number
}

/**
 * One client on one document. Decodes each frame once and hands the messages on in order;
 * frames that arrive before the document is loaded wait in a bounded queue, so nothing is
 * reordered. Enforces the message and byte rates. Never throws back into the transport.
 */
export class Connection {
  /**
   * Awareness client ids this connection owns; removed for everyone when it closes. Made on the
   * first one: most connections own one id, and many idle ones own none.
   */
  awarenessIds: Set<number> | null = null
  /** Updates (sync step 2 and update messages) received so far; acknowledgements count these. */
  updatesReceived = 0
  /** The client asked to be told when its updates are stored (Tandem's ack extension). */
  acknowledging = false
  /**
   * An update of this connection was refused. Acks say "the first n are stored", so none may be
   * sent past it: the client must not take a refused update for saved.
   */
  ackBlocked = false
  private ackCount = -1
  private ackQueued = false
  private queue: Uint8Array[] | null = []
  private isClosed = false
  /**
   * Token buckets for the message and byte rates, kept as plain fields: an idle server holds one
   * Connection per peer. Each starts full, so a burst up to its capacity passes at once.
   */
  private messageTokens: number
  private byteTokens: number
  private refilledAt = performance.now()

  constructor(
    /** Unique within one server, for logs. */
    readonly id: number,
    /** The document this connection is on. */
    readonly doc: string,
    /** Who this is and what they may do. */
    readonly grant: Grant,
    private readonly socket: Socket,
    private readonly handler: ConnectionHandler,
    private readonly limits: ConnectionLimits,
  ) {
    this.messageTokens = messageCapacity(limits)
    this.byteTokens = byteCapacity(limits)
  }

  get access(): Access {
    return this.grant.access
  }

  /** Whether the connection has closed. */
  get closed(): boolean {
    return this.isClosed
  }

  /** Starts handing messages to the handler, beginning with the frames queued so far. */
  ready(): void {
    const queued = this.queue ?? []
    this.queue = null
    for (const frame of queued) {
      if (this.isClosed) return
      this.handle(frame)
    }
  }

  /** Called by the transport with each binary frame. */
  receive(frame: Uint8Array): void {
    if (this.isClosed) return
    if (!this.withinRates(frame.byteLength)) {
      this.fail(CloseCode.Policy, new ProtocolError("policy", "rate limit exceeded"))
      return
    }
    if (!this.queue) this.handle(frame)
    else if (this.queue.length < this.limits.maxQueuedFrames) this.queue.push(frame)
    else this.fail(CloseCode.Policy, new ProtocolError("policy", "too many frames before the document loaded"))
  }

  /** Sends a frame unless the connection has closed. */
  send(data: Uint8Array): void {
    if (this.isClosed) return
    try {
      this.socket.send(data)
    } catch (error) {
      this.fail(CloseCode.Internal, error)
    }
  }

  /**
   * Tells the client its first `count` updates are stored. Acks that become due together (one
   * commit) go out as one message, with the highest count.
   */
  acknowledge(count: number): void {
    if (!this.acknowledging || this.ackBlocked || count <= this.ackCount) return
    this.ackCount = count
    if (this.ackQueued) return
    this.ackQueued = true
    queueMicrotask(() => {
      this.ackQueued = false
      this.send(encodeAck(this.ackCount))
    })
  }

  /** Closes the connection with `code` and tells the handler. Safe to call more than once. */
  close(code: number, reason: string): void {
    if (this.isClosed) return
    try {
      this.socket.close(code, reason)
    } finally {
      this.closedByTransport()
    }
  }

  /** Called by the transport when the socket has closed. Safe to call more than once. */
  closedByTransport(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.queue = null
    this.handler.closed(this)
  }

  /** Closes the connection after a failure, telling the handler why. */
  fail(code: number, error: unknown): void {
    if (this.isClosed) return
    this.handler.failed(this, code, error)
    this.close(code, reasonOf(error))
  }

  /** Takes one message and `bytes` bytes from the buckets; false when either runs out. */
  private withinRates(bytes: number): boolean {
    const { limits } = this
    const now = performance.now()
    const seconds = (now - this.refilledAt) / 1000
    this.refilledAt = now
    this.messageTokens = Math.min(messageCapacity(limits), this.messageTokens + seconds * limits.maxMessagesPerSecond) - 1
    this.byteTokens = Math.min(byteCapacity(limits), this.byteTokens + seconds * limits.maxBytesPerSecond) - bytes
    return this.messageTokens >= 0 && this.byteTokens >= 0
  }

  private handle(frame: Uint8Array): void {
    let messages: Message[]
    try {
      messages = decodeMessages(frame)
    } catch (error) {
      this.fail(error instanceof ProtocolError ? error.closeCode : CloseCode.Malformed, error)
      return
    }
    for (const message of messages) {
      if (this.isClosed) return
      try {
        this.handler.receive(this, message)
      } catch (error) {
        this.fail(error instanceof ProtocolError ? error.closeCode : CloseCode.Internal, error)
        return
      }
    }
  }
}

/** Bursts of ten seconds' worth of messages pass. */
const messageCapacity = (limits: ConnectionLimits): number => limits.maxMessagesPerSecond * 10

/** A burst of two frames of the largest size passes. */
const byteCapacity = (limits: ConnectionLimits): number => Math.max(limits.maxBytesPerSecond, limits.maxFrameBytes * 2)

function reasonOf(error: unknown): string {
  // A close reason is limited to 123 bytes on the wire.
  const text = error instanceof Error ? error.message : String(error)
  return Buffer.byteLength(text) > 120 ? text.slice(0, 60) : text
}

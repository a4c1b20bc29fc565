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

/** The room a connection has joined, as far as the connection and its handler need it. */
export interface JoinedRoom {
  readonly name: string
  /** Handles one message of the connection; throws as {@link ConnectionHandler.receive} does. */
  receive(connection: Connection, message: Message): void
  /** Takes the connection out of the room. */
  leave(connection: Connection): void
}

/**
 * Speaks a protocol other than y-websocket's with a connection's client (the collab gateway of
 * `/collab/<doc>`). A connection built with one hands it every frame, undecoded, instead of
 * decoding Yjs messages; the room sends such a connection no Yjs frames.
 */
export interface Gateway {
  /** Handles one frame. Throws a ProtocolError to close with its code; anything else closes with 1011. */
  receive(connection: Connection, frame: Uint8Array): void
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
   * The room this connection is on, once its document has loaded and it joined; `null` before
   * and after. Set by the server.
   */
  room: JoinedRoom | null = null
  /**
   * Whether the connection was sent the document state (sync step 2) and so is relayed every
   * update applied after it. A connection relayed updates before that would hold them as
   * pending, missing their dependencies, and Yjs re-merges pending updates on every arrival.
   */
  subscribed = false
  /** Closes the connection when its grant expires; set by the server. */
  expiry: NodeJS.Timeout | null = null
  /**
   * Yjs client ids this connection owns: no other live connection may set their awareness or
   * write new content under them. Made on the first one: most connections own one id, and many
   * idle ones own none.
   */
  private clientIds: Set<number> | null = null
  /** Updates (sync step 2 and update messages) received so far; acknowledgements count these. */
  private updatesReceived = 0
  /** The client asked to be told when its updates are stored (Tandem's ack extension). */
  private acknowledging = false
  /**
   * An update of this connection was refused, or waits on dependencies. Acks say "the first n
   * are stored", so none may be sent past it: the client must not take such an update for saved.
   */
  private ackBlocked = false
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
    /** What handles the frames when the client speaks another protocol; `null` for y-websocket. */
    readonly gateway: Gateway | null = null,
  ) {
    this.messageTokens = messageCapacity(limits)
    this.byteTokens = byteCapacity(limits)
  }

  /** Counts one received update; returns its number, which an ack for it carries. */
  countUpdate(): number {
    return ++this.updatesReceived
  }

  /** The number of updates received so far. */
  get received(): number {
    return this.updatesReceived
  }

  /** Whether the client asked for acknowledgements. */
  get wantsAcks(): boolean {
    return this.acknowledging && !this.ackBlocked
  }

  /** The client asked for acknowledgements: from now on they are sent. */
  requestAcks(): void {
    this.acknowledging = true
  }

  /** No ack may be sent past the current count any more (an update was refused or is pending). */
  blockAcks(): void {
    this.ackBlocked = true
  }

  /** Whether this connection owns Yjs client id `id`. */
  owns(id: number): boolean {
    return this.clientIds?.has(id) ?? false
  }

  /** Takes ownership of `id`; the room keeps its index of owners in step. */
  claim(id: number): void {
    ;(this.clientIds ??= new Set()).add(id)
  }

  /** Gives up `id`. */
  disown(id: number): void {
    this.clientIds?.delete(id)
  }

  /** The client ids this connection owns, for removing them when it leaves. */
  ownedIds(): number[] {
    return this.clientIds ? [...this.clientIds] : []
  }

  get access(): Access {
    return this.grant.access
  }

  /** What every log line about this connection carries: its id, its document and its user (`sub`) when known. */
  logFields(): { readonly connection: number; readonly doc: string; readonly sub?: string } {
    const { id, doc, grant } = this
    return grant.userId === null ? { connection: id, doc } : { connection: id, doc, sub: grant.userId }
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
    if (this.gateway) {
      try {
        this.gateway.receive(this, frame)
      } catch (error) {
        this.fail(error instanceof ProtocolError ? error.closeCode : CloseCode.Internal, error)
      }
      return
    }
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

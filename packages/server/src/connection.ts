import { CloseCode, ProtocolError, decodeMessages, type Message } from "@tandem/protocol"

/**
 * The least a transport must offer the core: send a binary frame, close with a code. The Node
 * adapter wraps a `ws` socket in it; tests use an in-memory fake.
 */
export interface Socket {
  send(data: Uint8Array): void
  close(code: number, reason: string): void
}

/** What a connection is allowed to do, decided before it was opened. */
export type Access = "read" | "write"

/** Who handles a connection's messages and its end. */
export interface ConnectionHandler {
  /** Handles one decoded message. May throw; the connection then closes with 1011. */
  receive(connection: Connection, message: Message): void
  /** The connection has closed, whichever side closed it. Called once. */
  closed(connection: Connection): void
  /** A frame was refused or failed; the connection is being closed with `code`. */
  failed(connection: Connection, code: number, error: unknown): void
}

/**
 * One client on one document. Decodes each frame once and hands the messages on in order;
 * frames that arrive before the document is loaded wait in a queue, so nothing is reordered.
 * Never throws back into the transport.
 */
export class Connection {
  /** Client ids whose awareness this connection has set; removed for everyone when it closes. */
  readonly awarenessIds = new Set<number>()
  private queue: Uint8Array[] | null = []
  private isClosed = false

  constructor(
    /** Unique within one server, for logs. */
    readonly id: number,
    /** The document this connection is on. */
    readonly doc: string,
    readonly access: Access,
    private readonly socket: Socket,
    private readonly handler: ConnectionHandler,
  ) {}

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
    if (this.queue) this.queue.push(frame)
    else this.handle(frame)
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

function reasonOf(error: unknown): string {
  // A close reason is limited to 123 bytes on the wire.
  const text = error instanceof Error ? error.message : String(error)
  return text.length > 100 ? text.slice(0, 100) : text
}

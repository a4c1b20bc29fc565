import { countUpdates } from "@tandem/protocol"
import type { ClientSocket } from "./socket.js"

/** Normal closure, for sockets this client closes itself. */
const closedByClient = 1000

/**
 * Everything about one WebSocket connection, in one object: the socket, how far its handshake
 * got, and when it last heard from the server. A new connection starts from a new object, so
 * nothing of an old socket leaks into the next.
 */
export class Connection {
  /** The socket opened; `openedAt` is when, by the client's clock. */
  opened = false
  openedAt = 0
  /** The server's sync step 1 was answered with our step 2: from now on updates go out one by one. */
  answeredStep1 = false
  /** The server's sync step 2 arrived: this side has everything the server had. */
  synced = false
  /** When the last frame arrived, for the silence watchdog. */
  lastMessageAt = 0
  /** An HTTP status the upgrade was refused with, when the socket reveals it (Node's `ws`). */
  refusedStatus: number | null = null
  /** The silence watchdog's timer, while open. */
  watchdog: number | null = null

  constructor(readonly socket: ClientSocket) {}

  /**
   * Sends one frame and returns how many document updates it carried, which the caller counts
   * against the server's acks. A socket that is already closing drops the frame (the browser
   * does so silently; some implementations throw, which is the same thing here): the close
   * handler follows and the next connection's sync carries whatever was lost.
   */
  send(frame: Uint8Array): number {
    try {
      this.socket.send(frame)
    } catch {
      return 0
    }
    return countUpdates(frame)
  }

  /**
   * Closes the socket from this side and stops listening to it, so nothing it reports later
   * reaches the client. Safe on a socket that is still connecting or already closed.
   */
  close(): void {
    const socket = this.socket
    socket.onopen = socket.onmessage = socket.onclose = null
    // Closing a socket that is still connecting reports an error; Node rethrows unhandled ones.
    socket.onerror = () => {}
    try {
      socket.close(closedByClient, "client closed")
    } catch {
      // Already closed.
    }
  }
}

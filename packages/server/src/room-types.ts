import type * as Y from "yjs"
import type { Connection } from "./connection.js"

/** The limits a Room enforces on every change, whoever makes it. */
export interface RoomLimits {
  readonly maxDocumentBytes: number
  readonly maxAwarenessStateBytes: number
  readonly maxPendingBytes: number
}

/** Name of the shared text every Tandem client edits. */
export const contentKey = "content"

/**
 * A change made by the server on someone's behalf, not by a connected peer: a write through the
 * HTTP API, a restore, a gateway for other clients. Passed as the source of
 * `Room.applyUpdate` and `Room.editText`; each write gets an object of its own.
 */
export interface ServerWrite {
  readonly kind: "api" | "restore" | "gateway"
  /** The user it is made for (a token's `sub`), or `null`. */
  readonly userId: string | null
}

/** Who a change comes from: a connected peer, or the server on someone's behalf. */
export type WriteSource = Connection | ServerWrite

/** What became of an update given to `Room.applyUpdate`. */
export type Applied =
  /** All of it is in the document; what was new is being stored, then relayed. */
  | "applied"
  /** Nothing in it was new. */
  | "known"
  /** Some of it waits in Yjs on missing dependencies, neither stored nor relayed until they arrive. */
  | "pending"
  /** Refused and the sender keeps its connection: news from a read-only connection. */
  | "refused"

/**
 * Follows the document's text for a gateway that keeps a view of it of its own (the collab
 * authority); see `RoomText.watch`.
 */
export interface TextWatcher {
  /**
   * The text changed, whoever changed it: Yjs's event and the transaction's origin (the write's
   * source, or another instance's). Called inside the change, before it is queued for storage.
   */
  changed(event: Y.YTextEvent, origin: unknown): void
  /**
   * Every change reported so far is queued for storage (or was stored by another instance):
   * `room.log.afterStored` now runs once they are all stored.
   */
  queued(): void
}

/** Thrown by a write to a room whose document was deleted or unloaded. */
export class RoomGoneError extends Error {
  override readonly name = "RoomGoneError"
}

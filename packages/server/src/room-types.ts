import type * as Y from "yjs"
import type { Connection } from "./connection.js"
import type { DeferredState } from "./deferred-state.js"
import type { DocumentStore } from "./document-store.js"
import type { RoomBus } from "./room-bus.js"
import type { Traffic } from "./traffic.js"
import type { UpdateLog } from "./update-log.js"

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
   * A change another writer made (a peer's update, another instance's) is about to be reported
   * to `changed`: Yjs still holds `text`'s search markers, which it drops before reporting it.
   */
  beforeRemoteChange?(text: Y.Text): void
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

/** What a Room is built from; see RoomLoader. */
export interface RoomOptions {
  readonly name: string
  readonly doc: Y.Doc
  /**
   * The document's full state as storage held it, not yet applied to `doc` (which is then
   * empty): applied at the first need, and until then the joins of clients that hold nothing
   * are answered from these bytes. See {@link DeferredState}.
   */
  readonly deferred?: DeferredState
  readonly log: UpdateLog
  readonly bus: RoomBus
  /** Where the room reads what it missed of other instances' updates. */
  readonly store: DocumentStore
  /** Sequence number of the newest update the loaded document holds. */
  readonly head: number
  /** How long a gap in the bus's numbering may last before the room reads it from storage. */
  readonly gapDelayMs: number
  readonly limits: RoomLimits
  /** Estimated size of the document as storage held it at load. */
  readonly bytes: number
  /** Reading what another instance stored, or applying it, failed; the room retries. */
  readonly onBusError: (error: unknown) => void
  /** Yjs threw while applying an update: the document in memory can no longer be trusted. */
  readonly onBroken: (error: unknown) => void
  /** The document changed, whoever changed it; called after the change is queued for storage. */
  readonly onChanged: () => void
  /** The time, in milliseconds since the epoch: the server's clock. */
  readonly now: () => number
  /** Reading storage brought updates of other instances that the bus had not delivered. */
  readonly onGapFilled: () => void
  /** The server's running totals, which the room adds its messages and deliveries to. */
  readonly traffic: Traffic
}

/**
 * Carries a room's relayed frames to the other server instances that serve the same document.
 * A single instance needs none ({@link localBus}); a Redis bus plugs in here without changing
 * rooms. A bus publishes only what has been stored, and delivers frames of other instances
 * only, never an instance's own.
 */
export interface RoomBus {
  /** Sends a frame that was relayed to this room's local peers to the other instances. */
  publish(doc: string, frame: Uint8Array): void
  /** Calls `deliver` with frames other instances published for `doc`. Returns the unsubscribe. */
  subscribe(doc: string, deliver: (frame: Uint8Array) => void): () => void
}

/** The bus of a server that runs alone: publishes nowhere, delivers nothing. */
export const localBus: RoomBus = {
  publish() {},
  subscribe: () => () => {},
}

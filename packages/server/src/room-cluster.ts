import type * as Y from "yjs"
import { LogFollower } from "./log-follower.js"
import type { Presence } from "./presence.js"
import type { RoomOptions } from "./room-types.js"
import { applyCommitted, reapplyStored } from "./stored-parts.js"

/** What a room's {@link RoomCluster} is built from. */
export interface RoomClusterOptions {
  /** The room's own options: its name, bus, store, stored head and the callbacks about them. */
  readonly room: Pick<RoomOptions, "name" | "bus" | "store" | "head" | "gapDelayMs" | "onGapFilled" | "onBusError" | "traffic">
  /** The room's presence, which the other instances' awareness goes to. */
  readonly presence: Presence
  /** The room's document, holding everything accepted. */
  readonly doc: () => Y.Doc
  /** Sends an update that another instance stored, and that is now in the document, to this instance's peers. */
  readonly relay: (update: Uint8Array) => void
}

/**
 * A room's part in running as several instances. What this instance commits goes out on the
 * bus after the commit; what the others commit comes in from the bus and is applied in log order
 * by the {@link LogFollower} (gaps read from storage), relayed to this instance's peers, and
 * never stored again. Presence goes both ways through the room's {@link Presence}. On one
 * instance the bus is the local one and the follower simply counts this instance's commits.
 */
export class RoomCluster {
  /** Orders what this and other instances committed by the store's numbers, and fills gaps from storage. */
  private readonly follower: LogFollower
  private unsubscribe: () => void = () => {}
  /** The room was deleted or unloaded: nothing from the bus is applied any more. */
  private stopped = false

  constructor(private readonly options: RoomClusterOptions) {
    const { room } = options
    this.follower = new LogFollower({
      name: room.name,
      store: room.store,
      head: room.head,
      gapDelayMs: room.gapDelayMs,
      // Stored and relayed elsewhere already: applied and relayed here, never stored again.
      apply: (updates) => applyCommitted(options.doc(), updates, options.relay, room.onBusError),
      reload: (stored) => reapplyStored(options.doc(), stored, options.relay),
      onGapFilled: room.onGapFilled,
      onError: room.onBusError,
    })
  }

  /** Sequence number of the newest stored update the room holds, with all before it. */
  get head(): number {
    return this.follower.head
  }

  /** Takes the bus subscription made for the room before it loaded; it ends when the room does. */
  subscribed(unsubscribe: () => void): void {
    if (this.stopped) unsubscribe()
    else this.unsubscribe = unsubscribe
  }

  /**
   * The update log committed `updates`, numbered from `fromSeq` by the store: they go to the
   * other instances now, never before. Called by the log before the relays of the same commit.
   */
  committed(fromSeq: number, updates: readonly Uint8Array[]): void {
    const { room } = this.options
    room.bus.publishUpdates(room.name, fromSeq, updates)
    room.traffic.busUpdatesPublished++
    this.follower.committed(fromSeq, updates.length)
  }

  /** Another instance's committed updates, from the bus: applied in log order, never stored again. */
  remoteUpdates(fromSeq: number, updates: readonly Uint8Array[]): void {
    if (!this.stopped) this.follower.received(fromSeq, updates)
  }

  /** An awareness update from another instance. */
  remoteAwareness(update: Uint8Array, instance: string): void {
    if (!this.stopped) this.options.presence.remote(update, instance)
  }

  /** Another instance stopped: the presence it relayed goes, for everyone here. */
  instanceLost(instance: string): void {
    if (!this.stopped) this.options.presence.instanceLost(instance)
  }

  /** Sends the presence of this instance's own clients to the other instances again (see {@link Presence.republish}). */
  republishPresence(): void {
    if (!this.stopped) this.options.presence.republish()
  }

  /** Reads what other instances stored since the room's head (the bus came back, say). */
  catchUp(): Promise<void> {
    return this.follower.catchUp()
  }

  /** The room is being deleted: nothing more is applied; the subscription stays until {@link RoomCluster.destroy}. */
  retire(): void {
    this.stopped = true
    this.follower.stop()
  }

  /** The room is unloaded: nothing more is applied, and the bus subscription ends. */
  destroy(): void {
    this.retire()
    this.unsubscribe()
  }
}

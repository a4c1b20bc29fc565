/** What a {@link RoomBus} delivers to a room from the other instances serving its document. */
export interface BusSubscriber {
  /**
   * Updates another instance committed to storage, numbered `fromSeq`, `fromSeq + 1`, … in the
   * document's log. They are stored already: the receiver applies and relays them, never stores
   * them again. They may arrive late, twice or not at all; the receiver orders them by number and
   * fills any gap from storage.
   */
  updates(fromSeq: number, updates: readonly Uint8Array[], instance: string): void
  /** An awareness update (y-protocols encoding) that another instance applied. */
  awareness(update: Uint8Array, instance: string): void
  /** Another instance deleted the document. */
  deleted(instance: string): void
  /** Another instance asks for the presence of this instance's clients on the document. */
  presenceRequested(instance: string): void
}

/**
 * Carries what one instance commits and the presence it sees to the other instances serving the
 * same documents. A single instance needs none ({@link localBus}); `@tandem/bus-redis` is the one
 * for several. Publishing never blocks nor throws: what cannot be sent is dropped, and receivers
 * fill the gap from storage, since the store numbers every update. A bus never delivers an
 * instance's own messages back to it.
 */
export interface RoomBus {
  /** This instance's id on the bus, unique among the instances. */
  readonly instance: string
  /** Whether the bus is connected now; while it is not, nothing is delivered either way. */
  readonly healthy: boolean
  /** Sends updates this instance committed, numbered from `fromSeq`, to the other instances. */
  publishUpdates(doc: string, fromSeq: number, updates: readonly Uint8Array[]): void
  /** Sends an awareness update this instance applied to the other instances. */
  publishAwareness(doc: string, update: Uint8Array): void
  /** Tells the other instances this instance deleted `doc`. */
  publishDeleted(doc: string): void
  /**
   * Asks the other instances serving `doc` to send the presence of their clients again: a room
   * that just subscribed, or whose bus just came back, has missed what they sent before.
   */
  requestPresence(doc: string): void
  /**
   * Starts delivering `doc`'s messages to `subscriber`. Resolves, with the unsubscribe, once
   * messages published from then on will be delivered, or at once while the bus is down (the
   * subscriber then catches up from storage when it is back: see {@link RoomBus.onHealth}).
   */
  subscribe(doc: string, subscriber: BusSubscriber): Promise<() => void>
  /**
   * Calls `listener` when the bus goes down (`false`) or comes back (`true`). Messages sent while
   * it was down are lost: on `true`, every room reads what it missed from storage. Returns the
   * unsubscribe.
   */
  onHealth(listener: (healthy: boolean) => void): () => void
  /**
   * Calls `listener` with the id of an instance that stopped sending heartbeats (it died or lost
   * its connection): the presence it relayed is to be dropped. Returns the unsubscribe.
   */
  onInstanceLost(listener: (instance: string) => void): () => void
  /** Stops delivering and publishing, and releases the connection. */
  close(): Promise<void>
}

const noSubscription = () => {}

/** The bus of a server that runs alone: publishes nowhere, delivers nothing. */
export const localBus: RoomBus = Object.freeze({
  instance: "local",
  healthy: true,
  publishUpdates() {},
  publishAwareness() {},
  publishDeleted() {},
  requestPresence() {},
  subscribe: () => Promise.resolve(noSubscription),
  onHealth: () => noSubscription,
  onInstanceLost: () => noSubscription,
  close: () => Promise.resolve(),
})

import { ProtocolError, encodeAwareness, encodeAwarenessEntries, type AwarenessEntry, type UpdateSummary } from "@tandem/protocol"
import * as awarenessProtocol from "y-protocols/awareness"
import type * as Y from "yjs"
import { Connection } from "./connection.js"
import type { RoomBus } from "./room-bus.js"
import type { Traffic } from "./traffic.js"

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

/** The origin of awareness changes another instance made, as the room applies them. */
interface RemoteOrigin {
  readonly instance: string
}

/** What a room's Presence is built from. */
export interface PresenceOptions {
  /** The document's name, as the bus knows it. */
  readonly name: string
  /** The room's connections: the set itself, which the room keeps up to date. */
  readonly connections: ReadonlySet<Connection>
  readonly bus: RoomBus
  readonly maxAwarenessStateBytes: number
  /** An awareness update from another instance could not be applied. */
  readonly onBusError: (error: unknown) => void
  readonly traffic: Traffic
}

/**
 * A room's presence: the Yjs awareness states of everyone on the document, here and on other
 * instances, and which connection owns each client id. A connection owns the ids it set a state
 * for, and those it wrote new content under (see {@link Presence.claim}); nobody else may set or
 * remove their states, nor write under them. Every change is sent to the room's connections and,
 * when it was made here, published to the other instances.
 */
export class Presence {
  readonly awareness: awarenessProtocol.Awareness
  /**
   * An index of which live connection owns each client id; each connection keeps its own ids,
   * and this map only finds the owner of an id.
   */
  private readonly owners = new Map<number, Connection>()
  /** One origin object per other instance, so awareness tells whose clients are whose. */
  private readonly remotes = new Map<string, RemoteOrigin>()
  /** Awareness client ids that came from another instance, by instance. */
  private readonly remoteClients = new Map<number, string>()

  /** `doc`: awareness reads only its client id, not its content. */
  constructor(
    doc: Y.Doc,
    private readonly options: PresenceOptions,
  ) {
    this.awareness = new awarenessProtocol.Awareness(doc)
    // The server has no cursor of its own.
    this.awareness.setLocalState(null)
    this.awareness.on("update", this.onAwarenessUpdate)
  }

  /**
   * The client ids `connection` writes new content under in an update (those `clocks` take past
   * `stateOf`) that nobody owns yet, or `null` for none.
   *
   * @throws {ProtocolError} `policy` when another live connection owns one of them: writing new
   *   content under its id would make that user's own next edits collide and be dropped, the
   *   attack that silences a user.
   */
  unownedWrites(connection: Connection, clocks: UpdateSummary["clocks"], stateOf: (client: number) => number): number[] | null {
    let unowned: number[] | null = null
    for (const [client, range] of clocks) {
      if (range.to <= stateOf(client)) continue
      const owner = this.owners.get(client)
      if (owner && owner !== connection) throw new ProtocolError("policy", "update claims another connection's client id")
      if (!owner) (unowned ??= []).push(client)
    }
    return unowned
  }

  /** `connection` wrote new content under `client`: it owns the id from now on, unless another connection does. */
  claim(client: number, connection: Connection): void {
    if (this.owners.has(client)) return
    this.owners.set(client, connection)
    connection.claim(client)
  }

  /** Sends a joining connection everyone's state, if anyone has one. */
  greet(connection: Connection): void {
    if (this.awareness.getStates().size > 0) this.sendAll(connection)
  }

  /** Sends `connection` every state (it asked for them). */
  sendAll(connection: Connection): void {
    connection.send(this.encodeFrame([...this.awareness.getStates().keys()]))
  }

  /** A connection left: the states it set go, for everyone else. */
  leave(connection: Connection): void {
    const ids = connection.ownedIds()
    if (ids.length === 0) return
    for (const id of ids) {
      if (this.owners.get(id) === connection) this.owners.delete(id)
    }
    awarenessProtocol.removeAwarenessStates(this.awareness, ids, connection)
  }

  /**
   * An awareness message from `connection`. States of client ids another connection owns are
   * dropped quietly: the stock client re-sends states it heard from others.
   *
   * @throws {ProtocolError} `too-big` for a state past the limit.
   */
  receive(connection: Connection, entries: readonly AwarenessEntry[], update: Uint8Array): void {
    const accepted: AwarenessEntry[] = []
    for (const entry of entries) {
      if (entry.bytes > this.options.maxAwarenessStateBytes) throw new ProtocolError("too-big", "awareness state too large")
      const owner = this.owners.get(entry.clientId)
      if (owner && owner !== connection) continue
      accepted.push(entry)
    }
    if (accepted.length === 0) return
    const filtered = accepted.length === entries.length ? update : encodeAwarenessEntries(accepted)
    awarenessProtocol.applyAwarenessUpdate(this.awareness, filtered, connection)
  }

  /** An awareness update from another instance. */
  remote(update: Uint8Array, instance: string): void {
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this.remoteOrigin(instance))
    } catch (error) {
      this.options.onBusError(error)
    }
  }

  /** Another instance stopped: the presence it relayed goes, for everyone here. */
  instanceLost(instance: string): void {
    const ids = [...this.remoteClients].filter(([, owner]) => owner === instance).map(([id]) => id)
    if (ids.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, ids, this.remoteOrigin(instance))
  }

  /**
   * Sends the states of this instance's own clients to the other instances again: what was
   * published while the bus was down or still connecting was lost, and clients only renew their
   * state every 15 seconds.
   */
  republish(): void {
    const local = [...this.awareness.getStates().keys()].filter((id) => this.owners.has(id))
    if (local.length > 0) this.options.bus.publishAwareness(this.options.name, awarenessProtocol.encodeAwarenessUpdate(this.awareness, local))
  }

  destroy(): void {
    this.awareness.off("update", this.onAwarenessUpdate)
    this.awareness.destroy()
  }

  private remoteOrigin(instance: string): RemoteOrigin {
    let origin = this.remotes.get(instance)
    if (!origin) this.remotes.set(instance, (origin = Object.freeze({ instance })))
    return origin
  }

  private readonly onAwarenessUpdate = (change: AwarenessChange, origin: unknown): void => {
    const changed = [...change.added, ...change.updated, ...change.removed]
    const remote = isRemote(origin) ? origin : null
    const { connections } = this.options
    if (remote) {
      for (const id of [...change.added, ...change.updated]) this.remoteClients.set(id, remote.instance)
      for (const id of change.removed) this.remoteClients.delete(id)
    } else if (origin instanceof Connection && connections.has(origin)) {
      for (const id of [...change.added, ...change.updated]) this.claim(id, origin)
      for (const id of change.removed) {
        if (this.owners.get(id) === origin) {
          this.owners.delete(id)
          origin.disown(id)
        }
      }
    }
    const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)
    const frame = encodeAwareness(update)
    // Sent to the sender too: the stock client reconnects when it hears nothing for 30 seconds,
    // and its own awareness renewal coming back is what it hears in a quiet room.
    for (const connection of connections) if (!connection.gateway) connection.send(frame)
    if (!remote) {
      this.options.bus.publishAwareness(this.options.name, update)
      this.options.traffic.busAwarenessPublished++
    }
  }

  private encodeFrame(clients: number[]): Uint8Array {
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients))
  }
}

/** Whether an awareness origin is another instance. */
function isRemote(origin: unknown): origin is RemoteOrigin {
  return typeof origin === "object" && origin !== null && !(origin instanceof Connection) && "instance" in origin
}

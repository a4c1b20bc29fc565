import { ProtocolError, decodeCollabClientMessage, type CollabClientMessage } from "@tandem/protocol"
import type { Connection, Gateway } from "../connection.js"
import type { Room } from "../room.js"
import { CollabAuthority } from "./collab-authority.js"
import { CollabClient } from "./collab-client.js"

/** Options of a {@link CollabGateway}. */
export interface CollabGatewayOptions {
  /** Updates each room's log keeps for clients that reconnect; one further behind gets the document again. */
  readonly maxLogUpdates: number
}

const textDecoder = new TextDecoder("utf-8", { fatal: true })

/** A random awareness client id, as Yjs draws its own (an unsigned 32-bit integer). */
function drawAwarenessId(taken: ReadonlyMap<number, unknown>): number {
  for (;;) {
    const id = Math.floor(Math.random() * 2 ** 32)
    if (!taken.has(id)) return id
  }
}

/**
 * Serves `@codemirror/collab` clients (the `/collab/<doc>` endpoint) on the rooms Yjs clients
 * use: one {@link CollabAuthority} per room, made when its first collab client joins and kept as
 * long as the room, and one {@link CollabClient} per connection. Frames are JSON text, decoded
 * once here and dispatched by type. One per server; the server calls {@link joined} and
 * {@link left}, the connection {@link receive}.
 */
export class CollabGateway implements Gateway {
  private readonly authorities = new WeakMap<Room, CollabAuthority>()
  private readonly clients = new WeakMap<Connection, { readonly client: CollabClient; readonly authority: CollabAuthority }>()

  constructor(private readonly options: CollabGatewayOptions) {}

  /** `connection` joined `room`; it is greeted when it says hello. */
  joined(connection: Connection, room: Room): void {
    let authority = this.authorities.get(room)
    if (!authority) {
      authority = new CollabAuthority(room, this.options.maxLogUpdates)
      this.authorities.set(room, authority)
    }
    this.clients.set(connection, { client: new CollabClient(connection, drawAwarenessId(room.awareness.getStates())), authority })
  }

  /** `connection` closed. */
  left(connection: Connection): void {
    const joined = this.clients.get(connection)
    if (!joined) return
    this.clients.delete(connection)
    joined.authority.left(joined.client)
  }

  /**
   * Decodes one frame (UTF-8 JSON) and hands it to the room's authority.
   *
   * @throws {ProtocolError} for a frame that is not a collab message (1007), or one the authority
   *   refuses (see {@link CollabAuthority.push}).
   */
  receive(connection: Connection, frame: Uint8Array): void {
    const joined = this.clients.get(connection)
    // The connection hands frames on only once it joined; a frame after leaving is dropped.
    if (!joined) return
    const { client, authority } = joined
    const message = decode(frame)
    switch (message.type) {
      case "hello":
        authority.hello(client, message.epoch, message.version)
        return
      case "push":
        authority.push(client, message.version, message.updates)
        return
      case "presence":
        authority.presence(client, message.version, message.user, message.selection)
        return
      default: {
        const unhandled: never = message
        throw new Error(`unhandled collab message ${(unhandled as CollabClientMessage).type}`)
      }
    }
  }
}

function decode(frame: Uint8Array): CollabClientMessage {
  let text: string
  try {
    text = textDecoder.decode(frame)
  } catch (cause) {
    throw new ProtocolError("malformed", "frame is not UTF-8", { cause })
  }
  return decodeCollabClientMessage(text)
}

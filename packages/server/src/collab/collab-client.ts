import type { Connection } from "../connection.js"

/**
 * What the collab gateway keeps of one connection: whether it was greeted, the collab client ids
 * it pushes under, and the awareness client id and clock it publishes its presence with.
 */
export class CollabClient {
  /** The `hello` was answered: the client is at the authority's shown version and gets every update. */
  greeted = false
  /** Collab client ids this connection pushed under; no other live connection may use them. */
  readonly clientIDs = new Set<string>()
  /** The clock of the client's awareness state; y-protocols ignores a first state at clock 0. */
  private clock = 0

  constructor(
    readonly connection: Connection,
    /** The awareness client id the server publishes this client's presence under. */
    readonly awarenessId: number,
  ) {}

  /** The clock for the next awareness state. */
  nextClock(): number {
    return ++this.clock
  }

  send(frame: Uint8Array): void {
    this.connection.send(frame)
  }
}

/**
 * Counts local edits and how many of them the server confirmed as stored, from Tandem's
 * acknowledgements: `ack(n)` on a connection means "the first n updates this connection sent are
 * stored". Each update sent is tagged with the number of edits made when it was sent, so an ack
 * confirms every edit up to the tag of the update it covers. Edits made offline are saved once
 * the sync step 2 carrying them on reconnect is acknowledged.
 *
 * No I/O: the client calls it as it sends and receives.
 */
export class SaveCounter {
  /** Local edits made so far (including ones restored from a previous page), and how many are stored. */
  private made = 0
  private saved = 0
  /** For the current connection: `made` at the time each of its updates was sent. */
  private madeAtSend: number[] = []

  /** Edits the server has not confirmed. */
  get unsaved(): number {
    return this.made - this.saved
  }

  /** One more local edit. */
  edited(): void {
    this.made++
  }

  /**
   * Adds edits left unsaved by an earlier session (their content is in the local copy of the
   * document). Only valid before the first connection sends anything: restored edits must be
   * counted before the sync that carries them, or an ack that already covered them could not
   * take them back off. The client guarantees the order by awaiting the restore before it opens
   * a socket.
   */
  restore(edits: number): void {
    if (edits > 0) this.made += edits
  }

  /** A new connection opened: its updates are counted from zero. */
  connected(): void {
    this.madeAtSend = []
  }

  /** `updates` document updates went out on the current connection. */
  sent(updates: number): void {
    for (let i = 0; i < updates; i++) this.madeAtSend.push(this.made)
  }

  /**
   * The server stored the first `count` updates of this connection. Returns whether that saved
   * anything new. Counts past what was sent (a confused server) confirm no more than was sent.
   */
  acknowledged(count: number): boolean {
    if (count <= 0 || this.madeAtSend.length === 0) return false
    const at = this.madeAtSend[Math.min(count, this.madeAtSend.length) - 1]!
    if (at <= this.saved) return false
    this.saved = at
    return true
  }
}

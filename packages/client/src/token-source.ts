/** Fresh tokens asked for in a row, with no sync in between, before a 4401 counts as final. */
export const maxRefreshesInARow = 2

/**
 * The token for the next connection, and the caller's `getToken` behind it. Every call of
 * `getToken` is awaited inside `try`; its failures go to `onFailure` and never escape.
 */
export class TokenSource {
  private pending: Promise<void> | null = null
  private refreshes = 0
  private askedFirst = false

  constructor(
    private token: string | null,
    private readonly getToken: (() => Promise<string | null | undefined> | string | null | undefined) | null,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Replaces the token (a sign-in happened). */
  set(token: string | null): void {
    this.token = token
    this.refreshes = 0
  }

  /** A connection synced, or the caller asked to connect: the token was good, or is someone else's problem now. */
  resetRefreshes(): void {
    this.refreshes = 0
  }

  /**
   * The token to open the next connection with. Waits for a refresh under way; without any
   * token yet, asks `getToken` once (a failure then connects without a token: the server may be
   * open, and if not its answer says so).
   */
  async beforeConnecting(): Promise<string | null> {
    if (this.token === null && this.getToken && !this.askedFirst) {
      this.askedFirst = true
      if (!this.pending) void this.start()
    }
    while (this.pending) await this.pending
    return this.token
  }

  /**
   * The server said the token expired (4401). Resolves `true` with a new token in place, or
   * `false` when there is none: no `getToken`, it failed or gave nothing, or fresh tokens were
   * refused {@link maxRefreshesInARow} times in a row.
   */
  async refresh(): Promise<boolean> {
    while (this.pending) await this.pending
    if (!this.getToken || this.refreshes >= maxRefreshesInARow) return false
    this.refreshes++
    return (await this.start()) !== null
  }

  /**
   * An attempt failed before the socket opened, which in a browser may hide an upgrade refused
   * for an expired token: asks for a token again, keeping the old one if none comes.
   */
  refreshQuietly(): void {
    if (!this.getToken || this.pending) return
    void this.start()
  }

  /** Calls `getToken`, marking the call as under way until it settles. */
  private start(): Promise<string | null> {
    const fetched = this.fetch()
    const pending = fetched.then(() => undefined)
    this.pending = pending
    // Registered before any waiter's, so waiters see `pending` cleared when they resume.
    void pending.then(() => {
      if (this.pending === pending) this.pending = null
    })
    return fetched
  }

  private async fetch(): Promise<string | null> {
    try {
      const token = await this.getToken!()
      if (typeof token === "string" && token !== "") {
        this.token = token
        return token
      }
      return null
    } catch (error) {
      this.onFailure(error)
      return null
    }
  }
}

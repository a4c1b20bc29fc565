/**
 * A tiny typed event emitter with no runtime dependencies (no Node `events`), so the client
 * runs unchanged in browsers.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>()

  /** Calls `listener` for every `event` until the returned function is called. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => this.off(event, listener)
  }

  /** Removes a listener added with {@link Emitter.on}. */
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void {
    this.listeners.get(event)?.delete(listener)
  }

  /**
   * Calls every listener of `event` with `payload`. A listener that throws must not stop the
   * others nor break the socket callback that emitted: the error is rethrown on a fresh task
   * (reported as uncaught, never swallowed).
   */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event) as Set<(payload: Events[K]) => void> | undefined
    if (!set) return
    for (const listener of [...set]) {
      try {
        listener(payload)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear()
  }
}

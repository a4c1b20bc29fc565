/** A listener for one event of the map `Events`. */
export type Listener<T> = (payload: T) => void

/**
 * A typed event stream. Listeners run synchronously, in the order they were added; a listener
 * that throws is reported to `onListenerError` and does not stop the others.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>()

  constructor(private readonly onListenerError: (error: unknown, event: keyof Events) => void) {}

  /** Adds a listener and returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as Listener<never>)
    return () => this.off(event, listener)
  }

  /** Removes a listener added with {@link Emitter.on}. */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>)
  }

  /** Calls every listener of `event` with `payload`. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as Listener<Events[K]>)(payload)
      } catch (error) {
        this.onListenerError(error, event)
      }
    }
  }
}

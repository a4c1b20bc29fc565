/**
 * The part of a WebSocket the client uses. The browser's `WebSocket` and Node's `ws` both fit
 * without a cast; so does a test double.
 */
export interface ClientSocket {
  binaryType: string
  onopen: Handler<unknown> | null
  onmessage: Handler<{ readonly data: unknown }> | null
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null
  onerror: Handler<unknown> | null
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
}

/**
 * An event handler property. Declared through a method so its parameter is compared
 * bivariantly: `ws` and the DOM type their events more precisely than the fields read here.
 */
type Handler<E> = { bivariant(event: E): void }["bivariant"]

/** A WebSocket class: `globalThis.WebSocket` in browsers, `ws`'s default export in Node. */
export type WebSocketClass = new (url: string) => ClientSocket

/**
 * Timers and a clock, injectable so tests drive reconnects without waiting. Handles are plain
 * numbers so the same interface fits browsers and Node.
 */
export interface Timers {
  now(): number
  setTimeout(fn: () => void, ms: number): number
  clearTimeout(id: number): void
}

/** The host's timers behind the {@link Timers} interface. Each call builds its own handle table. */
export function systemTimers(): Timers {
  const handles = new Map<number, ReturnType<typeof setTimeout>>()
  let nextId = 1
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextId++
      handles.set(
        id,
        setTimeout(() => {
          handles.delete(id)
          fn()
        }, ms),
      )
      return id
    },
    clearTimeout(id) {
      const handle = handles.get(id)
      if (handle === undefined) return
      handles.delete(id)
      clearTimeout(handle)
    },
  }
}

/**
 * Whether `data` is an ArrayBuffer, from any realm: `instanceof` fails for one made in another
 * realm (an iframe's, or Node's under a DOM emulation such as jsdom, where `ws` delivers frames).
 */
function isArrayBuffer(data: unknown): data is ArrayBuffer {
  return Object.prototype.toString.call(data) === "[object ArrayBuffer]"
}

/** The bytes of a binary message event, or `null` for a text frame (which the protocol never sends). */
export function frameBytes(data: unknown): Uint8Array | null {
  if (isArrayBuffer(data)) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return null
}

/**
 * The HTTP status of a refused upgrade, when the socket's error event tells it. Only Node's `ws`
 * does ("Unexpected server response: 401"); a browser hides it on purpose.
 */
export function refusedStatus(event: unknown): number | null {
  const message = typeof event === "object" && event !== null && "message" in event ? event.message : null
  const match = typeof message === "string" ? /Unexpected server response: (\d{3})/.exec(message) : null
  return match ? Number(match[1]) : null
}

/** The runtime's WebSocket class, or a TypeError saying to pass one (Node 20 has none). */
export function globalWebSocket(): WebSocketClass {
  const candidate: unknown = Reflect.get(globalThis, "WebSocket")
  if (typeof candidate !== "function") {
    throw new TypeError("createClient: this runtime has no global WebSocket; pass options.WebSocket (in Node, the `ws` package's default export)")
  }
  return candidate as WebSocketClass
}

/**
 * The URL of a connection to `doc`: `${url}/${doc}` with the token as a query parameter. Each
 * segment of the name is encoded on its own, so `/` stays a separator as the server parses the
 * path (and as the stock provider writes it).
 */
export function socketUrl(url: string, doc: string, token: string | null): string {
  const base = url.replace(/\/+$/, "")
  const path = doc.split("/").map(encodeURIComponent).join("/")
  return `${base}/${path}${token ? `?token=${encodeURIComponent(token)}` : ""}`
}

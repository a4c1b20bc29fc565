import type { ClientSocket } from "../src/index.js"

/** A socket the test plays the server for: it opens, delivers frames and closes when told. */
export class FakeSocket implements ClientSocket {
  binaryType = "blob"
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  readonly sent: Uint8Array[] = []
  closedByClient = false

  constructor(readonly url: string) {}

  send(data: Uint8Array): void {
    this.sent.push(data)
  }

  close(): void {
    this.closedByClient = true
  }

  open(): void {
    this.onopen?.({})
  }

  receive(frame: Uint8Array): void {
    this.onmessage?.({ data: frame.slice().buffer })
  }

  /** The server (or the network) closes the connection with `code`. */
  serverClose(code: number): void {
    this.onclose?.({ code, reason: "" })
  }
}

/** A WebSocket class whose instances the test can wait for, one per connection attempt. */
export function fakeSockets() {
  const made: FakeSocket[] = []
  const waiting: Array<(socket: FakeSocket) => void> = []
  class Socket extends FakeSocket {
    constructor(url: string) {
      super(url)
      made.push(this)
      waiting.shift()?.(this)
    }
  }
  return {
    Socket,
    made,
    /** Resolves with the next socket the client creates (or the one it just did). */
    next(): Promise<FakeSocket> {
      const index = made.length
      return new Promise((resolve) => {
        if (made.length > index) resolve(made[index]!)
        else waiting.push(resolve)
      })
    },
  }
}

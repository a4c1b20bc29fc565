// A client that asks for acknowledgements, for tests of what the cluster stores.
import { once } from "node:events"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import * as Y from "yjs"
import { decodeMessages, encodeAckRequest, encodeSyncStep1, encodeUpdate } from "@tandem/protocol"

/**
 * A client speaking the wire protocol directly, with its own Y.Doc: asks for acknowledgements
 * (PROTOCOL.md, tag 100), subscribes, sends every local change as one update and counts them, as
 * Tandem's editor does. It never reconnects.
 */
export class AckingClient {
  readonly doc = new Y.Doc()
  /** The updates sent, in order: `ack(n)` says the first `n` of them are stored. */
  readonly sent: Uint8Array[] = []
  /** The highest `n` of an `ack(n)` received. */
  acked = 0
  private synced = false
  /** The close code and reason, once the connection closed. */
  private closedWith: string | null = null
  private readonly waiters = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on("error", () => {})
    ws.on("message", (data: Buffer) => {
      for (const message of decodeMessages(new Uint8Array(data))) {
        if (message.type === "ack") this.acked = Math.max(this.acked, message.count)
        else if (message.type === "sync-step-2" || message.type === "update") {
          Y.applyUpdate(this.doc, message.update, this)
          if (message.type === "sync-step-2") this.synced = true
        }
        // The server's sync step 1 needs no answer: every change here went out as an update.
      }
      this.wake()
    })
    ws.on("close", (code: number, reason: Buffer) => {
      this.closedWith = `${code} ${reason.toString()}`
      this.wake()
    })
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === this) return
      this.sent.push(update)
      ws.send(encodeUpdate(update))
    })
  }

  /** Connects to `doc` on `instance`; resolves once it holds the document. Closed when the test ends. */
  static async connect(instance: { readonly wsUrl: string }, doc: string): Promise<AckingClient> {
    const client = new AckingClient(new WebSocket(`${instance.wsUrl}/${doc}`))
    onTestFinished(() => client.ws.terminate())
    await once(client.ws, "open")
    client.ws.send(encodeAckRequest())
    client.ws.send(encodeSyncStep1(Y.encodeStateVector(client.doc)))
    await client.until(() => client.synced)
    return client
  }

  get text(): string {
    return this.doc.getText("content").toString()
  }

  /** Inserts `value` at `index` of the text: one update. */
  insert(index: number, value: string): void {
    this.doc.getText("content").insert(index, value)
  }

  /** Whether every update sent is acknowledged. */
  get allAcked(): boolean {
    return this.acked === this.sent.length
  }

  /** The updates the server said are stored. */
  acknowledged(): Uint8Array[] {
    return this.sent.slice(0, this.acked)
  }

  /** Resolves once `check()` holds, checking after every frame; rejects if the socket closes first. */
  until(check: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        if (check()) resolve()
        else if (this.ws.readyState >= WebSocket.CLOSING) reject(new Error(`the connection closed: ${this.closedWith ?? "closing"}`))
        else return
        this.waiters.delete(test)
      }
      this.waiters.add(test)
      test()
    })
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}

import type * as decoding from "lib0/decoding"
import type * as encoding from "lib0/encoding"
import { countUpdates, encodeAckRequest, readTandemMessage, Tag } from "@tandem/protocol"
import type { WebsocketProvider } from "y-websocket"
import type * as Y from "yjs"

/** What a {@link SaveTracker} knows. */
export interface SaveState {
  /** Local changes the server has not confirmed as stored. */
  readonly unsaved: number
  /** Whether the server confirms saves (Tandem's ack extension); `false` for a stock y-websocket server. */
  readonly confirmed: boolean
}

/** Somewhere to keep the unsaved count across reloads (the IndexedDB copy's key-value store). */
export interface SaveStateStore {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<unknown>
}

/** Counts this client's unsaved changes from the server's acknowledgements. Built by {@link trackSaves}. */
export interface SaveTracker {
  state(): SaveState
  /** Calls `listener` when the state changes. Returns the unsubscribe. */
  onChange(listener: (state: SaveState) => void): () => void
  destroy(): void
}

type MessageHandler = (encoder: encoding.Encoder, decoder: decoding.Decoder, provider: WebsocketProvider, emitSynced: boolean, messageType: number) => void

const unsavedKey = "tandem:unsaved"

/**
 * Tracks which local changes the server has stored, with Tandem's opt-in acknowledgement
 * extension: on every connection the client asks for acks, counts the updates it sends, and
 * takes `ack(n)` as "your first n updates on this connection are stored". A change is saved
 * once an update sent after it was acknowledged, so changes made offline count as unsaved until
 * the sync on reconnect that carries them is acknowledged. With `store`, the unsaved count is
 * kept there and survives a reload (the changes themselves are in the same browser copy).
 */
export function trackSaves(provider: WebsocketProvider, options: { store?: SaveStateStore | null; ignoreOrigins?: readonly unknown[] } = {}): SaveTracker {
  const doc: Y.Doc = provider.doc
  const ignored = new Set<unknown>([provider, ...(options.ignoreOrigins ?? [])])
  const listeners = new Set<(state: SaveState) => void>()
  // Local changes made so far, and how many of them are known to be stored.
  let made = 0
  let saved = 0
  let confirmed = false
  // For the current connection: the value of `made` when each of its updates was sent.
  let madeAtSend: number[] = []
  let restoring: Promise<void> = Promise.resolve()

  const state = (): SaveState => ({ unsaved: made - saved, confirmed })
  const changed = () => {
    const current = state()
    void options.store?.set(unsavedKey, current.unsaved)
    for (const listener of listeners) listener(current)
  }

  if (options.store) {
    // Changes left unsaved by an earlier page: they are in the browser copy and go out with the
    // first sync, whose acknowledgement saves them.
    restoring = options.store.get(unsavedKey).then((stored) => {
      if (typeof stored === "number" && stored > 0) {
        made += stored
        changed()
      }
    })
  }

  // Counted on afterTransaction, which Yjs emits before "update": the provider sends the update
  // from its own "update" listener, and the count must already include it then.
  const onTransaction = (transaction: Y.Transaction) => {
    if (ignored.has(transaction.origin)) return
    const grew = [...transaction.afterState].some(([client, clock]) => transaction.beforeState.get(client) !== clock)
    if (!grew && transaction.deleteSet.clients.size === 0) return
    made++
    changed()
  }
  doc.on("afterTransaction", onTransaction)

  const handler: MessageHandler = (_encoder, decoder) => {
    const message = readTandemMessage(decoder)
    if (message.type !== "ack") return
    confirmed = true
    const at = message.count > 0 ? madeAtSend[message.count - 1] : undefined
    if (at !== undefined && at > saved) saved = at
    changed()
  }
  ;(provider.messageHandlers as MessageHandler[])[Tag.Tandem] = handler

  const onStatus = ({ status }: { status: string }) => {
    const ws = provider.ws
    if (status !== "connected" || !ws) return
    madeAtSend = []
    // Count the updates this socket sends, in order, to read the server's acks against.
    const send = ws.send.bind(ws)
    ws.send = (data: Parameters<WebSocket["send"]>[0]) => {
      if (data instanceof Uint8Array) {
        for (let n = countUpdates(data); n > 0; n--) madeAtSend.push(made)
      }
      send(data)
    }
    ws.send(encodeAckRequest())
  }
  provider.on("status", onStatus)
  if (provider.wsconnected) onStatus({ status: "connected" })

  return {
    state,
    onChange(listener) {
      listeners.add(listener)
      void restoring.then(() => listener(state()))
      return () => listeners.delete(listener)
    },
    destroy() {
      listeners.clear()
      doc.off("afterTransaction", onTransaction)
      provider.off("status", onStatus)
    },
  }
}

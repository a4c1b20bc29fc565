import type { UpdateSummary } from "@tandem/protocol"
import * as encoding from "lib0/encoding"

/**
 * A document loaded as one stored part and not yet decoded: a fresh process answers its first
 * joins with the stored bytes, without building the document first (tens of milliseconds for a
 * large one) or encoding it again.
 */
export interface DeferredState {
  /** The stored part: an update holding the whole document, nothing in it waiting on another. */
  readonly state: Uint8Array
  /** Its state vector. */
  readonly stateVector: ReadonlyMap<number, number>
}

/**
 * The stored part `state` (its walk is `summary`, with references) as a {@link DeferredState},
 * when it holds a whole document: every client's structs from clock 0 with no gap, every struct
 * another one refers to, and every struct it deletes, so nothing in it waits on another update.
 * `null` for anything else, which is applied at load as before.
 */
export function deferredState(state: Uint8Array, summary: UpdateSummary): DeferredState | null {
  if (summary.gaps || !summary.references) return null
  for (const range of summary.clocks.values()) if (range.from !== 0) return null
  for (const [client, needed] of summary.references) {
    if (needed > (summary.clocks.get(client)?.to ?? 0)) return null
  }
  for (const { client, clock, length } of summary.deletes) {
    if (clock + length > (summary.clocks.get(client)?.to ?? 0)) return null
  }
  return { state, stateVector: new Map([...summary.clocks].map(([client, range]) => [client, range.to])) }
}

/** A state vector encoded as Yjs encodes one: the count, then each client and its clock, highest client first. */
export function encodeStateVector(stateVector: ReadonlyMap<number, number>): Uint8Array {
  const encoder = encoding.createEncoder()
  const clients = [...stateVector].sort(([a], [b]) => b - a)
  encoding.writeVarUint(encoder, clients.length)
  for (const [client, clock] of clients) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, clock)
  }
  return encoding.toUint8Array(encoder)
}

import * as Y from "yjs"
import { ProtocolError } from "./protocol-error.js"

/** What a Yjs update carries, read once while validating it. */
export interface UpdateSummary {
  /** For each client id, the clock range `[from, to)` of the structs the update holds. */
  readonly clocks: ReadonlyMap<number, { readonly from: number; readonly to: number }>
  /** The ranges of items the update deletes. */
  readonly deletes: ReadonlyArray<{ readonly client: number; readonly clock: number; readonly length: number }>
  /** Whether the structs leave a gap (a Skip) in some client's clock range; those may integrate only in part. */
  readonly gaps: boolean
}

/**
 * Checks that `update` is a Yjs (v1) update that decodes completely, without applying it
 * anywhere, and says what it carries. Yjs integrates the structs of an update before it reads
 * its delete set, so an update that fails half way through would otherwise leave a document
 * half changed.
 *
 * @throws {ProtocolError} with code `"malformed"`.
 */
export function validateUpdate(update: Uint8Array): UpdateSummary {
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch (cause) {
    throw new ProtocolError("malformed", "update does not decode", { cause })
  }
  const clocks = new Map<number, { from: number; to: number }>()
  let gaps = false
  for (const struct of decoded.structs) {
    // A Skip marks a gap in the update, not content. Apart from those, a client's structs follow
    // on from each other: the decoder counts their clocks up from the first.
    if (struct instanceof Y.Skip) {
      gaps = true
      continue
    }
    const { client, clock } = struct.id
    if (struct.length < 1) throw new ProtocolError("malformed", "empty struct")
    // Yjs integrates a client's structs in clock order and takes a reference to the same client
    // as present; one pointing at or past the struct itself makes it throw half way through an
    // update, leaving the document changed. Those never come from a real client.
    if (struct instanceof Y.Item) {
      for (const ref of [struct.origin, struct.rightOrigin, struct.parent]) {
        if (ref instanceof Y.ID && ref.client === client && ref.clock >= clock) {
          throw new ProtocolError("malformed", "struct refers to itself or to a later struct of its client")
        }
      }
    }
    const range = clocks.get(client)
    const end = clock + struct.length
    if (!range) clocks.set(client, { from: clock, to: end })
    else {
      range.from = Math.min(range.from, clock)
      range.to = Math.max(range.to, end)
    }
  }
  const deletes: Array<{ client: number; clock: number; length: number }> = []
  for (const [client, items] of decoded.ds.clients) {
    for (const item of items) {
      // Yjs cannot even re-encode an empty deletion it kept pending.
      if (item.len < 1) throw new ProtocolError("malformed", "empty deletion")
      deletes.push({ client, clock: item.clock, length: item.len })
    }
  }
  return { clocks, deletes, gaps }
}

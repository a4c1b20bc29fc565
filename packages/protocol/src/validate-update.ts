import { walkUpdate } from "./update-walker.js"

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
 * half changed. It reads the bytes in place (see `update-walker.ts`) rather than decoding every
 * struct with `Y.decodeUpdate`, which cost about 24 µs an update.
 *
 * @throws {ProtocolError} with code `"malformed"`.
 */
export function validateUpdate(update: Uint8Array): UpdateSummary {
  return walkUpdate(update)
}

import { ChangeSet, type Text } from "@codemirror/state"
import { ProtocolError, type CollabUpdate } from "@tandem/protocol"
import { logEntry, type CollabLogEntry } from "./collab-log.js"
import { estimatedBytes, splitsPair, splitsSurrogates } from "./text-changes.js"

/** A push's updates, read and checked against the text they were made on. */
export interface ReadPush {
  readonly entries: readonly CollabLogEntry[]
  /** The text with every update of the push applied. */
  readonly after: Text
  /** About how many bytes the push adds to the document (see estimatedBytes). */
  readonly bytes: number
  /** Whether one of the updates leaves half of a surrogate pair at an edge (see splitsSurrogates). */
  readonly splits: boolean
}

/**
 * Reads the updates of a push made on `text`, each on top of the one before it.
 *
 * @throws {ProtocolError} `malformed` for changes that do not decode, do not fit the text or
 *   split a surrogate pair.
 */
export function readPush(text: Text, updates: readonly CollabUpdate[]): ReadPush {
  let after = text
  let bytes = 0
  let splits = false
  const entries = updates.map((update) => {
    let changes: ChangeSet
    try {
      changes = ChangeSet.fromJSON(update.changes)
    } catch (cause) {
      throw new ProtocolError("malformed", "changes do not decode", { cause })
    }
    if (changes.length !== after.length) throw new ProtocolError("malformed", "changes do not fit the document")
    if (splitsPair(changes, after)) throw new ProtocolError("malformed", "changes split a surrogate pair")
    after = changes.apply(after)
    splits ||= splitsSurrogates(changes, after)
    bytes += estimatedBytes(changes)
    return logEntry(update.clientID, changes)
  })
  return { entries, after, bytes, splits }
}

import type { ChangeSet } from "@codemirror/state"
import type { CollabUpdate } from "@tandem/protocol"

/** One update in a {@link CollabLog}: its changes, and the JSON sent to clients, made once. */
export interface CollabLogEntry {
  readonly clientID: string
  readonly changes: ChangeSet
  readonly json: CollabUpdate
}

/** An entry for `changes` made by `clientID`. */
export function logEntry(clientID: string, changes: ChangeSet): CollabLogEntry {
  return { clientID, changes, json: { clientID, changes: changes.toJSON() as CollabUpdate["changes"] } }
}

/**
 * The versioned updates of one room for collab clients: version `n` is the document after the
 * first `n` updates of this log's epoch. Only the newest are kept; a client further behind is
 * sent the whole document instead.
 */
export class CollabLog {
  private entries: CollabLogEntry[] = []
  /** The version of `entries[0]`'s document: the oldest version updates can be given from. */
  private start = 0

  /** The version after every update appended. */
  get head(): number {
    return this.start + this.entries.length
  }

  /** The oldest version the log can bring a client forward from. */
  get base(): number {
    return this.start
  }

  append(entry: CollabLogEntry): void {
    this.entries.push(entry)
  }

  /** The updates from version `from` to version `to`. `from` must be at least {@link base}. */
  range(from: number, to: number): CollabLogEntry[] {
    return this.entries.slice(from - this.start, to - this.start)
  }

  /** The length of the document at version `version`, given the length at the head. */
  lengthAt(version: number, headLength: number): number {
    return this.entries[version - this.start]?.changes.length ?? headLength
  }

  /**
   * Forgets the updates before version `keepFrom`. Done in steps of at least half the kept
   * length, so trimming a long log costs a copy now and then, not one per update.
   */
  trim(keepFrom: number): void {
    const drop = keepFrom - this.start
    if (drop <= 0 || drop < this.entries.length - drop) return
    this.entries = this.entries.slice(drop)
    this.start = keepFrom
  }
}

/** One update in a document's log. */
export interface StoredUpdate {
  /** Its sequence number, counting up from 1 across the document's whole life. */
  readonly seq: number
  readonly data: Uint8Array
}

/** Updates for one document, in an {@link DocumentStore.appendMany}. */
export interface AppendBatch {
  readonly name: string
  readonly updates: readonly Uint8Array[]
}

/** Which stored parts of a document cannot be decoded; see {@link DocumentStore.quarantine}. */
export interface Quarantine {
  readonly snapshot: boolean
  readonly seqs: readonly number[]
}

/** What a {@link DocumentStore} holds for one document. */
export interface StoredDocument {
  /** The compacted state of the document (a Yjs update), or `null` before the first compaction. */
  readonly snapshot: Uint8Array | null
  /** Updates appended since the snapshot, oldest first. */
  readonly updates: readonly StoredUpdate[]
  /**
   * Sequence number of the newest update folded into this document. Appends count up from it;
   * {@link DocumentStore.compact} takes it to say how much of the log a snapshot replaces.
   */
  readonly head: number
}

/**
 * Durable storage for documents. It sees bytes, never a `Y.Doc`. The server serializes the writes
 * of one document: `append` and `compact` for the same name never run at the same time.
 * Every adapter runs the acceptance suite in `@tandem/storage-testkit`.
 */
export interface DocumentStore {
  /** Reads a document, or resolves to `null` when nothing was ever stored under `name`. */
  load(name: string): Promise<StoredDocument | null>
  /**
   * Appends updates to the document's log in one transaction and resolves with the new head
   * once that transaction has committed. Rejects, having stored nothing, when it fails.
   */
  append(name: string, updates: readonly Uint8Array[]): Promise<number>
  /**
   * Optional: appends to several documents in one transaction and resolves with each one's new
   * head, in order, once it has committed; rejects, having stored nothing, when it fails. The
   * server uses it to commit the writes of every room due in one turn of the event loop together.
   * Without it each document is appended on its own.
   */
  appendMany?(batches: readonly AppendBatch[]): Promise<number[]>
  /**
   * Replaces the log up to and including sequence number `upTo` with `snapshot`, in one
   * transaction. `snapshot` must contain everything those updates did.
   */
  compact(name: string, snapshot: Uint8Array, upTo: number): Promise<void>
  /**
   * Moves parts of a document that cannot be decoded out of its load path, in one transaction,
   * keeping them (never deleting them) for a person to inspect. The document then loads from the
   * rest.
   */
  quarantine(name: string, parts: Quarantine): Promise<void>
  /** Finishes pending work and releases the store. No call may follow. */
  close(): Promise<void>
}

/** What went wrong in storage. */
export type StorageErrorCode = "load-failed" | "append-failed" | "compact-failed" | "quarantine-failed"

/** A failed storage operation, wrapping the adapter's own error as `cause`. */
export class StorageError extends Error {
  override readonly name = "StorageError"
  readonly code: StorageErrorCode
  readonly doc: string

  constructor(code: StorageErrorCode, doc: string, cause: unknown) {
    super(`${code} for document "${doc}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.code = code
    this.doc = doc
  }
}

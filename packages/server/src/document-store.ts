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
  /** Outbox messages to add in the same transaction as these updates; see {@link Outbox}. */
  readonly outbox?: readonly OutboxMessage[]
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
   * `outbox` messages, when given, are added in the same transaction (a store without
   * {@link DocumentStore.outbox} is never given any); an id stored already fails it whole.
   */
  append(name: string, updates: readonly Uint8Array[], outbox?: readonly OutboxMessage[]): Promise<number>
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
  /**
   * Optional: the updates stored after sequence number `seq`, oldest first (an empty array when
   * there are none, or the document was never written), or `null` when compaction folded some of
   * them into the snapshot, so only a whole {@link DocumentStore.load} has them. Rooms use it to
   * read what another instance stored and the bus did not deliver; without it they load whole.
   */
  loadSince?(name: string, seq: number): Promise<StoredUpdate[] | null>
  /**
   * Lists stored documents in name order: those whose name starts with `prefix` (all when
   * empty) and sorts after `after` (from the start when `null`), at most `limit` of them.
   */
  list(options: ListOptions): Promise<DocumentInfo[]>
  /**
   * Removes a document with its log, snapshot, versions and quarantined parts, in one
   * transaction; the name then loads as never written and counts from 0 again. Resolves to
   * whether anything was stored under `name`.
   */
  delete(name: string): Promise<boolean>
  /**
   * Version history, when the store keeps it (every store in this repository does). The server
   * answers the history API with 501 without it.
   */
  readonly versions?: VersionStore
  /**
   * Messages waiting to be delivered (webhooks), when the store keeps them (every store in this
   * repository does). Webhooks need it.
   */
  readonly outbox?: Outbox
  /** Finishes pending work and releases the store. No call may follow. */
  close(): Promise<void>
}

/** What {@link DocumentStore.list} takes. */
export interface ListOptions {
  readonly prefix: string
  /** Exclusive lower bound on names: the last name of the previous page. */
  readonly after: string | null
  readonly limit: number
}

/** One stored document, as {@link DocumentStore.list} reports it. */
export interface DocumentInfo {
  readonly name: string
  /** Bytes stored for it: snapshot and log together. */
  readonly bytes: number
  /** When it was last written (an append or a compaction), in milliseconds since the epoch. */
  readonly updatedAt: number
}

/** Whether a version was taken by the server on its schedule or named by someone. */
export type VersionKind = "auto" | "named"

/** A version as it is listed: everything but its state. */
export interface VersionInfo {
  /** Unique within its document; a decimal number assigned by the store, increasing. */
  readonly id: string
  readonly kind: VersionKind
  /**
   * The name people gave a named version; for an automatic one, `null` or a note the server
   * wrote (the version a restore saved first says so).
   */
  readonly label: string | null
  /** The user (a token's `sub`) who made it, or `null` for the server or an open server. */
  readonly author: string | null
  /** When it was taken, in milliseconds since the epoch, as the caller gave it. */
  readonly createdAt: number
  /** Size of its state in bytes. */
  readonly bytes: number
}

/** A version with the document's full state at that moment (a Yjs update). */
export interface StoredVersion extends VersionInfo {
  readonly state: Uint8Array
}

/** What {@link VersionStore.save} takes. */
export interface NewVersion {
  readonly kind: VersionKind
  readonly label: string | null
  readonly author: string | null
  readonly createdAt: number
  readonly state: Uint8Array
}

/**
 * A document's versions: full states kept beside its log, never folded by compaction and counted
 * against no size limit. Removed with the document by {@link DocumentStore.delete}.
 */
export interface VersionStore {
  /** Stores a version and resolves with what it lists as, once committed. */
  save(doc: string, version: NewVersion): Promise<VersionInfo>
  /**
   * The document's versions newest first (highest id first): those with an id below `before`
   * (all when `null`), at most `limit`.
   */
  list(doc: string, options: { readonly before: string | null; readonly limit: number }): Promise<VersionInfo[]>
  /** One version with its state, or `null` when there is none with that id for that document. */
  load(doc: string, id: string): Promise<StoredVersion | null>
  /** Removes versions of `doc` by id in one transaction; ids it does not have are skipped. Resolves to how many went. */
  remove(doc: string, ids: readonly string[]): Promise<number>
}

/**
 * A message waiting in the {@link Outbox}: an event to deliver at least once. Everything but
 * `dueAt`, `attempts` and `body` stays as it was added.
 */
export interface OutboxMessage {
  /** Unique across the store; the deliverer's idempotency key (`webhook-id`). */
  readonly id: string
  /** What happened, such as `document.changed`. */
  readonly type: string
  /** The payload, as the deliverer sends it (JSON text). */
  readonly body: string
  /** When the event happened, in milliseconds since the epoch. */
  readonly createdAt: number
  /** When it is next due for delivery, in milliseconds since the epoch. */
  readonly dueAt: number
  /** Delivery attempts that failed so far; 0 for a new message. */
  readonly attempts: number
}

/**
 * Durable messages due for delivery (the transactional outbox). Processes sharing the store
 * share the outbox: a {@link Outbox.claim} leases the messages it returns, so each is delivered by
 * one of them while its lease lasts, and by another once it has passed (the claimer died).
 */
export interface Outbox {
  /** Adds messages in one transaction; resolves once it has committed. Rejects, adding none, when an id is stored already. */
  add(messages: readonly OutboxMessage[]): Promise<void>
  /**
   * Takes up to `limit` messages due at `now` (`dueAt <= now`), earliest due first, and moves
   * their `dueAt` to `leaseUntil` in the same transaction, so no other claim returns them before
   * then. Resolves with them as they were before the move.
   */
  claim(now: number, leaseUntil: number, limit: number): Promise<OutboxMessage[]>
  /**
   * Moves the due time of message `id` to `dueAt` only if it is still `expectedDueAt` (it has not
   * been claimed since). Resolves to whether it moved.
   */
  hasten(id: string, expectedDueAt: number, dueAt: number): Promise<boolean>
  /** Records a failed attempt: the message is due again at `dueAt`, after `attempts` failures, with `body`. No-op when gone. */
  retry(id: string, dueAt: number, attempts: number, body: string): Promise<void>
  /** Removes messages (delivered, or given up on); ids it does not have are skipped. */
  remove(ids: readonly string[]): Promise<void>
  /** The earliest `dueAt` of any message, or `null` when the outbox is empty. */
  nextDue(): Promise<number | null>
}

/** What went wrong in storage. */
export type StorageErrorCode = "load-failed" | "append-failed" | "compact-failed" | "quarantine-failed" | "delete-failed" | "version-failed"

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

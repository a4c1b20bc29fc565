/** What went wrong in a {@link PostgresStoreError}. */
export type PostgresStoreErrorCode =
  /** `createPostgresStore` was given options it cannot use. */
  | "invalid-options"
  /** The database was migrated by a newer release of this package than the one running. */
  | "schema-too-new"
  /** `compact` was called for a document that holds nothing. */
  | "no-document"
  /** A version id that is not a decimal number was given as a `before` cursor. */
  | "invalid-version-id"
  /** A call was made after `close()`. */
  | "closed"

/**
 * An error of the PostgreSQL store itself. Errors of PostgreSQL or the connection (a lost
 * connection, a timeout) are node-postgres's own, passed through as they are: the server wraps
 * every storage failure in a `StorageError` and retries.
 */
export class PostgresStoreError extends Error {
  override readonly name = "PostgresStoreError"
  readonly code: PostgresStoreErrorCode

  constructor(code: PostgresStoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

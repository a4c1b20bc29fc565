/** What went wrong in a {@link SqliteStoreError}. */
export type SqliteStoreErrorCode =
  /** The database file was migrated by a newer release of this package than the one opening it. */
  | "schema-too-new"
  /** A version id the caller passed is no decimal number, so it cannot bound a listing. */
  | "invalid-version-id"

/**
 * A misuse of the SQLite store that no retry fixes: thrown by `createSqliteStore` when the file's
 * schema is newer than it knows, and by `versions.list` for a `before` that is no version id.
 */
export class SqliteStoreError extends Error {
  override readonly name = "SqliteStoreError"
  readonly code: SqliteStoreErrorCode

  constructor(code: SqliteStoreErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

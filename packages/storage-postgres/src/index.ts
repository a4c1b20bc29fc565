export { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from "./postgres-store.js"
export { PostgresStoreError, type PostgresStoreErrorCode } from "./postgres-store-error.js"
export { schemaVersion } from "./schema.js"

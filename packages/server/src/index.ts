export { createSyncServer, defaults, type SyncServer, type SyncServerOptions, type Limits, type ServerEvents, type ServerStats } from "./sync-server.js"
export { Connection, type Socket, type ConnectionHandler, type ConnectionLimits } from "./connection.js"
export { AuthError, openAuthorizer, type Authorizer, type AuthRequest, type Grant, type AuthErrorCode, type Access } from "./auth.js"
export { Room, contentKey, type RoomLimits } from "./room.js"
export { RoomManager, type RoomManagerOptions } from "./room-manager.js"
export { UpdateLog, type UpdateLogOptions } from "./update-log.js"
export { GroupCommit } from "./group-commit.js"
export {
  StorageError,
  type DocumentStore,
  type StoredDocument,
  type StoredUpdate,
  type AppendBatch,
  type Quarantine,
  type StorageErrorCode,
} from "./document-store.js"
export { localBus, type RoomBus } from "./room-bus.js"
export { Emitter, type Listener } from "./emitter.js"
export { createConsoleLogger, silentLogger, type Logger, type LogFields } from "./logger.js"

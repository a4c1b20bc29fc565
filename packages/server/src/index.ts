export { createSyncServer } from "./sync-server.js"
export type { SyncServer, ServerStats, ClientProtocol, RoomOverview } from "./sync-server-types.js"
export { defaults, type SyncServerOptions, type Limits } from "./server-options.js"
export type { ServerEvents, UpgradeRefusal } from "./server-events.js"
export { Traffic } from "./traffic.js"
export { Connection, type Socket, type ConnectionHandler, type ConnectionLimits, type JoinedRoom, type Gateway } from "./connection.js"
export { AuthError, openAuthorizer, type Authorizer, type AuthRequest, type Grant, type AuthErrorCode, type Access, type Visibility } from "./auth.js"
export { Room } from "./room.js"
export { RoomPeers } from "./room-peers.js"
export { RoomCluster, type RoomClusterOptions } from "./room-cluster.js"
export { RoomText } from "./room-text.js"
export { RoomGoneError, contentKey, type RoomOptions, type RoomLimits, type ServerWrite, type WriteSource, type Applied, type TextWatcher } from "./room-types.js"
export { RoomManager, type RoomManagerOptions } from "./room-manager.js"
export { RoomLoader, type RoomLoaderOptions } from "./room-loader.js"
export { UpdateLog, type UpdateLogOptions } from "./update-log.js"
export { GroupCommit, type CommitCompanion } from "./group-commit.js"
export { Webhooks, webhookDefaults, type WebhookOptions, type WebhookContext, type WebhookEventType } from "./webhooks/webhooks.js"
export { parseWebhookSecret, signWebhook } from "./webhooks/signature.js"
export {
  StorageError,
  type DocumentStore,
  type StoredDocument,
  type StoredUpdate,
  type AppendBatch,
  type Quarantine,
  type StorageErrorCode,
  type ListOptions,
  type DocumentInfo,
  type VersionKind,
  type VersionInfo,
  type StoredVersion,
  type NewVersion,
  type VersionStore,
  type Outbox,
  type OutboxMessage,
} from "./document-store.js"
export { localBus, type RoomBus, type BusSubscriber } from "./room-bus.js"
export { Emitter, type Listener } from "./emitter.js"
export { createConsoleLogger, createCappedLogger, silentLogger, type Logger, type LogFields, type LogLevel } from "./logger.js"
export { systemClock, type Clock, type ClockTimer } from "./clock.js"
export { History, type HistoryOptions, type HistoryContext, type VersionRequest } from "./history.js"
export { versionsToThin, defaultRetention, type RetentionPolicy } from "./retention.js"
export { lineDiff, type LineHunk, type HunkLine } from "./text-diff.js"
// The text diff lives in @tandem/protocol, which the editor shares; exported here too, as before.
export { textDiff, applyTextEdits, type TextEdit } from "@tandem/protocol"
export {
  DocumentError,
  textTag,
  tagMatches,
  stateText,
  readTagged,
  writeText,
  applyUpdate,
  readUpdate,
  nameVersion,
  listVersions,
  loadVersion,
  removeVersion,
  diffVersions,
  restoreVersion,
  type DocumentErrorCode,
  type TextWritten,
  type Restored,
} from "./documents.js"

export { CloseCode } from "./close-code.js"
export { ProtocolError, type ProtocolErrorCode } from "./protocol-error.js"
export { isValidDocName, parseDocName, maxDocNameLength } from "./doc-name.js"
export {
  Tag,
  SyncTag,
  TandemTag,
  encodeAckRequest,
  encodeAck,
  readTandemMessage,
  countUpdates,
  AuthTag,
  type AwarenessEntry,
  encodeAwarenessEntries,
  type Message,
  type MessageType,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  encodeAwareness,
  encodeQueryAwareness,
  encodePermissionDenied,
  decodeMessages,
} from "./message.js"
export { validateUpdate, type UpdateSummary } from "./validate-update.js"
export {
  decodeCollabClientMessage,
  decodeCollabServerMessage,
  encodeCollabClientMessage,
  encodeCollabServerMessage,
  joinedAtOf,
  maxCollabClientIdLength,
  type ChangeSetJSON,
  type CollabAccess,
  type CollabClientMessage,
  type CollabPeer,
  type CollabSelection,
  type CollabServerMessage,
  type CollabUpdate,
  type CollabUser,
  type PushStatus,
} from "./collab-message.js"
export {
  encodeCursor,
  decodeCursor,
  type AwarenessCursor,
  type AwarenessId,
  type AwarenessRelativePosition,
  type Cursor,
} from "./awareness-cursor.js"
export { textDiff, applyTextEdits, textChangeSpecs, type TextEdit, type TextChangeSpec } from "./text-diff.js"

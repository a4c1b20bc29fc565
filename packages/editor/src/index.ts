export { collab, getUndoManager, type CollabOptions } from "./collab.js"
export { yUndo, yRedo } from "./undo.js"
export { fromYjs } from "./config.js"
export { sanitizeColor, type UserInfo, type CursorInfo } from "./user-info.js"
export { editingBasics, keepLineEndings, spellcheckAttribute } from "./editing.js"
export {
  createEditor,
  browserCopyName,
  type EditorOptions,
  type EditorHandle,
  type EditorStatus,
  type ConnectionState,
  type Peer,
} from "./embed.js"
export { sizeLimit, type SizeLimitOptions } from "./size-limit.js"
export { createCollabEditor, type CollabEditorHandle } from "./ot/embed.js"
export { CollabSession, type CollabHost, type CollabSessionOptions, type CollabSessionStatus } from "./ot/collab-session.js"
export { remotePeers, setRemotePeers, type RemotePeer } from "./ot/presence.js"
export { collabCursors } from "./ot/cursors.js"
export { rebaseOnto, diffChanges } from "./ot/rebase.js"

export { collab, getUndoManager, type CollabOptions } from "./collab.js"
export { yUndo, yRedo } from "./undo.js"
export { fromYjs } from "./config.js"
export { sanitizeColor, type UserInfo, type CursorInfo } from "./remote-cursors.js"
export {
  createEditor,
  type EditorOptions,
  type EditorHandle,
  type EditorStatus,
  type ConnectionState,
  type Peer,
} from "./embed.js"
export { trackSaves, type SaveTracker, type SaveState, type SaveStateStore } from "./save-tracker.js"

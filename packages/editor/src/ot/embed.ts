import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands"
import { Transaction } from "@codemirror/state"
import { EditorView, keymap } from "@codemirror/view"
import { joinedAtOf, type CollabUser } from "@tandem/protocol"
import { editingBasics } from "../editing.js"
import type { EditorOptions, EditorStatus } from "../embed.js"
import { sanitizeColor, sanitizeName, type UserInfo } from "../user-info.js"
import { CollabSession, type CollabHost } from "./collab-session.js"
import { collabCursors } from "./cursors.js"

/** A mounted OT editor: see {@link createCollabEditor}. */
export interface CollabEditorHandle {
  readonly view: EditorView
  /** The collab client behind the editor. */
  readonly session: CollabSession
  /** The current status, in the same terms as the Yjs editor's. */
  status(): EditorStatus
  /** Calls `listener` whenever the status changes. Returns the unsubscribe. */
  onStatus(listener: (status: EditorStatus) => void): () => void
  /** Changes the name and colour others see. */
  setUser(user: UserInfo): void
  /** Disconnects, removes the editor and releases every socket, listener and timer. */
  destroy(): Promise<void>
}

/** The host of a session whose state lives in an EditorView. */
function viewHost(view: EditorView): CollabHost {
  return {
    get state() {
      return view.state
    },
    dispatch: (transaction) => view.dispatch(transaction),
    setState: (state) => view.setState(state),
  }
}

/** The name, colour and join time of `user`, sanitised, as the collab protocol carries them. */
function collabUser(user: UserInfo | CollabUser): CollabUser {
  const joinedAt = joinedAtOf(user.joinedAt)
  return { name: sanitizeName(user.name), color: sanitizeColor(user.color), ...(joinedAt !== undefined ? { joinedAt } : {}) }
}

/**
 * Mounts an editor whose collaboration is CodeMirror's own `@codemirror/collab` (the stock
 * `collab()` extension, with `sendableUpdates`, `receiveUpdates` and `getSyncedVersion`), on a
 * Tandem server's `/collab` endpoint: it co-edits the same documents as the Yjs editors, with
 * presence both ways. The options are {@link EditorOptions}, with `serverUrl` the collab URL
 * (`wss://example.com/collab`); `persistence` is not supported by this editor and is ignored:
 * unconfirmed changes live in the page, and survive reconnects but not a reload.
 *
 * ```ts
 * const editor = createCollabEditor({
 *   parent: document.querySelector("#editor")!,
 *   serverUrl: "ws://localhost:1234/collab",
 *   doc: "team/notes",
 *   user: { name: "Ada", color: "#d33" },
 * })
 * editor.onStatus((status) => console.log(status.connection, status.unsaved))
 * ```
 */
export function createCollabEditor(options: EditorOptions): CollabEditorHandle {
  const url = `${options.serverUrl.replace(/\/+$/, "")}/${options.doc}${options.token ? `?token=${encodeURIComponent(options.token)}` : ""}`
  let view: EditorView | null = null
  const session: CollabSession = new CollabSession({
    url,
    user: collabUser(options.user),
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    extensions: [
      editingBasics(),
      // CodeMirror's own history: remote changes are kept out of it and mapped through.
      history(),
      collabCursors(),
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      // Local changes and selections go out as they happen; the focus decides whether the
      // selection is shown to others, as in the Yjs editor. Remote changes need nothing sent.
      EditorView.updateListener.of((update) => {
        const local = update.transactions.some((tr) => !tr.annotation(Transaction.remote) && (tr.docChanged || tr.selection !== undefined))
        if (local || update.focusChanged) session.flush(update.view.hasFocus)
      }),
      options.extensions ?? [],
    ],
    host: (state) => viewHost((view = new EditorView({ parent: options.parent, state }))),
  })
  const mounted = view as EditorView | null
  if (!mounted) throw new Error("createCollabEditor: the session made no view")

  const listeners = new Set<(status: EditorStatus) => void>()
  const status = (): EditorStatus => {
    const current = session.status()
    return {
      connection: current.connection,
      synced: current.synced,
      localLoaded: true,
      savedLocally: false,
      unsaved: current.unsaved,
      savesConfirmed: current.savesConfirmed,
      readOnly: current.access === "read",
      error: null,
      refused: null,
      peers: current.peers.flatMap((peer) =>
        peer.user ? [{ clientId: peer.id, ...collabUser(peer.user), self: peer.id === current.you }] : [],
      ),
    }
  }
  const stop = session.onChange(() => {
    const current = status()
    for (const listener of listeners) listener(current)
  })

  return {
    view: mounted,
    session,
    status,
    onStatus(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    setUser(user) {
      session.setUser(collabUser(user))
    },
    destroy() {
      stop()
      listeners.clear()
      session.destroy()
      mounted.destroy()
      return Promise.resolve()
    },
  }
}

import { defaultKeymap, indentWithTab } from "@codemirror/commands"
import { EditorState, type Extension } from "@codemirror/state"
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view"
import { IndexeddbPersistence } from "y-indexeddb"
import { WebsocketProvider, messageAuth } from "y-websocket"
import * as Y from "yjs"
import { collab } from "./collab.js"
import type { UserInfo } from "./remote-cursors.js"
import { sanitizeColor } from "./remote-cursors.js"
import { trackSaves } from "./save-tracker.js"

/** Options of {@link createEditor}. */
export interface EditorOptions {
  /** Where the editor goes. */
  readonly parent: HTMLElement
  /** The server's sync URL, for example `wss://example.com/sync`. */
  readonly serverUrl: string
  /** The document name. */
  readonly doc: string
  /** A token for servers with auth; sent as the `token` query parameter. */
  readonly token?: string
  /** Who this user is to others. */
  readonly user: UserInfo
  /** Also keep the document in the browser (IndexedDB), so a reload while offline loses nothing. */
  readonly persistence?: boolean
  /** More CodeMirror extensions: a language, a theme, keymaps. */
  readonly extensions?: Extension
  /** A WebSocket implementation, for runtimes without a global one. */
  readonly WebSocket?: typeof globalThis.WebSocket
}

/** Whether the editor is talking to the server. `offline` once a connection was lost; it keeps retrying. */
export type ConnectionState = "connecting" | "connected" | "offline"

/** Someone on the document, from awareness. */
export interface Peer extends UserInfo {
  readonly clientId: number
  readonly self: boolean
}

/** What the editor knows about its connection, read with {@link EditorHandle.status}. */
export interface EditorStatus {
  readonly connection: ConnectionState
  /** The document was received from the server on the current connection. */
  readonly synced: boolean
  /** The browser copy (with `persistence`) has been loaded. */
  readonly localLoaded: boolean
  /** Every change so far is in the browser copy (with `persistence`; always false without). */
  readonly savedLocally: boolean
  /** Local changes the server has not yet confirmed as stored; survives reconnects, and reloads with `persistence`. */
  readonly unsaved: number
  /** Whether the server confirms saves; a stock y-websocket server does not, and `unsaved` then never falls. */
  readonly savesConfirmed: boolean
  /** The server refused a change because this connection may only read (it says so only on a write). */
  readonly readOnly: boolean
  readonly peers: readonly Peer[]
}

/** A mounted editor. */
export interface EditorHandle {
  readonly view: EditorView
  readonly ydoc: Y.Doc
  readonly ytext: Y.Text
  readonly provider: WebsocketProvider
  readonly undoManager: Y.UndoManager
  /** The current status. */
  status(): EditorStatus
  /** Calls `listener` whenever the status changes. Returns the unsubscribe. */
  onStatus(listener: (status: EditorStatus) => void): () => void
  /** Changes the name and colour others see. */
  setUser(user: UserInfo): void
  /** Disconnects, removes the editor and releases every socket, listener and timer. */
  destroy(): Promise<void>
}

/**
 * Mounts a collaborative editor on `parent`, connected to a Tandem (or any y-websocket)
 * server, reconnecting with backoff. Edits made while offline are kept and merge on reconnect.
 *
 * ```ts
 * const editor = createEditor({
 *   parent: document.querySelector("#editor")!,
 *   serverUrl: "ws://localhost:1234/sync",
 *   doc: "team/notes",
 *   user: { name: "Ada", color: "#d33" },
 * })
 * editor.onStatus((status) => console.log(status.connection, status.synced))
 * ```
 */
export function createEditor(options: EditorOptions): EditorHandle {
  const ydoc = new Y.Doc()
  const ytext = ydoc.getText("content")
  const persistence = options.persistence ? new IndexeddbPersistence(`tandem:${options.doc}`, ydoc) : null
  const provider = new WebsocketProvider(options.serverUrl, options.doc, ydoc, {
    params: options.token ? { token: options.token } : {},
    ...(options.WebSocket ? { WebSocketPolyfill: options.WebSocket } : {}),
  })
  const awareness = provider.awareness
  const undoManager = new Y.UndoManager(ytext)
  const saves = trackSaves(provider, { store: persistence, ignoreOrigins: persistence ? [persistence] : [] })
  awareness.setLocalStateField("user", { name: options.user.name, color: sanitizeColor(options.user.color) })

  const view = new EditorView({
    parent: options.parent,
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [
        lineNumbers(),
        drawSelection(),
        highlightActiveLine(),
        EditorView.lineWrapping,
        collab({ ytext, awareness, undoManager }),
        keymap.of([...defaultKeymap, indentWithTab]),
        options.extensions ?? [],
      ],
    }),
  })

  let connection: ConnectionState = "connecting"
  let localLoaded = persistence === null
  // Changes issued to the browser copy, and how many of them are known to be committed there.
  let localIssued = 0
  let localCommitted = 0
  const listeners = new Set<(status: EditorStatus) => void>()
  const status = (): EditorStatus => ({
    connection,
    synced: provider.synced,
    localLoaded,
    savedLocally: persistence !== null && localLoaded && localCommitted === localIssued,
    unsaved: saves.state().unsaved,
    savesConfirmed: saves.state().confirmed,
    readOnly,
    peers: [...awareness.getStates()].flatMap(([clientId, state]) => {
      const user = (state as { user?: Partial<UserInfo> }).user
      if (!user || typeof user.name !== "string") return []
      return [{ clientId, name: user.name.slice(0, 64), color: sanitizeColor(user.color), self: clientId === awareness.clientID }]
    }),
  })
  const notify = () => {
    const current = status()
    for (const listener of listeners) listener(current)
  }
  // "connecting" until the first connection opens or fails; after any close, "offline" until a
  // connection opens again. The provider keeps retrying with backoff throughout.
  let closedOnce = false
  const onProviderStatus = ({ status: next }: { status: "connecting" | "connected" | "disconnected" }) => {
    connection = next === "connected" ? "connected" : closedOnce ? "offline" : "connecting"
    notify()
  }
  const onClose = () => {
    closedOnce = true
    if (!provider.wsconnected) connection = "offline"
    notify()
  }
  // A read-only grant shows only as the server's permission-denied answer to a write; the
  // stock handler, which only logs, still runs.
  let readOnly = false
  const handlers = provider.messageHandlers
  const onDenied = handlers[messageAuth]
  handlers[messageAuth] = (...args) => {
    readOnly = true
    onDenied?.(...args)
    notify()
  }
  provider.on("status", onProviderStatus)
  provider.on("connection-close", onClose)
  provider.on("sync", notify)
  const stopSaves = saves.onChange(notify)
  awareness.on("change", notify)
  void persistence?.whenSynced.then(() => {
    localLoaded = true
    notify()
  })
  // y-indexeddb writes each update in a transaction of its own and says nothing when it commits.
  // A read transaction on the same store, opened after that write, completes only after it: its
  // completion is the proof that the change is in the browser.
  const onLocalUpdate = (_update: Uint8Array, origin: unknown) => {
    if (!persistence || origin === persistence) return
    const issued = ++localIssued
    notify()
    void persistence.whenSynced.then(() => {
      if (!persistence.db) return
      const read = persistence.db.transaction(["updates"], "readonly")
      read.oncomplete = () => {
        localCommitted = Math.max(localCommitted, issued)
        notify()
      }
    })
  }
  ydoc.on("update", onLocalUpdate)

  return {
    view,
    ydoc,
    ytext,
    provider,
    undoManager,
    status,
    onStatus(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    setUser(user) {
      awareness.setLocalStateField("user", { name: user.name, color: sanitizeColor(user.color) })
    },
    async destroy() {
      listeners.clear()
      stopSaves()
      saves.destroy()
      provider.off("status", onProviderStatus)
      provider.off("connection-close", onClose)
      provider.off("sync", notify)
      awareness.off("change", notify)
      ydoc.off("update", onLocalUpdate)
      view.destroy()
      provider.destroy()
      undoManager.destroy()
      await persistence?.destroy()
      ydoc.destroy()
    },
  }
}

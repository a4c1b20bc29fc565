import { defaultKeymap, indentWithTab } from "@codemirror/commands"
import { EditorState, type Extension } from "@codemirror/state"
import { EditorView, keymap } from "@codemirror/view"
import { createClient, type ClientLimits, type ClientOptions, type ClientStatus, type TandemClient } from "@tandem/client"
import { joinedAtOf } from "@tandem/protocol"
import { IndexeddbPersistence } from "y-indexeddb"
import * as Y from "yjs"
import { collab } from "./collab.js"
import { editingBasics } from "./editing.js"
import { sizeLimit } from "./size-limit.js"
import type { UserInfo } from "./user-info.js"
import { sanitizeColor } from "./user-info.js"

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
  /**
   * Gives a fresh token when the server asks for one (an expired sign-in); passed to the client
   * as is (see `ClientOptions.getToken` in `@tandem/client`). Not used by the OT editor.
   */
  readonly getToken?: ClientOptions["getToken"]
  /** Who this user is to others. */
  readonly user: UserInfo
  /** Also keep the document in the browser (IndexedDB), so a reload while offline loses nothing. */
  readonly persistence?: boolean
  /** More CodeMirror extensions: a language, a theme, keymaps. */
  readonly extensions?: Extension
  /** A WebSocket implementation, for runtimes without a global one. */
  readonly WebSocket?: typeof globalThis.WebSocket
  /**
   * The server's size limits (default: the server's defaults). Local edits that could never be
   * accepted are refused before they are applied; see {@link EditorStatus.refused}. Not used by
   * the OT editor.
   */
  readonly limits?: ClientLimits
}

/**
 * Whether the editor is talking to the server. `offline` once a connection was lost; it keeps
 * retrying. `error` when it stopped because retrying cannot help (a sign-in the server refused,
 * access revoked, a deleted document, a change too large); {@link EditorStatus.error} says why.
 */
export type ConnectionState = "connecting" | "connected" | "offline" | "error"

/** A peer's `user.id` if it is a short string (it only groups tabs; it is never shown). */
function peerId(id: unknown): string | undefined {
  return typeof id === "string" && id.length > 0 && id.length <= 64 ? id : undefined
}

/** The awareness field `user` for `user`: the y-codemirror.next layout, plus `id` and `joinedAt` when there are. */
function publishedUser(user: UserInfo): UserInfo {
  const id = peerId(user.id)
  const joinedAt = joinedAtOf(user.joinedAt)
  return { name: user.name, color: sanitizeColor(user.color), ...(id ? { id } : {}), ...(joinedAt !== undefined ? { joinedAt } : {}) }
}

/** Someone on the document, from awareness; `id` (from {@link UserInfo}) is the same for each tab of one browser. */
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
  /**
   * Why the editor stopped talking to the server (with `connection: "error"`): the close code
   * (4401 sign-in needed, 4403 forbidden, 1009 too large, …) and a sentence to show; otherwise `null`.
   */
  readonly error: { readonly code: number; readonly message: string } | null
  /**
   * Why the last local edit was refused (it could never be accepted by the server, a paste over
   * its size limit say), as a sentence to show; `null` again after the next accepted edit.
   */
  readonly refused: string | null
  readonly peers: readonly Peer[]
}

/** A mounted editor. */
export interface EditorHandle {
  readonly view: EditorView
  readonly ydoc: Y.Doc
  readonly ytext: Y.Text
  /** The client that owns the connection. */
  readonly client: TandemClient
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

/** The IndexedDB database that keeps `doc` in the browser (with `persistence`); delete it to forget the copy. */
export function browserCopyName(doc: string): string {
  return `tandem:${doc}`
}

/**
 * Mounts a collaborative editor on `parent`, connected through a `@tandem/client` client to a
 * Tandem (or any y-websocket) server, reconnecting with backoff. Edits made while offline are
 * kept and merge on reconnect. With `persistence`, the client connects once the browser copy
 * has loaded, so the unsaved count it kept is read before any acknowledgement can arrive.
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
 *
 * @throws {TypeError} without `serverUrl` or `doc` (from `createClient`).
 */
export function createEditor(options: EditorOptions): EditorHandle {
  const ydoc = new Y.Doc()
  const ytext = ydoc.getText("content")
  const persistence = options.persistence ? new IndexeddbPersistence(browserCopyName(options.doc), ydoc) : null
  const client = createClient({
    url: options.serverUrl,
    doc: options.doc,
    ydoc,
    ...(options.token ? { token: options.token } : {}),
    ...(options.getToken ? { getToken: options.getToken } : {}),
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    // With a browser copy: connect once it is loaded (below), keep the unsaved count in it, and
    // do not count loading it as new edits.
    connect: persistence === null,
    unsavedStore: persistence,
    ignoreOrigins: persistence ? [persistence] : [],
  })
  const awareness = client.awareness
  const undoManager = new Y.UndoManager(ytext)
  awareness.setLocalStateField("user", publishedUser(options.user))

  let refused: string | null = null
  const view = new EditorView({
    parent: options.parent,
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [
        editingBasics(),
        sizeLimit({
          check: (bytes) => client.check(bytes),
          refused: (sentence) => {
            if (sentence === refused) return
            refused = sentence
            notify()
          },
        }),
        collab({ ytext, awareness, undoManager }),
        keymap.of([...defaultKeymap, indentWithTab]),
        options.extensions ?? [],
      ],
    }),
  })

  let destroyed = false
  let localLoaded = persistence === null
  // Changes issued to the browser copy, and how many of them are known to be committed there.
  let localIssued = 0
  let localCommitted = 0
  const listeners = new Set<(status: EditorStatus) => void>()
  // The client is "offline" until `connect()`; to the page, waiting for the browser copy is
  // part of connecting. "unauthorized" and "error" both mean it stopped: `error` says why.
  const connectionOf = (current: ClientStatus): ConnectionState => {
    switch (current.connection) {
      case "connecting":
      case "connected":
        return current.connection
      case "offline":
        return localLoaded ? "offline" : "connecting"
      case "unauthorized":
      case "error":
        return "error"
      default: {
        const never: never = current.connection
        throw new TypeError(`unknown client state ${String(never)}`)
      }
    }
  }
  const status = (): EditorStatus => {
    const current = client.status
    return {
      connection: connectionOf(current),
      synced: current.synced,
      localLoaded,
      savedLocally: persistence !== null && localLoaded && localCommitted === localIssued,
      unsaved: current.unsaved,
      savesConfirmed: current.savesConfirmed,
      readOnly: current.readOnly,
      error: current.error ? { code: current.error.code, message: current.error.message } : null,
      refused,
      peers: [...awareness.getStates()].flatMap(([clientId, state]) => {
        const user = (state as { user?: Partial<UserInfo> }).user
        if (!user || typeof user.name !== "string") return []
        const id = peerId(user.id)
        const joinedAt = joinedAtOf(user.joinedAt)
        return [
          {
            clientId,
            name: user.name.slice(0, 64),
            color: sanitizeColor(user.color),
            ...(id ? { id } : {}),
            ...(joinedAt !== undefined ? { joinedAt } : {}),
            self: clientId === awareness.clientID,
          },
        ]
      }),
    }
  }
  function notify(): void {
    if (destroyed) return
    const current = status()
    for (const listener of listeners) listener(current)
  }
  const stopClient = client.on("status", notify)
  awareness.on("change", notify)
  void persistence?.whenSynced.then(() => {
    if (destroyed) return
    localLoaded = true
    client.connect()
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
    client,
    undoManager,
    status,
    onStatus(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    setUser(user) {
      awareness.setLocalStateField("user", publishedUser(user))
    },
    async destroy() {
      if (destroyed) return
      destroyed = true
      listeners.clear()
      stopClient()
      awareness.off("change", notify)
      ydoc.off("update", onLocalUpdate)
      view.destroy()
      // Tells others this user left, closes the socket and stops reconnecting.
      client.destroy()
      undoManager.destroy()
      await persistence?.destroy()
      ydoc.destroy()
    },
  }
}

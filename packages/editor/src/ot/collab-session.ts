import { collab, getClientID, getSyncedVersion, receiveUpdates, sendableUpdates, type Update } from "@codemirror/collab"
import { ChangeSet, Compartment, EditorSelection, EditorState, Transaction, type Extension, type Text, type TransactionSpec } from "@codemirror/state"
import {
  decodeCollabServerMessage,
  encodeCollabClientMessage,
  type ChangeSetJSON,
  type CollabAccess,
  type CollabClientMessage,
  type CollabPeer,
  type CollabServerMessage,
  type CollabUser,
} from "@tandem/protocol"
import { CollabSocket } from "./collab-socket.js"
import { remotePeers, setRemotePeers, shownPeers, syncedPosition } from "./presence.js"
import { diffChanges, lineSeparator, rebaseOnto, textOf } from "./rebase.js"

/** Where a session's editor state lives: an EditorView, or a plain holder in tests and workers. */
export interface CollabHost {
  readonly state: EditorState
  /** Applies a transaction made on {@link CollabHost.state}. */
  dispatch(transaction: Transaction): void
  /** Replaces the state: the document was sent again whole. */
  setState(state: EditorState): void
}

/** Options of a {@link CollabSession}. */
export interface CollabSessionOptions {
  /** The document's collab URL, e.g. `ws://localhost:1234/collab/team/notes?token=…`. */
  readonly url: string
  /** Extensions of every state the session makes: language, keymaps, view plugins. */
  readonly extensions: Extension
  /** Makes the host around the session's first state (an EditorView on it, say). */
  readonly host: (state: EditorState) => CollabHost
  readonly user: CollabUser
  readonly WebSocket?: typeof globalThis.WebSocket
}

/** What a session knows about its connection. */
export interface CollabSessionStatus {
  readonly connection: "connecting" | "connected" | "offline"
  /** The document was received on the current connection. */
  readonly synced: boolean
  /** Local updates the server has not confirmed as stored. */
  readonly unsaved: number
  /** A server answered; collab servers confirm every update only once it is stored. */
  readonly savesConfirmed: boolean
  readonly access: CollabAccess
  /** This client's awareness id, as others see it, once the server gave one. */
  readonly you: number | null
  /** Everyone the server told of, this client included. */
  readonly peers: readonly CollabPeer[]
}

/**
 * A `@codemirror/collab` client of Tandem's collab endpoint. The editor state carries the stock
 * `collab()` extension; the session sends `sendableUpdates` at `getSyncedVersion`, one push at a
 * time, hands what the server sends to `receiveUpdates`, and keeps presence both ways. When the
 * server sends the whole document (first connection, another epoch, too far behind its log), the
 * state is made anew from it, with the unconfirmed local changes rebased onto it (see
 * {@link rebaseOnto}). Reconnects with backoff; call {@link CollabSession.flush} after local
 * transactions.
 */
export class CollabSession {
  readonly host: CollabHost
  private readonly socket: CollabSocket
  private readonly readOnly = new Compartment()
  private readonly listeners = new Set<() => void>()
  /** The document at the synced version: what the server has, as far as this client knows. */
  private base: Text
  private epoch: string | null = null
  private greeted = false
  private answered = false
  private access: CollabAccess = "write"
  private you: number | null = null
  private connection: CollabSessionStatus["connection"] = "connecting"
  /** Updates of the push waiting for its answer; after a disconnect, of the last unanswered one. */
  private inFlight = 0
  private pushing = false
  /** After a stale answer: the version to reach before pushing again. */
  private waitFor = 0
  private peers = new Map<number, CollabPeer>()
  private lastPresence = ""
  private user: CollabSessionOptions["user"]
  /** The selection is published: once the editor had focus, as Yjs editors publish theirs. */
  private sharing = false

  constructor(private readonly options: CollabSessionOptions) {
    this.user = options.user
    // An empty document at version 0 of no epoch until the server sends one: anything typed
    // before then is rebased onto it like any unconfirmed change.
    const host = (this.host = options.host(this.createState("", 0)))
    this.base = host.state.doc
    this.socket = new CollabSocket(options.url, options.WebSocket ?? globalThis.WebSocket, {
      open: () => this.send({ type: "hello", epoch: this.epoch, version: this.epoch === null ? null : getSyncedVersion(host.state) }),
      message: (text) => this.receive(text),
      close: () => this.closed(),
    })
  }

  /** A state for this session: the document at `version`, with `collab()` and the session's fields. */
  private createState(doc: string, version: number): EditorState {
    return EditorState.create({
      doc,
      extensions: [
        collab({ startVersion: version }),
        // "\r\n" stays two code units, as the server and Y.Text count it.
        EditorState.lineSeparator.of(lineSeparator),
        remotePeers,
        this.readOnly.of(EditorState.readOnly.of(this.access === "read")),
        this.options.extensions,
      ],
    })
  }

  status(): CollabSessionStatus {
    return {
      connection: this.connection,
      synced: this.greeted,
      unsaved: sendableUpdates(this.host.state).length,
      savesConfirmed: this.answered,
      access: this.access,
      you: this.you,
      peers: [...this.peers.values()],
    }
  }

  /** Calls `listener` whenever the status may have changed. Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Sends what is due: local updates, and the selection when `shareSelection` (the editor has focus). */
  flush(shareSelection: boolean): void {
    this.push()
    this.sharing ||= shareSelection
    this.sendPresence()
    this.notify()
  }

  /** Changes the name and colour others see. */
  setUser(user: CollabSessionOptions["user"]): void {
    this.user = user
    this.sendPresence()
  }

  destroy(): void {
    this.listeners.clear()
    this.socket.destroy()
  }

  private receive(text: string): void {
    let message: CollabServerMessage
    try {
      message = decodeCollabServerMessage(text)
    } catch {
      this.socket.restart("bad frame from the server")
      return
    }
    switch (message.type) {
      case "doc":
        this.resync(message.doc, message.version, message.epoch, message.access, message.you)
        break
      case "resumed":
        if (message.version !== getSyncedVersion(this.host.state)) return this.socket.restart("resumed at another version")
        this.greet(message.access, message.you)
        this.inFlight = 0
        break
      case "updates":
        if (message.version !== getSyncedVersion(this.host.state)) return this.socket.restart("updates do not follow on")
        this.apply(message.updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) })))
        break
      case "push-result":
        this.pushing = false
        this.inFlight = 0
        if (message.status === "stale") this.waitFor = message.version
        if (message.status === "denied") this.access = "read"
        break
      case "presence":
        this.presence(message.version, message.peers, message.removed)
        break
      default: {
        const unhandled: never = message
        throw new Error(`unhandled message ${(unhandled as CollabServerMessage).type}`)
      }
    }
    // Presence goes out on local changes only (and on greeting): others' edits move this
    // selection on the server too, which keeps it as relative positions.
    this.push()
    this.notify()
  }

  private greet(access: CollabAccess, you: number): void {
    this.greeted = this.answered = true
    this.connection = "connected"
    this.you = you
    if (access !== this.access) {
      this.access = access
      this.host.dispatch(this.host.state.update({ effects: this.readOnly.reconfigure(EditorState.readOnly.of(access === "read")) }))
    }
    this.lastPresence = ""
    this.sendPresence()
  }

  /** Updates from the server, own ones included: the base follows them, the state takes them. */
  private apply(updates: readonly Update[]): void {
    for (const update of updates) this.base = update.changes.apply(this.base)
    this.host.dispatch(receiveUpdates(this.host.state, updates))
  }

  /** The whole document: a new state at its version, with unconfirmed local changes made again on it. */
  private resync(doc: string, version: number, epoch: string, access: CollabAccess, you: number): void {
    const state = this.host.state
    const pending = sendableUpdates(state).map((update) => update.changes)
    const ours = rebaseOnto(this.base, pending, this.inFlight, doc)
    const local = state.doc.toString()
    // The local selection, carried over the difference between what was shown and what will be.
    const shown = diffChanges(local, ours ? ours.apply(textOf(doc)).toString() : doc)
    const selection = EditorSelection.create(state.selection.ranges.map((range) => range.map(shown)), state.selection.mainIndex)
    this.access = access
    this.epoch = epoch
    this.base = textOf(doc)
    this.inFlight = 0
    this.peers = new Map()
    const fresh = this.createState(doc, version)
    this.host.setState(fresh)
    const spec: TransactionSpec = ours
      ? { changes: ours, selection, annotations: [Transaction.userEvent.of("input.rebase"), Transaction.addToHistory.of(false)] }
      : { selection }
    this.host.dispatch(fresh.update(spec))
    this.greet(access, you)
  }

  private presence(version: number, peers: readonly CollabPeer[], removed: readonly number[]): void {
    for (const id of removed) this.peers.delete(id)
    for (const peer of peers) this.peers.set(peer.id, peer)
    const state = this.host.state
    const synced = version === getSyncedVersion(state)
    const shown = shownPeers(peers, this.you, sendableUpdates(state), this.base.length, synced)
    this.host.dispatch(state.update({ effects: setRemotePeers.of({ peers: shown, removed }) }))
  }

  /** Pushes the unconfirmed updates, unless a push waits for its answer or the server is ahead of what this client has. */
  private push(): void {
    const state = this.host.state
    const version = getSyncedVersion(state)
    if (!this.greeted || this.pushing || this.access === "read" || version < this.waitFor) return
    const updates = sendableUpdates(state)
    if (updates.length === 0) return
    const sent = this.send({
      type: "push",
      version,
      updates: updates.map((update) => ({ clientID: update.clientID, changes: update.changes.toJSON() as ChangeSetJSON })),
    })
    if (!sent) return
    this.pushing = true
    this.inFlight = updates.length
  }

  /** Publishes the local user and selection (at the synced version) when they changed. */
  private sendPresence(): void {
    if (!this.greeted) return
    const state = this.host.state
    // The selection is taken back over the local changes not confirmed yet, to the version the server knows.
    const pending = sendableUpdates(state)
    const { anchor, head } = state.selection.main
    const message: CollabClientMessage = {
      type: "presence",
      version: getSyncedVersion(state),
      user: this.user,
      selection: this.sharing ? { anchor: syncedPosition(pending, anchor), head: syncedPosition(pending, head) } : null,
    }
    const text = encodeCollabClientMessage(message)
    if (text === this.lastPresence) return
    if (this.socket.send(text)) this.lastPresence = text
  }

  private send(message: CollabClientMessage): boolean {
    return this.socket.send(encodeCollabClientMessage(message))
  }

  private closed(): void {
    this.greeted = false
    this.pushing = false
    this.waitFor = 0
    this.connection = "offline"
    this.peers = new Map()
    if (this.host.state.field(remotePeers, false)?.size) this.host.dispatch(this.host.state.update({ effects: setRemotePeers.of({ peers: [], removed: [], reset: true }) }))
    this.notify()
  }

  private notify(): void {
    for (const listener of this.listeners) listener()
  }

  /** This editor's collab client id, for tests and logs. */
  get clientID(): string {
    return getClientID(this.host.state)
  }
}

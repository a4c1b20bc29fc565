import { randomUUID } from "node:crypto"
import type { Text } from "@codemirror/state"
import {
  CloseCode,
  ProtocolError,
  encodeAwarenessEntries,
  encodeCollabServerMessage,
  type CollabPeer,
  type CollabServerMessage,
  type CollabSelection,
  type CollabUpdate,
  type CollabUser,
} from "@tandem/protocol"
import type * as Y from "yjs"
import type { Room } from "../room.js"
import type { ServerWrite } from "../room-types.js"
import type { CollabClient } from "./collab-client.js"
import { CollabLog, logEntry, type CollabLogEntry } from "./collab-log.js"
import { cursorAt, shownPeer } from "./collab-presence.js"
import { readPush } from "./collab-push.js"
import { restoreMarkers, saveMarkers, type SavedMarkers } from "./search-markers.js"
import { changesOfEvent } from "./text-events.js"
import { applyChanges, changesOfDelta, changesOfDiff, indexedText, splitsSurrogates, textOf } from "./text-changes.js"

/** The client id of every update that came from the Yjs side: peers, other instances, the API. */
export const yjsClientID = "tandem:yjs"

/** Collab client ids starting with this are the server's own; no client may push under them. */
const reservedPrefix = "tandem:"

const encoder = new TextEncoder()
const encode = (message: CollabServerMessage): Uint8Array => encoder.encode(encodeCollabServerMessage(message))

/** A push being written to the Y.Text, recognised by its source when Yjs reports the change. */
interface Pushing {
  readonly source: ServerWrite
  readonly entries: readonly CollabLogEntry[]
  readonly after: Text
  /** Whether one of the entries leaves half of a surrogate pair at an edge (see splitsSurrogates). */
  readonly splits: boolean
  applied: boolean
}

/**
 * The central authority `@codemirror/collab` clients expect, for one room, kept beside it. The
 * Y.Text is the document; this keeps a numbered log of its changes, whoever made them, as
 * ChangeSets (Yjs peers', other instances', the API's and the collab clients' own), and the text
 * as collab clients count it. Versions count from 0 at each `epoch`, a random id per room load.
 *
 * Order: a change enters the log as Yjs applies it, and reaches collab clients only once the room
 * has stored it (`shown`, at version `visible`). A push is applied only on top of the newest
 * version (`log.head`), through `room.editText`, so it is stored before anyone sees it; its
 * `accepted` answer follows the update message that carries it back.
 */
export class CollabAuthority {
  epoch: string = randomUUID()
  private readonly log = new CollabLog()
  /** The text at `log.head`: what the Y.Text holds. */
  private head: Text
  /** The text at `visible`: everything in it is stored and was sent to every greeted client. */
  private shown: Text
  private visible = 0
  /** The highest version a reveal is already queued for. */
  private revealing = 0
  /** Whether the text the authority started from is stored; hellos wait until it is. */
  private ready = false
  /** Hellos that came before the starting text was stored, with the epoch and version they hold. */
  private readonly waiting = new Map<CollabClient, { readonly epoch: string | null; readonly version: number | null }>()
  private readonly clients = new Set<CollabClient>()
  private readonly owners = new Map<string, CollabClient>()
  private pushing: Pushing | null = null
  /** The text's search markers before the remote change being reported, to give back after it. */
  private markers: SavedMarkers | null = null
  /** Accepted pushes, answered once the version after them is shown. */
  private readonly answers: Array<{ readonly client: CollabClient; readonly version: number }> = []

  constructor(
    private readonly room: Room,
    private readonly maxLogUpdates: number,
  ) {
    this.head = this.shown = textOf(room.text.toString())
    room.text.watch({ changed: (event, origin) => this.changed(event, origin), queued: () => this.queued(), beforeRemoteChange: (text) => (this.markers = saveMarkers(text)) })
    room.awareness.on("change", this.onAwareness)
    this.whenStored(() => {
      this.ready = true
      for (const [client, { epoch, version }] of [...this.waiting]) this.hello(client, epoch, version)
    })
  }

  /** A client said hello: it is sent the updates after its version, or the whole document. */
  hello(client: CollabClient, epoch: string | null, version: number | null): void {
    if (!this.ready) {
      if (this.waiting.has(client)) throw new ProtocolError("policy", "hello sent twice")
      this.waiting.set(client, { epoch, version })
      return
    }
    this.waiting.delete(client)
    if (client.greeted) throw new ProtocolError("policy", "hello sent twice")
    const access = client.connection.access
    if (epoch === this.epoch && version !== null && version >= this.log.base && version <= this.visible) {
      client.send(encode({ type: "resumed", epoch, version, access, you: client.awarenessId }))
      const missed = this.log.range(version, this.visible).map((entry) => entry.json)
      if (missed.length > 0) client.send(encode({ type: "updates", version, updates: missed }))
    } else {
      client.send(encode({ type: "doc", epoch: this.epoch, version: this.visible, doc: this.shown.toString(), access, you: client.awarenessId }))
    }
    client.greeted = true
    this.clients.add(client)
    const peers = [...this.room.awareness.getStates()].flatMap(([id, state]) => this.peer(id, state) ?? [])
    if (peers.length > 0) client.send(encode({ type: "presence", version: this.visible, peers, removed: [] }))
  }

  /**
   * Local updates a client made at `version`. Applied only at the newest version; an older one
   * is answered `stale` (the client rebases on what it has not seen yet and pushes again).
   *
   * @throws {ProtocolError} `policy` before `hello` or under another client's id, `malformed` for
   *   changes that do not fit the document, `too-big` past the document size limit.
   */
  push(client: CollabClient, version: number, updates: readonly CollabUpdate[]): void {
    if (!client.greeted) throw new ProtocolError("policy", "push before hello")
    if (client.connection.access === "read") {
      // As for a read-only Yjs writer: refused, and the connection stays open for reading.
      client.send(encode({ type: "push-result", status: "denied", version: this.log.head }))
      return
    }
    for (const { clientID } of updates) {
      const owner = this.owners.get(clientID)
      // Another client's id would make it take our updates for its own and drop its edits.
      if (clientID.startsWith(reservedPrefix) || (owner && owner !== client)) throw new ProtocolError("policy", "push under another client's id")
    }
    if (version !== this.log.head) {
      client.send(encode({ type: "push-result", status: "stale", version: this.log.head }))
      return
    }
    const { entries, after, bytes, splits } = readPush(this.head, updates)
    for (const { clientID } of updates) {
      this.owners.set(clientID, client)
      client.clientIDs.add(clientID)
    }
    const pushing: Pushing = { source: { kind: "gateway", userId: client.connection.grant.userId }, entries, after, splits, applied: false }
    // Queued before the write: when nothing is waiting for storage, the reveal that answers it
    // runs at once, inside it.
    const answer = { client, version: this.log.head + entries.length }
    this.answers.push(answer)
    this.pushing = pushing
    try {
      this.room.editText(pushing.source, bytes, (text) => {
        for (const entry of entries) applyChanges(text, entry.changes)
      })
    } catch (error) {
      this.answers.splice(this.answers.indexOf(answer), 1)
      throw error
    } finally {
      this.pushing = null
    }
    if (!pushing.applied) {
      // Nothing changed the Y.Text (empty changes): the versions still count, and show at once.
      for (const entry of entries) this.log.append(entry)
      this.head = after
      this.queued()
    }
  }

  /**
   * A client's user and selection, at its `version`, published to awareness under the client's
   * awareness id with cursor positions relative to the text, as Yjs editors publish theirs.
   */
  presence(client: CollabClient, version: number, user: CollabUser, selection: CollabSelection | null): void {
    if (!client.greeted) return
    const cursor = cursorAt(this.log, version, this.head.length, selection, this.room.text)
    // The fields Yjs editors read: `user` and `cursor`.
    const state = { user, cursor }
    const entry = { clientId: client.awarenessId, clock: client.nextClock(), state, bytes: Buffer.byteLength(JSON.stringify(state)) }
    // Through the room's own path: its size limit, its ownership of ids, removal on leave.
    this.room.receive(client.connection, { type: "awareness", update: encodeAwarenessEntries([entry]), entries: [entry] })
  }

  /** The client's connection closed. (Its awareness state goes with the connection, in the room.) */
  left(client: CollabClient): void {
    this.clients.delete(client)
    this.waiting.delete(client)
    for (const id of client.clientIDs) if (this.owners.get(id) === client) this.owners.delete(id)
  }

  private changed(event: Y.YTextEvent, origin: unknown): void {
    const pushing = this.pushing
    const ytext = event.target
    if (pushing && origin === pushing.source) {
      pushing.applied = true
      for (const entry of pushing.entries) this.log.append(entry)
      this.head = pushing.after
      if (pushing.splits) this.reconcile(ytext)
      if (this.head.length !== ytext.length) this.restart(ytext)
      return
    }
    // Read from the changed items where that is cheap; Yjs's delta walks the whole text.
    const remote = !event.transaction.local
    let found = null as { item: Y.Item; index: number } | null
    const changes = changesOfEvent(event, this.head.length, remote ? (item, index) => (found = { item, index }) : undefined) ?? changesOfDelta(event.delta, this.head.length)
    const saved = this.markers
    this.markers = null
    if (!changes) return this.restart(ytext)
    // Yjs dropped the text's search markers: without them the next push would walk to its place
    // from the start. Not from a change that does not fit the text (see restart).
    if (remote && changes.newLength === ytext.length) restoreMarkers(ytext, saved, changes, found)
    this.head = changes.apply(this.head)
    this.log.append(logEntry(yjsClientID, changes))
    if (splitsSurrogates(changes, this.head)) this.reconcile(ytext)
    if (this.head.length !== ytext.length) this.restart(ytext)
  }

  /**
   * Yjs split a surrogate pair and put U+FFFD in place of both halves, telling nobody: the
   * difference goes into the log as one more update, so collab clients hold what Yjs holds.
   */
  private reconcile(ytext: Y.Text): void {
    const actual = indexedText(ytext)
    const mine = this.head.toString()
    if (actual === mine) return
    this.log.append(logEntry(yjsClientID, changesOfDiff(mine, actual)))
    this.head = textOf(actual)
  }

  /**
   * The collab view of the text no longer fits the Y.Text (a bug, or content collab clients cannot
   * count). Starts a new epoch from the Y.Text and closes the collab clients with 1011: they
   * reconnect, are sent the document again and rebase their unconfirmed changes on it.
   */
  private restart(ytext: Y.Text): void {
    this.epoch = randomUUID()
    this.head = this.shown = textOf(indexedText(ytext))
    this.log.trim(this.log.head)
    this.visible = this.revealing = this.log.head
    this.ready = false
    this.answers.length = 0
    for (const client of [...this.clients]) client.connection.close(CloseCode.Internal, "collab view reloading")
    this.whenStored(() => (this.ready = true))
  }

  /** Runs `fn` once everything applied to the room so far is stored. */
  private whenStored(fn: () => void): void {
    this.room.log.afterStored(fn)
  }

  /** What the room applied is queued for storage: shown to clients once it is stored. */
  private queued(): void {
    const upTo = this.log.head
    if (upTo <= this.revealing) return
    this.revealing = upTo
    const epoch = this.epoch
    this.whenStored(() => {
      if (this.epoch === epoch) this.reveal(upTo)
    })
  }

  /** Everything up to version `upTo` is stored: sent to every greeted client, encoded once. */
  private reveal(upTo: number): void {
    if (upTo <= this.visible) return
    const entries = this.log.range(this.visible, upTo)
    const frame = encode({ type: "updates", version: this.visible, updates: entries.map((entry) => entry.json) })
    for (const client of this.clients) client.send(frame)
    // A Text never changes: shown up to the head, it is the head's, without applying the changes again.
    if (upTo === this.log.head) this.shown = this.head
    else for (const entry of entries) this.shown = entry.changes.apply(this.shown)
    this.visible = upTo
    while (this.answers.length > 0 && this.answers[0]!.version <= upTo) {
      const { client, version } = this.answers.shift()!
      client.send(encode({ type: "push-result", status: "accepted", version }))
    }
    this.log.trim(this.visible - this.maxLogUpdates)
  }

  private readonly onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    if (this.clients.size === 0) return
    const states = this.room.awareness.getStates()
    const peers: CollabPeer[] = []
    const gone = [...removed]
    for (const id of [...added, ...updated]) {
      const peer = this.peer(id, states.get(id))
      if (peer) peers.push(peer)
      else gone.push(id)
    }
    const frame = encode({ type: "presence", version: this.visible, peers, removed: gone })
    for (const client of this.clients) client.send(frame)
  }

  /** Someone's presence for collab clients, with the selection at the shown version. */
  private peer(id: number, state: unknown): CollabPeer | null {
    return shownPeer(id, state, this.log, this.visible, this.head.length, this.room.text)
  }
}

import { ProtocolError } from "./protocol-error.js"

/**
 * A change set as `@codemirror/state` writes it (`ChangeSet.toJSON()`): for each section of the
 * old document, a number of code units kept, or `[deleted]`, or `[deleted, ...insertedLines]`
 * where the inserted text is the lines joined with `"\n"`.
 */
export type ChangeSetJSON = ReadonlyArray<number | readonly [number, ...string[]]>

/** One update of the collab protocol, as `@codemirror/collab` makes them. */
export interface CollabUpdate {
  /** The client that made it: `getClientID(state)`. */
  readonly clientID: string
  readonly changes: ChangeSetJSON
}

/** What a user shows others: the awareness field `user` of the Yjs editors. */
export interface CollabUser {
  readonly name: string
  readonly color: string
  /** When the person opened the document (ms since 1970, by their clock); it settles colour clashes. */
  readonly joinedAt?: number
}

/** A selection in UTF-16 code units, at the version its message names. */
export interface CollabSelection {
  readonly anchor: number
  readonly head: number
}

/** Someone on the document, as the server tells collab clients. */
export interface CollabPeer {
  /** The awareness client id: a Yjs client's own, or the one the server gave a collab client. */
  readonly id: number
  readonly user: CollabUser | null
  readonly selection: CollabSelection | null
}

/** Whether a client may push changes: from its token's grant. */
export type CollabAccess = "read" | "write"

/** A message a collab client sends on `/collab/<doc>`, as JSON in a text frame. */
export type CollabClientMessage =
  /** First message: the epoch and version the client holds, or nulls for none. */
  | { readonly type: "hello"; readonly epoch: string | null; readonly version: number | null }
  /** Local updates made on top of document version `version`. */
  | { readonly type: "push"; readonly version: number; readonly updates: readonly CollabUpdate[] }
  /** The client's user and selection, the selection at document version `version`. */
  | { readonly type: "presence"; readonly version: number; readonly user: CollabUser; readonly selection: CollabSelection | null }

/** How the server answered a push. */
export type PushStatus = "accepted" | "stale" | "denied"

/** A message the server sends a collab client, as JSON in a text frame. */
export type CollabServerMessage =
  /** The whole document at `version` of `epoch`; `you` is the client's awareness id. */
  | {
      readonly type: "doc"
      readonly epoch: string
      readonly version: number
      readonly doc: string
      readonly access: CollabAccess
      readonly you: number
    }
  /** The client's `hello` version is still in the log: the updates after it follow. */
  | { readonly type: "resumed"; readonly epoch: string; readonly version: number; readonly access: CollabAccess; readonly you: number }
  /** Updates in order, the first one applying to document version `version`. */
  | { readonly type: "updates"; readonly version: number; readonly updates: readonly CollabUpdate[] }
  /**
   * The answer to a push. `accepted`: the updates are stored and were sent back in `updates`
   * before this, and `version` follows them. `stale`: nothing was applied, the document is at
   * `version`; push again, rebased, once you have it. `denied`: read-only access.
   */
  | { readonly type: "push-result"; readonly status: PushStatus; readonly version: number }
  /** Presence that changed; selections are at document version `version`. */
  | { readonly type: "presence"; readonly version: number; readonly peers: readonly CollabPeer[]; readonly removed: readonly number[] }

/** Longest client id accepted in a push. */
export const maxCollabClientIdLength = 64

/**
 * A user's `joinedAt` (see {@link CollabUser.joinedAt}) if it is one a collab client accepts, a
 * non-negative integer; otherwise `undefined`. For reading it where anything may come, as from
 * awareness; a collab message with another one is refused instead.
 */
export function joinedAtOf(value: unknown): number | undefined {
  return isVersion(value) ? value : undefined
}

/** Encodes a client message as the JSON text of one frame. */
export function encodeCollabClientMessage(message: CollabClientMessage): string {
  return JSON.stringify(message)
}

/** Encodes a server message as the JSON text of one frame. */
export function encodeCollabServerMessage(message: CollabServerMessage): string {
  return JSON.stringify(message)
}

/**
 * Decodes the text of a frame a collab client sent. Checks every field's type and range; what
 * the numbers mean (a version the server has, changes that fit the document) is the server's
 * to check.
 *
 * @throws {ProtocolError} `malformed` for text that is not such a message, `unknown-message`
 *   for a message type this protocol does not have.
 */
export function decodeCollabClientMessage(text: string): CollabClientMessage {
  const message = parseObject(text)
  switch (message.type) {
    case "hello":
      return { type: "hello", epoch: nullable(message.epoch, isShortString), version: nullable(message.version, isVersion) }
    case "push":
      return { type: "push", version: field(message.version, isVersion), updates: readUpdates(message.updates, false) }
    case "presence":
      return {
        type: "presence",
        version: field(message.version, isVersion),
        user: readUser(message.user),
        selection: nullable(message.selection, isSelection),
      }
    default:
      throw new ProtocolError("unknown-message", `unknown collab message ${JSON.stringify(message.type)?.slice(0, 40)}`)
  }
}

/**
 * Decodes the text of a frame the server sent, for collab clients.
 *
 * @throws {ProtocolError} as {@link decodeCollabClientMessage} does.
 */
export function decodeCollabServerMessage(text: string): CollabServerMessage {
  const message = parseObject(text)
  switch (message.type) {
    case "doc":
      return {
        type: "doc",
        epoch: field(message.epoch, isShortString),
        version: field(message.version, isVersion),
        doc: field(message.doc, isString),
        access: field(message.access, isAccess),
        you: field(message.you, isVersion),
      }
    case "resumed":
      return {
        type: "resumed",
        epoch: field(message.epoch, isShortString),
        version: field(message.version, isVersion),
        access: field(message.access, isAccess),
        you: field(message.you, isVersion),
      }
    case "updates":
      return { type: "updates", version: field(message.version, isVersion), updates: readUpdates(message.updates, true) }
    case "push-result":
      return { type: "push-result", status: field(message.status, isPushStatus), version: field(message.version, isVersion) }
    case "presence":
      return {
        type: "presence",
        version: field(message.version, isVersion),
        peers: field(message.peers, isArray).map(readPeer),
        removed: field(message.removed, isArray).map((id) => field(id, isVersion)),
      }
    default:
      throw new ProtocolError("unknown-message", `unknown collab message ${JSON.stringify(message.type)?.slice(0, 40)}`)
  }
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    // Deeply nested arrays make JSON.parse overflow the stack: that too is a bad frame, no more.
    throw new ProtocolError("malformed", "frame is not JSON", { cause })
  }
  if (!isObject(value)) throw new ProtocolError("malformed", "frame is not a JSON object")
  return value
}

function field<T>(value: unknown, check: (value: unknown) => value is T): T {
  if (!check(value)) throw new ProtocolError("malformed", "collab message has a field of the wrong type")
  return value
}

function nullable<T>(value: unknown, check: (value: unknown) => value is T): T | null {
  return value === null || value === undefined ? null : field(value, check)
}

function readUpdates(value: unknown, allowEmpty: boolean): CollabUpdate[] {
  const updates = field(value, isArray)
  if (!allowEmpty && updates.length === 0) throw new ProtocolError("malformed", "push without updates")
  return updates.map((update) => {
    if (!isObject(update)) throw new ProtocolError("malformed", "update is not an object")
    const clientID = field(update.clientID, isString)
    if (clientID.length === 0 || clientID.length > maxCollabClientIdLength) throw new ProtocolError("malformed", "bad client id")
    return { clientID, changes: field(update.changes, isChangeSetJSON) }
  })
}

function readUser(value: unknown): CollabUser {
  if (!isObject(value)) throw new ProtocolError("malformed", "user is not an object")
  const user = { name: field(value.name, isShortString), color: field(value.color, isShortString) }
  return value.joinedAt === undefined ? user : { ...user, joinedAt: field(value.joinedAt, isVersion) }
}

function readPeer(value: unknown): CollabPeer {
  if (!isObject(value)) throw new ProtocolError("malformed", "peer is not an object")
  return { id: field(value.id, isVersion), user: value.user == null ? null : readUser(value.user), selection: nullable(value.selection, isSelection) }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)
const isArray = (value: unknown): value is unknown[] => Array.isArray(value)
const isString = (value: unknown): value is string => typeof value === "string"
/** Epochs, names and colours: bounded, so a peer cannot make them the bulk of a frame relayed to everyone. */
const isShortString = (value: unknown): value is string => typeof value === "string" && value.length <= 256
/** A version, length or position: a non-negative integer JSON carries exactly. */
const isVersion = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
const isAccess = (value: unknown): value is CollabAccess => value === "read" || value === "write"
const isPushStatus = (value: unknown): value is PushStatus => value === "accepted" || value === "stale" || value === "denied"
const isSelection = (value: unknown): value is CollabSelection => isObject(value) && isVersion(value.anchor) && isVersion(value.head)

/** The shape `ChangeSet.fromJSON` accepts, checked here so a bad one is refused as a bad frame. */
function isChangeSetJSON(value: unknown): value is ChangeSetJSON {
  if (!Array.isArray(value)) return false
  return value.every(
    (part) => isVersion(part) || (Array.isArray(part) && part.length > 0 && isVersion(part[0]) && part.every((line, i) => i === 0 || typeof line === "string")),
  )
}

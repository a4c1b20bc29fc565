import * as decoding from "lib0/decoding"
import * as encoding from "lib0/encoding"
import * as Y from "yjs"
import { ProtocolError } from "./protocol-error.js"
import { validateUpdate, type UpdateSummary } from "./validate-update.js"

/** Outer message tags: the y-websocket protocol's, and Tandem's opt-in extension. */
export const Tag = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3, Tandem: 100 } as const

/** Inner tags of a Tandem extension message. */
export const TandemTag = { AckRequest: 0, Ack: 1 } as const

/** Inner tags of a sync message (y-protocols/sync). */
export const SyncTag = { Step1: 0, Step2: 1, Update: 2 } as const

/** Inner tags of an auth message (y-protocols/auth). */
export const AuthTag = { PermissionDenied: 0 } as const

/** One client's entry in an awareness update. `state` is `null` when the client left. */
export interface AwarenessEntry {
  readonly clientId: number
  readonly clock: number
  readonly state: unknown
  /** Size of the state's JSON on the wire, in bytes. */
  readonly bytes: number
}

/**
 * A decoded y-websocket message. The same grammar runs in both directions; which side sends
 * which message is described in PROTOCOL.md.
 */
export type Message =
  | { readonly type: "sync-step-1"; readonly stateVector: Uint8Array }
  | { readonly type: "sync-step-2"; readonly update: Uint8Array; readonly summary: UpdateSummary }
  | { readonly type: "update"; readonly update: Uint8Array; readonly summary: UpdateSummary }
  | { readonly type: "awareness"; readonly update: Uint8Array; readonly entries: readonly AwarenessEntry[] }
  | { readonly type: "query-awareness" }
  | { readonly type: "permission-denied"; readonly reason: string }
  | { readonly type: "ack-request" }
  | { readonly type: "ack"; readonly count: number }

/** The `type` of a {@link Message}. */
export type MessageType = Message["type"]

function encodeWith(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** `syncStep1(sv) := varUint(0) • varUint(0) • varByteArray(sv)` */
export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncTag.Step1, stateVector)
}

/** `syncStep2(u) := varUint(0) • varUint(1) • varByteArray(u)` */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SyncTag.Step2, update)
}

/** `update(u) := varUint(0) • varUint(2) • varByteArray(u)` */
export function encodeUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncTag.Update, update)
}

/**
 * A sync message: its two tags (each below 128, one byte), the payload's length and the payload,
 * written once into a buffer of exactly that size. lib0's encoder would grow its buffers and
 * copy them together, twice over for a whole document.
 */
function encodeSync(tag: number, payload: Uint8Array): Uint8Array {
  const length = payload.byteLength
  let lengthBytes = 1
  for (let rest = length; rest > 0x7f; rest = Math.floor(rest / 128)) lengthBytes++
  const message = new Uint8Array(2 + lengthBytes + length)
  message[0] = Tag.Sync
  message[1] = tag
  let at = 2
  let rest = length
  for (; rest > 0x7f; rest = Math.floor(rest / 128)) message[at++] = 0x80 | (rest & 0x7f)
  message[at++] = rest
  message.set(payload, at)
  return message
}

/** `awareness(a) := varUint(1) • varByteArray(a)`, where `a` is a y-protocols awareness update. */
export function encodeAwareness(update: Uint8Array): Uint8Array {
  return encodeWith((e) => {
    encoding.writeVarUint(e, Tag.Awareness)
    encoding.writeVarUint8Array(e, update)
  })
}

/** `queryAwareness := varUint(3)` */
export function encodeQueryAwareness(): Uint8Array {
  return encodeWith((e) => encoding.writeVarUint(e, Tag.QueryAwareness))
}

/** `ackRequest := varUint(100) • varUint(0)`: the client asks to be told when its updates are stored. */
export function encodeAckRequest(): Uint8Array {
  return encodeWith((e) => {
    encoding.writeVarUint(e, Tag.Tandem)
    encoding.writeVarUint(e, TandemTag.AckRequest)
  })
}

/** `ack(n) := varUint(100) • varUint(1) • varUint(n)`: the first `n` updates the client sent on this connection are stored. */
export function encodeAck(count: number): Uint8Array {
  return encodeWith((e) => {
    encoding.writeVarUint(e, Tag.Tandem)
    encoding.writeVarUint(e, TandemTag.Ack)
    encoding.writeVarUint(e, count)
  })
}

/** `permissionDenied(r) := varUint(2) • varUint(0) • varString(r)` */
export function encodePermissionDenied(reason: string): Uint8Array {
  return encodeWith((e) => {
    encoding.writeVarUint(e, Tag.Auth)
    encoding.writeVarUint(e, AuthTag.PermissionDenied)
    encoding.writeVarString(e, reason)
  })
}

/**
 * Encodes awareness entries as a y-protocols awareness update (the payload of
 * {@link encodeAwareness}), for relaying a filtered part of what a peer sent.
 */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  return encodeWith((e) => {
    encoding.writeVarUint(e, entries.length)
    for (const entry of entries) {
      encoding.writeVarUint(e, entry.clientId)
      encoding.writeVarUint(e, entry.clock)
      encoding.writeVarString(e, JSON.stringify(entry.state))
    }
  })
}

function readStateVector(decoder: decoding.Decoder): Uint8Array {
  const stateVector = decoding.readVarUint8Array(decoder)
  try {
    Y.decodeStateVector(stateVector)
  } catch (cause) {
    throw new ProtocolError("malformed", "state vector does not decode", { cause })
  }
  return stateVector
}

const textDecoder = new TextDecoder("utf-8", { fatal: true })

function readAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update)
  const count = decoding.readVarUint(decoder)
  const entries: AwarenessEntry[] = []
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder)
    const clock = decoding.readVarUint(decoder)
    const json = decoding.readVarUint8Array(decoder)
    const state: unknown = JSON.parse(textDecoder.decode(json))
    entries.push({ clientId, clock, state, bytes: json.byteLength })
  }
  return entries
}

function readMessage(decoder: decoding.Decoder): Message {
  const tag = decoding.readVarUint(decoder)
  switch (tag) {
    case Tag.Sync: {
      const syncTag = decoding.readVarUint(decoder)
      switch (syncTag) {
        case SyncTag.Step1:
          return { type: "sync-step-1", stateVector: readStateVector(decoder) }
        case SyncTag.Step2: {
          const update = decoding.readVarUint8Array(decoder)
          return { type: "sync-step-2", update, summary: validateUpdate(update, { references: true }) }
        }
        case SyncTag.Update: {
          const update = decoding.readVarUint8Array(decoder)
          return { type: "update", update, summary: validateUpdate(update, { references: true }) }
        }
        default:
          throw new ProtocolError("unknown-message", `unknown sync message ${syncTag}`)
      }
    }
    case Tag.Awareness: {
      const update = decoding.readVarUint8Array(decoder)
      return { type: "awareness", update, entries: readAwarenessEntries(update) }
    }
    case Tag.Auth: {
      const authTag = decoding.readVarUint(decoder)
      if (authTag !== AuthTag.PermissionDenied) {
        throw new ProtocolError("unknown-message", `unknown auth message ${authTag}`)
      }
      return { type: "permission-denied", reason: decoding.readVarString(decoder) }
    }
    case Tag.QueryAwareness:
      return { type: "query-awareness" }
    case Tag.Tandem:
      return readTandemMessage(decoder)
    default:
      throw new ProtocolError("unknown-message", `unknown message tag ${tag}`)
  }
}

/**
 * Reads a Tandem extension message from a decoder placed just after its outer tag (100). For
 * clients whose provider dispatches on the outer tag, like y-websocket's `messageHandlers`.
 *
 * @throws {ProtocolError} when it is not a valid extension message.
 */
export function readTandemMessage(decoder: decoding.Decoder): Message {
  try {
    const tag = decoding.readVarUint(decoder)
    switch (tag) {
      case TandemTag.AckRequest:
        return { type: "ack-request" }
      case TandemTag.Ack:
        return { type: "ack", count: decoding.readVarUint(decoder) }
      default:
        throw new ProtocolError("unknown-message", `unknown extension message ${tag}`)
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError("malformed", "extension message does not decode", { cause: error })
  }
}

/**
 * How many document updates (`syncStep2` and `update` messages) a frame holds, reading only the
 * tags and lengths. A client counts what it sends with it, to match the server's `ack` counts.
 */
export function countUpdates(frame: Uint8Array): number {
  const decoder = decoding.createDecoder(frame)
  let count = 0
  try {
    while (decoding.hasContent(decoder)) {
      const tag = decoding.readVarUint(decoder)
      if (tag === Tag.Sync) {
        const syncTag = decoding.readVarUint(decoder)
        decoding.readVarUint8Array(decoder)
        if (syncTag === SyncTag.Step2 || syncTag === SyncTag.Update) count++
      } else if (tag === Tag.Awareness) decoding.readVarUint8Array(decoder)
      else if (tag === Tag.Auth) {
        decoding.readVarUint(decoder)
        decoding.readVarString(decoder)
      } else if (tag === Tag.Tandem) {
        if (decoding.readVarUint(decoder) === TandemTag.Ack) decoding.readVarUint(decoder)
      } else if (tag !== Tag.QueryAwareness) break
    }
  } catch {
    // A frame this client wrote itself always decodes; count what could be read.
  }
  return count
}

/**
 * Decodes one WebSocket frame into its messages. The stock y-websocket client sends one message
 * a frame; some Yjs ports send several back to back, so every message in the frame is read.
 *
 * @throws {ProtocolError} when any part of the frame is not a valid message; then none of the
 *   frame's messages may be used.
 */
export function decodeMessages(frame: Uint8Array): Message[] {
  const decoder = decoding.createDecoder(frame)
  const messages: Message[] = []
  try {
    do {
      messages.push(readMessage(decoder))
    } while (decoding.hasContent(decoder))
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError("malformed", "frame does not decode", { cause: error })
  }
  return messages
}

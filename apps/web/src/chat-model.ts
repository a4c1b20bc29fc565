import type { EditorHandle } from "@tandem/editor"
import { sanitizeColor } from "@tandem/editor"

/**
 * One chat message as it is kept in the document's `getArray("chat")`: a plain object, so any
 * Yjs client can read and post them. `at` is milliseconds since the epoch, by the sender's clock.
 */
export interface ChatMessage {
  readonly id: string
  readonly name: string
  readonly color: string
  readonly text: string
  readonly at: number
}

/** The name of the shared array that holds the chat. */
export const chatKey = "chat"
/** The longest message the app sends, in characters (code points). */
export const maxMessageLength = 2000
/** The longest name shown; longer ones from other clients are cut. */
const maxNameLength = 64

type ChatDoc = EditorHandle["ydoc"]
type ChatArray = ReturnType<ChatDoc["getArray"]>
type ChatEvent = Parameters<Parameters<ChatArray["observe"]>[0]>[0]

/** What changed in the chat, passed to {@link ChatModel.onChange} listeners. */
export interface ChatChange {
  /** Messages added by others (not by this tab), in the order they now stand. */
  readonly addedRemote: number
}

/** The chat of one document, read and written through its Y.Array; see {@link createChatModel}. */
export interface ChatModel {
  /** How many entries the array holds (malformed ones included). */
  length(): number
  /** The valid messages among the entries `from` (inclusive) to the end, oldest first. */
  messagesFrom(from: number): ChatMessage[]
  /**
   * Appends a message by `author` with `text`, stamped with the current time. Returns it.
   * @throws {RangeError} for empty text or text over {@link maxMessageLength} characters.
   */
  post(author: { name: string; color: string }, text: string): ChatMessage
  /** Calls `listener` after every change of the chat. Returns the unsubscribe. */
  onChange(listener: (change: ChatChange) => void): () => void
  /** Stops listening to the document. */
  destroy(): void
}

/** The length of `text` in characters (code points), as the 2,000-character limit counts it. */
export function characterCount(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}

/**
 * Reads an entry of the array as a message, or `null` when it is not one: any client can write
 * anything there, so nothing is trusted. Names are cut to 64 characters and texts to the limit;
 * colours that are not plain CSS colours become the default.
 */
export function readMessage(entry: unknown): ChatMessage | null {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return null
  const { id, name, color, text, at } = entry as Record<string, unknown>
  if (typeof id !== "string" || typeof name !== "string" || typeof text !== "string" || typeof at !== "number" || !Number.isFinite(at)) return null
  return {
    id,
    name: [...(name.trim() || "Anonymous")].slice(0, maxNameLength).join(""),
    color: sanitizeColor(color),
    text: characterCount(text) > maxMessageLength ? `${[...text].slice(0, maxMessageLength).join("")}…` : text,
    at,
  }
}

/** A random message id; `crypto.randomUUID` exists only on secure origins, this works on plain http too. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
}

/**
 * The chat kept in `ydoc.getArray("chat")`. Messages reach others, and are stored, through the
 * document's own sync: no protocol of its own. Posting is one Yjs transaction appending one plain
 * object; the caller decides whether this user may post.
 */
export function createChatModel(ydoc: ChatDoc): ChatModel {
  const array = ydoc.getArray<unknown>(chatKey)
  const listeners = new Set<(change: ChatChange) => void>()
  const observer = (event: ChatEvent) => {
    let added = 0
    if (!event.transaction.local) {
      for (const part of event.changes.delta) {
        if (Array.isArray(part.insert)) added += part.insert.filter((entry) => readMessage(entry) !== null).length
      }
    }
    for (const listener of listeners) listener({ addedRemote: added })
  }
  array.observe(observer)

  return {
    length: () => array.length,
    messagesFrom(from) {
      return array
        .slice(Math.max(0, from))
        .map(readMessage)
        .filter((message): message is ChatMessage => message !== null)
    },
    post(author, text) {
      const count = characterCount(text)
      if (text.trim() === "") throw new RangeError("a chat message needs some text")
      if (count > maxMessageLength) throw new RangeError(`a chat message has at most ${maxMessageLength} characters, not ${count}`)
      const message: ChatMessage = { id: newId(), name: author.name, color: sanitizeColor(author.color), text, at: Date.now() }
      array.push([{ ...message }])
      return message
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    destroy() {
      listeners.clear()
      array.unobserve(observer)
    },
  }
}

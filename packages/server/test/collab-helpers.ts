import { once } from "node:events"
import { ChangeSet, type ChangeSpec } from "@codemirror/state"
import { onTestFinished } from "vitest"
import WebSocket from "ws"
import {
  decodeCollabServerMessage,
  encodeCollabClientMessage,
  type ChangeSetJSON,
  type CollabClientMessage,
  type CollabServerMessage,
} from "@tandem/protocol"
import type { TestServer } from "./helpers.js"

/** A collab protocol client that speaks raw JSON, for tests of the server's side of it. */
export interface CollabRawClient {
  readonly ws: WebSocket
  /** Messages received so far, in order. */
  readonly received: CollabServerMessage[]
  readonly closed: Promise<{ code: number; reason: string }>
  send(message: CollabClientMessage): void
  /** Resolves with the first message of `type` that `match` accepts and no earlier call took, received or yet to come. */
  next<T extends CollabServerMessage["type"]>(type: T, match?: (message: Extract<CollabServerMessage, { type: T }>) => boolean): Promise<Extract<CollabServerMessage, { type: T }>>
}

/** Opens `ws://…/collab/<path>`; closed when the test ends. */
export async function connectCollab(server: Pick<TestServer, "httpUrl">, path: string): Promise<CollabRawClient> {
  const ws = new WebSocket(`${server.httpUrl.replace("http", "ws")}/collab/${path}`)
  const received: CollabServerMessage[] = []
  const waiting: Array<{ test: (message: CollabServerMessage) => boolean; resolve: (message: CollabServerMessage) => void }> = []
  // Each message is taken by one `next` at most; those nobody took yet stay for later calls.
  const taken = new Set<CollabServerMessage>()
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) throw new Error("the server sent a binary frame on /collab")
    const message = decodeCollabServerMessage(data.toString("utf8"))
    received.push(message)
    const waiter = waiting.find((w) => w.test(message))
    if (waiter) {
      waiting.splice(waiting.indexOf(waiter), 1)
      taken.add(message)
      waiter.resolve(message)
    }
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })))
  ws.on("error", () => {})
  onTestFinished(() => ws.terminate())
  await once(ws, "open")
  return {
    ws,
    received,
    closed,
    send: (message) => ws.send(encodeCollabClientMessage(message)),
    next(type, match = () => true) {
      type M = Extract<CollabServerMessage, { type: typeof type }>
      const test = (message: CollabServerMessage) => message.type === type && match(message as M)
      const found = received.find((message) => !taken.has(message) && test(message))
      if (found) {
        taken.add(found)
        return Promise.resolve(found as M)
      }
      return new Promise((resolve) => waiting.push({ test, resolve: (message) => resolve(message as M) }))
    },
  }
}

/** The JSON of `spec` on a document of `length` code units, split only at "\n" as collab text is. */
export function changes(spec: ChangeSpec, length: number): ChangeSetJSON {
  return ChangeSet.of(spec, length, "\n").toJSON() as ChangeSetJSON
}

/** Says hello without a version and resolves with the document the server sends. */
export async function join(client: CollabRawClient): Promise<Extract<CollabServerMessage, { type: "doc" }>> {
  client.send({ type: "hello", epoch: null, version: null })
  return client.next("doc")
}

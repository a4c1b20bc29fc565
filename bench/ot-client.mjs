// An OT load client on Tandem's `/collab/<doc>` endpoint: the real @codemirror/state and
// @codemirror/collab, driven the way the stock client is (what @tandem/editor's CollabSession
// does, less reconnects and presence): one push at a time of `sendableUpdates` at
// `getSyncedVersion`; after a `stale` answer, wait for the version the server named (the pending
// updates rebased by `receiveUpdates` meanwhile) and push again. Used by load.mjs.
import { collab, getSyncedVersion, receiveUpdates, sendableUpdates } from "@codemirror/collab"
import { ChangeSet, EditorState } from "@codemirror/state"
import WebSocket from "ws"

/**
 * Opens an OT client on `${url}/${doc}` under `clientID`; resolves with it once it holds the
 * document. `onUpdates(frame)` is called with the raw frame of every `updates` message after it
 * is applied, own updates included; `onConfirmed(stamps)` with the stamps of the local edits a
 * `push-result accepted` confirmed. Rejects if the socket fails before the document arrives.
 */
export function openOt(url, doc, { clientID, onUpdates, onConfirmed }) {
  const ws = new WebSocket(`${url}/${doc}`, { perMessageDeflate: false })
  let state = null
  let pushing = false
  // After a stale answer: the version to reach before pushing again.
  let waitFor = 0
  // The stamp of each local edit not yet confirmed, oldest first; the first `inFlight` were pushed.
  const unconfirmed = []
  let inFlight = 0
  const client = {
    ws,
    pushes: 0,
    stale: 0,
    /** Set when the server sent something this client cannot follow; the scenario then fails its check. */
    error: null,
    text: () => state.doc.toString(),
    /** Local changes the server has not confirmed yet. */
    pending: () => unconfirmed.length,
    /** Types `t=<stamp>;` at the end of the document, as a writer at the end of a shared text does. */
    edit(stamp) {
      state = state.update({ changes: { from: state.doc.length, insert: `t=${stamp};` }, userEvent: "input" }).state
      unconfirmed.push(stamp)
      push()
    },
  }
  const push = () => {
    const version = getSyncedVersion(state)
    if (pushing || version < waitFor) return
    const updates = sendableUpdates(state)
    if (updates.length === 0) return
    ws.send(JSON.stringify({ type: "push", version, updates: updates.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() })) }))
    pushing = true
    inFlight = updates.length
    client.pushes++
  }
  return new Promise((resolve, reject) => {
    ws.on("error", reject)
    ws.on("open", () => ws.send(JSON.stringify({ type: "hello", epoch: null, version: null })))
    ws.on("message", (frame) => {
      const message = JSON.parse(frame.toString("utf8"))
      switch (message.type) {
        case "doc":
          if (state !== null) client.error ??= "the server sent the document again"
          state = EditorState.create({ doc: message.doc, extensions: [collab({ startVersion: message.version, clientID }), EditorState.lineSeparator.of("\n")] })
          resolve(client)
          break
        case "resumed":
          client.error ??= "resumed without a hello version"
          break
        case "updates":
          if (message.version !== getSyncedVersion(state)) {
            client.error ??= `updates at ${message.version}, the client has ${getSyncedVersion(state)}`
            return
          }
          state = receiveUpdates(state, message.updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) }))).state
          onUpdates(frame)
          break
        case "push-result":
          pushing = false
          if (message.status === "accepted") onConfirmed(unconfirmed.splice(0, inFlight))
          else if (message.status === "stale") {
            waitFor = message.version
            client.stale++
          } else client.error ??= `push ${message.status}`
          inFlight = 0
          break
        case "presence":
          break
        default:
          client.error ??= `unknown message ${message.type}`
      }
      push()
    })
  })
}

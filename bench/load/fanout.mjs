// The fan-out tasks of a load process (see load.mjs): connect, drive, check.
import * as Y from "yjs"
import { openOt } from "../ot-client.mjs"
import { countStamps, dialect, open, stamps, wait } from "./clients.mjs"

/**
 * A fan-out in three steps, so the server's CPU can be read around the middle one alone:
 * `fanout-open` connects every client, `fanout-drive` sends edits for the duration and waits
 * until they are delivered, `fanout-check` checks convergence and disconnects.
 *
 * Given several instances of one server (`urls` rather than `url`), client i of each room
 * connects to instance i mod their number, so the first two writers are on different instances;
 * latencies of deliveries from a writer on another instance are also reported on their own.
 *
 * Given `otPerRoom` (Tandem only), the first that many clients of each room are OT clients on
 * `collabUrls` (ot-client.mjs), the rest Yjs clients; `otWritersPerRoom` of the writers are OT
 * clients, the others the first Yjs clients. Latencies are then also reported by path
 * (`ot->yjs`, `yjs->ot`, ...), and OT pushes' confirmations (edit to `push-result accepted`).
 */
let fan = null

export async function fanoutOpen(task) {
  const urls = task.urls ?? [task.url]
  const otPerRoom = task.otPerRoom ?? 0
  const otWriters = task.otWritersPerRoom ?? 0
  // Which instance each stamp was sent to, so a receiver knows whether it crossed instances;
  // and by which kind of client, for the latencies by path.
  fan = { task, urls, latencies: [], crossLatencies: [], paths: {}, confirms: [], delivered: 0, clients: [], sentTo: new Map(), sentBy: new Map() }
  const state = fan
  for (const room of task.rooms) {
    const roomClients = await Promise.all(
      Array.from({ length: task.clientsPerRoom }, async (_, i) => {
        const instance = i % urls.length
        const kind = i < otPerRoom ? "ot" : "yjs"
        const writer = kind === "ot" ? i < otWriters : i - otPerRoom < task.writersPerRoom - otWriters
        // A server that echoes a writer's edits back to it (@y/websocket-server does, and the
        // collab protocol sends an OT client its own updates) delivers nothing by that: the
        // writer's own stamps are not counted.
        const own = new Set()
        const receive = (frame) => {
          const now = performance.now()
          for (const t of stamps(frame)) {
            if (own.delete(t)) continue
            state.latencies.push(now - t)
            const from = state.sentTo.get(t)
            if (from !== undefined && from !== instance) state.crossLatencies.push(now - t)
            if (otPerRoom > 0) (state.paths[`${state.sentBy.get(t)}->${kind}`] ??= []).push(now - t)
            state.delivered++
          }
        }
        if (kind === "ot") {
          const ot = await openOt(task.collabUrls[instance], room, {
            clientID: `bench-${room}-${i}`,
            onUpdates: receive,
            onConfirmed: (confirmed) => {
              const now = performance.now()
              for (const t of confirmed) state.confirms.push(now - t)
            },
          })
          return { ws: ot.ws, ot, kind, room, instance, writer, own }
        }
        // A writer is an editor: it applies what the others write, so its edits land where
        // theirs end, as they would in a shared document.
        const doc = writer ? new Y.Doc() : null
        const d = dialect(task.dialect, room)
        const client = await open({ ...task, url: urls[instance] }, room, (frame) => {
          receive(frame)
          const update = doc && d.updateOf(frame)
          if (update) Y.applyUpdate(doc, update, "remote")
        })
        return { ...client, kind, room, instance, writer, doc, own }
      }),
    )
    state.clients.push(...roomClients)
  }
  return { open: state.clients.length }
}

/** Sends edits for `durationMs` and waits until they are delivered. Called once to warm up, then to measure. */
export async function fanoutDrive({ durationMs, ratePerWriter }) {
  const { task, clients } = fan
  fan.writers ??= clients.filter((c) => c.writer).map((c) => {
    const w = { ...c, sent: 0, total: 0, pending: [], clock: 0 }
    c.doc?.on("update", (u, origin) => origin !== "remote" && w.pending.push(u))
    return w
  })
  const writers = fan.writers
  for (const w of writers) w.sent = 0
  fan.latencies = []
  fan.crossLatencies = []
  fan.paths = {}
  fan.confirms = []
  fan.delivered = 0
  const stale = writers.reduce((sum, w) => sum + (w.ot?.stale ?? 0), 0)
  const pushes = writers.reduce((sum, w) => sum + (w.ot?.pushes ?? 0), 0)
  const cpu = process.cpuUsage()
  const start = performance.now()
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start
      if (elapsed >= durationMs) {
        clearInterval(tick)
        resolve()
        return
      }
      for (const w of writers) {
        const due = Math.floor((elapsed / 1000) * ratePerWriter)
        while (w.sent < due) {
          const t = performance.now()
          w.own.add(t)
          fan.sentTo.set(t, w.instance)
          fan.sentBy.set(t, w.kind)
          if (w.ot) w.ot.edit(t)
          else {
            const text = w.doc.getText("content")
            text.insert(text.length, `t=${t};`)
            w.ws.send(w.d.update(w.pending.pop()))
            if (task.presence) w.ws.send(w.d.awareness(w.doc.clientID, ++w.clock, cursorState(w, text)))
          }
          w.sent++
          w.total++
        }
      }
    }, 5)
  })
  const sent = writers.reduce((sum, w) => sum + w.sent, 0)
  const expected = sent * (task.clientsPerRoom - 1)
  const settled = () => fan.delivered >= expected && writers.every((w) => !w.ot || w.ot.pending() === 0)
  for (let waited = 0; !settled() && waited < 5000; waited += 20) await wait(20)
  const usage = process.cpuUsage(cpu)
  return {
    latencies: fan.latencies,
    crossLatencies: fan.crossLatencies,
    paths: fan.paths,
    confirms: fan.confirms,
    pushes: writers.reduce((sum, w) => sum + (w.ot?.pushes ?? 0), 0) - pushes,
    stale: writers.reduce((sum, w) => sum + (w.ot?.stale ?? 0), 0) - stale,
    sent,
    delivered: fan.delivered,
    expected,
    loadCpuMs: (usage.user + usage.system) / 1000,
  }
}

/** A writer's presence after an edit at the end of `text`: its user, and its cursor there, as y-codemirror.next publishes it. */
function cursorState(w, text) {
  const at = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, text.length))
  return { user: { name: `writer ${w.doc.clientID}`, color: "#30bced", colorLight: "#30bced33" }, cursor: { anchor: at, head: at } }
}

export async function fanoutCheck() {
  const { task, urls, clients, writers } = fan
  // Convergence: a fresh client on each room, on every instance, must receive every marker sent there.
  let converged = true
  if (task.dialect !== "relay") {
    for (const room of task.rooms) {
      const roomSent = writers.filter((w) => w.room === room).reduce((sum, w) => sum + w.total, 0)
      for (const url of urls) {
        const checker = await open({ ...task, url }, room)
        checker.ws.terminate()
        // Read from the decoded text: the encoding around it can hold a chance "t=<digits>;".
        const doc = new Y.Doc()
        Y.applyUpdate(doc, dialect(task.dialect, room).updateOf(checker.frame))
        const text = doc.getText("content").toString()
        const got = countStamps(text)
        if (got !== roomSent) {
          converged = false
          // Said where it happens: a "no" in the table is otherwise all there is to go on.
          console.error(`bench: ${room} on ${url}: a fresh client got ${got} of the ${roomSent} updates sent`)
        }
        // OT clients must hold the text the server holds, with nothing left to confirm.
        const ots = clients.filter((c) => c.room === room && c.ot)
        if (ots.some((c) => c.ot.error !== null || c.ot.pending() > 0 || c.ot.text() !== text)) converged = false
      }
    }
  } else converged = fan.delivered === writers.reduce((sum, w) => sum + w.sent, 0) * (task.clientsPerRoom - 1)
  for (const c of clients) c.ws.terminate()
  fan = null
  return { converged }
}

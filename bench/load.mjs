// A load process: opens WebSocket clients against one server and runs one task, reporting what
// it measured and its own CPU time. Started by the scenarios with child_process.fork (loader() in
// lib/processes.mjs).
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import * as decoding from "lib0/decoding"
import * as encoding from "lib0/encoding"
import WebSocket, { WebSocketServer } from "ws"
import * as Y from "yjs"
import { openOt } from "./ot-client.mjs"

const marker = Buffer.from("t=")

/** Frames for one server dialect: y-websocket's, or Hocuspocus's (every message prefixed with the document name). */
function dialect(kind, doc) {
  const wrap = (write) => {
    const e = encoding.createEncoder()
    if (kind === "hocuspocus") encoding.writeVarString(e, doc)
    write(e)
    return encoding.toUint8Array(e)
  }
  const strip = (frame) => {
    if (kind !== "hocuspocus") return { type: frame[0], sub: frame[1] }
    const d = decoding.createDecoder(frame)
    decoding.readVarString(d)
    return { type: decoding.readVarUint(d), sub: decoding.hasContent(d) ? decoding.readVarUint(d) : -1 }
  }
  return {
    hello: kind === "hocuspocus" ? [wrap((e) => (encoding.writeVarUint(e, 2), encoding.writeVarUint(e, 0), encoding.writeVarString(e, "")))] : [],
    step1: wrap((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 0), encoding.writeVarUint8Array(e, Y.encodeStateVector(new Y.Doc())))),
    step2: (u) => wrap((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 1), encoding.writeVarUint8Array(e, u))),
    update: (u) => wrap((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, u))),
    ackRequest: wrap((e) => (encoding.writeVarUint(e, 100), encoding.writeVarUint(e, 0))),
    /** Whether a frame is the answer to our sync step 1 (Hocuspocus may answer with its SyncReply tag 4). */
    isStep2: (frame) => {
      const { type, sub } = strip(frame)
      return (type === 0 || type === 4) && sub === 1
    },
    /** The update a frame carries (sync step 2 or update), or null. */
    updateOf: (frame) => {
      const d = decoding.createDecoder(frame)
      if (kind === "hocuspocus") decoding.readVarString(d)
      if (decoding.readVarUint(d) !== 0) return null
      const sub = decoding.readVarUint(d)
      return sub === 1 || sub === 2 ? decoding.readVarUint8Array(d) : null
    },
    ackOf: (frame) => {
      if (frame[0] !== 100 || frame[1] !== 1) return null
      const d = decoding.createDecoder(frame)
      decoding.readVarUint(d)
      decoding.readVarUint(d)
      return decoding.readVarUint(d)
    },
  }
}

/**
 * Opens a client; resolves once it is synced (or open, for the relay, which holds no document).
 * `task.localAddress` picks the source address (one address has only so many ephemeral ports);
 * `onOpen` is called when the WebSocket handshake is done, before the dialect's own.
 */
function open(task, doc, onFrame, onOpen) {
  const d = dialect(task.dialect, doc)
  const ws = new WebSocket(`${task.url}/${doc}`, { perMessageDeflate: false, ...(task.localAddress ? { localAddress: task.localAddress } : {}) })
  ws.binaryType = "nodebuffer"
  const started = performance.now()
  return new Promise((resolve, reject) => {
    let synced = task.dialect === "relay"
    ws.on("error", reject)
    ws.on("open", () => {
      onOpen?.()
      for (const frame of d.hello) ws.send(frame)
      if (task.dialect !== "relay") ws.send(d.step1)
      else resolve({ ws, d, ms: performance.now() - started, step2Bytes: 0 })
    })
    ws.on("message", (frame) => {
      if (!synced && d.isStep2(frame)) {
        synced = true
        resolve({ ws, d, ms: performance.now() - started, step2Bytes: frame.length, frame })
        return
      }
      onFrame?.(frame)
    })
  })
}

/** The send times carried by a frame's `t=<ms>;` markers. */
function stamps(frame) {
  const found = []
  for (let at = frame.indexOf(marker); at !== -1; at = frame.indexOf(marker, at + 2)) {
    const end = frame.indexOf(59, at)
    found.push(Number(frame.toString("latin1", at + 2, end)))
  }
  return found
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

async function fanoutOpen(task) {
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
async function fanoutDrive({ durationMs, ratePerWriter }) {
  const { task, clients } = fan
  fan.writers ??= clients.filter((c) => c.writer).map((c) => {
    const w = { ...c, sent: 0, total: 0, pending: [] }
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

async function fanoutCheck() {
  const { task, urls, clients, writers } = fan
  // Convergence: a fresh client on each room, on every instance, must receive every marker sent there.
  let converged = true
  if (task.dialect !== "relay") {
    for (const room of task.rooms) {
      const roomSent = writers.filter((w) => w.room === room).reduce((sum, w) => sum + w.total, 0)
      for (const url of urls) {
        const checker = await open({ ...task, url }, room)
        if (stamps(checker.frame).length !== roomSent) converged = false
        checker.ws.terminate()
        // OT clients must hold the text the server holds, with nothing left to confirm.
        const ots = clients.filter((c) => c.room === room && c.ot)
        if (ots.length > 0) {
          const doc = new Y.Doc()
          Y.applyUpdate(doc, dialect(task.dialect, room).updateOf(checker.frame))
          const text = doc.getText("content").toString()
          if (ots.some((c) => c.ot.error !== null || c.ot.pending() > 0 || c.ot.text() !== text)) converged = false
        }
      }
    }
  } else converged = fan.delivered === writers.reduce((sum, w) => sum + w.sent, 0) * (task.clientsPerRoom - 1)
  for (const c of clients) c.ws.terminate()
  fan = null
  return { converged }
}

const held = []
async function idle(task) {
  for (const room of task.rooms) {
    const opened = await Promise.all(Array.from({ length: task.clientsPerRoom }, () => open(task, room)))
    held.push(...opened.map((c) => c.ws))
  }
  return { open: held.length }
}

/**
 * Opens `count` clients of one room at once; `totalMs` runs until the last has its sync step 2.
 * With `decode`, each client also applies that update to a fresh Y.Doc before it counts as
 * synced, as an editor must before it shows the document.
 */
async function join(task) {
  const started = performance.now()
  const clients = await Promise.all(
    Array.from({ length: task.count }, async () => {
      const client = await open(task, task.room)
      if (task.decode) Y.applyUpdate(new Y.Doc(), client.d.updateOf(client.frame))
      return client
    }),
  )
  const totalMs = performance.now() - started
  // A kept client holds the document in the server's memory for the joins after it.
  for (const c of clients) task.keep ? held.push(c.ws) : c.ws.terminate()
  return { totalMs, times: clients.map((c) => c.ms), step2Bytes: clients[0]?.step2Bytes ?? 0 }
}

/**
 * Runs this process's client code once before anything is timed: opens a client in the given
 * dialect on a loopback server of its own, which answers with a small document, and decodes it.
 * A timed first client then pays for the server it measures, not for this process's cold code.
 */
async function warmUp(task) {
  const doc = new Y.Doc()
  doc.getText("content").insert(0, "warm-up")
  const d = dialect(task.dialect, "warm-up")
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false })
  await new Promise((resolve) => wss.once("listening", resolve))
  wss.on("connection", (ws) => ws.on("message", () => ws.send(d.step2(Y.encodeStateAsUpdate(doc)))))
  try {
    const client = await open({ ...task, url: `ws://127.0.0.1:${wss.address().port}` }, "warm-up")
    Y.applyUpdate(new Y.Doc(), client.d.updateOf(client.frame))
    client.ws.terminate()
  } finally {
    await new Promise((resolve) => wss.close(resolve))
  }
  return {}
}

/** Wall-clock milliseconds comparable between processes (each one's performance.now() has its own origin). */
const epochMs = () => performance.timeOrigin + performance.now()

/**
 * Many idle clients opened in one burst, `inFlight` at most waiting for their WebSocket
 * handshake at any time: each client connects from the next of `localAddresses` in turn, does
 * its dialect's handshake (sync step 1) and then nothing. Resolves, once every client is synced,
 * with the wall-clock times of the first connect, the last `open` and the last sync; rejects on
 * the first client that fails, or after `timeoutMs`. The clients stay open until the process ends.
 */
async function idleBurst(task) {
  const total = task.rooms.length * task.clientsPerRoom
  let next = 0
  let opened = 0
  let firstConnectAt = NaN
  let lastOpenAt = NaN
  const synced = []
  const cpu = process.cpuUsage()
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opened} of ${total} clients open after ${task.timeoutMs} ms`)), task.timeoutMs)
    const fail = (error) => {
      clearTimeout(timer)
      reject(error)
    }
    const launch = () => {
      const i = next++
      const localAddress = task.localAddresses[i % task.localAddresses.length]
      if (i === 0) firstConnectAt = epochMs()
      const client = open({ ...task, localAddress }, task.rooms[Math.floor(i / task.clientsPerRoom)], undefined, () => {
        lastOpenAt = epochMs()
        opened++
        if (next < total) launch()
        else if (opened === total) {
          clearTimeout(timer)
          resolve()
        }
      })
      client.catch(fail)
      synced.push(client)
    }
    for (let i = 0; i < Math.min(task.inFlight, total); i++) launch()
  })
  let timer
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`clients not synced ${task.timeoutMs} ms after the last open`)), task.timeoutMs)))
  const clients = await Promise.race([Promise.all(synced), late]).finally(() => clearTimeout(timer))
  const lastSyncedAt = epochMs()
  const usage = process.cpuUsage(cpu)
  held.push(...clients.map((c) => c.ws))
  return { open: clients.length, firstConnectAt, lastOpenAt, lastSyncedAt, cpuMs: (usage.user + usage.system) / 1000 }
}

/** Pushes a document state into a room and waits until a fresh client receives it whole. */
async function push(task) {
  const client = await open(task, task.room)
  const update = Buffer.from(task.update, "base64")
  client.ws.send(client.d.update(update))
  for (;;) {
    const probe = await open(task, task.room)
    probe.ws.terminate()
    if (probe.step2Bytes >= update.length * 0.9) break
    await wait(50)
  }
  // Stays connected, so the server keeps the document in memory.
  held.push(client.ws)
  return {}
}

/** Sends updates as fast as acknowledgements allow (a window of unacknowledged ones); Tandem only. */
async function persist(task) {
  let acked = 0
  let closed = false
  let wake = () => {}
  const client = await open(task, task.room)
  client.ws.on("close", (code) => {
    closed = code
    wake()
  })
  client.ws.on("message", (frame) => {
    const count = client.d.ackOf(frame)
    if (count !== null) {
      acked = Math.max(acked, count)
      wake()
    }
  })
  client.ws.send(client.d.ackRequest)
  const doc = new Y.Doc()
  const pending = []
  doc.on("update", (u) => pending.push(u))
  const text = doc.getText("content")
  const trace = JSON.parse(gunzipSync(readFileSync(task.tracePath)).toString("utf8"))
  const patches = trace.txns.flatMap((txn) => txn.patches)
  const started = performance.now()
  let sent = 0
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del)
    if (ins) text.insert(pos, ins)
    client.ws.send(client.d.update(pending.pop()))
    sent++
    while (sent - acked > task.window && !closed) await new Promise((resolve) => (wake = resolve))
    if (closed) throw new Error(`the server closed the connection with ${closed}`)
  }
  while (acked < sent && !closed) await new Promise((resolve) => (wake = resolve))
  if (closed) throw new Error(`the server closed the connection with ${closed}`)
  const ms = performance.now() - started
  client.ws.terminate()
  return { sent, ms, encodedDocBytes: Y.encodeStateAsUpdate(doc).length }
}

process.on("message", async (task) => {
  try {
    const run = { "fanout-open": fanoutOpen, "fanout-drive": fanoutDrive, "fanout-check": fanoutCheck, idle, "idle-burst": idleBurst, "warm-up": warmUp, join, push, persist }[task.kind]
    process.send({ ok: true, result: await run(task) })
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error) })
  }
})

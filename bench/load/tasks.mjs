// The other tasks of a load process (see load.mjs): idle clients, timed joins, the warm-up,
// pushing a document, and persisting a trace. Clients they keep open stay until the process ends.
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import { WebSocketServer } from "ws"
import * as Y from "yjs"
import { dialect, open, wait } from "./clients.mjs"

const held = []
export async function idle(task) {
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
export async function join(task) {
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
export async function warmUp(task) {
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
export async function idleBurst(task) {
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
export async function push(task) {
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
export async function persist(task) {
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

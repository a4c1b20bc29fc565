// @ts-check
// The checkpoint worker (see checkpointer.ts). JavaScript, type-checked by tsc (checkJs), so the
// same file runs from the sources in tests and from dist in production; a TypeScript worker
// would need a loader Node 20 does not have.
import { parentPort, workerData } from "node:worker_threads"
import Database from "better-sqlite3"

/** @typedef {{ readonly path: string, readonly intervalMs: number }} CheckpointWorkerData */
/** @typedef {"checkpoint" | "stop"} CheckpointWorkerMessage */

if (!parentPort) throw new Error("checkpoint-worker.js runs only as a worker thread")
const port = parentPort
const { path, intervalMs } = /** @type {CheckpointWorkerData} */ (workerData)

// Its own connection to the database, checkpointing without waiting on the writer (PASSIVE),
// and reporting only checkpoints that did something.
const db = new Database(path)
let last = -1
/** The database's `data_version` when this connection last checkpointed: it changes when another connection commits. */
let checkedAt = -1

const checkpoint = () => {
  try {
    checkedAt = /** @type {number} */ (db.pragma("data_version", { simple: true }))
    const [result] = /** @type {Array<{ busy: number, log: number, checkpointed: number }>} */ (db.pragma("wal_checkpoint(PASSIVE)"))
    if (!result) return
    if (result.log !== last || result.checkpointed !== result.log) port.postMessage({ log: result.log, checkpointed: result.checkpointed })
    last = result.log
  } catch {
    // A lock or a busy database: the next tick tries again.
    checkedAt = -1
  }
}

// On the clock, only when something was committed since: an idle server's worker reads one
// number a tick and writes nothing.
const timer = setInterval(() => {
  try {
    if (db.pragma("data_version", { simple: true }) === checkedAt) return
  } catch {
    // Checkpointing says what is wrong, if anything.
  }
  checkpoint()
}, intervalMs)

port.on("message", (/** @type {CheckpointWorkerMessage} */ message) => {
  if (message === "checkpoint") {
    checkpoint()
    return
  }
  clearInterval(timer)
  db.close()
  port.close()
})

// @ts-check
// The checkpoint worker (see checkpointer.ts). JavaScript, type-checked by tsc (checkJs), so the
// same file runs from the sources in tests and from dist in production; a TypeScript worker
// would need a loader Node 20 does not have.
import { parentPort, workerData } from "node:worker_threads"
import Database from "better-sqlite3"

/** @typedef {{ readonly path: string, readonly intervalMs: number }} CheckpointWorkerData */

if (!parentPort) throw new Error("checkpoint-worker.js runs only as a worker thread")
const port = parentPort
const { path, intervalMs } = /** @type {CheckpointWorkerData} */ (workerData)

// Its own connection to the database, checkpointing without waiting on the writer (PASSIVE),
// and reporting only checkpoints that did something.
const db = new Database(path)
let last = -1
const timer = setInterval(() => {
  try {
    const [result] = /** @type {Array<{ busy: number, log: number, checkpointed: number }>} */ (db.pragma("wal_checkpoint(PASSIVE)"))
    if (!result) return
    if (result.log !== last || result.checkpointed !== result.log) port.postMessage({ log: result.log, checkpointed: result.checkpointed })
    last = result.log
  } catch {
    // A lock or a busy database: the next tick tries again.
  }
}, intervalMs)

port.on("message", () => {
  clearInterval(timer)
  db.close()
  port.close()
})

import { Worker } from "node:worker_threads"

/** What one checkpoint did, as `PRAGMA wal_checkpoint` reports it. */
export interface CheckpointResult {
  /** Pages in the write-ahead log. */
  readonly log: number
  /** Pages of it now copied into the database file. */
  readonly checkpointed: number
}

/**
 * Copies the write-ahead log into the database file from a worker thread, so the fsync a
 * checkpoint ends with never stalls the event loop. SQLite's own automatic checkpoint runs in
 * the committing call: on this project's machines it blocked the server for 10 to 20 ms about
 * every tenth of a second under load, which was most of its p99 latency.
 *
 * The worker checkpoints every `intervalMs` when something was committed since its last
 * checkpoint, and at once when asked ({@link Checkpointer.request}), as the store does when the
 * log has grown long.
 */
export class Checkpointer {
  private readonly worker: Worker
  private readonly exited: Promise<void>
  private stopping = false

  /**
   * `onResult` hears of each checkpoint that found pages in the log. `onFailed` is called once
   * should the worker die (it could not open the database, say): checkpoints are then the
   * writer's to run again. A checkpoint that fails (a lock) is simply tried again next time.
   */
  constructor(path: string, intervalMs: number, onResult: (result: CheckpointResult) => void, onFailed: (error: Error) => void) {
    // Beside this module, in the sources and in dist alike.
    this.worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), { workerData: { path, intervalMs } })
    this.worker.unref()
    this.worker.on("message", onResult)
    let failure: Error | null = null
    this.worker.on("error", (error) => (failure = error))
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", (code) => {
        if (!this.stopping) onFailed(failure ?? new Error(`checkpoint worker exited with ${code}`))
        resolve()
      }),
    )
  }

  /** Asks for a checkpoint now, rather than at the next tick. */
  request(): void {
    if (!this.stopping) this.worker.postMessage("checkpoint")
  }

  /** Stops checkpointing and closes the worker's connection. */
  async stop(): Promise<void> {
    // Held while it stops: an unreferenced worker would let the process exit before close()
    // has emptied the log, with close() never settling.
    this.stopping = true
    this.worker.ref()
    this.worker.postMessage("stop")
    await this.exited
  }
}

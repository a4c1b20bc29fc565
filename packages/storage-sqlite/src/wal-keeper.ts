import type Database from "better-sqlite3"
import { Checkpointer, type CheckpointResult } from "./checkpointer.js"

/** How a store checkpoints its write-ahead log (part of SqliteStoreOptions). */
export interface WalOptions {
  /**
   * How often a worker thread copies the write-ahead log into the database file, when anything
   * was committed since it last did. Default 5 s. Under `synchronous: "normal"` that is also
   * about how much a power loss can take. Once the log passes `maxWalPages`, the next commit
   * finishes the worker's checkpoint (see there).
   */
  readonly checkpointIntervalMs?: number
  /**
   * The worker checkpoints at once, without waiting for its interval, when the appends since
   * its last checkpoint wrote about this many pages. Default 4,096 (16 MiB of 4 KiB pages).
   */
  readonly checkpointPages?: number
  /**
   * When the worker reports a log longer than this, the next commit finishes the checkpoint
   * itself (copies the pages written while the worker ran) and the log starts again at the
   * beginning of its file. Default 16,384 (64 MiB of 4 KiB pages).
   */
  readonly maxWalPages?: number
  /** Called after each checkpoint that found pages in the log, for monitoring and tests. */
  readonly onCheckpoint?: (result: CheckpointResult) => void
}

/** Keeps a store's write-ahead log from growing without end. */
export interface WalKeeper {
  /**
   * After each append's commit: counts the pages it wrote (one a document, and one for each 4 KiB
   * of updates), asks the worker for a checkpoint once the log is long, and finishes the
   * worker's checkpoint on this connection once the log passed `maxWalPages`. That blocks for
   * the pages written since the worker's (2 to 5 ms at 4,000 updates/s), but never waits for
   * another connection's reader, which could take the whole busy timeout: the worker's next
   * report tries again.
   */
  afterAppend(documents: number, bytes: number): void
  /** Stops the worker and empties the log into the database file, if the connection is open. */
  close(): Promise<void>
}

/**
 * Checkpoints for the writer `db` on the file at `path`: in a worker thread (see Checkpointer),
 * on its interval and when the appends wrote a lot, and on this connection once the log is
 * too long all the same. SQLite's own checkpoint in the commit is turned off while the worker
 * lives, and back on should it die.
 */
export function createWalKeeper(
  db: Database.Database,
  path: string,
  busyTimeoutMs: number,
  options: WalOptions,
): WalKeeper {
  db.pragma("wal_autocheckpoint = 0")
  const maxWalPages = options.maxWalPages ?? 16_384
  let walTooLong = false
  const checkpointer = new Checkpointer(
    path,
    options.checkpointIntervalMs ?? 5000,
    (result) => {
      walTooLong = result.log > maxWalPages
      options.onCheckpoint?.(result)
    },
    // Without the worker, SQLite checkpoints in the commit again, as it does by default.
    () => {
      if (db.open) db.pragma("wal_autocheckpoint = 1000")
    },
  )
  const checkpointPages = options.checkpointPages ?? 4096
  /** Pages the appends wrote since the worker was last asked for a checkpoint, about. */
  let pagesWritten = 0
  return {
    afterAppend(documents, bytes) {
      pagesWritten += documents + Math.floor(bytes / 4096)
      if (pagesWritten >= checkpointPages) {
        pagesWritten = 0
        checkpointer.request()
      }
      if (!walTooLong) return
      walTooLong = false
      db.pragma("busy_timeout = 0")
      try {
        db.pragma("wal_checkpoint(RESTART)")
      } catch {
        // The commit before it stands; the worker's next report tries again.
      } finally {
        db.pragma(`busy_timeout = ${busyTimeoutMs}`)
      }
    },
    async close() {
      await checkpointer.stop()
      if (db.open) db.pragma("wal_checkpoint(TRUNCATE)")
    },
  }
}

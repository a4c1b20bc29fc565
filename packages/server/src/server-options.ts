import type { Authorizer } from "./auth.js"
import type { Clock } from "./clock.js"
import type { DocumentStore } from "./document-store.js"
import type { Logger } from "./logger.js"
import { defaultRetention, type RetentionPolicy } from "./retention.js"
import type { RoomBus } from "./room-bus.js"
import type { WebhookOptions } from "./webhooks/webhooks.js"

// What a sync server is built from, and the defaults of every option.

/**
 * Limits on what one peer may do, so no one can hurt anyone else. The defaults leave room for a
 * fast typist, a paste of a large file, a client replaying its offline edits and an office of
 * people behind one IP address.
 */
export interface Limits {
  /** Largest frame a client may send; a larger one closes the connection with 1009. */
  readonly maxFrameBytes: number
  /** Largest document (estimated from stored and accepted updates); an update that would pass it is refused with 1009. */
  readonly maxDocumentBytes: number
  /** Largest awareness state of one client, as JSON; a larger one closes with 1009. */
  readonly maxAwarenessStateBytes: number
  /** Messages a connection may send per second on average (bursts up to ten times that pass); more closes with 1008. */
  readonly maxMessagesPerSecond: number
  /** Bytes a connection may send per second on average (bursts up to two frames of the maximum size pass); more closes with 1008. */
  readonly maxBytesPerSecond: number
  /** Bytes of updates a document may hold waiting on missing dependencies; the update that passes it closes with 1008. */
  readonly maxPendingBytes: number
  /** Open connections in all; more are refused with HTTP 503. */
  readonly maxConnections: number
  /** Open connections from one IP address; more are refused with HTTP 503. */
  readonly maxConnectionsPerIp: number
  /** Bytes waiting to be sent to one peer; a peer that does not read past this is dropped. */
  readonly maxBufferedBytes: number
  /** Frames a connection may send before its document has loaded; more closes with 1008. */
  readonly maxQueuedFrames: number
}

/** Options of `createSyncServer`. Only `store` is required. */
export interface SyncServerOptions {
  /** Where documents are kept. The server never closes it; its owner does, after `close()`. */
  readonly store: DocumentStore
  readonly logger?: Logger
  /** Decides who may open which document; by default everyone may read and write everything. */
  readonly authorizer?: Authorizer
  /** Cross-instance fan-out; a server running alone needs none. */
  readonly bus?: RoomBus
  readonly limits?: Partial<Limits>
  /** Each room compacts at between 0.75 and 1.25 times these, so rooms do not compact together. */
  readonly compaction?: {
    /**
     * Fold the update log into a snapshot once it holds this many updates, or one for every 192
     * bytes of the last snapshot if that is more. Default 1,000.
     */
    readonly afterUpdates?: number
    /** ... or this many bytes. Default 1 MiB. */
    readonly afterBytes?: number
  }
  readonly storageRetry?: {
    /** Delay before the first retry of a failed write. Default 100 ms, doubling each time. */
    readonly initialDelayMs?: number
    /** Longest delay between retries. Default 5 s. */
    readonly maxDelayMs?: number
  }
  /**
   * Automatic versions and their retention, when the store keeps versions; `false` takes none
   * automatically (versions can still be named through the API).
   */
  readonly history?: false | { readonly idleMs?: number; readonly maxIntervalMs?: number; readonly retention?: Partial<RetentionPolicy> }
  /** Time as the server reads it, for versions and their schedule. Default: the system clock. */
  readonly clock?: Clock
  /**
   * With a bus: how long a gap in a document's numbering (another instance's update that has not
   * arrived, though a later one has) may last before the room reads it from storage. Default 200 ms.
   */
  readonly gapDelayMs?: number
  /** The `/collab` endpoint for `@codemirror/collab` clients. */
  readonly collab?: {
    /** Updates each room keeps for collab clients that reconnect; one further behind is sent the document again. Default 1,000. */
    readonly maxLogUpdates?: number
  }
  /** Deliver events to a URL, signed, at least once; needs a store with an `outbox`. */
  readonly webhooks?: WebhookOptions
}

/** Defaults of every option, in one place. */
export const defaults = {
  limits: {
    maxFrameBytes: 16 << 20,
    maxDocumentBytes: 64 << 20,
    maxAwarenessStateBytes: 64 << 10,
    maxMessagesPerSecond: 1000,
    maxBytesPerSecond: 8 << 20,
    maxPendingBytes: 4 << 20,
    maxConnections: 10_000,
    maxConnectionsPerIp: 500,
    maxBufferedBytes: 32 << 20,
    maxQueuedFrames: 1000,
  } satisfies Limits,
  compaction: { afterUpdates: 1000, afterBytes: 1 << 20 },
  storageRetry: { initialDelayMs: 100, maxDelayMs: 5000 },
  history: { idleMs: 2 * 60_000, maxIntervalMs: 10 * 60_000, retention: defaultRetention },
  collab: { maxLogUpdates: 1000 },
} as const

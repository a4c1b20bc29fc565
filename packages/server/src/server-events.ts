import type { Quarantine, StorageError, VersionInfo } from "./document-store.js"

/** Events of a sync server (`SyncServer.events`), by name. */
export interface ServerEvents {
  "room-loaded": { readonly doc: string; readonly ms: number }
  "room-unloaded": { readonly doc: string }
  "connection-opened": { readonly doc: string; readonly connection: number; readonly user: string | null }
  "connection-closed": { readonly doc: string; readonly connection: number; readonly user: string | null }
  "connection-failed": { readonly doc: string; readonly connection: number; readonly code: number; readonly error: unknown }
  "save-failed": { readonly doc: string; readonly error: StorageError; readonly attempt: number }
  compacted: { readonly doc: string; readonly head: number; readonly bytes: number }
  quarantined: { readonly doc: string; readonly parts: Quarantine }
  "version-created": { readonly doc: string; readonly version: VersionInfo }
  "document-deleted": { readonly doc: string }
  /**
   * Storage failed to load the document a connection was opening; it is closed with 1011. Each
   * connection waiting on the failed load gets one.
   */
  "load-failed": { readonly doc: string; readonly error: StorageError }
  /**
   * A storage transaction of accepted updates committed, after `ms` milliseconds. With a store
   * that has `appendMany`, the documents that wrote in one turn of the event loop share one.
   */
  "commit-finished": { readonly ms: number; readonly updates: number }
  /**
   * The transport refused an upgrade request before any socket existed: `status` is the HTTP
   * status it answered, `doc` the document asked for once the name was read.
   */
  "upgrade-refused": { readonly status: number; readonly reason: UpgradeRefusal; readonly doc: string | null }
  /**
   * The transport cut a peer off without a closing handshake: it stopped reading (`slow`, its
   * unsent frames passed `maxBufferedBytes`) or did not answer a ping (`ping`).
   */
  "peer-dropped": { readonly doc: string; readonly connection: number; readonly reason: "slow" | "ping" }
  /** With a bus: a room read from storage updates of other instances the bus had not brought. */
  "bus-gap-filled": { readonly doc: string }
}

/**
 * Why an upgrade request was refused, with the HTTP status each gets: `not-found` (404, not a
 * sync path), `bad-name` (400, not a valid document name), `bad-handshake` (400, not a valid
 * WebSocket handshake), `origin` (403, an origin not allowed), `connections` and
 * `connections-per-ip` (503, a connection limit), `unauthenticated` (401) and `forbidden` (403)
 * from the authorizer, `authorizer-failed` (500, the authorizer threw something else).
 */
export type UpgradeRefusal =
  | "not-found"
  | "bad-name"
  | "bad-handshake"
  | "origin"
  | "connections"
  | "connections-per-ip"
  | "unauthenticated"
  | "forbidden"
  | "authorizer-failed"

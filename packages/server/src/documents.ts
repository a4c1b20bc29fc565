import { createHash } from "node:crypto"
import { validateUpdate } from "@tandem/protocol"
import * as Y from "yjs"
import type { StoredVersion, VersionInfo } from "./document-store.js"
import { contentKey, type Applied, type ServerWrite } from "./room-types.js"
import type { SyncServer } from "./sync-server-types.js"
import { applyTextEdits, textDiff } from "@tandem/protocol"
import { lineDiff, type LineHunk } from "./text-diff.js"

/** Why a document operation was refused; the HTTP API maps each code to a status. */
export type DocumentErrorCode = "not-found" | "precondition-failed" | "no-history" | "bad-request"

/** A document operation that cannot be done as asked. */
export class DocumentError extends Error {
  override readonly name = "DocumentError"

  constructor(
    readonly code: DocumentErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The entity tag of a document's text: a hash of the text itself, so it is the same on every
 * instance and after a restart, and changes exactly when the text does.
 */
export function textTag(text: string): string {
  return `"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"`
}

/** Whether an `If-Match` header value matches the tag `tag` (`*` matches any existing document). */
export function tagMatches(header: string, tag: string | null): boolean {
  if (tag === null) return false
  return header
    .split(",")
    .map((part) => part.trim().replace(/^W\//, ""))
    .some((part) => part === "*" || part === tag)
}

/** The text of a document state (a Yjs update), read in a document of its own. */
export function stateText(state: Uint8Array): string {
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, state)
    return doc.getText(contentKey).toString()
  } finally {
    doc.destroy()
  }
}

/** A document's text with its tag, or `null` when nothing was ever stored under its name. */
export function readTagged(sync: SyncServer, doc: string): Promise<{ text: string; tag: string } | null> {
  return sync.withRoom(doc, (room) => {
    if (!room.exists) return null
    const text = room.text.toString()
    return { text, tag: textTag(text) }
  })
}

/** What {@link writeText} did. */
export interface TextWritten {
  /** The tag of the text now. */
  readonly tag: string
  /** The document did not exist before. */
  readonly created: boolean
}

/**
 * Makes the document's text equal to `text` by the smallest character edit the time allows (see
 * `textDiff`), through the room's write path: people editing elsewhere keep their edits and
 * cursors. With `ifMatch`, refuses (`precondition-failed`) when the text's tag does not match at
 * the moment of writing. Resolves once the change is stored. Creates the document when missing.
 *
 * @throws {DocumentError} `precondition-failed`.
 * @throws {ProtocolError} `too-big` past the document size limit.
 */
export function writeText(sync: SyncServer, doc: string, text: string, options: { ifMatch: string | null; write: ServerWrite }): Promise<TextWritten> {
  return sync.withRoom(doc, async (room) => {
    const existed = room.exists
    const current = room.text.toString()
    if (options.ifMatch !== null && !tagMatches(options.ifMatch, existed ? textTag(current) : null)) {
      throw new DocumentError("precondition-failed", "the document changed since that version of it was read")
    }
    const edits = textDiff(current, text)
    if (edits.length > 0) room.editText(options.write, Buffer.byteLength(text), (ytext) => applyTextEdits(ytext, edits))
    await room.stored()
    return { tag: textTag(room.text.toString()), created: !existed && room.exists }
  })
}

/**
 * Applies a binary Yjs update through the room's write path, validated as one from a socket is.
 * Resolves once what was new in it is stored, with what became of it.
 *
 * @throws {ProtocolError} `malformed` when it does not decode (nothing changes), `too-big` past
 *   the document size limit, `policy` when too much would wait on missing dependencies.
 */
export function applyUpdate(sync: SyncServer, doc: string, update: Uint8Array, write: ServerWrite): Promise<Applied> {
  const summary = validateUpdate(update)
  return sync.withRoom(doc, async (room) => {
    const applied = room.applyUpdate(update, summary, write)
    await room.stored()
    return applied
  })
}

/**
 * The document as one Yjs update; with `since` (a state vector), only what that state lacks.
 * `null` when nothing was ever stored under its name.
 *
 * @throws {ProtocolError} `malformed` when `since` is not a state vector.
 */
export function readUpdate(sync: SyncServer, doc: string, since: Uint8Array | null): Promise<Uint8Array | null> {
  if (since) checkStateVector(since)
  return sync.withRoom(doc, (room) => (room.exists ? room.encodeState(since ?? undefined) : null))
}

function checkStateVector(bytes: Uint8Array): void {
  try {
    Y.decodeStateVector(bytes)
  } catch {
    throw new DocumentError("bad-request", "since is not a state vector")
  }
}

function versionsOf(sync: SyncServer) {
  const versions = sync.store.versions
  const history = sync.history
  if (!versions || !history) throw new DocumentError("no-history", "this server's store keeps no versions")
  return { versions, history }
}

/** Names a version of the document as it is now. Rejects with `not-found` for a document never stored. */
export function nameVersion(sync: SyncServer, doc: string, label: string, author: string | null): Promise<VersionInfo> {
  const { history } = versionsOf(sync)
  return sync.withRoom(doc, (room) => {
    if (!room.exists) throw new DocumentError("not-found", "no such document")
    return history.take(room, { kind: "named", label, author })
  })
}

/** A document's versions, newest first, a page at a time. */
export function listVersions(sync: SyncServer, doc: string, before: string | null, limit: number): Promise<VersionInfo[]> {
  return versionsOf(sync).versions.list(doc, { before, limit })
}

/** One version with its state. @throws {DocumentError} `not-found`. */
export async function loadVersion(sync: SyncServer, doc: string, id: string): Promise<StoredVersion> {
  const version = await versionsOf(sync).versions.load(doc, id)
  if (!version) throw new DocumentError("not-found", "no such version")
  return version
}

/** Removes a version. @throws {DocumentError} `not-found`. */
export async function removeVersion(sync: SyncServer, doc: string, id: string): Promise<void> {
  if ((await versionsOf(sync).versions.remove(doc, [id])) === 0) throw new DocumentError("not-found", "no such version")
}

/** The line diff from one version to another, or to the document as it is now (`to` = `"current"`). */
export async function diffVersions(sync: SyncServer, doc: string, from: string, to: string): Promise<LineHunk[]> {
  const old = stateText((await loadVersion(sync, doc, from)).state)
  const now = to === "current" ? ((await readTagged(sync, doc))?.text ?? "") : stateText((await loadVersion(sync, doc, to)).state)
  return lineDiff(old, now)
}

/** What {@link restoreVersion} did. */
export interface Restored {
  /** The version whose text the document now has. */
  readonly restored: VersionInfo
  /** The version of the text just before, saved first, so the restore can be undone. */
  readonly saved: VersionInfo
  readonly tag: string
}

/**
 * Restores a version's text: first saves the document as it is as a version, then makes the text
 * equal to the old version's as a forward edit through the room's write path, so everyone
 * connected sees it live and nothing else in the document (its chat, say) changes. Resolves once
 * stored.
 *
 * @throws {DocumentError} `not-found` for an unknown version.
 */
export async function restoreVersion(sync: SyncServer, doc: string, id: string, write: ServerWrite): Promise<Restored> {
  const { history } = versionsOf(sync)
  const version = await loadVersion(sync, doc, id)
  const text = stateText(version.state)
  return sync.withRoom(doc, async (room) => {
    const saved = await history.take(room, { kind: "auto", label: `Before restoring version ${id}`, author: write.userId })
    const edits = textDiff(room.text.toString(), text)
    if (edits.length > 0) room.editText(write, Buffer.byteLength(text), (ytext) => applyTextEdits(ytext, edits))
    await room.stored()
    const { state: _state, ...restored } = version
    return { restored, saved, tag: textTag(room.text.toString()) }
  })
}

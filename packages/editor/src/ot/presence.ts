import type { Update } from "@codemirror/collab"
import { StateEffect, StateField, type ChangeDesc } from "@codemirror/state"
import type { CollabPeer } from "@tandem/protocol"

/** Someone else on the document as an OT editor shows them: their caret and selection in this editor's document. */
export interface RemotePeer {
  /** Their awareness client id. */
  readonly id: number
  readonly name: string
  readonly color: string
  /** Their selection, or `null` when they have published none. */
  readonly selection: { readonly anchor: number; readonly head: number } | null
}

/** Sets or removes peers; selections are in the document of the transaction that carries it. */
export const setRemotePeers = StateEffect.define<{ readonly peers: readonly RemotePeer[]; readonly removed: readonly number[]; readonly reset?: boolean }>()

/**
 * A caret moves past text inserted right at it, as a Yjs relative position does (it sticks to the
 * character on its right): someone typing at their caret sees it stay after what they type.
 */
function mapPeer(peer: RemotePeer, changes: ChangeDesc): RemotePeer {
  if (!peer.selection) return peer
  return { ...peer, selection: { anchor: changes.mapPos(peer.selection.anchor, 1), head: changes.mapPos(peer.selection.head, 1) } }
}

/**
 * The other people on the document, by awareness id, with their selections mapped through every
 * change this editor makes or receives until they send new ones.
 */
export const remotePeers = StateField.define<ReadonlyMap<number, RemotePeer>>({
  create: () => new Map(),
  update(peers, tr) {
    let next = peers
    if (tr.docChanged && peers.size > 0) next = new Map([...peers].map(([id, peer]) => [id, mapPeer(peer, tr.changes)]))
    for (const effect of tr.effects) {
      if (!effect.is(setRemotePeers)) continue
      const changed = new Map(effect.value.reset ? [] : next)
      for (const id of effect.value.removed) changed.delete(id)
      const length = tr.newDoc.length
      for (const peer of effect.value.peers) {
        const selection = peer.selection && { anchor: Math.min(peer.selection.anchor, length), head: Math.min(peer.selection.head, length) }
        changed.set(peer.id, { ...peer, selection })
      }
      next = changed
    }
    return next
  },
})

/**
 * Others' presence as this editor shows it (everyone but `you`). The server sends selections at
 * the version this editor is synced to, in a document `baseLength` long: they are moved past
 * the local changes it has not confirmed yet (`pending`). Presence of another version
 * (`synced` false) comes without selections.
 */
export function shownPeers(peers: readonly CollabPeer[], you: number | null, pending: readonly Update[], baseLength: number, synced: boolean): RemotePeer[] {
  const local = (pos: number) => pending.reduce((at, update) => update.changes.mapPos(at, 1), Math.min(pos, baseLength))
  return peers
    .filter((peer) => peer.id !== you)
    .map((peer) => ({
      id: peer.id,
      name: peer.user?.name ?? "",
      color: peer.user?.color ?? "",
      selection: synced && peer.selection ? { anchor: local(peer.selection.anchor), head: local(peer.selection.head) } : null,
    }))
}

/** A position in this editor's document, taken back over the local changes not confirmed yet (`pending`). */
export function syncedPosition(pending: readonly Update[], pos: number): number {
  return pending.reduceRight((at, update) => update.changes.invertedDesc.mapPos(at, -1), pos)
}

import { StateEffect, StateField, type ChangeDesc } from "@codemirror/state"

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

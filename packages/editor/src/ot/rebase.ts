import { ChangeSet, Text } from "@codemirror/state"
import { textChangeSpecs, textDiff } from "@tandem/protocol"

/** Collab text is split only at "\n", so "\r\n" counts two code units, as Y.Text counts it. */
export const lineSeparator = "\n"

/** A string as a CodeMirror Text, split only at "\n". */
export function textOf(string: string): Text {
  return Text.of(string.split(lineSeparator))
}

/**
 * The change from `from` to `to` as a ChangeSet: the protocol's text diff (by code point, never
 * splitting a surrogate pair; by line, then whole, when a character diff takes too long), the
 * same edit the server makes of the same two texts.
 */
export function diffChanges(from: string, to: string): ChangeSet {
  return ChangeSet.of(textChangeSpecs(textDiff(from, to)), from.length, lineSeparator)
}

/** How much a change set edits: code units deleted plus inserted. */
function cost(changes: ChangeSet): number {
  let total = 0
  changes.iterChanges((fromA, toA, fromB, toB) => (total += toA - fromA + (toB - fromB)))
  return total
}

/** The change sets composed, or `null` for none. */
function compose(changes: readonly ChangeSet[]): ChangeSet | null {
  return changes.length === 0 ? null : changes.reduce((all, next) => all.compose(next))
}

/**
 * A client's unconfirmed local changes, rebased onto a document the server sent whole (after a
 * reconnect to another epoch, or further behind than the server's log): no typing is lost.
 *
 * `base` is the document the changes were made on (the last version the client had), `pending`
 * the unconfirmed changes in order, the first `inFlight` of them pushed without an answer. The
 * server may have applied those: when `fresh` is closer to the base with them than without
 * them, they are taken as applied and not made again. The rest are mapped over the text
 * difference between what the client had and `fresh`. Returns the changes to make on `fresh`,
 * or `null` when nothing is left to make.
 */
export function rebaseOnto(base: Text, pending: readonly ChangeSet[], inFlight: number, fresh: string): ChangeSet | null {
  let start = base
  let left = pending
  const pushed = compose(pending.slice(0, inFlight))
  if (pushed) {
    const withPushed = pushed.apply(base)
    if (cost(diffChanges(withPushed.toString(), fresh)) < cost(diffChanges(base.toString(), fresh))) {
      start = withPushed
      left = pending.slice(inFlight)
    }
  }
  const ours = compose(left)
  if (!ours || ours.empty) return null
  return ours.map(diffChanges(start.toString(), fresh))
}

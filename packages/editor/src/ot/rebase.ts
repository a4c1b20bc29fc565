import { ChangeSet, Text } from "@codemirror/state"
import { diffChars } from "diff"

/** Collab text is split only at "\n", so "\r\n" counts two code units, as Y.Text counts it. */
export const lineSeparator = "\n"

/** A string as a CodeMirror Text, split only at "\n". */
export function textOf(string: string): Text {
  return Text.of(string.split(lineSeparator))
}

/** How long a character diff may run before the middle is replaced whole. */
const diffMs = 100

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * The change from `from` to `to` as a ChangeSet: the common start and end are kept, and the
 * middle is diffed by character (by code point, never splitting a surrogate pair) as far as the
 * time limit allows; past it, the middle is replaced whole.
 */
export function diffChanges(from: string, to: string): ChangeSet {
  const max = Math.min(from.length, to.length)
  let start = 0
  while (start < max && from.charCodeAt(start) === to.charCodeAt(start)) start++
  if (start > 0 && isHigh(from.charCodeAt(start - 1))) start--
  let end = 0
  while (end < max - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)) end++
  if (end > 0 && isLow(from.charCodeAt(from.length - end))) end--
  const a = from.slice(start, from.length - end)
  const b = to.slice(start, to.length - end)
  const specs: Array<{ from: number; to?: number; insert?: string }> = []
  const parts = a.length > 0 && b.length > 0 ? diffChars(a, b, { timeout: diffMs }) : [{ value: a, removed: true }, { value: b, added: true }]
  if (!parts) return ChangeSet.of([{ from: start, to: start + a.length, insert: b }], from.length, lineSeparator)
  let pos = start
  for (const part of parts) {
    if (part.value.length === 0) continue
    if (part.added) specs.push({ from: pos, insert: part.value })
    else if (part.removed) {
      specs.push({ from: pos, to: pos + part.value.length })
      pos += part.value.length
    } else pos += part.value.length
  }
  return ChangeSet.of(specs, from.length, lineSeparator)
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

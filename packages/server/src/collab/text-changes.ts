import { ChangeSet, Text } from "@codemirror/state"
import type * as Y from "yjs"
import { textChangeSpecs, textDiff } from "@tandem/protocol"

/**
 * What a Y.Text embed (a non-string insert, which Tandem's editors never make) stands for in the
 * collab text: one object replacement character, so positions still count as Y.Text indexes do.
 */
export const embed = "\uFFFC"

/**
 * Collab text is split only at `"\n"`: a `"\r"` stays a character of its line, so `"\r\n"` is two
 * code units on both sides, as Y.Text counts it. CodeMirror's default would make it one.
 */
export const lineSeparator = "\n"

/** A string as a CodeMirror Text, split only at `"\n"`. */
export function textOf(string: string): Text {
  return Text.of(string.split(lineSeparator))
}

/**
 * A Y.Text change (its event's delta) as a ChangeSet on a document of `length` code units, or
 * `null` when the delta does not fit that length: the collab view of the text has drifted.
 */
export function changesOfDelta(delta: Y.YTextEvent["delta"], length: number): ChangeSet | null {
  const specs: Array<{ from: number; to?: number; insert?: string }> = []
  let pos = 0
  for (const op of delta) {
    if (op.retain !== undefined) pos += op.retain
    else if (op.delete !== undefined) {
      specs.push({ from: pos, to: pos + op.delete })
      pos += op.delete
    } else if (op.insert !== undefined) {
      specs.push({ from: pos, insert: typeof op.insert === "string" ? op.insert : embed })
    }
  }
  if (pos > length) return null
  return ChangeSet.of(specs, length, lineSeparator)
}

/**
 * Makes `changes` on `text`, in order. Each change's positions refer to the document before the
 * whole set; every change is shifted by what the earlier ones added or removed.
 */
export function applyChanges(text: Y.Text, changes: ChangeSet): void {
  let shift = 0
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    const insert = inserted.sliceString(0, inserted.length, lineSeparator)
    if (toA > fromA) text.delete(fromA + shift, toA - fromA)
    if (insert.length > 0) text.insert(fromA + shift, insert)
    shift += insert.length - (toA - fromA)
  })
}

/** An upper bound of what `changes` add to a Yjs document, for the document size limit. */
export function estimatedBytes(changes: ChangeSet): number {
  let bytes = 0
  // About what Yjs spends on one insert or delete besides its text.
  changes.iterChanges((_fromA, _toA, _fromB, _toB, inserted) => {
    bytes += 24 + Buffer.byteLength(inserted.sliceString(0, inserted.length, lineSeparator))
  })
  return bytes
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * Whether a change left half of a surrogate pair at one of its edges in `after`, the document it
 * made. Yjs replaces both halves of a pair it has to split with U+FFFD (the length stays), and
 * says nothing of it in the event: only then can the collab view differ from the Y.Text.
 */
export function splitsSurrogates(changes: ChangeSet, after: Text): boolean {
  let split = false
  changes.iterChangedRanges((_fromA, _toA, fromB, toB) => {
    split ||= loneAt(after, fromB) || loneAt(after, toB)
  })
  return split
}

/**
 * Whether `changes` would edit `before` between the two halves of a surrogate pair. Editors never
 * do (carets move by code point at least); Yjs would replace both halves with U+FFFD, and peers
 * that hold the pair in one piece and those that hold it in two would then disagree.
 */
export function splitsPair(changes: ChangeSet, before: Text): boolean {
  let split = false
  changes.iterChangedRanges((fromA, toA) => {
    split ||= insidePair(before, fromA) || insidePair(before, toA)
  })
  return split
}

function insidePair(text: Text, pos: number): boolean {
  if (pos <= 0 || pos >= text.length) return false
  const pair = text.sliceString(pos - 1, pos + 1)
  return isHigh(pair.charCodeAt(0)) && isLow(pair.charCodeAt(1))
}

function loneAt(text: Text, pos: number): boolean {
  // One slice for both sides: a slice of the rope costs a walk down it.
  const around = text.sliceString(Math.max(0, pos - 1), Math.min(text.length, pos + 1))
  const before = pos > 0 ? around.charCodeAt(0) : 0
  // NaN past the end, which is neither half.
  const after = around.charCodeAt(pos > 0 ? 1 : 0)
  return (isHigh(before) && !isLow(after)) || (isLow(after) && !isHigh(before))
}

/** The change that turns `from` into `to` (a small one, by {@link textDiff}). */
export function changesOfDiff(from: string, to: string): ChangeSet {
  return ChangeSet.of(textChangeSpecs(textDiff(from, to)), from.length, lineSeparator)
}

/** A Y.Text's content as collab clients count it: embeds included, as {@link embed}. */
export function indexedText(text: Y.Text): string {
  let out = ""
  for (const op of text.toDelta() as Array<{ insert: unknown }>) out += typeof op.insert === "string" ? op.insert : embed
  return out
}

import { diffChars, diffLines } from "diff"

/** One step of a text edit, in UTF-16 code units as Y.Text and CodeMirror count them. */
export type TextEdit =
  | { readonly op: "keep"; readonly length: number }
  | { readonly op: "delete"; readonly length: number }
  | { readonly op: "insert"; readonly text: string }

/** A change as CodeMirror's `ChangeSet.of` takes it, its positions in the text before the edit. */
export interface TextChangeSpec {
  readonly from: number
  readonly to?: number
  readonly insert?: string
}

/** How long a character diff may run before a coarser diff (by line, then whole) is taken. */
const charDiffMs = 50
const lineDiffMs = 100

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * The edit that turns `from` into `to`, as small as the time allows: the common start and end
 * are kept, and the middle is diffed by character (by code point, so a surrogate pair is never
 * split), by line when that takes too long, and replaced whole as a last resort. Every insert
 * and delete falls on code point boundaries. Applying the steps to `from` gives `to` exactly.
 *
 * The server uses it to write a whole new text into a document (the HTTP API, restores) and the
 * editor to rebase unconfirmed changes onto a document sent whole: one diff, so both ends make
 * the same edit of the same two texts.
 */
export function textDiff(from: string, to: string): TextEdit[] {
  const max = Math.min(from.length, to.length)
  let start = 0
  while (start < max && from.charCodeAt(start) === to.charCodeAt(start)) start++
  // Never end the common start between the two halves of a surrogate pair, nor begin the
  // common end there.
  if (start > 0 && isHigh(from.charCodeAt(start - 1))) start--
  let end = 0
  while (end < max - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)) end++
  if (end > 0 && isLow(from.charCodeAt(from.length - end))) end--
  const a = from.slice(start, from.length - end)
  const b = to.slice(start, to.length - end)
  const edits: TextEdit[] = []
  if (start > 0) edits.push({ op: "keep", length: start })
  if (a.length > 0 || b.length > 0) edits.push(...middle(a, b))
  if (end > 0) edits.push({ op: "keep", length: end })
  return merge(edits)
}

function middle(a: string, b: string): TextEdit[] {
  if (a.length === 0) return [{ op: "insert", text: b }]
  if (b.length === 0) return [{ op: "delete", length: a.length }]
  const changes = diffChars(a, b, { timeout: charDiffMs }) ?? diffLines(a, b, { timeout: lineDiffMs })
  if (!changes) return [{ op: "delete", length: a.length }, { op: "insert", text: b }]
  return changes.map((change): TextEdit => {
    if (change.added) return { op: "insert", text: change.value }
    if (change.removed) return { op: "delete", length: change.value.length }
    return { op: "keep", length: change.value.length }
  })
}

/** Joins neighbouring steps of the same kind and drops empty ones. */
function merge(edits: TextEdit[]): TextEdit[] {
  const out: TextEdit[] = []
  for (const edit of edits) {
    if (edit.op === "insert" ? edit.text.length === 0 : edit.length === 0) continue
    const last = out[out.length - 1]
    if (last?.op === "insert" && edit.op === "insert") out[out.length - 1] = { op: "insert", text: last.text + edit.text }
    else if (last && last.op !== "insert" && last.op === edit.op) out[out.length - 1] = { op: edit.op, length: last.length + edit.length }
    else out.push(edit)
  }
  return out
}

/** The steps of a {@link textDiff}, applied to something with Y.Text's `insert` and `delete`. */
export function applyTextEdits(target: { insert(index: number, text: string): void; delete(index: number, length: number): void }, edits: readonly TextEdit[]): void {
  let index = 0
  for (const edit of edits) {
    if (edit.op === "keep") index += edit.length
    else if (edit.op === "delete") target.delete(index, edit.length)
    else {
      target.insert(index, edit.text)
      index += edit.text.length
    }
  }
}

/** The steps of a {@link textDiff} as CodeMirror change specs, for `ChangeSet.of(specs, from.length)`. */
export function textChangeSpecs(edits: readonly TextEdit[]): TextChangeSpec[] {
  const specs: TextChangeSpec[] = []
  let pos = 0
  for (const edit of edits) {
    if (edit.op === "keep") pos += edit.length
    else if (edit.op === "delete") {
      specs.push({ from: pos, to: pos + edit.length })
      pos += edit.length
    } else specs.push({ from: pos, insert: edit.text })
  }
  return specs
}

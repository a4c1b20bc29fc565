import { EditorState, StateEffect, type ChangeSet, type Extension } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { fromYjs } from "./config.js"

/** Options of {@link sizeLimit}. */
export interface SizeLimitOptions {
  /**
   * Why an edit inserting `bytes` bytes (UTF-8) could never be accepted, as a sentence; `null`
   * when it could. `TandemClient.check` fits.
   */
  check(bytes: number): string | null
  /** Called after each local edit: with the sentence when it was refused, `null` when it was applied. */
  refused(sentence: string | null): void
}

/** Carried by the empty transaction that replaces a refused one, so the refusal can be reported. */
const refusedEffect = StateEffect.define<string>()

/** The length of `text` in UTF-8, without encoding it (a refused paste may be many megabytes). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: one code point, four bytes.
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/** The UTF-8 bytes a change set inserts, line breaks included. */
export function insertedBytes(changes: ChangeSet): number {
  let bytes = 0
  changes.iterChanges((_fromA, _toA, _fromB, _toB, inserted) => {
    // The binding sends lines joined with "\n"; iterating yields each line break as "\n".
    for (const chunk of inserted) bytes += utf8Length(chunk)
  })
  return bytes
}

/**
 * Refuses local edits the server could never accept (a paste over its frame or document size)
 * before they reach the document: once in the Y.Doc, such an edit could neither be sent nor
 * dropped, and a browser copy would keep it across reloads. A refused transaction is replaced
 * by an empty one, so the document and selection stay as they were, and `refused` is told why.
 * Changes that came from Yjs are already in the document and pass untouched.
 */
export function sizeLimit(options: SizeLimitOptions): Extension {
  return [
    // The filter stays pure (CodeMirror may run it for a transaction never dispatched); the
    // refusal is reported from the update that carries its effect.
    EditorState.transactionFilter.of((tr) => {
      if (!tr.docChanged || tr.annotation(fromYjs)) return tr
      const bytes = insertedBytes(tr.changes)
      // Deleting is always allowed, even in a document already at its limit.
      if (bytes === 0) return tr
      const problem = options.check(bytes)
      return problem === null ? tr : { effects: refusedEffect.of(problem) }
    }),
    EditorView.updateListener.of((update) => {
      for (const tr of update.transactions) {
        let refusal: string | null = null
        for (const effect of tr.effects) if (effect.is(refusedEffect)) refusal = effect.value
        if (refusal !== null) options.refused(refusal)
        else if (tr.docChanged && !tr.annotation(fromYjs)) options.refused(null)
      }
    }),
  ]
}

import { h } from "./dom.js"
import type { DiffHunk } from "./history-api.js"

/** A version's text laid out line by line, with what changed since marked. */
export interface PreviewLines {
  /** One element per line: `<div>` kept, `<del>` removed or changed since, `<ins>` added since. */
  readonly lines: HTMLElement[]
  readonly removed: number
  readonly added: number
}

/** The lines of `text` as a line diff counts them: a final newline ends the last line, it does not start another. */
export function splitLines(text: string): string[] {
  if (text === "") return []
  const lines = text.split("\n")
  if (text.endsWith("\n")) lines.pop()
  return lines
}

/**
 * Lays out a version's `text` with the `hunks` of its diff to the current text: lines outside
 * the hunks come from the text, hunk lines from the hunk, so lines in the version that are gone
 * now are marked removed and lines written since appear at their place, marked added. Text is
 * only ever set as text.
 */
export function renderPreview(text: string, hunks: readonly DiffHunk[]): PreviewLines {
  const source = splitLines(text)
  const lines: HTMLElement[] = []
  let removed = 0
  let added = 0
  let next = 0
  const keep = (upTo: number) => {
    for (; next < Math.min(upTo, source.length); next++) lines.push(line("div", source[next]!))
  }
  const change = (goneLines: string[], addedLines: string[]) => {
    // A line diff tells "x" from "x\n", and only a last line lacks the "\n": adding a line at
    // the end, or removing the final newline, shows the same line removed and added again in
    // the run that ends both texts. Its text did not change, so it is shown kept, in place.
    let gone = -1
    let kept = -1
    if (next + goneLines.length === source.length && goneLines.length > 0 && addedLines.length > 0) {
      kept = addedLines.indexOf(goneLines[goneLines.length - 1]!)
      if (kept >= 0) gone = goneLines.length - 1
      else {
        gone = goneLines.lastIndexOf(addedLines[addedLines.length - 1]!)
        if (gone >= 0) kept = addedLines.length - 1
      }
    }
    const remove = (from: number, to: number) => {
      for (const text of goneLines.slice(from, to)) {
        removed++
        lines.push(line("del", text))
      }
    }
    const add = (from: number, to: number) => {
      for (const text of addedLines.slice(from, to)) {
        added++
        lines.push(line("ins", text))
      }
    }
    if (gone < 0) {
      remove(0, goneLines.length)
      add(0, addedLines.length)
    } else {
      // Version order and current order both hold: removed before, added before, the kept line, the rest.
      remove(0, gone)
      add(0, kept)
      lines.push(line("div", goneLines[gone]!))
      remove(gone + 1, goneLines.length)
      add(kept + 1, addedLines.length)
    }
    next += goneLines.length
  }
  for (const hunk of hunks) {
    // A hunk that takes no old line (the version was empty) still starts at line 1.
    keep(Math.max(0, hunk.oldStart - 1))
    for (let at = 0; at < hunk.lines.length; ) {
      const first = hunk.lines[at]!
      if (first.op === " ") {
        lines.push(line("div", first.text))
        next++
        at++
        continue
      }
      // A run of changes, shown as its removed lines, then its added ones.
      const gone: string[] = []
      const added: string[] = []
      for (; at < hunk.lines.length && hunk.lines[at]!.op !== " "; at++) {
        const { op, text: lineText } = hunk.lines[at]!
        ;(op === "-" ? gone : added).push(lineText)
      }
      change(gone, added)
    }
  }
  keep(source.length)
  return { lines, removed, added }
}

function line(tag: "div" | "del" | "ins", text: string): HTMLElement {
  // The gutter sign is drawn by CSS; <del> and <ins> say what it means to assistive technology.
  return h(tag, { class: "line" }, text)
}

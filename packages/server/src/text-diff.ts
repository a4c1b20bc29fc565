import { structuredPatch } from "diff"

/** One line of a {@link LineHunk}: kept (`" "`), removed (`"-"`) or added (`"+"`). */
export interface HunkLine {
  readonly op: " " | "-" | "+"
  readonly text: string
}

/** A run of changed lines with up to three lines of context, as in a unified diff; lines count from 1. */
export interface LineHunk {
  readonly oldStart: number
  readonly oldLines: number
  readonly newStart: number
  readonly newLines: number
  readonly lines: readonly HunkLine[]
}

/**
 * A line diff people can read: the hunks that turn `from` into `to`, with three lines of context.
 * Should the diff take longer than a second (two large, wholly different texts), it is one hunk
 * that removes every old line and adds every new one.
 */
export function lineDiff(from: string, to: string): LineHunk[] {
  const patch = structuredPatch("", "", from, to, "", "", { context: 3, timeout: 1000 })
  if (!patch) {
    const removed = from === "" ? [] : from.split("\n")
    const added = to === "" ? [] : to.split("\n")
    const lines = [...removed.map((text) => ({ op: "-" as const, text })), ...added.map((text) => ({ op: "+" as const, text }))]
    return [{ oldStart: 1, oldLines: removed.length, newStart: 1, newLines: added.length, lines }]
  }
  return patch.hunks.map((hunk) => ({
    oldStart: hunk.oldStart,
    oldLines: hunk.oldLines,
    newStart: hunk.newStart,
    newLines: hunk.newLines,
    lines: hunk.lines
      .filter((line) => !line.startsWith("\\"))
      .map((line) => ({ op: line[0] as HunkLine["op"], text: line.slice(1) })),
  }))
}

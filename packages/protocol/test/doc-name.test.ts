import { describe, expect, it } from "vitest"
import { isValidDocName, maxDocNameLength, parseDocName } from "../src/index.js"

describe("document names", () => {
  it("accepts letters, digits, -_.~ and slash-separated segments", () => {
    for (const name of ["a", "Notes-2026_v1.md", "~x", "team/notes/today", "a.b/c..d", "x".repeat(maxDocNameLength)]) {
      expect(isValidDocName(name), name).toBe(true)
    }
  })

  it("refuses empty, dot and dot-dot segments, other characters and long names", () => {
    for (const name of ["", "/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "a b", "a?b", "ä", "a%2Fb", "x".repeat(maxDocNameLength + 1)]) {
      expect(isValidDocName(name), name).toBe(false)
    }
  })

  it("reads %2F and a raw slash as the same name", () => {
    expect(parseDocName("team%2Fnotes")).toBe("team/notes")
    expect(parseDocName("team%2fnotes")).toBe("team/notes")
    expect(parseDocName("team/notes")).toBe("team/notes")
  })

  it("refuses bad percent-encoding and encoded dot segments", () => {
    expect(parseDocName("a%")).toBeNull()
    expect(parseDocName("a%2F..%2Fb")).toBeNull()
    expect(parseDocName("%2E%2E")).toBeNull()
    expect(parseDocName("a%20b")).toBeNull()
  })
})

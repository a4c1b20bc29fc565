import { isValidDocName } from "@tandem/protocol"
import { describe, expect, it } from "vitest"
import { deleteFailure, readOnlyByToken } from "../src/document-actions.js"
import { maxSlugLength, maxTitleLength, normalizeTitle, slugFromTitle, uniqueDocName } from "../src/title.js"

const randomName = /^[a-z]+-[a-z]+-\d{3}$/

describe("slugFromTitle", () => {
  it("makes readable slugs from titles with spaces, accents and punctuation", () => {
    expect(slugFromTitle("Meeting notes")).toBe("meeting-notes")
    expect(slugFromTitle("Café")).toBe("cafe")
    expect(slugFromTitle("Café meeting notes")).toBe("cafe-meeting-notes")
    expect(slugFromTitle("  Q3 plan: draft #2!  ")).toBe("q3-plan-draft-2")
    expect(slugFromTitle("Ångström — Über naïve façade")).toBe("angstrom-uber-naive-facade")
    expect(slugFromTitle("team/notes.md")).toBe("team-notes-md")
    // NFKD folds compatibility forms: full-width letters and ligatures.
    expect(slugFromTitle("ＡＢＣ ﬁle")).toBe("abc-file")
  })

  it("keeps the readable part of a mixed title", () => {
    expect(slugFromTitle("会议 notes 2024")).toBe("notes-2024")
  })

  it("falls back to a random readable name when nothing readable is left", () => {
    for (const title of ["会议记录", "ملاحظات الاجتماع", "!!! ???", "", "   ", "🙂🙂"]) {
      const slug = slugFromTitle(title)
      expect(slug).toMatch(randomName)
      expect(isValidDocName(slug)).toBe(true)
    }
  })

  it("cuts long titles to at most 80 characters, never ending in -", () => {
    const slug = slugFromTitle(`${"word ".repeat(40)}end`)
    expect(slug.length).toBeLessThanOrEqual(maxSlugLength)
    expect(slug).not.toMatch(/^-|-$/)
    expect(slug.startsWith("word-word-")).toBe(true)
    expect(slugFromTitle("a".repeat(200))).toBe("a".repeat(80))
  })

  it("always gives a valid document name", () => {
    for (const title of ["Meeting notes", "Café", "..", ".", "a/b", "-x-", "~tilde~", "x".repeat(500)]) {
      expect(isValidDocName(slugFromTitle(title)), title).toBe(true)
    }
  })
})

describe("normalizeTitle", () => {
  it("trims, collapses white space and cuts to the maximum length", () => {
    expect(normalizeTitle("  Café \n\t meeting  notes ")).toBe("Café meeting notes")
    expect(normalizeTitle("   ")).toBe("")
    expect(Array.from(normalizeTitle("😀".repeat(maxTitleLength + 10)))).toHaveLength(maxTitleLength)
  })
})

describe("uniqueDocName", () => {
  it("appends -2, -3 … until a name is free", async () => {
    const taken = new Set(["notes", "notes-2"])
    const tried: string[] = []
    const name = await uniqueDocName("notes", async (candidate) => {
      tried.push(candidate)
      return taken.has(candidate)
    })
    expect(name).toBe("notes-3")
    expect(tried).toEqual(["notes", "notes-2", "notes-3"])
  })

  it("uses the name as is when the server can't tell", async () => {
    expect(await uniqueDocName("notes", async () => null)).toBe("notes")
  })

  it("stays within the slug length with a suffix, and gives up on counting after maxTries", async () => {
    const long = "a".repeat(maxSlugLength)
    expect(await uniqueDocName(long, async (name) => name === long)).toBe(`${"a".repeat(maxSlugLength - 2)}-2`)
    const fallback = await uniqueDocName("notes", async () => true, 3)
    expect(fallback).toMatch(/^notes-[a-z]+-[a-z]+-\d{3}$/)
    expect(isValidDocName(fallback)).toBe(true)
  })
})

describe("deleteFailure", () => {
  it("counts 204 and 404 as deleted and says why for the rest", () => {
    expect(deleteFailure(204)).toBeNull()
    expect(deleteFailure(404)).toBeNull()
    expect(deleteFailure(401)).toMatch(/sign in/i)
    expect(deleteFailure(403)).toMatch(/owner/)
    expect(deleteFailure(null)).toMatch(/could not be reached/)
    expect(deleteFailure(500)).toMatch(/500/)
  })
})

describe("readOnlyByToken", () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`
  it("is true only for a token whose claims say read access", () => {
    expect(readOnlyByToken(jwt({ sub: "ada", access: "read" }))).toBe(true)
    expect(readOnlyByToken(jwt({ sub: "ada", access: "write" }))).toBe(false)
    expect(readOnlyByToken(jwt({ sub: "ada" }))).toBe(false)
    expect(readOnlyByToken(null)).toBe(false)
    expect(readOnlyByToken("not a jwt")).toBe(false)
    expect(readOnlyByToken("a.%%%.b")).toBe(false)
  })
})

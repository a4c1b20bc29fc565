import MarkdownIt from "markdown-it"
import { describe, expect, it } from "vitest"
import { downloadName, fileStem, FileOpenError, maxFileBytes, modeForFile, openFileAsDocument } from "../src/file-io.js"
import { defaultMode, parseMode } from "../src/doc-mode.js"
import { modeExtension } from "../src/markdown-mode.js"
import { isSafeHref, markdownOptions } from "../src/markdown-preview.js"

describe("markdown mode", () => {
  it("defaults to Markdown only for .md and .markdown names", () => {
    expect(defaultMode("notes.md")).toBe("markdown")
    expect(defaultMode("team/Plan.MARKDOWN")).toBe("markdown")
    expect(defaultMode("brisk-otter-482")).toBe("text")
    expect(defaultMode("notes.md.txt")).toBe("text")
  })

  it("reads only the two modes from the shared map", () => {
    expect(parseMode("markdown")).toBe("markdown")
    expect(parseMode("text")).toBe("text")
    for (const value of ["Markdown", "", null, undefined, 1, { mode: "markdown" }]) expect(parseMode(value)).toBeNull()
  })

  it("adds the language only in Markdown mode", () => {
    expect(modeExtension("text")).toEqual([])
    expect(Array.isArray(modeExtension("markdown")) && (modeExtension("markdown") as unknown[]).length).toBeGreaterThan(0)
  })
})

describe("preview rendering (markdown-it with the preview's options)", () => {
  const md = new MarkdownIt(markdownOptions)

  it("renders headings and emphasis", () => {
    expect(md.render("# Title\n\nsome **b** text")).toBe("<h1>Title</h1>\n<p>some <strong>b</strong> text</p>\n")
  })

  it("escapes raw HTML instead of passing it through", () => {
    const html = md.render('<script>window.__pwned = 1</script>\n\n<img src=x onerror="window.__pwned=2">')
    expect(html).not.toMatch(/<script|<img/i)
    expect(html).toContain("&lt;script&gt;")
    expect(html).toContain("&lt;img src=x onerror=")
  })

  it("never makes a javascript: link, and linkifies bare URLs", () => {
    expect(md.render("[x](javascript:window.__pwned=3)")).not.toMatch(/<a /)
    expect(md.render("[x](JaVaScRiPt:alert(1))")).not.toMatch(/<a /)
    expect(md.render("see https://example.com/a")).toContain('<a href="https://example.com/a">')
  })

  it("keeps only http(s) and mailto links", () => {
    const base = "http://127.0.0.1:4505/d/notes"
    expect(isSafeHref("https://example.com", base)).toBe(true)
    expect(isSafeHref("mailto:a@example.com", base)).toBe(true)
    expect(isSafeHref("../other", base)).toBe(true)
    expect(isSafeHref("javascript:alert(1)", base)).toBe(false)
    expect(isSafeHref(" JAVASCRIPT:alert(1)", base)).toBe(false)
    expect(isSafeHref("data:text/html,<b>", base)).toBe(false)
    expect(isSafeHref("vbscript:x", base)).toBe(false)
  })
})

describe("download names", () => {
  it("uses the title, else the slug's last part, with the chosen extension", () => {
    expect(downloadName("team/notes", null, "md")).toBe("notes.md")
    expect(downloadName("team/notes", "Meeting notes", "txt")).toBe("Meeting notes.txt")
    expect(downloadName("readme.md", null, "md")).toBe("readme.md")
    expect(downloadName("readme.md", null, "txt")).toBe("readme.txt")
  })

  it("drops characters file systems refuse", () => {
    expect(downloadName("x", 'a/b\\c:d*e?"f<g>h|i', "md")).toBe("a-b-c-d-e-f-g-h-i.md")
    expect(downloadName("x", "..", "md")).toBe("document.md")
  })
})

/** A stand-in File: only what openFileAsDocument reads. */
function fakeFile(name: string, text: string, size = text.length): File {
  return { name, size, text: () => Promise.resolve(text) } as unknown as File
}

describe("opening a file", () => {
  it("derives the stem and the mode from the file name", () => {
    expect(fileStem("Meeting notes.md")).toBe("Meeting notes")
    expect(fileStem("archive.tar.txt")).toBe("archive.tar")
    expect(fileStem(".md")).toBe(".md")
    expect(modeForFile("a.MD")).toBe("markdown")
    expect(modeForFile("a.markdown")).toBe("markdown")
    expect(modeForFile("a.txt")).toBe("text")
  })

  it("writes the text under the first free name", async () => {
    const puts: Array<{ url: string; body: unknown; headers: unknown }> = []
    const fetch = (url: string | URL | Request, init?: RequestInit) => {
      puts.push({ url: String(url), body: init?.body, headers: init?.headers })
      return Promise.resolve(new Response('{"etag":"x"}', { status: 201 }))
    }
    const taken = new Set(["meeting-notes", "meeting-notes-2"])
    const name = await openFileAsDocument(fakeFile("Meeting notes.md", "# Hi\r\nthere"), {
      fetch: fetch as typeof globalThis.fetch,
      isTaken: (candidate) => Promise.resolve(taken.has(candidate)),
      headers: { authorization: "Bearer t" },
    })
    expect(name).toBe("meeting-notes-3")
    expect(puts).toEqual([{ url: "/api/docs/meeting-notes-3/text", body: "# Hi\r\nthere", headers: { authorization: "Bearer t", "content-type": "text/plain; charset=utf-8" } }])
  })

  it("refuses files over the limit, binary files, and says why the server refused", async () => {
    const never = () => Promise.reject(new Error("must not be called"))
    await expect(openFileAsDocument(fakeFile("big.txt", "", maxFileBytes + 1), { fetch: never, isTaken: never })).rejects.toThrow(/big\.txt is 16\.0 MiB; documents hold at most 16 MiB/)
    await expect(openFileAsDocument(fakeFile("x.txt", "a\u0000b"), { fetch: never, isTaken: never })).rejects.toThrow(/not a text file/)
    const forbidden = () => Promise.resolve(new Response("{}", { status: 403 }))
    const free = () => Promise.resolve(false)
    const refused = openFileAsDocument(fakeFile("x.txt", "hi"), { fetch: forbidden, isTaken: free, headers: {} })
    await expect(refused).rejects.toBeInstanceOf(FileOpenError)
    await expect(refused).rejects.toThrow("You may not create documents on this server.")
  })
})

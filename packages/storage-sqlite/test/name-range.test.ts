import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { compareNames, prefixEnd } from "../src/name-range.js"
import { createSqliteStore } from "../src/index.js"

describe("name ranges", () => {
  it("bounds a prefix by its last code point plus one, stepping over surrogates and U+10FFFF", () => {
    expect(prefixEnd("a")).toBe("b")
    expect(prefixEnd("a/")).toBe("a0")
    expect(prefixEnd("50%")).toBe("50&")
    expect(prefixEnd("x\uD7FF")).toBe("x\uE000")
    expect(prefixEnd("x😀")).toBe("x😁")
    expect(prefixEnd("a\u{10FFFF}\u{10FFFF}")).toBe("b")
    expect(prefixEnd("\u{10FFFF}")).toBeNull()
    expect(prefixEnd("")).toBeNull()
  })

  it("orders names by code point, as SQLite does", () => {
    const names = ["😀", "ｚ", "b", "ab", "a", "", "\uE000", "\uD7FF"]
    expect([...names].sort(compareNames)).toEqual(["", "a", "ab", "b", "\uD7FF", "\uE000", "ｚ", "😀"])
  })

  it("lists by prefixes at the edges of the code point range", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-sqlite-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const store = createSqliteStore({ path: join(dir, "tandem.db") })
    onTestFinished(() => store.close())
    const names = ["\uD7FFx", "\uE000", "a\u{10FFFF}z", "b", "😀", "😁"]
    for (const name of names) await store.append(name, [new Uint8Array([1])])
    const list = async (prefix: string, after: string | null = null) => (await store.list({ prefix, after, limit: 10 })).map((info) => info.name)
    expect(await list("\uD7FF")).toEqual(["\uD7FFx"])
    expect(await list("a\u{10FFFF}")).toEqual(["a\u{10FFFF}z"])
    expect(await list("😀")).toEqual(["😀"])
    expect(await list("", "ｚ")).toEqual(["😀", "😁"])
    expect(await list("😁", "\uE000")).toEqual(["😁"])
  })
})

import { describe, expect, it } from "vitest"
import { firstFreeColor, inPalette, palette, randomColor } from "../src/names.js"

/** WCAG 2 relative luminance of `#rrggbb`, computed here independently of the editor's copy. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16) / 255)
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (light + 0.05) / (dark + 0.05)
}

describe("palette", () => {
  it("has 8 to 10 distinct colours", () => {
    expect(palette.length).toBeGreaterThanOrEqual(8)
    expect(palette.length).toBeLessThanOrEqual(10)
    expect(new Set(palette.map((entry) => entry.color)).size).toBe(palette.length)
    expect(new Set(palette.map((entry) => entry.name)).size).toBe(palette.length)
  })

  it.each(palette.map((entry) => [entry.name, entry] as const))("%s: label text passes WCAG AA (4.5:1)", (_, entry) => {
    expect(entry.color).toMatch(/^#[0-9a-f]{6}$/)
    expect(["#ffffff", "#000000"]).toContain(entry.text)
    expect(contrast(entry.color, entry.text)).toBeGreaterThanOrEqual(4.5)
  })

  it.each(palette.map((entry) => [entry.name, entry.color] as const))("%s: a caret stays visible (3:1) on light and dark editors", (_, color) => {
    for (const background of ["#ffffff", "#1c2027", "#1e1e1e"]) expect(contrast(color, background)).toBeGreaterThanOrEqual(3)
  })

  it("the checker itself knows the issue's failing pairs", () => {
    expect(contrast("#e07b00", "#ffffff")).toBeLessThan(4.5)
    expect(contrast("#138a8a", "#ffffff")).toBeCloseTo(4.2, 1)
  })

  it("randomColor picks from the palette", () => {
    for (let i = 0; i < 20; i++) expect(inPalette(randomColor())).toBe(true)
  })
})

describe("firstFreeColor", () => {
  it("gives the first colour nobody has", () => {
    expect(firstFreeColor([])).toBe(palette[0]!.color)
    expect(firstFreeColor([palette[0]!.color, palette[2]!.color.toUpperCase()])).toBe(palette[1]!.color)
    expect(firstFreeColor(["#123456", palette[0]!.color])).toBe(palette[1]!.color)
  })

  it("six people joining one after another all differ", () => {
    const taken: string[] = []
    for (let i = 0; i < 6; i++) taken.push(firstFreeColor(taken))
    expect(new Set(taken).size).toBe(6)
  })

  it("when all are taken, gives the least used", () => {
    const all = palette.map((entry) => entry.color)
    expect(firstFreeColor([...all, all[0]!, all[1]!])).toBe(all[2])
  })
})

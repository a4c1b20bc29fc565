import type { AwarenessCursor } from "@tandem/protocol"

/** What a user shows others, in the awareness field `user` (the y-codemirror.next layout). */
export interface UserInfo {
  readonly name: string
  readonly color: string
  /**
   * The same for every tab of one browser (an app's random id, say), so that a people list can
   * show one person however many tabs they have open; absent for peers that publish none.
   */
  readonly id?: string
  /**
   * When the person opened the document, in ms since 1970 by their own clock. Apps compare it to
   * settle a clash of colours (the later one moves); absent for peers that publish none.
   */
  readonly joinedAt?: number
}

/**
 * A user's selection, in the awareness field `cursor`: Yjs relative positions in the layout
 * `y-codemirror.next` publishes (every field present, nulls kept). Written and read with
 * `encodeCursor` and `decodeCursor` from `@tandem/protocol`.
 */
export type CursorInfo = AwarenessCursor

const fallbackColor = "#7a7a7a"
const safeColor = /^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/

/** A colour from a peer is used only if it is a plain hex colour: it goes into a style attribute. */
export function sanitizeColor(color: unknown): string {
  return typeof color === "string" && safeColor.test(color) ? color : fallbackColor
}

/** A name from a peer, trimmed and shortened, or "Anonymous". */
export function sanitizeName(name: unknown): string {
  const text = typeof name === "string" ? name.trim() : ""
  return (text || "Anonymous").slice(0, 64)
}

/** How many characters of a name a label shows; the full name is in the caret's tooltip. */
export const labelMaxChars = 24

/** `name` cut to `max` characters (code points, so no emoji is split) with "…" when longer. */
export function shortenName(name: string, max = labelMaxChars): string {
  const chars = Array.from(name)
  return chars.length <= max ? name : `${chars.slice(0, max - 1).join("").trimEnd()}…`
}

/** WCAG 2 relative luminance of a `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa` colour (alpha ignored). */
export function relativeLuminance(color: string): number {
  const hex = color.slice(1)
  const digits = hex.length <= 4 ? [...hex.slice(0, 3)].map((d) => d + d) : [hex.slice(0, 2), hex.slice(2, 4), hex.slice(4, 6)]
  const [r, g, b] = digits.map((pair) => {
    const c = parseInt(pair, 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number]
  return (light + 0.05) / (dark + 0.05)
}

/**
 * The text colour for a label on `background` (a sanitized colour): white or black, whichever
 * contrasts more. Derived here rather than sent, so a peer with any colour still gets a readable
 * label: one of the two always reaches 4.5:1 (WCAG AA), which a softer near-black would not for
 * mid-tones.
 */
export function labelTextColor(background: string): string {
  return contrastRatio(background, "#ffffff") >= contrastRatio(background, "#000000") ? "#ffffff" : "#000000"
}

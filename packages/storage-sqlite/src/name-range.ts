/**
 * Orders names by code point, as SQLite's BINARY collation does (it compares UTF-8 bytes).
 * JavaScript's `<` compares UTF-16 code units, which puts U+E000 to U+FFFF after every character
 * outside the Basic Multilingual Plane; moving surrogates above them fixes that.
 */
export function compareNames(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

const codePointRank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit)

/**
 * The least name above every name that starts with `prefix`, in code point order, so that
 * `name >= prefix AND name < prefixEnd(prefix)` selects exactly the names with that prefix (and
 * can use the primary key, which `LIKE` could not, nor treat `%` and `_` as wildcards). `null`
 * when no name is above them all: for the empty prefix, or one of only U+10FFFF.
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix)
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last < 0x10ffff) {
      // The next code point, stepping over the surrogates, which no stored (UTF-8) name holds.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1
      return points.join("") + String.fromCodePoint(next)
    }
  }
  return null
}

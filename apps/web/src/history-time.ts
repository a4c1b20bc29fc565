/** Formats version times for one panel: "5 minutes ago" to scan, the full date and time to check. */
export interface TimeFormat {
  /** "just now", "5 minutes ago", "yesterday"…; the ISO string itself if it is not a date. */
  relative(iso: string): string
  /** The date and time in the reader's locale, e.g. "3 Jun 2025, 14:05:09". */
  absolute(iso: string): string
}

const steps: ReadonlyArray<readonly [Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["week", 7 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
]

/** A {@link TimeFormat} in the browser's locale; `now` is for tests. */
export function createTimeFormat(now: () => number = Date.now): TimeFormat {
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" })
  const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" })
  return {
    relative(iso) {
      const time = Date.parse(iso)
      if (Number.isNaN(time)) return iso
      const ago = now() - time
      // Clocks of browser and server differ a little: a version from "the future" is just now too.
      if (ago < 45_000) return "just now"
      for (const [unit, size] of steps) {
        if (ago >= size) return relative.format(-Math.floor(ago / size), unit)
      }
      return "just now"
    },
    absolute(iso) {
      const time = Date.parse(iso)
      return Number.isNaN(time) ? iso : absolute.format(time)
    },
  }
}

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * Where the server writes what it has to say. Lines about a connection carry `connection` (its
 * id), `doc` and, when known, `sub` (the user); a failure carries the thrown value as `error`.
 */
export interface Logger {
  /** What only someone chasing a problem wants: refused upgrades, peers that missed a ping. */
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/** The levels of a {@link Logger}, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error"

function format(level: string, message: string, fields: LogFields | undefined): string {
  let line = `${new Date().toISOString()} ${level} ${message}`
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      const text = value instanceof Error ? value.message : typeof value === "string" ? value : JSON.stringify(value)
      line += ` ${key}=${text}`
    }
  }
  return line
}

/**
 * Wraps `inner` so it writes at most `maxLinesPerSecond` lines a second (default 50): a flood of
 * bad input must not become a flood of logs. Lines over the budget are counted and reported in
 * one warning when the next second begins. Lines `enabled` says the inner logger would discard
 * (below its level) are passed on without counting against the budget.
 */
export function createCappedLogger(
  inner: Logger,
  options: { maxLinesPerSecond?: number; now?: () => number; enabled?: (level: LogLevel) => boolean } = {},
): Logger {
  const budget = options.maxLinesPerSecond ?? 50
  const clock = options.now ?? Date.now
  const enabled = options.enabled ?? (() => true)
  let second = 0
  let written = 0
  let dropped = 0
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (!enabled(level)) return
    const now = Math.floor(clock() / 1000)
    if (now !== second) {
      if (dropped > 0) inner.warn("log lines suppressed", { count: dropped })
      second = now
      written = 0
      dropped = 0
    }
    if (written >= budget) {
      dropped++
      return
    }
    written++
    inner[level](message, fields)
  }
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  }
}

/**
 * A logger writing one plain line per entry to standard error, capped as
 * {@link createCappedLogger} caps it; debug lines are left out. Errors are written as their
 * message; the app's JSON logger keeps their stack.
 */
export function createConsoleLogger(
  options: { maxLinesPerSecond?: number; write?: (line: string) => void; now?: () => number } = {},
): Logger {
  const out = options.write ?? ((line: string) => process.stderr.write(line))
  const line = (level: string) => (message: string, fields?: LogFields) => out(format(level, message, fields) + "\n")
  const plain: Logger = { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") }
  return createCappedLogger(plain, { ...options, enabled: (level) => level !== "debug" })
}

/** A logger that drops everything, for tests and embedding. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

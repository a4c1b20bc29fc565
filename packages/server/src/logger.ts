/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>

/** Where the server writes what it has to say. */
export interface Logger {
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

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
 * A logger writing one plain line per entry to standard error, at most `maxLinesPerSecond`
 * lines a second (default 50): a flood of bad input must not become a flood of logs. Lines
 * over the budget are counted and reported in one line when the next second begins.
 */
export function createConsoleLogger(
  options: { maxLinesPerSecond?: number; write?: (line: string) => void; now?: () => number } = {},
): Logger {
  const budget = options.maxLinesPerSecond ?? 50
  const out = options.write ?? ((line: string) => process.stderr.write(line))
  const clock = options.now ?? Date.now
  let second = 0
  let written = 0
  let dropped = 0
  const write = (level: string, message: string, fields?: LogFields) => {
    const now = Math.floor(clock() / 1000)
    if (now !== second) {
      if (dropped > 0) out(format("warn", "log lines suppressed", { count: dropped }) + "\n")
      second = now
      written = 0
      dropped = 0
    }
    if (written >= budget) {
      dropped++
      return
    }
    written++
    out(format(level, message, fields) + "\n")
  }
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  }
}

/** A logger that drops everything, for tests and embedding. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }

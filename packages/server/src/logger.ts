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

/** A logger writing one plain line per entry to standard error. */
export function createConsoleLogger(): Logger {
  return {
    info: (message, fields) => process.stderr.write(format("info", message, fields) + "\n"),
    warn: (message, fields) => process.stderr.write(format("warn", message, fields) + "\n"),
    error: (message, fields) => process.stderr.write(format("error", message, fields) + "\n"),
  }
}

/** A logger that drops everything, for tests and embedding. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }

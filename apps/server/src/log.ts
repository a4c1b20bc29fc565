import { createCappedLogger, type LogFields, type Logger } from "@tandem/server"
import { pino, stdSerializers, stdTimeFunctions } from "pino"

/** The values `TANDEM_LOG_LEVEL` takes, least severe first; `silent` writes nothing. */
export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const

/** One of {@link logLevels}. */
export type LogLevelName = (typeof logLevels)[number]

/** Where lines go: anything that takes one whole line (with its newline) per call. */
export interface LineSink {
  write(line: string): unknown
}

/** Options of {@link createAppLogger}. */
export interface AppLoggerOptions {
  /** Lines below this level are not written. */
  readonly level: LogLevelName
  /** Readable lines (time, level, message, fields, stack) instead of JSON, for a terminal. */
  readonly pretty: boolean
  /** Default: standard output, written synchronously so nothing is lost when the process exits. */
  readonly sink?: LineSink
  /** The rate cap of {@link createCappedLogger}; default 50 lines a second. */
  readonly maxLinesPerSecond?: number
  readonly now?: () => number
}

/**
 * The server app's logger: one JSON object per line through pino (`level` as its name, `time`
 * in ISO 8601, `msg`, then the fields), or readable lines when `pretty`. A thrown value given as
 * the `error` field becomes pino's `err`, serialized with its type, message, stack and causes;
 * any other Error field is serialized the same way. Capped in lines per second like the core's
 * console logger; lines below the level cost nothing against the cap.
 */
export function createAppLogger(options: AppLoggerOptions): Logger {
  const sink = options.sink ?? pino.destination({ dest: 1, sync: true })
  const base = pino(
    {
      level: options.level,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
      serializers: { err: stdSerializers.errWithCause },
    },
    options.pretty ? prettySink(sink) : sink,
  )
  const line =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, fields?: LogFields): void => {
      if (fields) base[level](pinoFields(fields), message)
      else base[level](message)
    }
  return createCappedLogger(
    { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") },
    {
      ...(options.maxLinesPerSecond === undefined ? {} : { maxLinesPerSecond: options.maxLinesPerSecond }),
      ...(options.now ? { now: options.now } : {}),
      enabled: (level) => base.isLevelEnabled(level),
    },
  )
}

/** The core's fields as pino takes them: `error` as `err`, and every Error serialized with its stack. */
function pinoFields(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (key === "error") out.err = value
    else out[key] = value instanceof Error ? stdSerializers.errWithCause(value) : value
  }
  return out
}

const colors: Readonly<Record<string, string>> = { trace: "90", debug: "90", info: "32", warn: "33", error: "31", fatal: "35" }

/**
 * Turns pino's JSON lines into `12:00:00.000 WARN  message key=value …`, with an error's stack
 * (and its causes') indented below. Written here rather than taken from pino-pretty: a terminal
 * needs this much, and pino-pretty brings a dozen packages and a worker thread with it.
 */
function prettySink(out: LineSink): LineSink {
  return {
    write(json: string) {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(json) as Record<string, unknown>
      } catch {
        return out.write(json)
      }
      const { time, level, msg, err, pid: _pid, hostname: _hostname, ...fields } = entry
      const label = String(level)
      let text = `${String(time).slice(11, 23)} \x1b[${colors[label] ?? "0"}m${label.toUpperCase().padEnd(5)}\x1b[0m ${String(msg)}`
      for (const [key, value] of Object.entries(fields)) text += ` ${key}=${typeof value === "string" ? value : JSON.stringify(value)}`
      for (let error = err, prefix = ""; error !== undefined; prefix = "caused by: ") {
        const stack = typeof error === "object" && error !== null && "stack" in error ? String(error.stack) : JSON.stringify(error)
        text += `\n    ${prefix}${stack.replace(/\n/g, "\n    ")}`
        error = typeof error === "object" && error !== null && "cause" in error ? error.cause : undefined
      }
      return out.write(`${text}\n`)
    },
  }
}

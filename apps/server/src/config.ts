import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import type { SqliteSync } from "@tandem/storage-sqlite"

/** Everything the server app reads from its environment. */
export interface AppConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly sqliteSync: SqliteSync
  /** Folder of the built web app. */
  readonly webDir: string
}

/** A setting that cannot be used; the app prints it and exits with status 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError"
}

/**
 * Reads the configuration from environment variables:
 * `PORT` (default 1234), `HOST` (default localhost), `TANDEM_DATA_DIR` (default ./data, relative
 * to the working directory), `TANDEM_SQLITE_SYNC` (`normal`, the default, or `full`),
 * `TANDEM_WEB_DIR` (default: the web app built in this repository).
 *
 * @throws {ConfigError} for a value that cannot be used.
 */
export function readConfig(env: NodeJS.ProcessEnv, cwd: string): AppConfig {
  const port = Number(env.PORT ?? "1234")
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, not "${env.PORT}"`)
  const sqliteSync = env.TANDEM_SQLITE_SYNC ?? "normal"
  if (sqliteSync !== "normal" && sqliteSync !== "full") {
    throw new ConfigError(`TANDEM_SQLITE_SYNC must be "normal" or "full", not "${sqliteSync}"`)
  }
  return {
    port,
    host: env.HOST || "localhost",
    dataDir: resolve(cwd, env.TANDEM_DATA_DIR || "data"),
    sqliteSync,
    webDir: env.TANDEM_WEB_DIR ? resolve(cwd, env.TANDEM_WEB_DIR) : fileURLToPath(new URL("../../web/dist", import.meta.url)),
  }
}

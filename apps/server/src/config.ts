import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { defaults, parseWebhookSecret, webhookDefaults, type Limits, type WebhookOptions } from "@tandem/server"
import type { SqliteSync } from "@tandem/storage-sqlite"
import { logLevels, type LogLevelName } from "./log.js"

/** How the server authorizes: open, or JWTs checked with a secret or a public key. */
export type AuthConfig =
  | { readonly kind: "open" }
  | { readonly kind: "jwt"; readonly secret?: string; readonly publicKey?: string; readonly audience?: string; readonly issuer?: string }

/** Everything the server app reads from its environment. */
export interface AppConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly sqliteSync: SqliteSync
  /** Folder of the built web app. */
  readonly webDir: string
  readonly auth: AuthConfig
  readonly allowedOrigins: readonly string[] | null
  readonly limits: Limits
  /** Fold a document's update log into a snapshot once it holds this many updates (more for a large document). */
  readonly compactAfterUpdates: number
  /** Every automatic version younger than this is kept (milliseconds). */
  readonly versionsKeepAllMs: number
  /** Then one an hour until this age, one a day after it (milliseconds). */
  readonly versionsHourlyUntilMs: number
  /** How long a shutdown waits for storage to take the last writes. */
  readonly shutdownTimeoutMs: number
  /** PostgreSQL instead of SQLite, when set. */
  readonly databaseUrl: string | null
  /** The Redis bus that lets several instances serve the same documents, when set. */
  readonly redisUrl: string | null
  /** The least severe level logged. */
  readonly logLevel: LogLevelName
  /** What `GET /metrics` requires as a bearer token; with auth on and none set, /metrics is off. */
  readonly metricsToken: string | null
  /** The shared token of the admin API (`TANDEM_ADMIN_TOKEN`), or `null`. */
  readonly adminToken: string | null
  /** Where events are delivered, signed (`TANDEM_WEBHOOK_URL` and `TANDEM_WEBHOOK_SECRET`), or `null`. */
  readonly webhooks: WebhookOptions | null
}

/** A setting that cannot be used; the app prints it and exits with status 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError"
}

/** The environment variable of each limit: `maxFrameBytes` is `TANDEM_MAX_FRAME_BYTES`. */
export function limitVariable(name: keyof Limits): string {
  return `TANDEM_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

function positive(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = env[variable]
  if (text === undefined || text === "") return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${variable} must be a positive whole number, not "${text}"`)
  return value
}

function readLimits(env: NodeJS.ProcessEnv): Limits {
  const limits: Record<string, number> = { ...defaults.limits }
  for (const name of Object.keys(defaults.limits) as Array<keyof Limits>) {
    limits[name] = positive(env, limitVariable(name), defaults.limits[name])
  }
  return limits as unknown as Limits
}

function readAuth(env: NodeJS.ProcessEnv, cwd: string): AuthConfig {
  const secret = env.TANDEM_AUTH_SECRET || undefined
  let publicKey = env.TANDEM_AUTH_PUBLIC_KEY || undefined
  if (secret && publicKey) throw new ConfigError("set TANDEM_AUTH_SECRET or TANDEM_AUTH_PUBLIC_KEY, not both")
  if (!secret && !publicKey) return { kind: "open" }
  // The public key may be given inline (PEM or JWK JSON) or as a path to a file holding it.
  if (publicKey && !publicKey.includes("-----BEGIN") && !publicKey.trim().startsWith("{")) {
    try {
      publicKey = readFileSync(resolve(cwd, publicKey), "utf8")
    } catch {
      throw new ConfigError("TANDEM_AUTH_PUBLIC_KEY must be a PEM, a JWK, or the path of a file holding one")
    }
  }
  return {
    kind: "jwt",
    ...(secret ? { secret } : {}),
    ...(publicKey ? { publicKey } : {}),
    ...(env.TANDEM_AUTH_AUDIENCE ? { audience: env.TANDEM_AUTH_AUDIENCE } : {}),
    ...(env.TANDEM_AUTH_ISSUER ? { issuer: env.TANDEM_AUTH_ISSUER } : {}),
  }
}

function readWebhooks(env: NodeJS.ProcessEnv): WebhookOptions | null {
  const url = env.TANDEM_WEBHOOK_URL || null
  const secret = env.TANDEM_WEBHOOK_SECRET || null
  if (!url && !secret) return null
  if (!url || !secret) throw new ConfigError("set both TANDEM_WEBHOOK_URL and TANDEM_WEBHOOK_SECRET, or neither")
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) throw new ConfigError("TANDEM_WEBHOOK_URL must be an http:// or https:// URL")
  try {
    parseWebhookSecret(secret)
  } catch (error) {
    throw new ConfigError(`TANDEM_WEBHOOK_SECRET: ${(error as Error).message}`)
  }
  const publicUrl = env.TANDEM_PUBLIC_URL || null
  if (publicUrl && !(/^https?:\/\//.test(publicUrl) && URL.canParse(publicUrl))) throw new ConfigError("TANDEM_PUBLIC_URL must be an http:// or https:// URL")
  return { url, secret, retryMs: positive(env, "TANDEM_WEBHOOK_RETRY_MS", webhookDefaults.retryMs), publicUrl }
}

/**
 * Reads the configuration from environment variables (see the README's table): `PORT`, `HOST`,
 * `TANDEM_DATA_DIR`, `TANDEM_SQLITE_SYNC`, `TANDEM_WEB_DIR`, `TANDEM_AUTH_SECRET`,
 * `TANDEM_AUTH_PUBLIC_KEY`, `TANDEM_AUTH_AUDIENCE`, `TANDEM_AUTH_ISSUER`,
 * `TANDEM_ALLOWED_ORIGINS`, `TANDEM_DATABASE_URL`, `TANDEM_REDIS_URL`, `TANDEM_LOG_LEVEL`,
 * `TANDEM_METRICS_TOKEN`, `TANDEM_ADMIN_TOKEN`, `TANDEM_WEBHOOK_URL`, `TANDEM_WEBHOOK_SECRET`,
 * `TANDEM_WEBHOOK_RETRY_MS`, `TANDEM_PUBLIC_URL` and one `TANDEM_MAX_…` variable per limit.
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
  const databaseUrl = env.TANDEM_DATABASE_URL || null
  const redisUrl = env.TANDEM_REDIS_URL || null
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError("TANDEM_DATABASE_URL must be a postgres:// URL")
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError("TANDEM_REDIS_URL must be a redis:// or rediss:// URL")
  const logLevel = env.TANDEM_LOG_LEVEL || "info"
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`TANDEM_LOG_LEVEL must be one of ${logLevels.join(", ")}, not "${logLevel}"`)
  }
  const origins = (env.TANDEM_ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean)
  return {
    port,
    host: env.HOST || "localhost",
    dataDir: resolve(cwd, env.TANDEM_DATA_DIR || "data"),
    sqliteSync,
    webDir: env.TANDEM_WEB_DIR ? resolve(cwd, env.TANDEM_WEB_DIR) : fileURLToPath(new URL("../../web/dist", import.meta.url)),
    auth: readAuth(env, cwd),
    allowedOrigins: origins.length > 0 ? origins : null,
    limits: readLimits(env),
    compactAfterUpdates: positive(env, "TANDEM_COMPACT_AFTER_UPDATES", defaults.compaction.afterUpdates),
    versionsKeepAllMs: positive(env, "TANDEM_VERSIONS_KEEP_ALL_HOURS", 24) * 3_600_000,
    versionsHourlyUntilMs: positive(env, "TANDEM_VERSIONS_HOURLY_DAYS", 7) * 86_400_000,
    shutdownTimeoutMs: positive(env, "TANDEM_SHUTDOWN_TIMEOUT_MS", 30_000),
    databaseUrl,
    redisUrl,
    logLevel: logLevel as LogLevelName,
    metricsToken: env.TANDEM_METRICS_TOKEN || null,
    adminToken: env.TANDEM_ADMIN_TOKEN || null,
    webhooks: readWebhooks(env),
  }
}

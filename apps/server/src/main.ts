#!/usr/bin/env node
import { join } from "node:path"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import { createRedisBus } from "@tandem/bus-redis"
import { createMetrics } from "@tandem/metrics"
import { createSyncServer, openAuthorizer, type DocumentStore, type RoomBus } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createPostgresStore } from "@tandem/storage-postgres"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { ConfigError, readConfig } from "./config.js"
import { createAppLogger } from "./log.js"
import { webAppRoutes } from "./web.js"

async function main(): Promise<void> {
  const config = readConfig(process.env, process.cwd())
  if (config.redisUrl && !config.databaseUrl) {
    // Several instances on SQLite files of their own would each keep a different document.
    console.error("tandem: TANDEM_REDIS_URL needs TANDEM_DATABASE_URL: instances sharing a bus must share a PostgreSQL store")
    process.exit(1)
  }
  // JSON lines for collectors; readable ones for someone watching a terminal.
  const logger = createAppLogger({ level: config.logLevel, pretty: process.stdout.isTTY === true })
  const dbPath = join(config.dataDir, "tandem.db")
  const store: DocumentStore = config.databaseUrl
    ? await createPostgresStore({ url: config.databaseUrl, onConnectionError: (error) => logger.warn("PostgreSQL connection error", { error }) })
    : createSqliteStore({ path: dbPath, synchronous: config.sqliteSync })
  const bus: RoomBus | undefined = config.redisUrl
    ? createRedisBus({ url: config.redisUrl, onError: (error) => logger.warn("Redis connection error", { error }) })
    : undefined
  const authorizer =
    config.auth.kind === "jwt"
      ? await createJwtAuthorizer(config.auth).catch((error: unknown) => {
          throw new ConfigError(`cannot use the auth key: ${error instanceof Error ? error.message : String(error)}`)
        })
      : openAuthorizer
  if (config.auth.kind === "open") {
    logger.warn("auth is off: anyone who can reach this server can read and write every document (set TANDEM_AUTH_SECRET or TANDEM_AUTH_PUBLIC_KEY)")
  }
  const sync = createSyncServer({
    store,
    ...(bus ? { bus } : {}),
    logger,
    authorizer,
    limits: config.limits,
    compaction: { afterUpdates: config.compactAfterUpdates },
    history: { retention: { keepAllMs: config.versionsKeepAllMs, hourlyUntilMs: config.versionsHourlyUntilMs } },
    ...(config.webhooks ? { webhooks: config.webhooks } : {}),
  })
  const routes = webAppRoutes(config.webDir)
  if (!routes) logger.warn("web app not built; serving sync and API only", { webDir: config.webDir })
  // Without auth everything is open, metrics too; with auth they need their own token, and are
  // off without one. A token set is required either way.
  const metrics = config.metricsToken !== null || config.auth.kind === "open" ? createMetrics({ sync }) : null
  const server = createNodeServer({
    sync,
    allowedOrigins: config.allowedOrigins,
    ...(routes ? { routes } : {}),
    ...(metrics ? { metrics: { source: metrics, token: config.metricsToken } } : {}),
    admin: { token: config.adminToken },
  })
  const address = await server.listen(config.port, config.host)

  const shown = config.host.includes(":") ? `[${config.host}]` : config.host
  const where = config.databaseUrl ? `data in PostgreSQL${bus ? ", instances joined through Redis" : ""}` : `data in ${dbPath}`
  logger.info(`Tandem listening on http://${shown}:${address.port} (editor at /, sync at ws://${shown}:${address.port}/sync/<doc>), ${where}`, {
    port: address.port,
  })

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info("stopping", { signal })
    // Shutdown waits for the last commit; if storage is down it would wait for ever. Past the
    // deadline the server says so and exits non-zero: edits not yet stored are then only in
    // the clients, which send them again when they reconnect.
    const deadline = setTimeout(() => {
      logger.error("storage did not take the last writes before the shutdown deadline", { ms: config.shutdownTimeoutMs })
      process.exit(1)
    }, config.shutdownTimeoutMs)
    server
      .close()
      .then(() => metrics?.close())
      .then(() => bus?.close())
      .then(() => store.close())
      .then(
        () => {
          clearTimeout(deadline)
          process.exit(0)
        },
        (error: unknown) => {
          logger.error("shutdown failed", { error })
          process.exit(1)
        },
      )
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `tandem: ${error.message}` : error)
  process.exit(error instanceof ConfigError ? 2 : 1)
})

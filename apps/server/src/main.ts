#!/usr/bin/env node
import { join } from "node:path"
import { createJwtAuthorizer } from "@tandem/auth-jwt"
import { createConsoleLogger, createSyncServer, openAuthorizer } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createSqliteStore } from "@tandem/storage-sqlite"
import { ConfigError, readConfig } from "./config.js"
import { webAppRoutes } from "./web.js"

async function main(): Promise<void> {
  const config = readConfig(process.env, process.cwd())
  const logger = createConsoleLogger()
  const dbPath = join(config.dataDir, "tandem.db")
  const store = createSqliteStore({ path: dbPath, synchronous: config.sqliteSync })
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
    logger,
    authorizer,
    limits: config.limits,
    compaction: { afterUpdates: config.compactAfterUpdates },
  })
  const routes = webAppRoutes(config.webDir)
  if (!routes) logger.warn("web app not built; serving sync and API only", { webDir: config.webDir })
  const server = createNodeServer({ sync, allowedOrigins: config.allowedOrigins, ...(routes ? { routes } : {}) })
  const address = await server.listen(config.port, config.host)

  const shown = config.host.includes(":") ? `[${config.host}]` : config.host
  console.log(`Tandem listening on http://${shown}:${address.port} (editor at /, sync at ws://${shown}:${address.port}/sync/<doc>), data in ${dbPath}`)

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

// One Tandem instance of several: documents in PostgreSQL, commits carried to the other instances
// by Redis, as apps/server runs with TANDEM_DATABASE_URL and TANDEM_REDIS_URL. Limits as in
// tandem.mjs: every benchmark client comes from 127.0.0.1, which the per-IP limit exists to stop.
// Usage: node tandem-cluster.mjs PORT DATA_DIR POSTGRES_URL REDIS_URL (DATA_DIR is unused)
import { createRedisBus } from "@tandem/bus-redis"
import { createSyncServer, silentLogger } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createPostgresStore } from "@tandem/storage-postgres"

const [port, , postgresUrl, redisUrl] = process.argv.slice(2)
const store = await createPostgresStore({ url: postgresUrl })
const bus = createRedisBus({ url: redisUrl })
const sync = createSyncServer({ store, bus, logger: silentLogger, limits: { maxConnections: 100_000, maxConnectionsPerIp: 100_000, maxMessagesPerSecond: 1_000_000 } })
const server = createNodeServer({ sync })
await server.listen(Number(port), "127.0.0.1")
process.send?.("ready")
process.on("SIGTERM", () =>
  void server
    .close()
    .then(() => bus.close())
    .then(() => store.close())
    .then(() => process.exit(0)),
)

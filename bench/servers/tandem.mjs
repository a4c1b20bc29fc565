// Tandem as shipped: SQLite persistence on, default limits, except two that are policy, not
// performance: every benchmark client comes from 127.0.0.1, which the per-IP limit exists to
// stop, and the persistence run sends one client's updates as fast as storage takes them, which
// the per-connection message rate limit exists to stop.
// Usage: node tandem.mjs PORT DATA_DIR
import { join } from "node:path"
import { createSyncServer, silentLogger } from "@tandem/server"
import { createNodeServer } from "@tandem/server/node"
import { createSqliteStore } from "@tandem/storage-sqlite"

const [port, dataDir] = process.argv.slice(2)
const store = createSqliteStore({ path: join(dataDir, "tandem.db") })
const sync = createSyncServer({ store, logger: silentLogger, limits: { maxConnections: 100_000, maxConnectionsPerIp: 100_000, maxMessagesPerSecond: 1_000_000 } })
const server = createNodeServer({ sync })
await server.listen(Number(port), "127.0.0.1")
process.send?.("ready")
process.on("SIGTERM", () => void server.close().then(() => store.close()).then(() => process.exit(0)))

// Throwaway PostgreSQL and Redis servers and an nginx TLS proxy for tests: each on a free loopback
// port, with its files in a fresh temporary folder that stop() removes. Debian's packages are
// installed with apt-get when missing and running as root. `node scripts/services.mjs` starts
// PostgreSQL and Redis, prints their URLs and stops them on Ctrl-C, for a manual check.
// Each service lives in services/start-*.mjs, what they share in services/common.mjs.
import { pathToFileURL } from "node:url"
import { startPostgres } from "./services/start-postgres.mjs"
import { startRedis } from "./services/start-redis.mjs"

export { ServiceError, freePort } from "./services/common.mjs"
export { startNginx } from "./services/start-nginx.mjs"
export { startPostgres, startRedis }

// Run directly: start both, print their URLs, stop them on Ctrl-C or SIGTERM.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const postgres = await startPostgres()
  let redis
  try {
    redis = await startRedis()
  } catch (error) {
    await postgres.stop()
    throw error
  }
  console.log(`postgres: ${postgres.url}  (data ${postgres.dataDir})`)
  console.log(`redis:    ${redis.url}`)
  console.log("Ctrl-C stops both.")
  const shutdown = async () => {
    await Promise.allSettled([postgres.stop(), redis.stop()])
    console.log("stopped")
    process.exit(0)
  }
  process.once("SIGINT", shutdown)
  process.once("SIGTERM", shutdown)
}

// A throwaway redis-server for tests and the bench, keeping nothing on disk.
import { rmSync } from "node:fs"
import { findCommand, findOrInstall, freePort, spawnUntilReady, stopper, tempDir, terminate } from "./common.mjs"

/** The path of redis-server, or null. */
const findRedisServer = () => findCommand("redis-server", ["/usr/bin/redis-server"])

/**
 * Starts a throwaway redis-server on a free loopback port, keeping nothing on disk (`--save ""`,
 * `--appendonly no`). Installs Debian's `redis-server` package first when it is missing and we
 * are root.
 *
 * Resolves to `{ url, port, restart(), stop() }`: `url` is `redis://127.0.0.1:PORT`; `restart()`
 * stops the server and starts an empty one on the same port (rejecting should the port have been
 * taken meanwhile); `stop()` stops it and removes its folder, and may be called again.
 *
 * @throws {ServiceError} when Redis is not installed and cannot be, or does not start.
 */
export async function startRedis() {
  const server = await findOrInstall(findRedisServer, "redis-server", "redis-server")
  const dir = tempDir("tandem-redis-")
  let port = 0
  let child = null

  /** Starts redis-server on `port`, resolving once it logs that it accepts connections. */
  const launch = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir]
    child = await spawnUntilReady("redis-server", server, args, /Ready to accept connections/)
  }

  const halt = async () => {
    const running = child
    child = null
    await terminate(running)
  }

  try {
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      try {
        await launch()
        break
      } catch (error) {
        if (attempt >= 3) throw error // else most likely someone took the port
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: async () => {
      await halt()
      await launch()
    },
    stop: stopper(halt, dir),
  }
}

// A throwaway PostgreSQL cluster for tests and the bench, run as `postgres` when we are root.
import { appendFileSync, existsSync, readdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { ServiceError, findOrInstall, freePort, isRoot, run, startTimeoutS, tempDir } from "./common.mjs"

const postgresRoot = "/usr/lib/postgresql"

/** Runs a PostgreSQL program as the `postgres` user when we are root: PostgreSQL refuses root. */
function asPostgres(program, args) {
  return isRoot() ? run("runuser", ["-u", "postgres", "--", program, ...args]) : run(program, args)
}

/** The bin folder of the newest PostgreSQL Debian installed, or null. */
function findPostgresBin() {
  if (!existsSync(postgresRoot)) return null
  const versions = readdirSync(postgresRoot)
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(postgresRoot, name, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length ? join(postgresRoot, versions[0], "bin") : null
}

/**
 * Starts a throwaway PostgreSQL cluster on a free loopback port and creates the database
 * `tandem` in it. Uses Debian's newest `/usr/lib/postgresql/<version>/bin`, installing the
 * `postgresql` package first when it is missing and we are root. Runs as `postgres` when we are
 * root, with trust authentication on loopback and fsync on.
 *
 * Resolves to `{ url, dataDir, port, pgCtl(args), stop() }`: `url` names the `tandem` database
 * as the `postgres` superuser; `pgCtl(args)` runs `pg_ctl -D dataDir ...args` (adding `-l` with
 * the cluster's log file to `start` and `restart`), so fault tests can stop and start the same
 * cluster; `stop()` stops it (`-m fast`) and removes its folder, and may be called again.
 *
 * @throws {ServiceError} when PostgreSQL is not installed and cannot be, or does not start.
 */
export async function startPostgres() {
  const bin = await findOrInstall(findPostgresBin, "postgresql", `${postgresRoot}/<version>/bin/pg_ctl`)
  const dir = tempDir("tandem-pg-", "postgres")
  const dataDir = join(dir, "data")
  const logFile = join(dir, "postgres.log")
  const pgCtl = (args) => {
    const withLog = (args[0] === "start" || args[0] === "restart") && !args.includes("-l") ? [...args, "-l", logFile] : args
    return asPostgres(join(bin, "pg_ctl"), ["-D", dataDir, ...withLog])
  }
  try {
    // --no-sync only skips syncing the files initdb writes; the server below runs with fsync on.
    await asPostgres(join(bin, "initdb"), ["-D", dataDir, "--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "--no-sync"])
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      // Settings go into postgresql.conf, later lines winning, so a retry replaces the port.
      appendFileSync(
        join(dataDir, "postgresql.conf"),
        [
          "",
          `port = ${port}`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${dir}'`,
          "fsync = on",
          "synchronous_commit = on",
          "shared_buffers = 16MB",
          "max_connections = 100",
          "",
        ].join("\n"),
      )
      try {
        await pgCtl(["start", "-w", "-t", String(startTimeoutS)])
      } catch (error) {
        if (attempt < 3) continue // most likely someone took the port
        throw new ServiceError("start-failed", `PostgreSQL did not start: ${error.message}`)
      }
      await run(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-t", String(startTimeoutS)])
      await asPostgres(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "tandem"])
      let stopped = null
      const stop = () =>
        (stopped ??= (async () => {
          try {
            await pgCtl(["stop", "-m", "fast", "-w"])
          } catch (error) {
            // Already stopped (a fault test left it down): nothing to stop.
            if (!/Is server running\?|No such file/i.test(error.message)) throw error
          } finally {
            rmSync(dir, { recursive: true, force: true })
          }
        })())
      return { url: `postgres://postgres@127.0.0.1:${port}/tandem`, dataDir, port, pgCtl, stop }
    }
  } catch (error) {
    await pgCtl(["stop", "-m", "immediate"]).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

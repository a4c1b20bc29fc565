// Throwaway PostgreSQL and Redis servers and an nginx TLS proxy for tests: each on a free loopback
// port, with its files in a fresh temporary folder that stop() removes. Debian's packages are
// installed with apt-get when missing and running as root. `node scripts/services.mjs` starts
// PostgreSQL and Redis, prints their URLs and stops them on Ctrl-C, for a manual check.
import { spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { connect, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const postgresRoot = "/usr/lib/postgresql"
// The proxy configuration compose.yaml uses too; startNginx() fills in its placeholders.
const nginxTemplate = fileURLToPath(new URL("../deploy/nginx.conf.template", import.meta.url))
// How long start-up may take before we give up: initdb plus a first start on a slow, shared machine.
const startTimeoutS = 60
// How long to wait for an apt-get or dpkg someone else is running to let go of its lock.
const aptLockTimeoutMs = 15 * 60_000

/** Thrown when a service cannot be started; `code` says which step failed. */
export class ServiceError extends Error {
  name = "ServiceError"

  /** @param {"not-installed" | "install-failed" | "command-failed" | "start-failed"} code */
  constructor(code, message) {
    super(message)
    this.code = code
  }
}

const isRoot = () => process.getuid?.() === 0

/**
 * Runs a command to completion and resolves with its output; rejects with a ServiceError
 * (`command-failed`) on a non-zero exit. Resolves on "exit", not "close": `pg_ctl start` leaves
 * the server it forks holding inherited descriptors.
 */
async function run(command, args, { env = process.env } = {}) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  const [code, signal] = await Promise.race([
    once(child, "exit"),
    once(child, "error").then(([error]) => {
      throw new ServiceError("command-failed", `${command}: ${error.message}`)
    }),
  ])
  if (code !== 0) throw new ServiceError("command-failed", `${command} ${args.join(" ")} exited with ${code ?? signal}:\n${output.trim()}`)
  return output
}

/** Runs a PostgreSQL program as the `postgres` user when we are root: PostgreSQL refuses root. */
function asPostgres(program, args) {
  return isRoot() ? run("runuser", ["-u", "postgres", "--", program, ...args]) : run(program, args)
}

/**
 * Installs Debian packages with apt-get (root only). Another apt-get or dpkg may be running
 * (installing something else); apt-get then fails at once on its lock, so we try again until it
 * lets go, bounded by aptLockTimeoutMs. `DPkg::Lock::Timeout` covers dpkg's lock but not the lock
 * of the package lists that `apt-get update` takes.
 */
async function aptInstall(packages) {
  if (!isRoot()) throw new ServiceError("not-installed", `please install ${packages.join(" ")} (apt-get install ${packages.join(" ")})`)
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  const deadline = Date.now() + aptLockTimeoutMs
  const lockTimeout = ["-o", `DPkg::Lock::Timeout=${aptLockTimeoutMs / 1000}`]
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...packages]]) {
    for (let attempt = 1; ; attempt++) {
      try {
        await run("apt-get", [...lockTimeout, ...args], { env })
        break
      } catch (error) {
        const locked = /Could not get lock|Unable to lock|Unable to acquire/i.test(error.message)
        if (!locked || Date.now() > deadline) throw new ServiceError("install-failed", `apt-get ${args.join(" ")} failed: ${error.message}`)
        // Waiting on another process we cannot be notified about: back off, up to 5 s.
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * attempt)))
      }
    }
  }
}

/** The bin folder of the newest PostgreSQL Debian installed, or null. */
function findPostgresBin() {
  if (!existsSync(postgresRoot)) return null
  const versions = readdirSync(postgresRoot)
    .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(postgresRoot, name, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length ? join(postgresRoot, versions[0], "bin") : null
}

/** The path of `command` on PATH, else of the first of `fallbacks` that exists, or null. */
function findCommand(command, fallbacks) {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" })
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim()
  return fallbacks.find((path) => existsSync(path)) ?? null
}

/** The path of redis-server, or null. */
const findRedisServer = () => findCommand("redis-server", ["/usr/bin/redis-server"])

/**
 * A loopback port nobody listens on right now. Another process could take it before we do, so
 * callers retry start-up on a fresh port when binding fails.
 */
async function freePort() {
  const server = createServer()
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const { port } = server.address()
  server.close()
  await once(server, "close")
  return port
}

/**
 * What `find()` finds, installing Debian's `packageName` first when it finds nothing (as root).
 *
 * @throws {ServiceError} `not-installed` when it still finds nothing (`what` says what it looked for).
 */
async function findOrInstall(find, packageName, what) {
  const found = find()
  if (found) return found
  await aptInstall([packageName])
  const installed = find()
  if (!installed) throw new ServiceError("not-installed", `apt-get installed ${packageName}, but there is no ${what}`)
  return installed
}

/** A fresh temporary folder, owned by `postgres` when we are root so the server can write it. */
function tempDir(prefix, owner) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (owner && isRoot()) {
    const id = (flag) => Number(spawnSync("id", [flag, owner], { encoding: "utf8" }).stdout.trim())
    chownSync(dir, id("-u"), id("-g"))
  }
  return dir
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
    const proc = spawn(server, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let output = ""
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ServiceError("start-failed", `redis-server did not start in ${startTimeoutS} s:\n${output}`)), startTimeoutS * 1000)
      const onData = (chunk) => {
        output += chunk
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer)
          resolve()
        }
      }
      proc.stdout.on("data", onData)
      proc.stderr.on("data", onData)
      proc.once("error", (error) => {
        clearTimeout(timer)
        reject(new ServiceError("start-failed", `redis-server: ${error.message}`))
      })
      proc.once("exit", (code) => {
        clearTimeout(timer)
        reject(new ServiceError("start-failed", `redis-server exited with ${code}:\n${output.trim()}`))
      })
    })
    try {
      await ready
    } catch (error) {
      if (proc.exitCode === null) proc.kill("SIGKILL")
      throw error
    }
    child = proc
  }

  const halt = async () => {
    const running = child
    child = null
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, "exit")
    running.kill("SIGTERM")
    await exited
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
  let stopped = null
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: async () => {
      await halt()
      await launch()
    },
    stop: () =>
      (stopped ??= (async () => {
        try {
          await halt()
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      })()),
  }
}

/**
 * Fills in each `${NAME}` of `template` from `values`.
 * @throws {ServiceError} (`start-failed`) naming a placeholder that `values` lacks.
 */
function fillTemplate(template, values) {
  return template.replace(/\$\{([A-Z_]+)\}/g, (_, name) => {
    if (!Object.hasOwn(values, name)) throw new ServiceError("start-failed", `${nginxTemplate} has a placeholder \${${name}} startNginx() does not fill`)
    return values[name]
  })
}

/**
 * Starts a throwaway nginx that terminates TLS on a free loopback port and proxies to
 * `upstreams` (`["127.0.0.1:PORT", …]`, taken in turn) with deploy/nginx.conf.template, the
 * configuration compose.yaml uses. Installs Debian's `nginx` (and `openssl`) first when missing and
 * we are root. Its certificate is self-signed for 127.0.0.1, made for this run; everything it
 * writes (configuration, key, logs, temporary bodies, pid) stays in its own temporary folder.
 *
 * Resolves, once the TLS port accepts connections, to `{ url, wssUrl, port, ca, stop() }`: `url`
 * is `https://127.0.0.1:PORT`, `wssUrl` the same as `wss:`, `ca` the certificate in PEM for
 * clients to trust; `stop()` stops nginx at once (open sockets are cut) and removes its folder,
 * and may be called again.
 *
 * @throws {TypeError} when `upstreams` is empty.
 * @throws {ServiceError} when nginx is not installed and cannot be, or does not start.
 */
export async function startNginx({ upstreams }) {
  if (!Array.isArray(upstreams) || upstreams.length === 0) throw new TypeError("startNginx: upstreams must list at least one HOST:PORT")
  const nginx = await findOrInstall(() => findCommand("nginx", ["/usr/sbin/nginx"]), "nginx", "nginx")
  const openssl = await findOrInstall(() => findCommand("openssl", ["/usr/bin/openssl"]), "openssl", "openssl")
  const dir = tempDir("tandem-nginx-")
  const cert = join(dir, "cert.pem")
  const key = join(dir, "key.pem")
  const conf = join(dir, "nginx.conf")
  let child = null

  /** Starts nginx with `conf`, resolving once it has bound its ports and starts its workers. */
  const launch = async () => {
    // -e: nginx opens its error log before reading the configuration, by default under /var/log.
    const proc = spawn(nginx, ["-p", `${dir}/`, "-c", conf, "-e", "stderr"], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ServiceError("start-failed", `nginx did not start in ${startTimeoutS} s:\n${output}`)), startTimeoutS * 1000)
      // nginx logs this (at notice level) once its listening sockets are open. The log goes on
      // (to error.log as well); what comes after it is read and dropped so the pipe never fills.
      let started = false
      const onData = (chunk) => {
        if (started) return
        output += chunk
        if (/start worker process/.test(output)) {
          started = true
          clearTimeout(timer)
          resolve()
        }
      }
      proc.stdout.on("data", onData)
      proc.stderr.on("data", onData)
      proc.once("error", (error) => {
        clearTimeout(timer)
        reject(new ServiceError("start-failed", `nginx: ${error.message}`))
      })
      proc.once("exit", (code) => {
        clearTimeout(timer)
        reject(new ServiceError("start-failed", `nginx exited with ${code}:\n${output.trim()}`))
      })
    })
    try {
      await ready
    } catch (error) {
      if (proc.exitCode === null) proc.kill("SIGKILL")
      throw error
    }
    child = proc
  }

  const halt = async () => {
    const running = child
    child = null
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, "exit")
    // SIGTERM is nginx's fast shutdown; SIGQUIT (graceful) would wait for every WebSocket to end.
    running.kill("SIGTERM")
    await exited
  }

  try {
    await run(openssl, [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
    ])
    const template = readFileSync(nginxTemplate, "utf8")
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      let redirectPort = await freePort()
      while (redirectPort === port) redirectPort = await freePort()
      const http = fillTemplate(template, {
        UPSTREAMS: upstreams.map((upstream) => `server ${upstream};`).join(" "),
        LISTEN: `127.0.0.1:${port}`,
        REDIRECT_LISTEN: `127.0.0.1:${redirectPort}`,
        CERT: cert,
        KEY: key,
      })
      const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) => `    ${name}_temp_path ${join(dir, name)};`)
      writeFileSync(
        conf,
        [
          // Workers stay root, as the master: they write temporary files in `dir`, which is
          // root's alone, and nginx would otherwise switch them to `nobody`.
          ...(isRoot() ? ["user root;"] : []),
          "daemon off;",
          "worker_processes 1;",
          `pid ${join(dir, "nginx.pid")};`,
          "error_log stderr notice;",
          `error_log ${join(dir, "error.log")} info;`,
          "events { worker_connections 1024; }",
          "http {",
          `    access_log ${join(dir, "access.log")};`,
          ...temp,
          http,
          "}",
          "",
        ].join("\n"),
      )
      try {
        await launch()
      } catch (error) {
        if (attempt < 3 && /Address already in use/.test(error.message)) continue // someone took a port
        throw error
      }
      // The notice above means the sockets are bound; one connection checks the TLS port accepts.
      const probe = connect(port, "127.0.0.1")
      await once(probe, "connect").catch((error) => {
        throw new ServiceError("start-failed", `nginx does not accept on ${port}: ${error.message}`)
      })
      probe.destroy()
      let stopped = null
      return {
        url: `https://127.0.0.1:${port}`,
        wssUrl: `wss://127.0.0.1:${port}`,
        port,
        ca: readFileSync(cert, "utf8"),
        stop: () =>
          (stopped ??= (async () => {
            try {
              await halt()
            } finally {
              rmSync(dir, { recursive: true, force: true })
            }
          })()),
      }
    }
  } catch (error) {
    await halt()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

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

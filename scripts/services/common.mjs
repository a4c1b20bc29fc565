// What the throwaway services share: the error they throw, running commands (as root or not),
// installing Debian's packages when missing, a free loopback port and a fresh temporary folder.
import { spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** How long start-up may take before we give up: initdb plus a first start on a slow, shared machine. */
export const startTimeoutS = 60
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

/** Whether we run as root: only root may apt-get install, and PostgreSQL refuses to run as root. */
export const isRoot = () => process.getuid?.() === 0

/**
 * Runs a command to completion and resolves with its output; rejects with a ServiceError
 * (`command-failed`) on a non-zero exit. Resolves on "exit", not "close": `pg_ctl start` leaves
 * the server it forks holding inherited descriptors.
 */
export async function run(command, args, { env = process.env } = {}) {
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

/** The path of `command` on PATH, else of the first of `fallbacks` that exists, or null. */
export function findCommand(command, fallbacks) {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" })
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim()
  return fallbacks.find((path) => existsSync(path)) ?? null
}

/**
 * A loopback port nobody listens on right now. Another process could take it before we do, so
 * callers retry start-up on a fresh port when binding fails.
 */
export async function freePort() {
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
export async function findOrInstall(find, packageName, what) {
  const found = find()
  if (found) return found
  await aptInstall([packageName])
  const installed = find()
  if (!installed) throw new ServiceError("not-installed", `apt-get installed ${packageName}, but there is no ${what}`)
  return installed
}

/** A fresh temporary folder, owned by `owner` (say `postgres`) when we are root so that server can write it. */
export function tempDir(prefix, owner) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (owner && isRoot()) {
    const id = (flag) => Number(spawnSync("id", [flag, owner], { encoding: "utf8" }).stdout.trim())
    chownSync(dir, id("-u"), id("-g"))
  }
  return dir
}

/**
 * Spawns a server that runs in the foreground and resolves to its process once what it writes
 * (stdout and stderr together) matches `readyLine`. Rejects, with what it wrote, should it exit
 * first or take longer than startTimeoutS; it is then killed. Its output after that line is read
 * and dropped, so its pipes never fill.
 */
export async function spawnUntilReady(name, command, args, readyLine) {
  const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ServiceError("start-failed", `${name} did not start in ${startTimeoutS} s:\n${output}`)), startTimeoutS * 1000)
    let started = false
    const onData = (chunk) => {
      if (started) return
      output += chunk
      if (readyLine.test(output)) {
        started = true
        clearTimeout(timer)
        resolve()
      }
    }
    proc.stdout.on("data", onData)
    proc.stderr.on("data", onData)
    proc.once("error", (error) => {
      clearTimeout(timer)
      reject(new ServiceError("start-failed", `${name}: ${error.message}`))
    })
    proc.once("exit", (code) => {
      clearTimeout(timer)
      reject(new ServiceError("start-failed", `${name} exited with ${code}:\n${output.trim()}`))
    })
  })
  try {
    await ready
  } catch (error) {
    if (proc.exitCode === null) proc.kill("SIGKILL")
    throw error
  }
  return proc
}

/** Stops a process with SIGTERM and waits for it to exit; nothing to do when there is none or it has exited. */
export async function terminate(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
  const exited = once(proc, "exit")
  proc.kill("SIGTERM")
  await exited
}

/**
 * A service's `stop()`: runs `halt` and then removes the service's folder `dir`, whether or not
 * `halt` failed. Every call gets the same promise, so stopping twice is harmless.
 */
export function stopper(halt, dir) {
  let stopped = null
  return () =>
    (stopped ??= (async () => {
      try {
        await halt()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })())
}

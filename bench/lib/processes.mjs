// The benchmark's child processes: server processes (servers/*.mjs) and load processes
// (load.mjs), started with fork and ended by signal; what /proc says of them and of other
// processes (CPU time, threads, memory, parents, command lines); and the versions of what runs.
import { fork, spawnSync } from "node:child_process"
import { readFileSync, readdirSync, readlinkSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { freePort } from "../../scripts/services.mjs"

const benchDir = fileURLToPath(new URL("..", import.meta.url))

/** The soft open-file limit of a process, from /proc. */
function openFileLimit(pid) {
  const limit = /^Max open files\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))[1]
  return limit === "unlimited" ? Infinity : Number(limit)
}

/**
 * Raises the open-file limit of a process just started (before it has any socket) to `wanted`
 * with prlimit(1). Only a process with CAP_SYS_RESOURCE may raise a hard limit; without it the
 * soft limit is raised to the hard one, which is as far as it goes. Returns the limit the process
 * has and, when it falls short of `wanted`, why.
 */
function raiseOpenFileLimit(pid, wanted) {
  const attempt = spawnSync("prlimit", [`--pid=${pid}`, `--nofile=${wanted}:${wanted}`], { encoding: "utf8" })
  if (openFileLimit(pid) >= wanted) return { limit: openFileLimit(pid) }
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))[1]
  if (hard !== "unlimited") spawnSync("prlimit", [`--pid=${pid}`, `--nofile=${hard}:${hard}`])
  const why = attempt.error ? `prlimit: ${attempt.error.code}` : attempt.stderr.trim() || `prlimit exited with ${attempt.status}`
  return { limit: openFileLimit(pid), why }
}

/** Resolves once a child process has exited, SIGKILLing it if it takes more than `ms` after `signal`. */
export function endProcess(child, signal = "SIGTERM", ms = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

/**
 * Starts one server process: `node servers/<script> PORT DATA_DIR ...args`, with `execArgv`
 * added to its Node options and its stdout let through when `stdout` is "inherit" (run.mjs's
 * `serverProcess` setting). With `nofile`, its open-file limit is raised to that (see
 * raiseOpenFileLimit; `fdLimit` says what it got).
 */
export async function startServer(server, dataDir, args = [], { nofile, execArgv = [], stdout = "ignore" } = {}) {
  const port = await freePort()
  const hook = ["--expose-gc", "--import", pathToFileURL(join(benchDir, "servers", "gc-hook.mjs")).href]
  const child = fork(join(benchDir, "servers", server.script), [String(port), dataDir, ...args], { stdio: ["ignore", stdout, "inherit", "ipc"], execArgv: [...hook, ...execArgv] })
  const fdLimit = nofile ? raiseOpenFileLimit(child.pid, nofile) : undefined
  await new Promise((resolve, reject) => {
    child.once("message", resolve)
    child.once("exit", (code) => reject(new Error(`${server.name} exited with ${code}`)))
  })
  return {
    child,
    url: `ws://127.0.0.1:${port}${server.path}`,
    fdLimit,
    stop: () => endProcess(child),
  }
}

/** A load process (load.mjs). With `nofile`, its open-file limit is raised to that, as a server's. */
export function loader({ nofile } = {}) {
  const child = fork(join(benchDir, "load.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  return {
    child,
    fdLimit: nofile ? raiseOpenFileLimit(child.pid, nofile) : undefined,
    run(task) {
      return new Promise((resolve, reject) => {
        child.once("message", (m) => (m.ok ? resolve(m.result) : reject(new Error(m.error))))
        child.send(task)
      })
    },
    /** Ends the process (and so every client it holds); resolves once it has exited. */
    stop: () => endProcess(child),
  }
}

/**
 * Sends `request` to a running server's gc-hook (servers/gc-hook.mjs) and resolves with the first
 * reply `answer` makes something of (it returns undefined for any other message); rejects should
 * the server exit first, so that a server that died never holds the benchmark up.
 */
function askServer(running, request, answer) {
  return new Promise((resolve, reject) => {
    const stop = () => {
      running.child.off("message", listen)
      running.child.off("exit", exited)
    }
    const listen = (message) => {
      const value = answer(message)
      if (value === undefined) return
      stop()
      resolve(value)
    }
    const exited = (code) => {
      stop()
      reject(new Error(`the server exited (${code}) before answering ${request}`))
    }
    running.child.on("message", listen)
    running.child.once("exit", exited)
    running.child.send(request)
  })
}

/** Collects garbage in a running server (servers/gc-hook.mjs), so that its memory is read from live objects. */
export function collectGarbage(running) {
  return askServer(running, "bench:gc", (message) => (message === "bench:gc-done" ? true : undefined))
}

/**
 * CPU time (user + system, milliseconds, to the microsecond) of a running server, all its
 * threads, as the process itself reports it (getrusage, through servers/gc-hook.mjs). /proc
 * counts in 10 ms ticks, which in a fan-out of rooms of 10 was a step of 0.7 µs per delivered
 * update, 4% of the figure; getrusage sums the scheduler's own nanosecond count.
 */
export function reportedCpuMs(running) {
  return askServer(running, "bench:cpu", (message) => (typeof message?.cpuUs === "number" ? message.cpuUs / 1000 : undefined))
}

/** CPU time (user + system, milliseconds) from a /proc stat file, a process's or a thread's. */
function statCpuMs(path) {
  const fields = readFileSync(path, "utf8").split(") ")[1].split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** CPU time (milliseconds) of a process, all its threads, from /proc. */
export const cpuMs = (pid) => statCpuMs(`/proc/${pid}/stat`)

/**
 * Time on a CPU (milliseconds, to the nanosecond) of each thread of a process, by thread id; the main
 * thread's id is the process's. For telling the event loop from V8's compiler and GC threads
 * and from worker threads, which /proc does not name apart for Node.
 */
export function threadCpuMs(pid) {
  const spent = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // schedstat's first field: nanoseconds, where stat counts 10 ms ticks (a 6 s window's
      // worker thread read 0 or 10).
      spent[tid] = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return spent
}

/** The fields of /proc/PID/stat after the command name (state first), or null once it has exited. */
export function procStat(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
  } catch {
    return null
  }
}
/** The ids of the processes alive now. */
export const livePids = () => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)
/** A process's command name, or "" once it has exited. */
export function procComm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim()
  } catch {
    return ""
  }
}
/** A process's argv, or [] once it has exited. */
export function procCmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
  } catch {
    return []
  }
}

/**
 * CPU time (ms) of a process and all it started: its own, that of its children alive now, and
 * that of those that ended (the kernel adds a reaped child's time to its parent's cutime and
 * cstime). PostgreSQL forks a process per connection and reaps them as they close.
 */
export function familyCpuMs(parent) {
  const own = procStat(parent)
  if (!own) return NaN
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
  for (const pid of livePids()) {
    const fields = procStat(pid)
    if (fields && Number(fields[1]) === parent) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks * 10
}
/** A process's resident memory (bytes), from /proc. */
export function rssBytes(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024
}

/** `--version` of a running process's executable, first line (Debian's redis-server is redis-check-rdb, which reads its argv[0]). */
export function exeVersion(pid, argv0) {
  try {
    return spawnSync(readlinkSync(`/proc/${pid}/exe`), ["--version"], { encoding: "utf8", ...(argv0 ? { argv0 } : {}) }).stdout.split("\n")[0].trim()
  } catch {
    return "?"
  }
}

/** The version of a package installed in bench/node_modules, or "?". */
export function packageVersion(pkg) {
  try {
    return JSON.parse(readFileSync(join(benchDir, "node_modules", pkg, "package.json"), "utf8")).version
  } catch {
    return "?"
  }
}

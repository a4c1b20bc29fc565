// Shared by start.mjs and test.mjs: bootstraps pnpm, and installs and builds only when
// something changed since the last time.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

export const root = fileURLToPath(new URL("..", import.meta.url))
const pnpmVersion = "10.34.8"
const stampDir = join(root, "node_modules", ".tandem")

/** Runs pnpm (fetched once by npx) in the repository root; exits on failure unless told not to. */
export function pnpm(args, { check = true } = {}) {
  const result = spawnSync("npx", ["--yes", `pnpm@${pnpmVersion}`, ...args], { cwd: root, stdio: "inherit" })
  if (check && result.status !== 0) {
    console.error(`tandem: pnpm ${args.join(" ")} failed`)
    process.exit(result.status ?? 1)
  }
  return result.status ?? 1
}

function hashFiles(paths) {
  const hash = createHash("sha256")
  for (const path of paths.sort()) {
    hash.update(relative(root, path))
    hash.update(readFileSync(path))
  }
  return hash.digest("hex")
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else out.push(path)
  }
  return out
}

function workspaceDirs() {
  return ["apps", "packages"].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name))
      .filter((dir) => existsSync(join(dir, "package.json"))),
  )
}

function upToDate(name, digest) {
  const path = join(stampDir, name)
  return existsSync(path) && readFileSync(path, "utf8") === digest
}

function stamp(name, digest) {
  mkdirSync(stampDir, { recursive: true })
  writeFileSync(join(stampDir, name), digest)
}

/**
 * Makes sure Debian packages are installed: `commands` maps a command (or a path pattern with a
 * `/`) to the package that provides it. Installs the missing ones with apt-get when running as
 * root; otherwise says what to install and exits.
 */
export function ensureSystemPackages(commands) {
  // A key with a slash is a path pattern (PostgreSQL's programs are not on PATH on Debian).
  const present = (command) =>
    spawnSync("sh", ["-c", command.includes("/") ? `ls ${command} >/dev/null 2>&1` : `command -v ${command}`]).status === 0
  const missing = Object.entries(commands).filter(([command]) => !present(command))
  if (missing.length === 0) return
  const packages = [...new Set(missing.map(([, pkg]) => pkg))]
  if (process.getuid?.() !== 0 || spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) {
    console.error(`tandem: please install ${packages.join(" ")} (missing: ${missing.map(([c]) => c).join(", ")})`)
    process.exit(1)
  }
  console.log(`tandem: installing ${packages.join(" ")}`)
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...packages]]) {
    const result = spawnSync("apt-get", args, { stdio: "inherit", env })
    if (result.status !== 0) {
      console.error(`tandem: apt-get ${args.join(" ")} failed`)
      process.exit(1)
    }
  }
}

/** Installs dependencies unless the lockfile and manifests are unchanged since the last install. */
export function ensureInstalled() {
  const manifests = [join(root, "package.json"), join(root, "pnpm-workspace.yaml"), ...workspaceDirs().map((dir) => join(dir, "package.json"))]
  const lockfile = join(root, "pnpm-lock.yaml")
  if (existsSync(lockfile)) manifests.push(lockfile)
  const digest = hashFiles(manifests)
  if (upToDate("install", digest)) return
  // better-sqlite3 compiles from source when no prebuilt binary can be fetched.
  ensureSystemPackages({ python3: "python3", make: "make", "g++": "g++" })
  console.log("tandem: installing dependencies")
  pnpm(["install", ...(existsSync(lockfile) ? ["--frozen-lockfile"] : [])])
  stamp("install", hashFiles(manifests))
}

/** Builds every package and app unless no source changed since the last build. */
export function ensureBuilt() {
  const dirs = workspaceDirs()
  const sources = dirs.flatMap((dir) => walk(dir).filter((path) => !relative(dir, path).startsWith("test")))
  sources.push(join(root, "tsconfig.base.json"))
  const digest = hashFiles(sources)
  const built = dirs.every((dir) => !JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts?.build || existsSync(join(dir, "dist")))
  if (built && upToDate("build", digest)) return
  console.log("tandem: building")
  // --filter-prod orders the build by runtime dependencies only: packages' tests depend on the
  // storage adapters, which depend on the server, a cycle only through devDependencies.
  pnpm(["-r", "--filter-prod", "./packages/**", "--filter-prod", "./apps/**", "run", "build"])
  stamp("build", digest)
}

/** Whether `path` exists and is a file. */
export function isFile(path) {
  return existsSync(path) && statSync(path).isFile()
}

// `npm test`: install and build when needed, typecheck, run every test runner, and print one
// closing line "N passed, N failed" from the runners' own reports.
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { ensureBuilt, ensureInstalled, ensureSystemPackages, isFile, pnpm, root } from "./workspace.mjs"

ensureInstalled()
ensureBuilt()
// The browser tests drive Debian's Chromium (Playwright cannot download its own here); the
// several-instance tests start throwaway PostgreSQL, Redis and nginx servers on loopback
// (scripts/services.mjs), each stopped when its test file ends.
ensureSystemPackages({ chromium: "chromium", "/usr/lib/postgresql/*/bin/initdb": "postgresql", "redis-server": "redis-server", nginx: "nginx" })

const reports = join(root, "node_modules", ".tandem", "reports")
rmSync(reports, { recursive: true, force: true })
mkdirSync(reports, { recursive: true })

let passed = 0
let failed = 0

console.log("tandem: typecheck")
if (pnpm(["-r", "--no-bail", "run", "typecheck"], { check: false }) === 0) passed++
else {
  console.error("tandem: typecheck failed")
  failed++
}

console.log("tandem: lint")
if (spawnSync(process.execPath, [join(root, "scripts", "lint.mjs")], { cwd: root, stdio: "inherit" }).status === 0) passed++
else {
  console.error("tandem: lint failed")
  failed++
}

const vitestReport = join(reports, "vitest.json")
spawnSync("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestReport}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
})
if (isFile(vitestReport)) {
  const report = JSON.parse(readFileSync(vitestReport, "utf8"))
  passed += report.numPassedTests
  failed += report.numFailedTests
  // A file that fails to load has no tests to count; count it as a failure.
  failed += report.testResults.filter((file) => file.status === "failed" && file.assertionResults.length === 0).length
} else {
  console.error("tandem: vitest wrote no report")
  failed++
}

console.log("tandem: browser tests")
const playwrightReport = join(reports, "playwright.json")
spawnSync("npx", ["playwright", "test", "-c", "playwright.config.ts"], { cwd: join(root, "playwright"), stdio: "inherit" })
if (isFile(playwrightReport)) {
  const { stats, errors } = JSON.parse(readFileSync(playwrightReport, "utf8"))
  // A test that failed once and passed on its retry counts as passed; the list above names it flaky.
  passed += stats.expected + stats.flaky
  failed += stats.unexpected + (errors?.length ?? 0)
} else {
  console.error("tandem: playwright wrote no report")
  failed++
}

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)

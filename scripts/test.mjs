// `npm test`: install and build when needed, typecheck, run every test runner, and print one
// closing line "N passed, N failed" from the runners' own reports.
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { ensureBuilt, ensureInstalled, isFile, pnpm, root } from "./workspace.mjs"

ensureInstalled()
ensureBuilt()

const reports = join(root, "node_modules", ".tandem", "reports")
rmSync(reports, { recursive: true, force: true })
mkdirSync(reports, { recursive: true })

let passed = 0
let failed = 0

console.log("tandem: typecheck")
if (pnpm(["-r", "run", "typecheck"], { check: false }) === 0) passed++
else {
  console.error("tandem: typecheck failed")
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

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)

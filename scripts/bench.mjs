// `npm run bench`: install and build when needed, then run the benchmark (bench/run.mjs).
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { ensureBuilt, ensureInstalled, root } from "./workspace.mjs"

ensureInstalled()
ensureBuilt()
const result = spawnSync(process.execPath, [join(root, "bench", "run.mjs")], { cwd: join(root, "bench"), stdio: "inherit" })
process.exit(result.status ?? 1)

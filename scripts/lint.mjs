// `npm run lint`: type-aware ESLint, then the import-cycle check. Exits non-zero on any finding.
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { root } from "./workspace.mjs"

const eslint = spawnSync("npx", ["eslint", "--max-warnings=0", "."], { cwd: root, stdio: "inherit" })
const cycles = spawnSync(process.execPath, [join(root, "scripts", "check-cycles.mjs")], { cwd: root, stdio: "inherit" })
process.exit(eslint.status === 0 && cycles.status === 0 ? 0 : 1)

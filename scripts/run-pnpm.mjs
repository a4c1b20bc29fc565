// Runs pnpm with the version this repository pins, bootstrapping it through npx.
import { pnpm } from "./workspace.mjs"

process.exit(pnpm(process.argv.slice(2), { check: false }))

// `npm start`: install and build when needed, then run the server in this process.
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { ensureBuilt, ensureInstalled, root } from "./workspace.mjs"

ensureInstalled()
ensureBuilt()
await import(pathToFileURL(join(root, "apps", "server", "dist", "main.js")).href)

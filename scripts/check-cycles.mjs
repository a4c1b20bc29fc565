// Fails when the relative imports inside a package's src/ form a cycle (as Yjs's lint does).
import { existsSync, readFileSync, readdirSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { root } from "./workspace.mjs"

function sources(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) sources(path, out)
    else if (entry.name.endsWith(".ts")) out.push(path)
  }
  return out
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g
const cycles = []
for (const group of ["apps", "packages"]) {
  for (const name of readdirSync(join(root, group))) {
    const files = sources(join(root, group, name, "src"))
    const graph = new Map(
      files.map((file) => [
        file,
        [...readFileSync(file, "utf8").matchAll(importPattern)]
          .map((match) => resolve(dirname(file), match[1].replace(/\.js$/, ".ts")))
          .filter((target) => existsSync(target)),
      ]),
    )
    const state = new Map()
    const stack = []
    const visit = (file) => {
      state.set(file, "visiting")
      stack.push(file)
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === "visiting") cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)))
        else if (!state.has(next)) visit(next)
      }
      stack.pop()
      state.set(file, "done")
    }
    for (const file of files) if (!state.has(file)) visit(file)
  }
}
for (const cycle of cycles) console.error(`import cycle: ${cycle.join(" -> ")}`)
process.exit(cycles.length === 0 ? 0 : 1)
